"""PAdES signing and verification (ký số và xác thực chữ ký số).

Works on bytes and paths only; knows nothing of HTTP, Celery or the database.

- :func:`sign_pdf` signs at B-B, B-T, B-LT or B-LTA with a cached :class:`Signer`
  (:func:`load_signer`: development PKI, PKCS#12 file or PKCS#11 token).
- :func:`verify_pdf` reports every signature and an overall verdict.
- :class:`DevPKI` is the development CA/TSA/OCSP (untrusted; tests and trials only).
"""

from __future__ import annotations

from signing.devpki import UNTRUSTED, DevPKI, dev_pki_for
from signing.keys import Signer, clear_signer_cache, load_signer
from signing.pades import (
    Corner,
    PdfACheck,
    QRContent,
    SignatureRequest,
    SigningPolicy,
    SignResult,
    format_vn_time,
    sign_pdf,
)
from signing.verify import SignatureReport, VerificationReport, verify_pdf

__all__ = [
    "UNTRUSTED",
    "Corner",
    "DevPKI",
    "PdfACheck",
    "QRContent",
    "SignResult",
    "SignatureReport",
    "SignatureRequest",
    "Signer",
    "SigningPolicy",
    "VerificationReport",
    "clear_signer_cache",
    "dev_pki_for",
    "format_vn_time",
    "load_signer",
    "sign_pdf",
    "verify_pdf",
]
