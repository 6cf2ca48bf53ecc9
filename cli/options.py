"""Parsing of option values shared by the ``sohoa`` commands."""

from __future__ import annotations

from datetime import date

from core.errors import InputError


def parse_day(text: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option value as a date (``None`` stays ``None``); ``InputError`` else."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(
            f"{option}: not a date (YYYY-MM-DD): {text!r}",
            detail_vi=f"{option}: ngày không đúng định dạng NNNN-TT-NN",
        ) from exc


__all__ = ["parse_day"]
