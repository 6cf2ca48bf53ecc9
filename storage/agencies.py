"""The agency register (danh mục cơ quan) and the procedures register (danh mục TTHC).

Agency ID codes are re-issued (after the 1 July 2025 province mergers, for instance): the
register keeps each code with its validity period and the code that replaced it, so a dossier
records the code valid on its receipt date and dossiers numbered under an old code still
resolve. An installation names its agency by ``SOHOA_AGENCY_CODE``; :func:`resolve_agency`
walks that code's lineage (successors and predecessors) to the entry valid on a given day, and
falls back to the settings when the code is not registered (an empty register changes nothing).

Like :mod:`storage.records`, every function flushes and leaves commit to the caller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, InputError, NotFound
from storage.codes import CENTRALISED, DEFAULT_RULES, CodeRules, check_agency_code
from storage.models import Agency, Procedure


@dataclass(frozen=True)
class AgencyOnDay:
    """The receiving agency as a dossier records it: code and name valid on its receipt day."""

    code: str
    name: str
    registered: bool


def _bad_code(exc: ValueError) -> InputError:
    return InputError(str(exc), detail_vi="Mã định danh cơ quan không đúng định dạng")


def add_agency(
    session: Session,
    *,
    code: str,
    name: str,
    valid_from: date,
    valid_to: date | None = None,
    rules: CodeRules = DEFAULT_RULES,
) -> Agency:
    """Register an agency ID code; :class:`Conflict` if the code is registered already."""
    try:
        check_agency_code(code, rules)
    except ValueError as exc:
        raise _bad_code(exc) from exc
    if not name.strip():
        raise InputError("an agency needs a name", detail_vi="Cần nhập tên cơ quan")
    if valid_to is not None and valid_to < valid_from:
        raise InputError(
            f"valid_to {valid_to} is before valid_from {valid_from}",
            detail_vi="Ngày hết hiệu lực trước ngày có hiệu lực",
        )
    agency = Agency(code=code, name=name.strip(), valid_from=valid_from, valid_to=valid_to)
    try:
        with session.begin_nested():
            session.add(agency)
            session.flush()
    except DBIntegrityError as exc:
        raise Conflict(
            f"agency code {code} is already registered",
            detail_vi=f"Mã cơ quan {code} đã có trong danh mục",
        ) from exc
    return agency


def find_agency(session: Session, code: str) -> Agency | None:
    return session.scalars(select(Agency).where(Agency.code == code)).first()


def get_agency(session: Session, code: str) -> Agency:
    """The register entry with ``code``; :class:`NotFound` otherwise."""
    agency = find_agency(session, code)
    if agency is None:
        raise NotFound(
            f"agency code {code} is not registered",
            detail_vi=f"Không có mã cơ quan {code} trong danh mục",
        )
    return agency


def list_agencies(session: Session) -> list[Agency]:
    """Every register entry, by code then start of validity."""
    return list(session.scalars(select(Agency).order_by(Agency.valid_from, Agency.code)))


def retire_agency(
    session: Session, code: str, *, last_day: date, successor_code: str | None = None
) -> Agency:
    """End ``code``'s validity on ``last_day`` (inclusive), naming the code that replaces it.

    Raises:
        NotFound: ``code`` or ``successor_code`` is not registered.
        InputError: ``last_day`` is before the code's start, or the successor is the code.
    """
    agency = get_agency(session, code)
    if last_day < agency.valid_from:
        raise InputError(
            f"{code} became valid on {agency.valid_from}, after {last_day}",
            detail_vi="Ngày hết hiệu lực trước ngày có hiệu lực",
        )
    if successor_code is not None:
        if successor_code == code:
            raise InputError(
                "an agency cannot succeed itself", detail_vi="Mã kế thừa trùng mã cơ quan"
            )
        get_agency(session, successor_code)
    agency.valid_to = last_day
    agency.successor_code = successor_code
    session.flush()
    return agency


def _lineage(session: Session, start: Agency) -> list[Agency]:
    """``start``, its successors in order, then its predecessors (nearest first)."""
    everyone = {a.code: a for a in list_agencies(session)}
    seen = {start.code}
    chain = [start]
    current = start
    while current.successor_code and current.successor_code not in seen:
        nxt = everyone.get(current.successor_code)
        if nxt is None:
            break
        seen.add(nxt.code)
        chain.append(nxt)
        current = nxt
    frontier = [start.code]
    while frontier:
        earlier = [
            a for a in everyone.values() if a.successor_code in frontier and a.code not in seen
        ]
        seen.update(a.code for a in earlier)
        chain.extend(sorted(earlier, key=lambda a: a.valid_from, reverse=True))
        frontier = [a.code for a in earlier]
    return chain


def _valid(agency: Agency, day: date) -> bool:
    return agency.valid_from <= day and (agency.valid_to is None or day <= agency.valid_to)


def resolve_agency(session: Session, code: str, name: str, day: date) -> AgencyOnDay:
    """The receiving agency's code and name valid on ``day``.

    ``code``/``name`` are the installation's settings (``SOHOA_AGENCY_CODE``/``_NAME``). When the
    code is not registered they are used as they are, so an empty register changes nothing.

    Raises:
        InputError: the code is registered but neither it nor any code of its lineage is valid
            on ``day`` (the register has a gap an administrator must fill).
    """
    start = find_agency(session, code)
    if start is None:
        return AgencyOnDay(code=code, name=name, registered=False)
    for agency in _lineage(session, start):
        if _valid(agency, day):
            return AgencyOnDay(code=agency.code, name=agency.name, registered=True)
    raise InputError(
        f"no registered code of agency {code} is valid on {day.isoformat()}",
        detail_vi=f"Không có mã cơ quan {code} còn hiệu lực vào ngày {day:%d/%m/%Y}",
    )


# --- procedures ----------------------------------------------------------------------------


def add_procedure(
    session: Session,
    *,
    code: str,
    name: str,
    centralised: bool = False,
    operator_code: str | None = None,
    resolving_agency_code: str | None = None,
    rules: CodeRules = DEFAULT_RULES,
) -> Procedure:
    """Register a procedure; a centralised one needs the operating agency's two digits.

    Raises:
        InputError: a centralised procedure without a well-formed operator code, or with a
            resolving agency code that does not fit the centralised form.
        Conflict: the procedure code is registered already.
    """
    if centralised:
        form = rules.form(CENTRALISED)
        if operator_code is None or not re.fullmatch(
            rf"\d{{{form.operator_digits}}}", operator_code
        ):
            raise InputError(
                f"a centralised procedure needs {form.operator_digits} digits of the operating "
                f"agency's code (got {operator_code!r})",
                detail_vi="Thủ tục tập trung cần mã cơ quan vận hành gồm 2 chữ số",
            )
        if resolving_agency_code is not None and not re.fullmatch(
            form.agency_pattern, resolving_agency_code
        ):
            raise InputError(
                f"resolving agency code {resolving_agency_code!r} does not fit the centralised "
                f"form ({form.agency_pattern})",
                detail_vi="Mã cơ quan giải quyết không đúng định dạng mã hồ sơ tập trung",
            )
    procedure = Procedure(
        code=code,
        name=name,
        centralised=centralised,
        operator_code=operator_code,
        resolving_agency_code=resolving_agency_code,
    )
    try:
        with session.begin_nested():
            session.add(procedure)
            session.flush()
    except DBIntegrityError as exc:
        raise Conflict(
            f"procedure {code} is already registered",
            detail_vi=f"Thủ tục {code} đã có trong danh mục",
        ) from exc
    return procedure


def find_procedure(session: Session, code: str) -> Procedure | None:
    return session.scalars(select(Procedure).where(Procedure.code == code)).first()


def list_procedures(session: Session) -> list[Procedure]:
    return list(session.scalars(select(Procedure).order_by(Procedure.code)))


__all__ = [
    "AgencyOnDay",
    "add_agency",
    "add_procedure",
    "find_agency",
    "find_procedure",
    "get_agency",
    "list_agencies",
    "list_procedures",
    "resolve_agency",
    "retire_agency",
]
