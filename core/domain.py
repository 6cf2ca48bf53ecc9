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
