from __future__ import annotations

import pytest

from core import errors
from core.settings import Settings


def test_every_error_has_a_distinct_code() -> None:
    classes = [
        c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.SohoaError)
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes))


def test_input_errors_have_distinct_exit_codes() -> None:
    names = [
        "UnsupportedFormat",
        "CorruptFile",
        "EncryptedPDF",
        "EmptyDocument",
        "TooLarge",
        "SignedInput",
    ]
    exit_codes = [getattr(errors, n).exit_code for n in names]
    assert len(set(exit_codes)) == len(names)
    assert 0 not in exit_codes


def test_settings_read_the_sohoa_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOHOA_OCR_LANGUAGES", "eng")
    monkeypatch.setenv("SOHOA_OCR_JOBS", "3")
    s = Settings()
    assert s.ocr_languages == "eng"
    assert s.resolved_ocr_jobs() == 3
