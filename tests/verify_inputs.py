"""Hostile and odd PDFs for the verification tests, built here from nothing.

- :func:`xref_bomb`: a ~50 KB PDF whose xref stream claims millions of entries (pyHanko
  spent 45 s and 1.1 GB of memory on one here);
- :func:`huge_contents`: a signature dictionary whose ``/Contents`` is megabytes of hex;
- :func:`self_signed_signatures`: a PDF signed ``n`` times with a self-signed key, the way
  someone without sohoa would (plain pyHanko, no pre-signing check);
- :func:`sign_raw`: sign with any key and certificate, bypassing sohoa's checks.
"""

from __future__ import annotations

import io
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509


def _objects(out: io.BytesIO, bodies: dict[int, bytes]) -> dict[int, int]:
    offsets: dict[int, int] = {}
    for number, body in bodies.items():
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    return offsets


def xref_bomb(entries: int = 5_000_000) -> bytes:
    """A small PDF whose cross-reference stream really holds ``entries`` rows (compressed)."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = _objects(
        out,
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        },
    )
    xref_at = out.tell()
    rows = b"".join(b"\x01" + offsets.get(i, 0).to_bytes(4, "big") + b"\x00\x00" for i in range(4))
    rows += (b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00") * (entries - 4)
    data = zlib.compress(rows, 9)
    out.write(
        b"4 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode "
        b"/Length %d >>\nstream\n" % (entries, len(data))
    )
    out.write(data + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return out.getvalue()


def huge_contents(hex_bytes: int) -> bytes:
    """A one-page PDF with a signature field whose ``/Contents`` holds ``hex_bytes`` bytes."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    contents = b"<" + b"0A" * hex_bytes + b">"
    offsets = _objects(
        out,
        {
            1: b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] /SigFlags 3 >> >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>",
            4: b"<< /FT /Sig /Subtype /Widget /T (Sig1) /Rect [0 0 0 0] /P 3 0 R /V 5 0 R >>",
            5: b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached "
            b"/ByteRange [0 10 20 10] /Contents " + contents + b" >>",
        },
    )
    xref_at = out.tell()
    out.write(b"xref\n0 6\n0000000000 65535 f \n")
    for number in range(1, 6):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return out.getvalue()


def self_signed_key(name: str = "Self-signed signer") -> tuple[bytes, asn1_x509.Certificate]:
    """A fresh RSA key (PEM) and a self-signed certificate for it, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem, asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def sign_raw(
    data: bytes,
    key_pem: bytes,
    cert: asn1_x509.Certificate,
    chain: tuple[asn1_x509.Certificate, ...] = (),
    *,
    field_name: str = "Sig1",
) -> bytes:
    """A PAdES B-B signature by plain pyHanko: no sohoa checks before signing."""
    from asn1crypto import keys
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key: Any = serialization.load_pem_private_key(key_pem, password=None)
    store: Any = SimpleCertificateStore
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    signer = signers.SimpleSigner(
        signing_cert=cert,
        signing_key=keys.PrivateKeyInfo.load(der),
        cert_registry=store.from_certs([cert, *chain]),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    out = io.BytesIO()
    signers.sign_pdf(
        writer,
        signers.PdfSignatureMetadata(
            field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES
        ),
        signer=signer,
        output=out,
    )
    return out.getvalue()


def self_signed_signatures(base: Path, count: int) -> bytes:
    """``base`` signed ``count`` times, each by its own self-signed key."""
    data = base.read_bytes()
    for index in range(count):
        key_pem, cert = self_signed_key(f"Self-signed signer {index + 1}")
        data = sign_raw(data, key_pem, cert, field_name=f"Sig{index + 1}")
    return data


__all__ = ["huge_contents", "self_signed_key", "self_signed_signatures", "sign_raw", "xref_bomb"]
