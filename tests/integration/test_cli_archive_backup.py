"""``sohoa archive export``, ``sohoa backup`` and ``sohoa restore`` from the command line."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.main import main
from core.settings import Settings, get_settings


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def sohoa(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    s3_settings: Settings,
):
    """``sohoa ARGS`` in-process on a fresh SQLite data dir and the session's S3 server."""
    tag = secrets.token_hex(3)
    env = {
        "SOHOA_DATA_DIR": str(tmp_path / "data"),
        "SOHOA_S3_ENDPOINT": s3_settings.s3_endpoint,
        "SOHOA_S3_ACCESS_KEY": s3_settings.s3_access_key,
        "SOHOA_S3_SECRET_KEY": s3_settings.s3_secret_key.get_secret_value(),
        "SOHOA_OBJECT_LOCK_MODE": "GOVERNANCE",
        "SOHOA_OBJECT_LOCK_DAYS": "1",
        "SOHOA_JWT_SECRET": "cli-test-secret-cli-test-secret-cli",
        **{
            f"SOHOA_BUCKET_{r.upper()}": f"cli-{tag}-{r}"
            for r in ("originals", "documents", "results")
        },
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)

    def run(*args: str) -> Done:
        get_settings.cache_clear()
        code = 0
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            get_settings.cache_clear()
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    return run


def test_archive_export_needs_a_selection(sohoa, tmp_path: Path) -> None:
    done = sohoa("archive", "export", "-o", str(tmp_path / "out"))
    assert done.returncode == 3 and "--dossier" in done.stderr and "Cần" in done.stderr
    done = sohoa(
        "archive", "export", "-o", str(tmp_path / "out"), "--from", "1/1/2026", "--to", "x"
    )
    assert done.returncode == 3 and "NNNN-TT-NN" in done.stderr
    missing = sohoa(
        "archive", "export", "-o", str(tmp_path / "out"), "--dossier", "000.00.00.H00-261123-9999"
    )
    assert missing.returncode == 60


def test_backup_and_restore_commands(
    sohoa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "bak"
    done = sohoa("backup", "--to", str(target), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["database_format"] == "sqlite"
    assert (target / "SHA256SUMS").is_file() and (target / "manifest.json").is_file()
    again = sohoa("backup", "--to", str(target))
    assert again.returncode == 3 and "không trống" in again.stderr
    # Restore refuses the installation it came from (its database is not empty).
    refused = sohoa("restore", "--from", str(target))
    assert refused.returncode == 63 and "không trống" in refused.stderr
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "fresh"))
    restored = sohoa("restore", "--from", str(target))
    assert restored.returncode == 0, restored.stderr
    assert "audit chain intact" in restored.stdout
    nothing = sohoa("restore", "--from", str(tmp_path / "nowhere"))
    assert nothing.returncode == 3
