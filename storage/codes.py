"""Pure helpers for records: dossier codes (mã hồ sơ), citizen access secrets, accent folding.

- ``format_dossier_code("000.00.00.H00", date(2026, 11, 23), 1)`` → ``"000.00.00.H00-261123-0001"``:
  the national format is the receiving agency's ID code (mã định danh), the reception date as
  ``yymmdd`` and the day's sequence number (at least four digits).
- ``new_access_secret()`` / ``hash_access_secret(secret)``: the citizen's dossier look-up secret.
  It is 128 random bits, so a fast SHA-256 is an adequate hash (no dictionary to attack).
- ``fold_accents("Đặng Văn Đức")`` → ``"dang van duc"``: for accent-insensitive search.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import date, datetime, timedelta, timezone

#: Vietnam has kept UTC+7 without daylight saving since 1975; a fixed offset avoids tzdata.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

_CODE_RE = re.compile(r"^(?P<agency>[0-9A-Za-z.]+)-(?P<date>\d{6})-(?P<seq>\d{4,})$")


def reception_day(moment: datetime | None = None) -> date:
    """The reception date in Vietnam local time (a dossier received at 23:30 UTC is next day)."""
    moment = moment or datetime.now(tz=VIETNAM_TZ)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM_TZ)
    return moment.astimezone(VIETNAM_TZ).date()


def format_dossier_code(agency_code: str, day: date, sequence: int) -> str:
    """The national dossier code: ``{agency}-{yymmdd}-{sequence:04d}``."""
    if sequence < 1:
        raise ValueError("sequence numbers start at 1")
    return f"{agency_code}-{day:%y%m%d}-{sequence:04d}"


def parse_dossier_code(code: str) -> tuple[str, date, int]:
    """Split a dossier code into (agency, reception date, sequence); ValueError if malformed."""
    match = _CODE_RE.match(code)
    if not match:
        raise ValueError(f"not a dossier code: {code!r}")
    raw = match["date"]
    day = date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    return match["agency"], day, int(match["seq"])


def is_dossier_code(code: str) -> bool:
    """True when ``code`` has the national format (used to keep object keys path-safe)."""
    try:
        parse_dossier_code(code)
    except ValueError:
        return False
    return True


def new_access_secret() -> str:
    """A fresh citizen access secret (128 random bits, URL-safe, 22 characters)."""
    return secrets.token_urlsafe(16)


def hash_access_secret(secret: str) -> str:
    """SHA-256 hex of the secret, as stored in ``dossiers.access_secret_hash``."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def access_secret_matches(stored_hash: str, secret: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(stored_hash, hash_access_secret(secret))


def fold_accents(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics (``đ`` → ``d``) for search.

    NFD decomposition removes tone and vowel marks, but ``đ`` is a letter of its own (not ``d``
    plus a mark), so it is mapped explicitly.
    """
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).casefold()


__all__ = [
    "VIETNAM_TZ",
    "access_secret_matches",
    "fold_accents",
    "format_dossier_code",
    "hash_access_secret",
    "is_dossier_code",
    "new_access_secret",
    "parse_dossier_code",
    "reception_day",
]
