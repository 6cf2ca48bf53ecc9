"""The trust-anchor bundle behind ``sohoa trust add|list|remove`` (one PEM file).

Each anchor is kept as a PEM block; an anchor is named by its SHA-256 fingerprint (any unique
prefix of at least 8 hex digits) or by a word of its subject. The file is rewritten atomically.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import pem, x509

from core.errors import ConfigurationError, InputError, NotFound
from core.settings import Settings
from signing.trust import trust_bundle_path


@dataclass(frozen=True)
class Anchor:
    """One trusted root as ``sohoa trust list`` shows it."""

    subject: str
    fingerprint: str
    serial_number: str
    valid_from: datetime
    valid_to: datetime
    is_ca: bool

    @classmethod
    def of(cls, cert: x509.Certificate) -> Anchor:
        return cls(
            subject=str(cert.subject.human_friendly),
            fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
            serial_number=format(cert.serial_number, "X"),
            valid_from=cert.not_valid_before,
            valid_to=cert.not_valid_after,
            is_ca=bool(cert.ca),
        )


def _pem(cert: x509.Certificate) -> bytes:
    body = base64.encodebytes(cert.dump()).decode("ascii").replace("\n", "")
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n".encode("ascii")


def parse_certificates(data: bytes, where: str) -> list[x509.Certificate]:
    """Certificates from PEM (one or many) or one DER certificate; :class:`InputError` else."""
    try:
        if pem.detect(data):
            return [
                x509.Certificate.load(der)
                for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"
            ]
        cert = x509.Certificate.load(data)
        cert.native  # noqa: B018 (parses the whole structure: a bad DER raises here)
        return [cert]
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(
            f"{where}: not a PEM or DER certificate ({exc})",
            detail_vi="Tệp không phải chứng thư số PEM hoặc DER",
        ) from exc


def _read(bundle: Path) -> list[x509.Certificate]:
    if not bundle.is_file() or not bundle.read_bytes().strip():
        return []  # an emptied bundle trusts nothing
    try:
        return parse_certificates(bundle.read_bytes(), str(bundle))
    except InputError as exc:
        raise ConfigurationError(f"trust bundle {bundle} is unreadable: {exc.message}") from exc


def _write(bundle: Path, certs: list[x509.Certificate]) -> None:
    bundle.parent.mkdir(parents=True, exist_ok=True)
    tmp = bundle.with_name(bundle.name + ".part")
    tmp.write_bytes(b"".join(_pem(c) for c in certs))
    tmp.replace(bundle)


def list_anchors(settings: Settings) -> list[Anchor]:
    """The anchors in the bundle (the development root, added in dev mode, is not listed)."""
    return [Anchor.of(c) for c in _read(trust_bundle_path(settings))]


def add_anchors(settings: Settings, data: bytes, where: str) -> list[Anchor]:
    """Add the CA certificates in ``data`` to the bundle; returns those newly added.

    Raises:
        InputError: ``data`` holds no certificate, or one that is not a CA certificate.
    """
    new = parse_certificates(data, where)
    if not new:
        raise InputError(f"{where}: no certificate found", detail_vi="Không có chứng thư số")
    for cert in new:
        if not cert.ca:
            raise InputError(
                f"{where}: {cert.subject.human_friendly} is not a CA certificate",
                detail_vi="Chứng thư không phải của tổ chức cung cấp dịch vụ chứng thực",
            )
    bundle = trust_bundle_path(settings)
    current = _read(bundle)
    known = {c.dump() for c in current}
    added = [c for c in new if c.dump() not in known]
    if added:
        _write(bundle, current + added)
    return [Anchor.of(c) for c in added]


def remove_anchor(settings: Settings, name: str) -> Anchor:
    """Remove the one anchor named by fingerprint prefix or subject text.

    Raises:
        NotFound: nothing matches. InputError: more than one anchor matches.
    """
    bundle = trust_bundle_path(settings)
    current = _read(bundle)
    key = name.lower().replace(":", "")
    matches = [
        c
        for c in current
        if (len(key) >= 8 and Anchor.of(c).fingerprint.startswith(key))
        or name.lower() in Anchor.of(c).subject.lower()
    ]
    if not matches:
        raise NotFound(f"no trust anchor matches {name!r}", detail_vi="Không tìm thấy chứng thư")
    if len(matches) > 1:
        raise InputError(
            f"{len(matches)} trust anchors match {name!r}; give more of the fingerprint",
            detail_vi="Có nhiều chứng thư khớp; hãy nhập thêm dấu vân tay",
        )
    _write(bundle, [c for c in current if c is not matches[0]])
    return Anchor.of(matches[0])


__all__ = ["Anchor", "add_anchors", "list_anchors", "parse_certificates", "remove_anchor"]
