"""Pure helpers for records: dossier codes (mã hồ sơ), agency codes, citizen secrets, accents.

The code rules are *data*: :data:`DEFAULT_RULES` is a table of dossier-code forms, each naming
the text it comes from. An administrator corrects a form without a code change by pointing
``SOHOA_CODE_RULES_FILE`` at a JSON file with the same fields (see :func:`load_rules`); every
form ever used must stay in the table so that every code ever issued still parses.

Sources (as summarised in issue 13; the JSON file overrides where the official texts differ):

- Agency electronic ID codes (mã định danh điện tử của cơ quan): Decision 20/2020/QĐ-TTg —
  dot-separated groups of letters and digits, at most 35 characters (``000.00.00.H00``).
  Re-issued after the 1 July 2025 province mergers; the register (``storage.agencies``) keeps
  each code's validity period and successor.
- General dossier code ("general"): Decree 61/2018/NĐ-CP with Circular 01/2018/TT-VPCP, kept by
  Decree 118/2025/NĐ-CP (in force 1 July 2025) and Circular 03/2025/TT-VPCP: the receiving
  agency's ID code, the receipt date ``yymmdd``, a daily sequence of at least 4 digits:
  ``000.00.00.H00-261123-0001``.
- Centralised dossier code ("centralised"): Circular 04/2025/TT-VPCP (in force 25 January 2026)
  for nationally centralised services: ``MX1X2.Y1Y2Y3.Z1Z2-YYMMDD-AAXXXX`` — the resolving
  agency's ID code, the receipt date, two digits of the operating agency's code, a daily
  sequence of at least 4 digits.

Other helpers:

- ``new_access_secret()`` / ``hash_access_secret(secret)``: the citizen's dossier look-up secret.
  It is 128 random bits, so a fast SHA-256 is an adequate hash (no dictionary to attack).
- ``fold_accents("Đặng Văn Đức")`` → ``"dang van duc"``: for accent-insensitive search.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from core.errors import ConfigurationError

#: Vietnam has kept UTC+7 without daylight saving since 1975; a fixed offset avoids tzdata.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

GENERAL = "general"
CENTRALISED = "centralised"


@dataclass(frozen=True)
class CodeForm:
    """One dossier-code form: ``{agency}-{yymmdd}-{operator}{sequence}``.

    Attributes:
        name: ``general`` or ``centralised`` (stored in ``dossiers.code_form``).
        source: The legal text the form comes from.
        agency_pattern: Regular expression the agency part must match in full.
        operator_digits: Digits of the operating agency's code before the sequence (0: none).
        sequence_digits: Minimum width of the daily sequence (zero-padded, widens past it).
        valid_from: First receipt date the form may carry (``None``: always).
        valid_to: Last receipt date it may carry (``None``: still in force).
    """

    name: str
    source: str
    agency_pattern: str
    operator_digits: int = 0
    sequence_digits: int = 4
    valid_from: date | None = None
    valid_to: date | None = None

    def covers(self, day: date) -> bool:
        """True when a dossier received on ``day`` may carry this form."""
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_to is None or day <= self.valid_to
        )

    def regex(self) -> re.Pattern[str]:
        tail = rf"(?P<operator>\d{{{self.operator_digits}}})" if self.operator_digits else ""
        return re.compile(
            rf"^(?P<agency>{self.agency_pattern})-(?P<date>\d{{6}})-{tail}"
            rf"(?P<seq>\d{{{self.sequence_digits},}})$"
        )


@dataclass(frozen=True)
class CodeRules:
    """The table of code rules: the agency-code pattern and the dossier-code forms.

    ``forms`` is tried in order when parsing: the stricter centralised shape comes before the
    general one, whose agency part would also match it.
    """

    agency_pattern: str
    agency_max_length: int
    forms: tuple[CodeForm, ...]
    source: str = "built-in table (storage/codes.py)"

    def form(self, name: str) -> CodeForm:
        for form in self.forms:
            if form.name == name:
                return form
        raise KeyError(name)


#: Decision 20/2020/QĐ-TTg: groups of letters/digits separated by dots, ≤ 35 characters.
#: Lower case is accepted because codes issued before this table existed were not checked.
AGENCY_PATTERN = r"[0-9A-Za-z]+(?:\.[0-9A-Za-z]+)*"

DEFAULT_RULES = CodeRules(
    agency_pattern=AGENCY_PATTERN,
    agency_max_length=35,
    forms=(
        CodeForm(
            name=CENTRALISED,
            source=(
                "Circular 04/2025/TT-VPCP (from 25 January 2026): MX1X2.Y1Y2Y3.Z1Z2-YYMMDD-AAXXXX"
            ),
            agency_pattern=r"[A-Z][0-9]{2}\.[0-9]{3}\.[0-9]{2}",
            operator_digits=2,
            sequence_digits=4,
            valid_from=date(2026, 1, 25),
        ),
        CodeForm(
            name=GENERAL,
            source=(
                "Decree 61/2018/NĐ-CP + Circular 01/2018/TT-VPCP; Decree 118/2025/NĐ-CP + "
                "Circular 03/2025/TT-VPCP: agency ID code-yymmdd-daily sequence (≥ 4 digits)"
            ),
            agency_pattern=AGENCY_PATTERN,
            sequence_digits=4,
        ),
    ),
)


def _form_from(data: dict[str, Any]) -> CodeForm:
    known = {f.name for f in fields(CodeForm)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"unknown code-form fields: {sorted(unknown)}")
    values = dict(data)
    for key in ("valid_from", "valid_to"):
        if values.get(key):
            values[key] = date.fromisoformat(values[key])
    return CodeForm(**values)


def load_rules(path: Path | None) -> CodeRules:
    """The code rules: :data:`DEFAULT_RULES`, or those of the JSON file at ``path``.

    The file holds ``{"agency_pattern": ..., "agency_max_length": ..., "forms": [{...}]}``;
    keys left out keep their defaults, and forms are matched by ``name`` (a form not named in
    the file keeps its built-in definition, so no code ever issued stops parsing).

    The file is read on each call, so a correction applies to the next dossier received.

    Raises:
        ConfigurationError: the file is not JSON of that shape, or a pattern does not compile.
    """
    if path is None:
        return DEFAULT_RULES
    try:
        return _load_rules(path)
    except (ValueError, TypeError, KeyError, re.error) as exc:
        raise ConfigurationError(
            f"SOHOA_CODE_RULES_FILE {path}: {exc}",
            detail_vi="Tệp quy tắc mã hồ sơ không hợp lệ",
        ) from exc


def _load_rules(path: Path) -> CodeRules:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read code rules {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"code rules {path}: expected a JSON object")
    overrides = {f["name"]: _form_from(f) for f in data.get("forms", [])}
    forms = [overrides.pop(f.name, f) for f in DEFAULT_RULES.forms]
    rules = CodeRules(
        agency_pattern=str(data.get("agency_pattern", DEFAULT_RULES.agency_pattern)),
        agency_max_length=int(data.get("agency_max_length", DEFAULT_RULES.agency_max_length)),
        # New forms go first: an administrator adds them because they are stricter shapes.
        forms=(*overrides.values(), *forms),
        source=str(path),
    )
    for pattern in (rules.agency_pattern, *(f.agency_pattern for f in rules.forms)):
        re.compile(pattern)
    return rules


@dataclass(frozen=True)
class DossierCode:
    """A parsed dossier code."""

    code: str
    form: str
    agency_code: str
    day: date
    sequence: int
    operator: str | None = None


def reception_day(moment: datetime | None = None) -> date:
    """The reception date in Vietnam local time (a dossier received at 23:30 UTC is next day)."""
    moment = moment or datetime.now(tz=VIETNAM_TZ)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM_TZ)
    return moment.astimezone(VIETNAM_TZ).date()


def check_agency_code(code: str, rules: CodeRules = DEFAULT_RULES) -> str:
    """``code`` if it is a well-formed agency ID code; ValueError otherwise."""
    if len(code) > rules.agency_max_length or not re.fullmatch(rules.agency_pattern, code):
        raise ValueError(
            f"not an agency ID code: {code!r} (dot-separated letters and digits, "
            f"at most {rules.agency_max_length} characters)"
        )
    return code


def format_code(
    form: CodeForm, agency_code: str, day: date, sequence: int, operator: str | None = None
) -> str:
    """A dossier code of ``form``; ValueError if a part does not fit the form."""
    if sequence < 1:
        raise ValueError("sequence numbers start at 1")
    if not re.fullmatch(form.agency_pattern, agency_code):
        raise ValueError(f"agency code {agency_code!r} does not fit the {form.name} form")
    op = ""
    if form.operator_digits:
        if operator is None or not re.fullmatch(rf"\d{{{form.operator_digits}}}", operator):
            raise ValueError(
                f"the {form.name} form needs {form.operator_digits} digits of the operating "
                f"agency's code, got {operator!r}"
            )
        op = operator
    return f"{agency_code}-{day:%y%m%d}-{op}{sequence:0{form.sequence_digits}d}"


def format_dossier_code(agency_code: str, day: date, sequence: int) -> str:
    """The general dossier code: ``{agency}-{yymmdd}-{sequence:04d}``."""
    return format_code(DEFAULT_RULES.form(GENERAL), agency_code, day, sequence)


def _day(raw: str) -> date:
    return date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))


def parse_code(code: str, rules: CodeRules = DEFAULT_RULES) -> DossierCode:
    """Parse a dossier code of any form in ``rules``; ValueError if none matches.

    A form only claims a code whose date it covers, so a code shaped like a centralised one but
    dated before 25 January 2026 is read as the general form it was issued under.
    """
    for form in rules.forms:
        match = form.regex().match(code)
        if not match:
            continue
        try:
            day = _day(match["date"])
        except ValueError:
            continue
        if not form.covers(day) or len(match["agency"]) > rules.agency_max_length:
            continue
        operator = match["operator"] if form.operator_digits else None
        return DossierCode(code, form.name, match["agency"], day, int(match["seq"]), operator)
    raise ValueError(f"not a dossier code: {code!r}")


def parse_dossier_code(code: str) -> tuple[str, date, int]:
    """Split a dossier code into (agency, reception date, sequence); ValueError if malformed."""
    parsed = parse_code(code)
    return parsed.agency_code, parsed.day, parsed.sequence


def is_dossier_code(code: str) -> bool:
    """True when ``code`` has one of the national formats (keeps object keys path-safe)."""
    try:
        parse_code(code)
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
    "CENTRALISED",
    "DEFAULT_RULES",
    "GENERAL",
    "VIETNAM_TZ",
    "CodeForm",
    "CodeRules",
    "DossierCode",
    "access_secret_matches",
    "check_agency_code",
    "fold_accents",
    "format_code",
    "format_dossier_code",
    "hash_access_secret",
    "is_dossier_code",
    "load_rules",
    "new_access_secret",
    "parse_code",
    "parse_dossier_code",
    "reception_day",
]
