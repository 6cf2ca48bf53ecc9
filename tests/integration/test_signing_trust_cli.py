"""``sohoa trust add|list|remove`` manage the anchors ``sohoa verify`` trusts; outside
development mode nothing else is trusted, and the report prints Vietnamese labels (#13)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.domain import SignatureLevel
from core.settings import Settings
from signing import DevPKI, SignatureRequest, sign_pdf
from signing.keys import dev_signer
from tests.cert_cases import case_pki
from tests.fixtures.cli import Done, run_sohoa

pytestmark = pytest.mark.integration


def _sohoa(*args: str, data_dir: Path, source: str = "pkcs12") -> Done:
    return run_sohoa(args, {"SOHOA_DATA_DIR": str(data_dir), "SOHOA_SIGNING_KEY_SOURCE": source})


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevPKI]:
    pki = case_pki(tmp_path_factory.mktemp("trust-cli") / "pki")
    with pki.serve():
        yield pki


def test_trust_add_list_remove_drive_verification(
    other_pki: DevPKI, pdfa_1page: Path, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "signer",
        signing_key_source="pkcs12",
        trust_roots_file=other_pki.directory / "root.pem",
        tsa_url=other_pki.tsa_url,
    )
    signed = tmp_path / "signed.pdf"
    sign_pdf(
        pdfa_1page,
        signed,
        SignatureRequest(level=SignatureLevel.B_LTA),
        settings=settings,
        signer=dev_signer(other_pki, "agency"),
    )
    data_dir = tmp_path / "verifier"

    done = _sohoa("verify", str(signed), data_dir=data_dir)
    assert done.returncode == 1 and "untrusted-root" in done.stdout

    done = _sohoa("trust", "add", str(other_pki.directory / "root.pem"), data_dir=data_dir)
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("added ")
    assert (data_dir / "trust" / "roots.pem").is_file()
    again = _sohoa("trust", "add", str(other_pki.directory / "root.pem"), data_dir=data_dir)
    assert "already trusted" in again.stdout

    listed = json.loads(_sohoa("trust", "list", "--json", data_dir=data_dir).stdout)
    assert len(listed) == 1 and "Root CA" in listed[0]["subject"]
    fingerprint = listed[0]["fingerprint"]

    done = _sohoa("verify", str(signed), data_dir=data_dir)
    assert done.returncode == 0, done.stdout
    assert "VALID (Hợp lệ)" in done.stdout
    assert "issuer / Tổ chức cấp chứng thư: " in done.stdout
    assert "serial / Số hiệu chứng thư: " in done.stdout
    assert "revocation check / Nguồn kiểm tra thu hồi: embedded-ocsp" in done.stdout

    # a signer's (non-CA) certificate is not an anchor
    leaf = tmp_path / "leaf.der"
    leaf.write_bytes(other_pki.cert("agency").dump())
    assert _sohoa("trust", "add", str(leaf), data_dir=data_dir).returncode != 0

    done = _sohoa("trust", "remove", fingerprint[:12], data_dir=data_dir)
    assert done.returncode == 0 and "removed" in done.stdout
    assert json.loads(_sohoa("trust", "list", "--json", data_dir=data_dir).stdout) == []
    done = _sohoa("verify", str(signed), data_dir=data_dir)
    assert done.returncode == 1 and "untrusted-root" in done.stdout


def test_the_development_root_is_trusted_in_development_mode_only(
    dev_pki: DevPKI, pki_data_dir: Path
) -> None:
    from signing.trust import trust_roots_for

    dev = Settings(data_dir=pki_data_dir, signing_key_source="dev")
    production = Settings(data_dir=pki_data_dir, signing_key_source="pkcs12")
    assert dev_pki.root() in trust_roots_for(dev)
    assert dev_pki.root() not in trust_roots_for(production)


def test_cli_verify_is_offline_unless_asked(pdfa_1page: Path, tmp_path: Path) -> None:
    """A B-T file carries no revocation data: offline it is indeterminate, --online valid."""
    data_dir = tmp_path / "dev"
    signed = tmp_path / "bt.pdf"
    done = _sohoa(
        "sign", str(pdfa_1page), "-o", str(signed), "--level", "B-T",
        data_dir=data_dir, source="dev",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    offline = _sohoa("verify", str(signed), data_dir=data_dir, source="dev")
    assert offline.returncode == 1
    assert "revocation-unavailable" in offline.stdout
    assert "Chưa xác định được" in offline.stdout
    online = _sohoa("verify", "--online", str(signed), data_dir=data_dir, source="dev")
    assert online.returncode == 0, online.stdout
    assert "fetched-ocsp" in online.stdout
