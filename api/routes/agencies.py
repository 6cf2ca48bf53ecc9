"""The agency register and procedures for admins: list, add, retire (``/agencies``).

Dossiers take the agency code valid on their receipt date from this register (while it is
empty: SOHOA_AGENCY_CODE / SOHOA_AGENCY_NAME); procedures marked centralised are numbered in
the Circular 04/2025/TT-VPCP form.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from api.deps import AdminUser, RuntimeDep
from api.schemas import SafeText
from pipeline import agencies

router = APIRouter(prefix="/agencies", tags=["agencies"])

#: Decision 20/2020/QĐ-TTg alphabet (the rules table checks the exact shape).
_CODE = r"^[0-9A-Za-z.]{1,64}$"
AgencyCode = Annotated[str, Path(pattern=_CODE)]


class AgencyIn(BaseModel):
    code: str = Field(pattern=_CODE, description="electronic ID code (mã định danh điện tử)")
    name: SafeText = Field(min_length=1, max_length=255)
    valid_from: date
    valid_to: date | None = None


class AgencyOut(BaseModel):
    code: str
    name: str
    valid_from: date
    valid_to: date | None
    successor_code: str | None
    in_force: bool


class Retirement(BaseModel):
    last_day: date | None = Field(None, description="last valid day (default: yesterday)")
    successor_code: str | None = Field(None, pattern=_CODE)


class ProcedureIn(BaseModel):
    code: SafeText = Field(min_length=1, max_length=64, description="procedure code (mã TTHC)")
    name: SafeText = Field(min_length=1, max_length=255)
    centralised: bool = False
    operator_code: str | None = Field(None, pattern=r"^\d{1,8}$")
    resolving_agency_code: str | None = Field(None, pattern=_CODE)


class ProcedureOut(BaseModel):
    code: str
    name: str
    centralised: bool
    operator_code: str | None
    resolving_agency_code: str | None


@router.get("")
def list_agencies(rt: RuntimeDep, _: AdminUser) -> list[AgencyOut]:
    """Every code in the register, with its validity period and successor."""
    return [AgencyOut.model_validate(row) for row in agencies.list_agencies(rt)]


@router.post("", status_code=status.HTTP_201_CREATED)
def add_agency(body: AgencyIn, rt: RuntimeDep, user: AdminUser) -> AgencyOut:
    """Register an agency code (409 if registered, 422 if malformed)."""
    row = agencies.add_agency(
        rt,
        code=body.code,
        name=body.name,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        actor=user.username,
    )
    return AgencyOut.model_validate(row)


@router.post("/{code}/retire")
def retire_agency(code: AgencyCode, body: Retirement, rt: RuntimeDep, user: AdminUser) -> AgencyOut:
    """End a code's validity, naming the registered code that replaces it."""
    row = agencies.retire_agency(
        rt, code, last_day=body.last_day, successor_code=body.successor_code, actor=user.username
    )
    return AgencyOut.model_validate(row)


@router.get("/procedures")
def list_procedures(rt: RuntimeDep, _: AdminUser) -> list[ProcedureOut]:
    """The registered procedures and whether they are nationally centralised."""
    return [ProcedureOut.model_validate(row) for row in agencies.list_procedures(rt)]


@router.post("/procedures", status_code=status.HTTP_201_CREATED)
def add_procedure(body: ProcedureIn, rt: RuntimeDep, user: AdminUser) -> ProcedureOut:
    """Register a procedure; a centralised one needs its operating agency's two digits."""
    row = agencies.add_procedure(
        rt,
        code=body.code,
        name=body.name,
        centralised=body.centralised,
        operator_code=body.operator_code,
        resolving_agency_code=body.resolving_agency_code,
        actor=user.username,
    )
    return ProcedureOut.model_validate(row)
