"""PKCS#11 signing with a real SoftHSM2 token (RSA agency key, EC P-256 officer key), selected
by library path, token label and key label, with the PIN from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import SignatureLevel, SignerRole
from core.errors import SigningError
from core.settings import Settings
from samples.pki import SoftHSMToken
from signing import DevPKI, SignatureRequest, load_signer, sign_pdf, verify_pdf
from signing.keys import clear_signer_cache, load_pkcs11


@pytest.fixture()
def token_settings(softhsm_token: SoftHSMToken, pki_data_dir: Path, dev_pki: DevPKI) -> Settings:
    (pki_data_dir / "pki" / "root.pem").write_bytes(dev_pki.root_pem())
    return softhsm_token.settings(pki_data_dir, tsa_url=dev_pki.tsa_url)


@pytest.mark.parametrize(
    ("role", "level"),
    [(SignerRole.AGENCY, SignatureLevel.B_B), (SignerRole.OFFICER, SignatureLevel.B_LT)],
)
def test_token_key_signs_and_verifies(
    role: SignerRole,
    level: SignatureLevel,
    token_settings: Settings,
    pdfa_1page: Path,
    tmp_path: Path,
) -> None:
    signer = load_signer(token_settings, role)
    assert signer.source == "pkcs11"
    assert signer.dev_pki is None  # a configured key never falls back to the dev PKI
    assert load_signer(token_settings, role) is signer  # the session is opened once
    # the chain comes from the token, without the other role's certificate
    assert signer.chain and all(cert.ca for cert in signer.chain)
    out = tmp_path / "signed.pdf"
    sign_pdf(pdfa_1page, out, SignatureRequest(level=level, role=role), settings=token_settings)
    report = verify_pdf(out, settings=token_settings)
    assert report.verdict == "valid", report.reason
    assert report.signatures[0].level == level.value


def test_wrong_pin_is_a_signing_error_without_the_pin(softhsm_token: SoftHSMToken) -> None:
    clear_signer_cache()
    with pytest.raises(SigningError) as caught:
        load_pkcs11(SignerRole.AGENCY, softhsm_token.lib, softhsm_token.label, "agency", "999999")
    assert "999999" not in str(caught.value)


def test_missing_key_label_is_reported(softhsm_token: SoftHSMToken) -> None:
    with pytest.raises(SigningError, match="not found"):
        load_pkcs11(
            SignerRole.AGENCY, softhsm_token.lib, softhsm_token.label, "nope", softhsm_token.pin
        )
