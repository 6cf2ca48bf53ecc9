"""Each way a signed document can go wrong is detected and named, and a missing TSA/OCSP is a
retryable error rather than a silently lower signature level."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from core.domain import SignatureLevel, SignerRole
from core.errors import RevocationUnavailable, SigningError, TimestampUnavailable
from core.settings import Settings
from signing import DevPKI, SignatureRequest, sign_pdf, verify_pdf
from signing.keys import signer_from_pem

generic: Any = _generic


@pytest.fixture(scope="module")
def signed_bt(
    signing_settings: Settings, pdfa_1page: Path, tmp_path_factory: pytest.TempPathFactory
) -> bytes:
    out = tmp_path_factory.mktemp("tamper") / "signed.pdf"
    sign_pdf(pdfa_1page, out, SignatureRequest(level=SignatureLevel.B_T), settings=signing_settings)
    return out.read_bytes()


def test_tampered_byte_is_named(signed_bt: bytes, signing_settings: Settings) -> None:
    # change one letter of the document's own producer string inside the signed range
    index = signed_bt.index(b"pikepdf")
    tampered = signed_bt[:index] + b"P" + signed_bt[index + 1 :]
    report = verify_pdf(tampered, settings=signing_settings)
    assert report.verdict == "invalid"
    assert report.reason.startswith("tampered")
    assert not report.signatures[0].intact


def test_appended_page_is_named(signed_bt: bytes, signing_settings: Settings) -> None:
    writer: Any = IncrementalPdfFileWriter(io.BytesIO(signed_bt))
    box = generic.ArrayObject([generic.NumberObject(v) for v in (0, 0, 595, 842)])
    writer.insert_page(
        generic.DictionaryObject(
            {
                generic.pdf_name("/Type"): generic.pdf_name("/Page"),
                generic.pdf_name("/MediaBox"): box,
            }
        )
    )
    out = io.BytesIO()
    writer.write(out)
    report = verify_pdf(out.getvalue(), settings=signing_settings)
    assert report.verdict == "invalid"
    assert report.reason.startswith("modified-after-signing")
    assert not report.signatures[0].covers_whole_file


def test_revoked_signer_is_named(
    dev_pki: DevPKI,
    signing_settings: Settings,
    pdfa_1page: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    material = dev_pki.signer_material("revoked")
    revoked = signer_from_pem(
        SignerRole.AGENCY, material.key_pem, material.cert, material.chain, dev_pki=dev_pki
    )
    out = tmp_path / "revoked.pdf"
    # sohoa refuses a revoked key before signing (signing.precheck), so the file a verifier
    # meets is made as by software without that check
    with monkeypatch.context() as patched:
        patched.setattr("signing.pades.check_signer", lambda *_a, **_k: None)
        sign_pdf(
            pdfa_1page,
            out,
            SignatureRequest(level=SignatureLevel.B_T),
            settings=signing_settings,
            signer=revoked,
        )
    report = verify_pdf(out, settings=signing_settings)
    assert report.verdict == "invalid"
    assert report.reason.startswith("revoked")
    assert report.signatures[0].revoked
    # named with its revocation time (the dev PKI revoked it an hour before it was created)
    when, signed_at = report.signatures[0].revocation_time, report.signatures[0].signing_time
    assert when is not None and signed_at is not None and when < signed_at
    assert when.isoformat() in report.reason
    assert report.signatures[0].revocation_source == "fetched-ocsp"
    # offline (an upload), the B-T file carries no revocation data: indeterminate, not valid
    offline = verify_pdf(out, settings=signing_settings, fetch="none")
    assert offline.verdict == "indeterminate"
    assert offline.reason.startswith("revocation-unavailable")
    # and sohoa itself signs nothing with a revoked key, at any level
    for level in (SignatureLevel.B_B, SignatureLevel.B_T, SignatureLevel.B_LT):
        with pytest.raises(SigningError, match="revoked"):
            sign_pdf(
                pdfa_1page,
                tmp_path / f"{level.value}.pdf",
                SignatureRequest(level=level),
                settings=signing_settings,
                signer=revoked,
            )


def test_untrusted_root_is_named(signed_bt: bytes) -> None:
    report = verify_pdf(signed_bt, trust_roots=[])
    assert report.verdict == "indeterminate"
    assert report.reason.startswith("untrusted-root")


def test_unsigned_document_is_indeterminate(pdfa_1page: Path, signing_settings: Settings) -> None:
    report = verify_pdf(pdfa_1page, settings=signing_settings)
    assert report.verdict == "indeterminate"
    assert report.signatures == []


def test_tsa_down_is_retryable_not_a_lower_level(
    signing_settings: Settings, pdfa_1page: Path, tmp_path: Path
) -> None:
    from tests.fixtures.net import free_port

    dead = signing_settings.model_copy(update={"tsa_url": f"http://127.0.0.1:{free_port()}/tsa"})
    for level in (SignatureLevel.B_T, SignatureLevel.B_LTA):
        out = tmp_path / f"{level.value}.pdf"
        with pytest.raises(TimestampUnavailable) as caught:
            sign_pdf(pdfa_1page, out, SignatureRequest(level=level), settings=dead)
        assert caught.value.retryable
        assert not out.exists()


def test_ocsp_down_is_retryable_for_long_term_levels(
    dev_pki: DevPKI, signing_settings: Settings, pdfa_1page: Path, tmp_path: Path
) -> None:
    """A signer from a second PKI whose OCSP/CRL server is not running; the TSA answers."""
    other = DevPKI.open(tmp_path / "other-pki")  # never started
    material = other.signer_material("agency")
    signer = signer_from_pem(SignerRole.AGENCY, material.key_pem, material.cert, material.chain)
    settings = signing_settings.model_copy(update={"tsa_url": dev_pki.tsa_url})
    with pytest.raises(RevocationUnavailable) as caught:
        sign_pdf(
            pdfa_1page,
            tmp_path / "lt.pdf",
            SignatureRequest(level=SignatureLevel.B_LT),
            settings=settings,
            signer=signer,
        )
    assert caught.value.retryable


def test_long_term_signatures_verify_with_the_servers_gone(
    signing_settings: Settings, pdfa_1page: Path, tmp_path: Path
) -> None:
    """B-LT/B-LTA carry their own revocation data; B-B cannot, and says so by name."""
    other = DevPKI.open(tmp_path / "gone-pki")
    material = other.signer_material("agency")
    signer = signer_from_pem(
        SignerRole.AGENCY, material.key_pem, material.cert, material.chain, dev_pki=other
    )
    settings = signing_settings.model_copy(update={"tsa_url": other.tsa_url})
    signed = {}
    with other.serve():
        for level in (SignatureLevel.B_B, SignatureLevel.B_LT, SignatureLevel.B_LTA):
            out = tmp_path / f"{level.value}.pdf"
            sign_pdf(
                pdfa_1page, out, SignatureRequest(level=level), settings=settings, signer=signer
            )
            signed[level] = out
    assert not other.is_served()
    roots = [other.root()]
    for level in (SignatureLevel.B_LT, SignatureLevel.B_LTA):
        report = verify_pdf(signed[level], trust_roots=roots)
        assert report.verdict == "valid", report.reason
        assert report.signatures[0].level == level.value
    report = verify_pdf(signed[SignatureLevel.B_B], trust_roots=roots)
    assert report.verdict == "indeterminate"
    assert report.reason.startswith("revocation-unavailable")
