"""The state one signature carries between its steps (prepare → lay out → sign → write).

pyHanko separates its own signing into phases (prepare the document and the field, build the
appearance, sign the digest, write the output); :func:`signing.pades.sign_pdf` runs the same
order as named steps, each taking what the previous one established.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.domain import SignatureLevel
from core.settings import Settings
from signing.incremental import AppendOnlyPdf
from signing.keys import Signer
from signing.placement import StampPlan
from signing.request import PdfACheck, SignatureRequest, SigningPolicy


@dataclass
class SigningJob:
    """What :func:`signing.pades.prepare` established about one signature."""

    request: SignatureRequest
    settings: Settings
    policy: SigningPolicy
    signer: Signer
    level: SignatureLevel
    #: The input bytes, never copied: the update is appended after them.
    data: bytes
    document: AppendOnlyPdf
    #: pyHanko's IncrementalPdfFileWriter over ``document`` (untyped library object).
    writer: Any
    already_signed: int
    pdfa: PdfACheck
    needs_timestamp: bool
    tsa_url: str
    now: datetime
    field_name: str
    #: Where the stamps and the QR code went (set by the lay-out step).
    plan: StampPlan | None = None


@dataclass(frozen=True)
class Layout:
    """Where the signature goes: pyHanko's field spec and our stamp style (``None``: none)."""

    field_spec: Any
    stamp_style: Any


__all__ = ["Layout", "SigningJob"]
