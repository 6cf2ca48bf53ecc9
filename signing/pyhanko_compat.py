"""The private pyHanko names sohoa relies on, gathered in one place.

Checked against pyHanko 0.38.0 and pyhanko-certvalidator 0.33.0 (the pinned releases). When
pyHanko is upgraded, re-check each name here; nothing else in sohoa imports a private pyHanko
name. Two private *methods* are overridden in subclasses and listed here for the same check:
``Signer._signed_attr_providers`` (``signing.keys``: a parsed signing-certificate attribute)
and ``PKCS11Signer._load_other_certs`` (``signing.keys``: only CA certificates from the token).
"""

from __future__ import annotations

from typing import Any

from pyhanko.sign._session_scope import run_and_release
from pyhanko.sign.signers.pdf_signer import _ensure_esic_ext


def ensure_esic_extension(pdf_out: Any) -> None:
    """Declare the ESIC (PAdES) developer extension only, keeping the file at PDF 1.7."""
    _ensure_esic_ext(pdf_out)


__all__ = ["ensure_esic_extension", "run_and_release"]
