"""Languages of the pages: Vietnamese first, English on request (gettext catalogs via Babel).

Templates and routes write their strings in English as gettext message ids; the Vietnamese
wording lives in ``web/locale/vi/LC_MESSAGES/messages.po`` (extracted with ``pybabel extract
-F web/babel.cfg``). The ``.po`` file is compiled in memory when the process starts, so there is
no ``.mo`` to forget to rebuild. Dates are shown ``dd/MM/yyyy HH:mm`` in Vietnam time (+07:00).
"""

from __future__ import annotations

import gettext
import io
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LANG_COOKIE = "sohoa_lang"
LOCALE_DIR = Path(__file__).parent / "locale"
#: Vietnam has one time zone and no daylight saving time.
VIETNAM = timezone(timedelta(hours=7), "ICT")


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of ``locale`` (English is the message ids themselves)."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale not in LOCALES or not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick_locale(cookie: str | None) -> str:
    """The page language: the visitor's choice if it is one we have, else Vietnamese."""
    return cookie if cookie in LOCALES else DEFAULT_LOCALE


def format_dt(value: datetime | None, locale: str = DEFAULT_LOCALE) -> str:
    """``dd/MM/yyyy HH:mm`` in Vietnam time; an empty string for no value."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value, "dd/MM/yyyy HH:mm", tzinfo=VIETNAM, locale=locale)


def parse_iso(value: object) -> datetime | None:
    """A datetime from an ISO 8601 string (as verification reports carry them), else None."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def format_d(value: date | None) -> str:
    """``dd/MM/yyyy``; an empty string for no value."""
    return value.strftime("%d/%m/%Y") if value is not None else ""


def today_vietnam() -> date:
    """Today's date in Vietnam."""
    return datetime.now(VIETNAM).date()


__all__ = [
    "DEFAULT_LOCALE",
    "LANG_COOKIE",
    "LOCALES",
    "VIETNAM",
    "format_d",
    "format_dt",
    "parse_iso",
    "pick_locale",
    "today_vietnam",
    "translations",
]
