"""Request and response bodies of the API (pydantic models, shown in ``/openapi.json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from core.domain import DocumentKind, DocumentStatus, DossierStatus, SignatureLevel, SignerRole

#: Text without control characters (PostgreSQL refuses NUL; nothing legitimate needs them).
_NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
SafeText = Annotated[str, StringConstraints(pattern=_NO_CONTROL)]
#: Dossier codes as path parameters: the national format's alphabet.
DOSSIER_CODE_PATTERN = r"^[0-9A-Za-z.\-]{1,64}$"  # dossiers.code is 64 wide (0004)
#: Ids fit PostgreSQL's INTEGER.
MAX_ID = 2**31 - 1


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str


class Applicant(BaseModel):
    """The applicant (người nộp hồ sơ): personal data, stored in the database only."""

    name: SafeText = Field(min_length=1, max_length=255)
    id_number: SafeText | None = Field(default=None, max_length=32)
    phone: SafeText | None = Field(default=None, max_length=32)


class DossierCreate(BaseModel):
    procedure_code: SafeText = Field(
        min_length=1, max_length=64, description="mã thủ tục hành chính"
    )
    applicant: Applicant


class DossierCreated(BaseModel):
    code: str
    access_secret: str = Field(description="Shown once: the citizen's look-up secret.")
    status: DossierStatus
    created_at: datetime


class SignatureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: SignatureLevel
    role: SignerRole
    signer_subject: str
    signed_at: datetime
    sha256: str


class ProblemBrief(BaseModel):
    code: str
    detail: str | None = None


class PageOut(BaseModel):
    """One page's OCR report (báo cáo trang): kept text or OCR'd, and the quality gate."""

    number: int
    #: "ocr" (recognised) or "text-layer" (the page kept its own text).
    source: str
    #: "raster" (scan or rendered page) or "vector" (born-digital page kept as it is).
    content: str = "raster"
    confidence: float
    estimated_accuracy: float
    needs_rescan: bool
    reason: str = ""
    text_layer_rejected: str = ""


class DocumentOut(BaseModel):
    id: int
    dossier_code: str
    ordinal: int
    kind: DocumentKind
    type_name: str
    summary: str | None
    status: DocumentStatus
    page_count: int
    pages_done: int
    error: ProblemBrief | None
    digitized_sha256: str | None
    signed_sha256: str | None
    signatures: list[SignatureOut]
    created_at: datetime
    updated_at: datetime
    #: The reference of the QR verification link (staff only; an unguessable token).
    verification_ref: str | None = None
    #: Per-page OCR reports (empty before digitization, or for documents digitized before
    #: page reports existed).
    pages: list[PageOut] = Field(default_factory=list)
    #: Pages the OCR quality gate marked needs_rescan.
    pages_to_rescan: int = 0


class DossierOut(BaseModel):
    code: str
    procedure_code: str
    applicant_name: str
    status: DossierStatus
    created_at: datetime
    documents: list[DocumentOut]


class DossierSummary(BaseModel):
    code: str
    procedure_code: str
    applicant_name: str
    status: DossierStatus
    created_at: datetime
    document_count: int


class DossierPage(BaseModel):
    items: list[DossierSummary]
    total: int


class Accepted(BaseModel):
    document_id: int
    status: DocumentStatus
    status_url: str


class SignRequestBody(BaseModel):
    level: SignatureLevel = SignatureLevel.B_LTA


class PublicDocument(BaseModel):
    id: int
    kind: DocumentKind
    type_name: str
    status: DocumentStatus
    sha256: str | None
    download_url: str | None


class PublicDossier(BaseModel):
    code: str
    procedure_code: str
    status: DossierStatus
    created_at: datetime
    documents: list[PublicDocument]


class StoredVerification(BaseModel):
    """What ``GET /verify/{reference}`` (the QR code's URL) tells anyone about a stored
    document: only what a verifier needs (no id, no dossier code, no applicant)."""

    type_name: str
    status: DocumentStatus
    sha256: str | None
    signatures: list[SignatureOut]


class VerificationOut(BaseModel):
    """The verification report of an uploaded PDF (see ``signing.verify_pdf``)."""

    verdict: str
    reason: str | None = None
    signatures: list[dict[str, Any]]
    sha256: str
    #: The verdict in Vietnamese, and the Vietnamese label of every report field (the web
    #: pages and the CLI show the same words).
    verdict_vi: str | None = None
    labels_vi: dict[str, str] = Field(default_factory=dict)
    reason_vi: str | None = None


class Health(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)


__all__ = [
    "Accepted",
    "Applicant",
    "DocumentOut",
    "DossierCreate",
    "DossierCreated",
    "DossierOut",
    "DossierPage",
    "DossierSummary",
    "Health",
    "Me",
    "ProblemBrief",
    "PublicDocument",
    "PublicDossier",
    "SignRequestBody",
    "SignatureOut",
    "StoredVerification",
    "Token",
    "VerificationOut",
]
