"""Digitization engine: scans → searchable PDF/A-2b (số hóa); the only caller of Tesseract."""

from __future__ import annotations

from ocr.digitize import (
    DigitizeReport,
    PageProgress,
    PageReport,
    check_input,
    digitize,
)
from ocr.inputs import InputInfo

__all__ = [
    "DigitizeReport",
    "InputInfo",
    "PageProgress",
    "PageReport",
    "check_input",
    "digitize",
]
