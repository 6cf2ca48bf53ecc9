"""The table-driven dossier-code rules: both forms, every code ever issued, admin overrides."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from core.errors import ConfigurationError
from storage.codes import (
    CENTRALISED,
    DEFAULT_RULES,
    GENERAL,
    check_agency_code,
    format_code,
    is_dossier_code,
    load_rules,
    parse_code,
    parse_dossier_code,
)

CENTRAL = DEFAULT_RULES.form(CENTRALISED)


def test_centralised_form_has_operator_digits_and_daily_sequence() -> None:
    code = format_code(CENTRAL, "H29.123.45", date(2026, 3, 1), 7, "01")
    assert code == "H29.123.45-260301-010007"
    parsed = parse_code(code)
    assert (parsed.form, parsed.agency_code, parsed.operator, parsed.sequence) == (
        CENTRALISED,
        "H29.123.45",
        "01",
        7,
    )
    assert parsed.day == date(2026, 3, 1)


def test_centralised_form_needs_its_agency_shape_and_two_operator_digits() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        format_code(CENTRAL, "000.00.00.H00", date(2026, 3, 1), 1, "01")
    with pytest.raises(ValueError, match="2 digits"):
        format_code(CENTRAL, "H29.123.45", date(2026, 3, 1), 1, "1")


@pytest.mark.parametrize(
    ("code", "form", "agency", "sequence"),
    [
        # Decree 61/2018 era codes, as sohoa issued them before the register existed.
        ("000.00.00.H00-181231-0001", GENERAL, "000.00.00.H00", 1),
        ("000.00.00.H00-261123-0042", GENERAL, "000.00.00.H00", 42),
        ("G01-260102-12345", GENERAL, "G01", 12345),
        # An old code of a province that merged on 1 July 2025.
        ("000.00.00.H09-250630-0007", GENERAL, "000.00.00.H09", 7),
        # Shaped like a centralised code but dated before Circular 04/2025 was in force.
        ("H29.123.45-251201-010007", GENERAL, "H29.123.45", 10007),
        ("H29.123.45-260125-990001", CENTRALISED, "H29.123.45", 1),
    ],
)
def test_every_code_ever_issued_parses(code: str, form: str, agency: str, sequence: int) -> None:
    parsed = parse_code(code)
    assert (parsed.form, parsed.agency_code, parsed.sequence) == (form, agency, sequence)
    assert is_dossier_code(code)
    assert parse_dossier_code(code)[0] == agency


@pytest.mark.parametrize(
    "code",
    ["../etc-261123-0001", "000.00.00.H00-261323-0001", "000.00.00.H00-261123-001", "x"],
)
def test_malformed_codes_are_refused(code: str) -> None:
    assert not is_dossier_code(code)


def test_agency_codes_follow_decision_20_2020() -> None:
    assert check_agency_code("000.00.00.H29") == "000.00.00.H29"
    with pytest.raises(ValueError):
        check_agency_code("000..00")
    with pytest.raises(ValueError):
        check_agency_code("A" * 36)


def test_every_form_names_its_source() -> None:
    assert all(form.source for form in DEFAULT_RULES.forms)
    assert "04/2025/TT-VPCP" in CENTRAL.source


def test_administrator_corrects_a_form_without_code_change(tmp_path: Path) -> None:
    # Suppose the circular's text turns out to allow a letter-led 3-character second group.
    rules_file = tmp_path / "rules.json"
    rules_file.write_text(
        json.dumps(
            {
                "forms": [
                    {
                        "name": CENTRALISED,
                        "source": "correction by the administrator",
                        "agency_pattern": r"[A-Z][0-9]{2}\.[0-9A-Z]{3}\.[0-9]{2}",
                        "operator_digits": 2,
                        "sequence_digits": 5,
                        "valid_from": "2026-01-25",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    rules = load_rules(rules_file)
    form = rules.form(CENTRALISED)
    code = format_code(form, "H29.A12.45", date(2026, 3, 1), 7, "01")
    assert code == "H29.A12.45-260301-0100007"
    assert parse_code(code, rules).form == CENTRALISED
    # The general form is untouched: old codes still parse under the corrected table.
    assert parse_code("000.00.00.H00-261123-0042", rules).form == GENERAL


def test_broken_rules_file_is_a_configuration_error(tmp_path: Path) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text('{"forms": [{"name": "general", "agency_pattern": "("}]}', encoding="utf-8")
    with pytest.raises(ConfigurationError):
        load_rules(bad)
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(ConfigurationError):
        load_rules(bad)
