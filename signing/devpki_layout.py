"""What the development PKI is made of: names, keys and the certomancer description.

Validity dates and the served port are fixed when the PKI is created and persisted with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from core.net import free_port

ARCH = "sohoa-dev"
UNTRUSTED = "sohoa DEVELOPMENT — NOT TRUSTED"
CONFIG_FILE = "certomancer.json"
META_FILE = "devpki.json"

#: Labels of the certificates; each has a key file of the same name.
ROOT, ISSUING_CA, AGENCY, OFFICER, REVOKED, TSA, OCSP = (
    "root",
    "issuing-ca",
    "agency",
    "officer",
    "revoked",
    "tsa",
    "ocsp",
)
_EC_KEYS = frozenset({OFFICER})


def _write_key(path: Path, label: str) -> None:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    if label in _EC_KEYS:
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _describe(created: datetime, agency_name: str) -> dict[str, Any]:
    """The certomancer description: validity dates are fixed here, at creation."""
    start, end = created - timedelta(days=1), created + timedelta(days=3650)
    validity = {"valid-from": _iso(start), "valid-to": _iso(end)}
    signer_profile = ["digsig-commitment"]
    leaf_extras = [
        {"id": "extended_key_usage", "critical": False, "value": ["email_protection"]},
    ]

    def leaf(subject: str) -> dict[str, Any]:
        return {
            "subject": subject,
            "issuer": "issuing-ca",
            "validity": validity,
            "profiles": signer_profile,
            "extensions": leaf_extras,
        }

    revoked = leaf(REVOKED)
    revoked["revocation"] = {
        "revoked-since": _iso(created - timedelta(hours=1)),
        "reason": "key_compromise",
    }
    return {
        "keysets": {
            ARCH: {"path-prefix": "keys", "keys": {k: {"path": f"{k}.key.pem"} for k in _labels()}}
        },
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {
                    "country-name": "VN",
                    "organization-name": UNTRUSTED,
                },
                "entities": {
                    ROOT: {"common-name": f"{UNTRUSTED} Root CA"},
                    ISSUING_CA: {"common-name": f"{UNTRUSTED} Issuing CA"},
                    AGENCY: {"common-name": f"{agency_name} ({UNTRUSTED})"},
                    OFFICER: {"common-name": f"Cán bộ số hóa ({UNTRUSTED})"},
                    REVOKED: {"common-name": f"Revoked signer ({UNTRUSTED})"},
                    TSA: {"common-name": f"{UNTRUSTED} Time Stamping Authority"},
                    OCSP: {"common-name": f"{UNTRUSTED} OCSP Responder"},
                },
                "certs": {
                    ROOT: {
                        "subject": ROOT,
                        "issuer": ROOT,
                        "validity": validity,
                        "profiles": [{"id": "simple-ca", "params": {"crl-repo": ROOT}}],
                    },
                    ISSUING_CA: {
                        "subject": ISSUING_CA,
                        "issuer": ROOT,
                        "validity": validity,
                        "profiles": [
                            {
                                "id": "simple-ca",
                                "params": {
                                    "crl-repo": ISSUING_CA,
                                    "ocsp-service": ISSUING_CA,
                                    "max-path-len": 0,
                                },
                            }
                        ],
                    },
                    AGENCY: leaf(AGENCY),
                    OFFICER: leaf(OFFICER),
                    REVOKED: revoked,
                    OCSP: {
                        "subject": OCSP,
                        "issuer": ISSUING_CA,
                        "validity": validity,
                        "profiles": ["ocsp-responder"],
                    },
                    TSA: {
                        "subject": TSA,
                        "issuer": ROOT,
                        "validity": validity,
                        "extensions": [
                            {
                                "id": "key_usage",
                                "critical": True,
                                "smart-value": {
                                    "schema": "key-usage",
                                    "params": ["digital_signature"],
                                },
                            },
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["time_stamping"],
                            },
                        ],
                    },
                },
                "services": {
                    "ocsp": {
                        ISSUING_CA: {
                            "for-issuer": ISSUING_CA,
                            "responder-cert": OCSP,
                            "signing-key": OCSP,
                        }
                    },
                    "crl-repo": {
                        ROOT: {
                            "for-issuer": ROOT,
                            "signing-key": ROOT,
                            "simulated-update-schedule": "P7D",
                        },
                        ISSUING_CA: {
                            "for-issuer": ISSUING_CA,
                            "signing-key": ISSUING_CA,
                            "simulated-update-schedule": "P1D",
                        },
                    },
                    "time-stamping": {TSA: {"signing-cert": TSA, "signing-key": TSA}},
                },
            }
        },
    }


def _labels() -> tuple[str, ...]:
    return (ROOT, ISSUING_CA, AGENCY, OFFICER, REVOKED, TSA, OCSP)


@contextmanager
def creation_lock(directory: Path) -> Iterator[None]:
    """Serialise first-time creation between processes (API and worker may start together)."""
    import fcntl

    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def create_files(directory: Path, *, port: int | None, agency_name: str) -> None:
    """Generate the keys and the certomancer description; the metadata file goes last."""
    keys = directory / "keys"
    keys.mkdir(exist_ok=True)
    for label in _labels():
        _write_key(keys / f"{label}.key.pem", label)
    created = datetime.now(UTC).replace(microsecond=0)
    chosen = port or free_port()
    description = _describe(created, agency_name)
    description["external-url-prefix"] = f"http://127.0.0.1:{chosen}"
    (directory / CONFIG_FILE).write_text(
        json.dumps(description, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (directory / META_FILE).write_text(json.dumps({"port": chosen, "created": _iso(created)}))
