"""Signing inputs for tests and benchmarks: small PDF/A-2b files and a SoftHSM2 token.

A real SoftHSM2 token (Debian ``softhsm2``) holding the development PKI's keys, written through
PKCS#11 because ``softhsm2-util`` cannot import certificates.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from core.domain import SignerRole
from core.settings import Settings
from signing.devpki import DevPKI

SOFTHSM_LIBS = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),
    Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
)
TOKEN_LABEL = "sohoa-test"
TOKEN_PIN = "123456"


def make_pdfa(path: Path, pages: int = 1, *, text: str | None = None) -> Path:
    """A small PDF/A-2b with vector content (no fonts needed), written by pikepdf.pdfa."""
    import pikepdf

    from core import pdfa

    pdf = pikepdf.new()
    for index in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        # a few lines and boxes, so the page is not empty
        ops = b"0.2 g 72 700 451 2 re f 0.6 g 72 %d 300 20 re f" % (600 - index % 20)
        pdf.pages[index].obj.Contents = pdf.make_stream(ops)
    if text:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["dc:title"] = text
    report = pdfa.save(pdf, path, "2b")
    assert report.passed, report
    return path


@dataclass(frozen=True)
class SoftHSMToken:
    lib: Path
    label: str
    pin: str
    conf: Path

    def settings(self, data_dir: Path, **extra: object) -> Settings:

        return Settings(
            data_dir=data_dir,
            signing_key_source="pkcs11",
            pkcs11_lib=self.lib,
            pkcs11_token_label=self.label,
            pkcs11_key_label="agency",
            officer_pkcs11_key_label="officer",
            pkcs11_pin=SecretStr(self.pin),
            trust_roots_file=data_dir / "pki" / "root.pem",
            **extra,  # type: ignore[arg-type]
        )


def _import_to_token(session: object, dev_pki: DevPKI) -> None:
    """Write the dev agency (RSA) and officer (EC) keys and their chains into the token.

    softhsm2-util cannot import certificates, so everything goes in through PKCS#11.
    """
    from cryptography.hazmat.primitives import serialization
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.util.ec import decode_ec_private_key
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_certificate

    sess: object = session
    for index, role in enumerate((SignerRole.AGENCY, SignerRole.OFFICER), start=1):
        material = dev_pki.signer_material(role)
        key = serialization.load_pem_private_key(material.key_pem, password=None)
        if role is SignerRole.AGENCY:
            der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
            attrs = decode_rsa_private_key(der)
        else:
            der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
            attrs = decode_ec_private_key(der)
        key_id = bytes([index])
        attrs.update(
            {
                Attribute.LABEL: role.value,
                Attribute.ID: key_id,
                Attribute.TOKEN: True,
                Attribute.PRIVATE: True,
                Attribute.SENSITIVE: True,
                Attribute.SIGN: True,
            }
        )
        sess.create_object(attrs)  # type: ignore[attr-defined]
        for label, cert in (
            (role.value, material.cert),
            *((f"{role.value}-ca{i}", c) for i, c in enumerate(material.chain)),
        ):
            cert_attrs = decode_x509_certificate(cert.dump())
            cert_attrs.update({Attribute.LABEL: label, Attribute.TOKEN: True})
            if label == role.value:
                cert_attrs[Attribute.ID] = key_id
            cert_attrs[Attribute.CLASS] = ObjectClass.CERTIFICATE
            sess.create_object(cert_attrs)  # type: ignore[attr-defined]


def create_softhsm_token(base: Path, dev_pki: DevPKI) -> SoftHSMToken:
    """Initialise a SoftHSM2 token under ``base`` holding the dev keys (sets SOFTHSM2_CONF).

    SOFTHSM2_CONF must be set before the library is first loaded in this process.
    """
    lib = next((p for p in SOFTHSM_LIBS if p.exists()), None)
    if lib is None or shutil.which("softhsm2-util") is None:
        raise RuntimeError("softhsm2 is not installed (Debian package softhsm2)")
    (base / "tokens").mkdir(parents=True, exist_ok=True)
    conf = base / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            TOKEN_LABEL,
            "--pin",
            TOKEN_PIN,
            "--so-pin",
            "654321",
        ],
        check=True,
        capture_output=True,
    )
    import pkcs11

    token = pkcs11.lib(str(lib)).get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=TOKEN_PIN) as session:
        _import_to_token(session, dev_pki)
    return SoftHSMToken(lib=lib, label=TOKEN_LABEL, pin=TOKEN_PIN, conf=conf)


__all__ = [
    "SOFTHSM_LIBS",
    "TOKEN_LABEL",
    "TOKEN_PIN",
    "SoftHSMToken",
    "create_softhsm_token",
    "make_pdfa",
]
