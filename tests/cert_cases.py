"""Signer certificates that must be refused, made by certomancer like the development PKI.

:func:`case_pki` writes a development PKI (``signing.devpki_layout``) and adds to its
description: ``expired`` (valid until yesterday), ``future`` (valid from tomorrow),
``wrong-usage`` (key usage keyEncipherment only, extended usage serverAuth), an intermediate
``expired-ca`` that expired yesterday and ``under-expired-ca``, a leaf issued by it, and
``revoked-ca`` (revoked yesterday, on the root's CRL) with its leaf ``under-revoked-ca``. Every
added certificate reuses the agency key, so :func:`case_signer` can sign with any of them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.domain import SignerRole
from signing.devpki import DevPKI
from signing.devpki_layout import CONFIG_FILE, UNTRUSTED, create_files
from signing.keys import Signer, signer_from_pem

CASES = ("expired", "future", "wrong-usage", "under-expired-ca")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _leaf(label: str, issuer: str, start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "subject": label,
        "subject-key": "agency",
        "issuer": issuer,
        "validity": {"valid-from": _iso(start), "valid-to": _iso(end)},
        "profiles": ["digsig-commitment"],
        "extensions": [
            {"id": "extended_key_usage", "critical": False, "value": ["email_protection"]}
        ],
    }
    spec.update(extra)
    return spec


def case_pki(directory: Path) -> DevPKI:
    """A development PKI in ``directory`` with the refused certificates added (not served)."""
    directory.mkdir(parents=True, exist_ok=True)
    create_files(directory, port=None, agency_name="UBND xã Kiểm Thử")
    description = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
    arch = description["pki-architectures"]["sohoa-dev"]
    now = datetime.now(UTC).replace(microsecond=0)
    yesterday, tomorrow = now - timedelta(days=1), now + timedelta(days=1)
    long_ago, later = now - timedelta(days=400), now + timedelta(days=400)
    for label in (*CASES, "expired-ca", "revoked-ca", "under-revoked-ca"):
        arch["entities"][label] = {"common-name": f"{label} ({UNTRUSTED})"}
    arch["certs"]["expired"] = _leaf("expired", "issuing-ca", long_ago, yesterday)
    arch["certs"]["future"] = _leaf("future", "issuing-ca", tomorrow, later)
    arch["certs"]["wrong-usage"] = _leaf(
        "wrong-usage",
        "issuing-ca",
        long_ago,
        later,
        profiles=[],
        extensions=[
            {
                "id": "key_usage",
                "critical": True,
                "smart-value": {"schema": "key-usage", "params": ["key_encipherment"]},
            },
            {"id": "extended_key_usage", "critical": False, "value": ["server_auth"]},
        ],
    )
    arch["certs"]["expired-ca"] = {
        "subject": "expired-ca",
        "subject-key": "issuing-ca",
        "issuer": "root",
        "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(yesterday)},
        "profiles": [{"id": "simple-ca", "params": {"max-path-len": 0}}],
    }
    arch["certs"]["under-expired-ca"] = _leaf(
        "under-expired-ca",
        "expired-ca",
        long_ago,
        later,
        **{"issuer-cert": "expired-ca", "authority-key": "issuing-ca"},
    )
    arch["certs"]["revoked-ca"] = {
        "subject": "revoked-ca",
        "subject-key": "issuing-ca",
        "issuer": "root",
        "validity": {"valid-from": _iso(long_ago), "valid-to": _iso(later)},
        "profiles": [{"id": "simple-ca", "params": {"max-path-len": 0}}],
        "revocation": {"revoked-since": _iso(yesterday), "reason": "ca_compromise"},
    }
    arch["certs"]["under-revoked-ca"] = _leaf(
        "under-revoked-ca",
        "revoked-ca",
        long_ago,
        later,
        **{"issuer-cert": "revoked-ca", "authority-key": "issuing-ca"},
    )
    (directory / CONFIG_FILE).write_text(json.dumps(description, ensure_ascii=False, indent=1))
    return DevPKI.open(directory)


def case_signer(pki: DevPKI, label: str) -> Signer:
    """A signer with certificate ``label`` (the agency key) and its chain up to the root."""
    key_pem = (pki.directory / "keys" / "agency.key.pem").read_bytes()
    ca = {"under-expired-ca": "expired-ca", "under-revoked-ca": "revoked-ca"}.get(
        label, "issuing-ca"
    )
    chain = (pki.cert(ca), pki.root())
    return signer_from_pem(SignerRole.AGENCY, key_pem, pki.cert(label), chain, dev_pki=pki)


__all__ = ["CASES", "case_pki", "case_signer"]
