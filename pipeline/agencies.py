"""Managing the agency and procedure registers (audited), for the CLI and the admin API.

Every change is one transaction with its audit entry (``agency.added``, ``agency.retired``,
``procedure.added``). Views are plain dictionaries with ISO dates, ready for JSON.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pipeline.context import Runtime
from storage import agencies, audit
from storage.codes import load_rules, reception_day
from storage.models import Agency, Procedure


def agency_view(agency: Agency, today: date | None = None) -> dict[str, Any]:
    """An agency entry as JSON-able data, with whether it is valid ``today`` (Vietnam date)."""
    today = today or reception_day()
    return {
        "code": agency.code,
        "name": agency.name,
        "valid_from": agency.valid_from.isoformat(),
        "valid_to": agency.valid_to.isoformat() if agency.valid_to else None,
        "successor_code": agency.successor_code,
        "in_force": agency.valid_from <= today
        and (agency.valid_to is None or today <= agency.valid_to),
    }


def procedure_view(procedure: Procedure) -> dict[str, Any]:
    return {
        "code": procedure.code,
        "name": procedure.name,
        "centralised": bool(procedure.centralised),
        "operator_code": procedure.operator_code,
        "resolving_agency_code": procedure.resolving_agency_code,
    }


def list_agencies(rt: Runtime) -> list[dict[str, Any]]:
    """The register; empty means the settings' agency (SOHOA_AGENCY_CODE/NAME) is used."""
    with rt.session() as session:
        return [agency_view(a) for a in agencies.list_agencies(session)]


def add_agency(
    rt: Runtime,
    *,
    code: str,
    name: str,
    valid_from: date,
    valid_to: date | None = None,
    actor: str,
) -> dict[str, Any]:
    """Register an agency code valid from ``valid_from`` (and until ``valid_to``, inclusive)."""
    rules = load_rules(rt.settings.code_rules_file)
    with rt.session() as session:
        agency = agencies.add_agency(
            session, code=code, name=name, valid_from=valid_from, valid_to=valid_to, rules=rules
        )
        audit.append(
            session,
            actor=actor,
            action="agency.added",
            subject=code,
            detail=f"{name}; valid from {valid_from.isoformat()}",
        )
        return agency_view(agency)


def retire_agency(
    rt: Runtime,
    code: str,
    *,
    last_day: date | None = None,
    successor_code: str | None = None,
    actor: str,
) -> dict[str, Any]:
    """End ``code``'s validity on ``last_day`` (default: yesterday, Vietnam time)."""
    last_day = last_day or reception_day() - timedelta(days=1)
    with rt.session() as session:
        agency = agencies.retire_agency(
            session, code, last_day=last_day, successor_code=successor_code
        )
        audit.append(
            session,
            actor=actor,
            action="agency.retired",
            subject=code,
            detail=f"last day {last_day.isoformat()}; successor {successor_code or '-'}",
        )
        return agency_view(agency)


def list_procedures(rt: Runtime) -> list[dict[str, Any]]:
    with rt.session() as session:
        return [procedure_view(p) for p in agencies.list_procedures(session)]


def add_procedure(
    rt: Runtime,
    *,
    code: str,
    name: str,
    centralised: bool,
    operator_code: str | None,
    resolving_agency_code: str | None,
    actor: str,
) -> dict[str, Any]:
    """Register a procedure; centralised ones are numbered in the Circular 04/2025 form."""
    rules = load_rules(rt.settings.code_rules_file)
    with rt.session() as session:
        procedure = agencies.add_procedure(
            session,
            code=code,
            name=name,
            centralised=centralised,
            operator_code=operator_code,
            resolving_agency_code=resolving_agency_code,
            rules=rules,
        )
        audit.append(
            session,
            actor=actor,
            action="procedure.added",
            subject=code,
            detail="centralised" if centralised else "general",
        )
        return procedure_view(procedure)


__all__ = [
    "add_agency",
    "add_procedure",
    "agency_view",
    "list_agencies",
    "list_procedures",
    "procedure_view",
    "retire_agency",
]
