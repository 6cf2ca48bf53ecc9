"""The signer's certificate is checked before signing (#13), and verification names an expired
signer or intermediate with its date and says "appended" only when bytes were appended (#12)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.domain import SignatureLevel
from core.errors import SignerCertificateInvalid
from core.settings import Settings
from signing import DevPKI, SignatureRequest, sign_pdf, verify_pdf
from signing.keys import dev_signer
from signing.precheck import forget_checked
from tests.cert_cases import case_pki, case_signer
from tests.verify_inputs import sign_raw

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevPKI]:
    pki = case_pki(tmp_path_factory.mktemp("cert-cases") / "pki")
    with pki.serve():
        yield pki


@pytest.fixture(scope="module")
def case_settings(cases: DevPKI, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = cases.directory / "root.pem"
    return Settings(
        data_dir=tmp_path_factory.mktemp("case-data"),
        signing_key_source="pkcs12",  # not "dev": only the configured bundle is trusted
        trust_roots_file=root,
        tsa_url=cases.tsa_url,
    )


def test_a_signer_certificate_that_expired_yesterday_is_refused(
    cases: DevPKI, case_settings: Settings, pdfa_1page: Path, tmp_path: Path
) -> None:
    signer = case_signer(cases, "expired")
    out = tmp_path / "signed.pdf"
    with pytest.raises(SignerCertificateInvalid) as caught:
        sign_pdf(
            pdfa_1page,
            out,
            SignatureRequest(level=SignatureLevel.B_B),
            settings=case_settings,
            signer=signer,
        )
    error = caught.value
    assert error.code == "signer-certificate-invalid"
    assert error.message.startswith("expired:")
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert yesterday in error.message and error.detail_vi and "hết hạn" in error.detail_vi
    assert not out.exists()


@pytest.mark.parametrize(
    ("label", "which", "named"),
    [
        ("future", "not-yet-valid", "future"),
        ("wrong-usage", "wrong-usage", "key_encipherment"),
        ("under-expired-ca", "expired", "expired-ca"),
    ],
)
def test_other_bad_certificates_are_refused_by_name(
    cases: DevPKI,
    case_settings: Settings,
    pdfa_1page: Path,
    label: str,
    which: str,
    named: str,
) -> None:
    with pytest.raises(SignerCertificateInvalid, match=f"^{which}: .*{named}"):
        sign_pdf(
            pdfa_1page,
            None,
            SignatureRequest(level=SignatureLevel.B_B),
            settings=case_settings,
            signer=case_signer(cases, label),
        )


def test_a_revoked_signer_is_refused_with_its_revocation_time(
    dev_pki: DevPKI, signing_settings: Settings, pdfa_1page: Path
) -> None:
    forget_checked()
    with pytest.raises(SignerCertificateInvalid, match=r"^revoked: .* revoked on \d{4}-"):
        sign_pdf(
            pdfa_1page,
            None,
            SignatureRequest(level=SignatureLevel.B_B),
            settings=signing_settings,
            signer=dev_signer(dev_pki, "revoked"),
        )


def test_a_good_certificate_of_a_configured_anchor_signs(
    cases: DevPKI, case_settings: Settings, pdfa_1page: Path
) -> None:
    forget_checked()
    result = sign_pdf(
        pdfa_1page,
        None,
        SignatureRequest(level=SignatureLevel.B_T),
        settings=case_settings,
        signer=dev_signer(cases, "agency"),
    )
    assert verify_pdf(result.data, settings=case_settings).verdict == "valid"


def test_an_untrusted_signer_is_refused(cases: DevPKI, pdfa_1page: Path, tmp_path: Path) -> None:
    elsewhere = Settings(data_dir=tmp_path, signing_key_source="pkcs12")
    signer = case_signer(cases, "expired")
    good = dev_signer(cases, "agency")
    # the chain carries its own root, as a PKCS#12 file does: that root is the key's anchor
    assert signer.chain[-1] == good.chain[-1]
    forget_checked()
    sign_pdf(pdfa_1page, None, SignatureRequest(level=SignatureLevel.B_B), settings=elsewhere,
             signer=good)  # fmt: skip
    bare = type(good)(good.role, good.source, good.pyhanko_signer, good.cert, good.chain[:1])
    forget_checked()
    with pytest.raises(SignerCertificateInvalid, match=r"^untrusted: "):
        sign_pdf(pdfa_1page, None, SignatureRequest(level=SignatureLevel.B_B),
                 settings=elsewhere, signer=bare)  # fmt: skip


def test_verification_names_an_expired_signer_or_intermediate_with_the_date(
    cases: DevPKI, pdfa_1page: Path
) -> None:
    key_pem = (cases.directory / "keys" / "agency.key.pem").read_bytes()
    for label, ca, expired_name in (
        ("expired", "issuing-ca", "expired"),
        ("under-expired-ca", "expired-ca", "expired-ca"),
    ):
        chain = (cases.cert(ca), cases.root())
        signed = sign_raw(pdfa_1page.read_bytes(), key_pem, cases.cert(label), chain)
        report = verify_pdf(signed, trust_roots=[cases.root()], fetch="none")
        assert report.verdict == "indeterminate", report.reason
        assert report.reason.startswith("certificate-expired"), report.reason
        sig = report.signatures[0]
        assert sig.expired_certificate is not None and expired_name in sig.expired_certificate
        assert sig.expired_on == cases.cert(expired_name).not_valid_after
        assert sig.expired_on.isoformat() in report.reason
        assert sig.problems_vi[0] == "Chứng thư số đã hết hạn"
        assert report.reason_vi.startswith("Chứng thư số đã hết hạn (trường chữ ký Sig1)")
        assert "CERTIFICATE_CHAIN_GENERAL_FAILURE" not in report.reason


def test_appended_is_said_only_when_bytes_were_appended(
    dev_pki: DevPKI,
    signing_settings: Settings,
    pdfa_1page: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed = sign_pdf(
        pdfa_1page, None, SignatureRequest(level=SignatureLevel.B_B), settings=signing_settings
    ).data
    # a check that fails with an exception (here: a revocation fetch that timed out) once
    # made the report claim appended bytes for a ByteRange covering the whole file
    from signing import verify_checks

    def times_out(*_args: object, **_kwargs: object) -> None:
        raise TimeoutError("OCSP fetch timed out")

    with monkeypatch.context() as patched:
        patched.setattr(verify_checks, "validate", times_out)
        report = verify_pdf(signed, settings=signing_settings)
    assert report.verdict == "indeterminate", "a failed fetch is never 'invalid'"
    assert report.reason.startswith("revocation-unavailable")
    assert "appended" not in report.reason
    assert report.signatures[0].covers_whole_file
    assert report.signatures[0].appended_bytes == 0

    # bytes really appended are counted (pyHanko's difference analysis judges what they do)
    tail = b"\n% a comment appended later\n"
    report = verify_pdf(signed + tail, settings=signing_settings)
    assert report.signatures[-1].appended_bytes == len(tail)
    assert not report.signatures[-1].covers_whole_file


def test_a_revoked_intermediate_is_named_before_signing_and_when_verifying(
    cases: DevPKI, case_settings: Settings, pdfa_1page: Path
) -> None:
    forget_checked()
    signer = case_signer(cases, "under-revoked-ca")
    with pytest.raises(SignerCertificateInvalid, match=r"^revoked: a CA certificate .* on \d{4}-"):
        sign_pdf(
            pdfa_1page,
            None,
            SignatureRequest(level=SignatureLevel.B_B),
            settings=case_settings,
            signer=signer,
        )
    key_pem = (cases.directory / "keys" / "agency.key.pem").read_bytes()
    signed = sign_raw(pdfa_1page.read_bytes(), key_pem, signer.cert, signer.chain)
    report = verify_pdf(signed, trust_roots=[cases.root()], fetch="trusted")
    assert report.verdict == "invalid"
    assert report.reason.startswith("revoked")
    assert "a CA certificate of the chain" in report.reason
    assert report.signatures[0].revocation_time is not None
