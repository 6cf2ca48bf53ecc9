"""Domain vocabulary shared by every part of sohoa.

- dossier (hồ sơ): what a citizen hands in for one administrative procedure (thủ tục hành chính).
- document (tài liệu/giấy tờ): one paper in a dossier, ``submitted`` by the citizen and digitized
  at reception (bản sao điện tử), or a ``result`` (kết quả giải quyết) issued by the agency.
- seal (con dấu): the agency's stamp image, placed with the agency's signature.
"""

from __future__ import annotations

from enum import StrEnum


class SignatureLevel(StrEnum):
    """PAdES baseline levels."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


class SignerRole(StrEnum):
    """Who signs: the agency (cơ quan) or the scanning officer (cán bộ số hóa)."""

    AGENCY = "agency"
    OFFICER = "officer"


class DocumentKind(StrEnum):
    SUBMITTED = "submitted"
    RESULT = "result"


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    DIGITIZED = "digitized"
    SIGNED = "signed"
    FAILED = "failed"


class DossierStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    COMPLETED = "completed"


class Role(StrEnum):
    """Staff roles for the API."""

    RECEPTION = "reception"
    SIGNER = "signer"
    ADMIN = "admin"
    #: Leaders (lãnh đạo): read-only, the 766 indicators.
    LEADER = "leader"


class Stage(StrEnum):
    """The worker stages of a document: OCR into a PDF/A copy, then a signature."""

    DIGITIZE = "digitize"
    SIGN = "sign"


class BucketRole(StrEnum):
    """What each S3 bucket holds (the names themselves are settings)."""

    ORIGINALS = "originals"  # the scans as uploaded (bản gốc), never overwritten
    DOCUMENTS = "documents"  # the digitized PDF/A-2b copies before signing
    RESULTS = "results"  # signed files, the ones citizens download


class AuditAction(StrEnum):
    """The fixed audit actions; staged ones (``document.failed.<stage>`` …) are built by
    :func:`audit_action`."""

    DOSSIER_CREATED = "dossier.created"
    ORIGINAL_STORED = "original.stored"
    DOCUMENT_DIGITIZED = "document.digitized"
    DOCUMENT_SIGN_REQUESTED = "document.sign-requested"
    DOCUMENT_DOWNLOADED = "document.downloaded"
    USER_CREATED = "user.created"
    USER_ROLE_CHANGED = "user.role-changed"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_PASSWORD_RESET = "user.password-reset"
    USER_LOCKED = "user.locked"
    # prefixes: the stage, role or kind follows after a dot
    DOCUMENT = "document"
    DOCUMENT_FAILED = "document.failed"
    DOCUMENT_RETRY = "document.retry"
    DOCUMENT_SIGNED = "document.signed"


def audit_action(prefix: AuditAction, suffix: str) -> str:
    """``document.failed.digitize``, ``document.signed.agency``, ``document.submitted`` …"""
    return f"{prefix.value}.{suffix}"
