"""``sohoa sign``, ``sohoa verify`` and ``sohoa pki export-root`` as a user runs them: a fresh
data directory, no key configured, the development PKI created and served on first use."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.cli import Done, run_sohoa


def _sohoa(*args: str, data_dir: Path) -> Done:
    return run_sohoa(args, {"SOHOA_DATA_DIR": str(data_dir), "SOHOA_SIGNING_KEY_SOURCE": "dev"})


def test_cli_signs_verifies_and_exports_root(pdfa_1page: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    signed = tmp_path / "signed.pdf"
    done = _sohoa(
        "sign",
        str(pdfa_1page),
        "-o",
        str(signed),
        "--level",
        "B-LTA",
        "--reason",
        "Sao y bản chính",
        "--json",
        data_dir=data_dir,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["level"] == "B-LTA" and result["development_pki"] is True
    assert result["pdfa"] == "validated", "a file from outside is validated as PDF/A-2b first"
    assert (data_dir / "pki" / "certomancer.json").exists()  # persisted for the next run

    done = _sohoa("verify", str(signed), "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["verdict"] == "valid"
    assert report["signatures"][0]["level"] == "B-LTA"

    root = tmp_path / "root.pem"
    done = _sohoa("pki", "export-root", str(root), data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert root.read_text().startswith("-----BEGIN CERTIFICATE-----")

    # another data directory means another (untrusting) root
    done = _sohoa("verify", str(signed), data_dir=tmp_path / "other")
    assert done.returncode == 1
    assert "untrusted-root" in done.stdout


def test_cli_verify_exit_codes(pdfa_1page: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"not a pdf at all")
    assert _sohoa("verify", str(garbage), data_dir=tmp_path / "d").returncode == 2
    unsigned = _sohoa("verify", str(pdfa_1page), data_dir=tmp_path / "d")
    assert unsigned.returncode == 1
    assert "INDETERMINATE" in unsigned.stdout
