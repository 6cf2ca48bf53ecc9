"""An upload is verified offline, in a child process with limits: no request leaves the
server for it (SSRF), bombs end as ``verify-limit`` instead of hanging or swelling the API, and
a failed validation is one log line without a traceback (issue #11)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.domain import SignatureLevel
from core.errors import VerifyLimit
from core.settings import Settings
from signing import DevPKI, SignatureRequest, sign_pdf, verify_pdf
from signing.isolated import verify_upload
from tests.verify_inputs import huge_contents, self_signed_signatures, sign_raw, xref_bomb

pytestmark = pytest.mark.integration


class Listener:
    """A loopback TCP listener that accepts, counts and never answers (a slow server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture(scope="module")
def signed_blta(
    signing_settings: Settings, pdfa_1page: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("boxed") / "b-lta.pdf"
    request = SignatureRequest(level=SignatureLevel.B_LTA)
    sign_pdf(pdfa_1page, out, request, settings=signing_settings)
    return out


def test_own_long_term_file_is_valid_offline_in_the_box(
    signed_blta: Path, signing_settings: Settings
) -> None:
    report = verify_upload(signed_blta, signing_settings)
    assert report["verdict"] == "valid", report["reason"]
    assert report["verdict_vi"] == "Hợp lệ"
    assert report["reason_vi"].endswith("chữ ký hợp lệ và được tin cậy")
    sig = report["signatures"][0]
    # Circular 15/2025 Art. 5: issuer, serial, validity, revocation check's source and time
    assert "Issuing CA" in sig["issuer"]
    assert sig["serial_number"] and sig["valid_from"] < sig["valid_to"]
    assert sig["revocation_source"] == "embedded-ocsp"
    assert sig["revocation_checked_at"] is not None
    assert report["labels_vi"]["issuer"] == "Tổ chức cấp chứng thư"


def test_upload_fetches_nothing_even_from_a_trusted_chain(
    listener: Listener, pdfa_1page: Path, tmp_path: Path
) -> None:
    """SSRF: the certificates name OCSP/CRL URLs on a listener; the upload must not reach it."""
    pki = DevPKI.open(tmp_path / "ssrf-pki", port=listener.port)  # URLs point at the listener
    material = pki.signer_material("agency")
    signed = tmp_path / "ssrf.pdf"
    signed.write_bytes(
        sign_raw(pdfa_1page.read_bytes(), material.key_pem, material.cert, material.chain)
    )
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root_pem())
    settings = Settings(
        data_dir=tmp_path / "data", signing_key_source="pkcs12", trust_roots_file=root
    )
    report = verify_upload(signed, settings)
    assert listener.accepted == 0, "an upload made the server fetch a URL it names"
    assert report["verdict"] == "indeterminate"
    assert report["reason"].startswith("revocation-unavailable")

    # fetching allowed (the service's own files): a server that never answers costs at most
    # the budget and leaves the signature indeterminate, never invalid
    budget = settings.model_copy(
        update={"verify_fetch_budget_seconds": 2.0, "signing_network_timeout": 1.0}
    )
    started = time.monotonic()
    fetched = verify_pdf(signed, settings=budget, fetch="trusted")
    assert listener.accepted >= 1  # the positive control: the URL was really there
    assert time.monotonic() - started < 15
    assert fetched.verdict == "indeterminate", fetched.reason
    assert fetched.reason.startswith("revocation-unavailable")


def test_xref_bomb_is_refused_from_its_bytes(tmp_path: Path, signing_settings: Settings) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(xref_bomb(5_000_000))
    started = time.monotonic()
    with pytest.raises(VerifyLimit, match="xref entries: 5000000"):
        verify_upload(bomb, signing_settings)
    assert time.monotonic() - started < 10


def test_xref_bomb_under_the_caps_is_stopped_by_the_child_limits(
    tmp_path: Path, signing_settings: Settings
) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(xref_bomb(5_000_000))
    uncapped = signing_settings.model_copy(
        update={
            "verify_max_xref_entries": 10**9,
            "verify_max_objects": 10**9,
            "verify_cpu_seconds": 3,
            "verify_memory_mb": 400,
            "verify_wall_seconds": 20.0,
        }
    )
    started = time.monotonic()
    with pytest.raises(VerifyLimit, match="limit"):
        verify_upload(bomb, uncapped)
    assert time.monotonic() - started < 25


def test_huge_signature_contents_is_refused_by_name(
    tmp_path: Path, signing_settings: Settings
) -> None:
    upload = tmp_path / "contents.pdf"
    upload.write_bytes(huge_contents(3 * 1024 * 1024))
    with pytest.raises(VerifyLimit, match="/Contents"):
        verify_upload(upload, signing_settings)


def test_many_signatures_are_capped_and_failures_log_one_line(
    tmp_path: Path,
    signing_settings: Settings,
    pdfa_1page: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    many = tmp_path / "many.pdf"
    many.write_bytes(self_signed_signatures(pdfa_1page, 21))
    with caplog.at_level(logging.DEBUG), pytest.raises(VerifyLimit, match="signatures: 21"):
        verify_upload(many, signing_settings)
    # a refusal is one line too (whatever log level earlier tests left configured)
    refused = [r for r in caplog.records if r.name == "signing.isolated"]
    assert len(refused) == 1 and refused[0].exc_info is None
    caplog.clear()

    few = tmp_path / "few.pdf"
    few.write_bytes(self_signed_signatures(pdfa_1page, 3))
    capfd.readouterr()
    with caplog.at_level(logging.DEBUG):
        report = verify_upload(few, signing_settings)
    # self-signed keys prove nothing about who signed: never "valid", never "tampered"
    assert report["verdict"] == "indeterminate"
    assert report["reason"].split(":")[0] in ("untrusted-root", "chain-invalid")
    assert len(report["signatures"]) == 3
    lines = [r for r in caplog.records if r.name == "signing.isolated"]
    assert len(lines) == 1 and lines[0].exc_info is None
    assert all(r.exc_info is None for r in caplog.records)
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_parsed_signatures_are_capped_before_any_is_validated(signed_blta: Path) -> None:
    """Signatures can hide in object streams: the parsed ones are counted and measured too."""
    from signing.pdfcaps import VerifyCaps

    def caps(signatures: int, contents: int) -> VerifyCaps:
        return VerifyCaps(
            max_bytes=10**9,
            max_xref_entries=10**9,
            max_objects=10**9,
            max_signatures=signatures,
            max_contents_bytes=contents,
        )

    data = signed_blta.read_bytes()  # a signature and a document timestamp
    with pytest.raises(VerifyLimit, match="signatures: 2"):
        verify_pdf(data, trust_roots=[], fetch="none", caps=caps(1, 10**9))
    with pytest.raises(VerifyLimit, match="/Contents bytes"):
        verify_pdf(data, trust_roots=[], fetch="none", caps=caps(5, 1000))
    assert verify_pdf(data, trust_roots=[], fetch="none", caps=caps(5, 10**9)).signatures
