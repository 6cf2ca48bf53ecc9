"""``sohoa agencies`` and ``sohoa procedures`` as a user runs them (in-process, SQLite)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli.main import main
from core.settings import get_settings


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``sohoa ARGS`` through ``cli.main.main`` (its error-to-exit-code mapping included)."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SOHOA_DATABASE_URL", raising=False)

    def _run(*args: str) -> Done:
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

    return _run


def test_agencies_add_retire_list(run) -> None:
    empty = run("agencies", "list")
    assert empty.returncode == 0 and "register empty" in empty.stdout
    assert (
        run(
            "agencies",
            "add",
            "000.00.00.H74",
            "--name",
            "UBND tỉnh Bình Dương",
            "--from",
            "2020-01-01",
        ).returncode
        == 0
    )
    assert (
        run(
            "agencies",
            "add",
            "000.00.00.H29",
            "--name",
            "UBND TP. Hồ Chí Minh",
            "--from",
            "2025-07-01",
        ).returncode
        == 0
    )
    retired = run(
        "agencies",
        "retire",
        "000.00.00.H74",
        "--to",
        "2025-06-30",
        "--successor",
        "000.00.00.H29",
    )
    assert retired.returncode == 0, retired.stderr
    rows = json.loads(run("agencies", "list", "--json").stdout)
    assert rows[0] == {
        "code": "000.00.00.H74",
        "name": "UBND tỉnh Bình Dương",
        "valid_from": "2020-01-01",
        "valid_to": "2025-06-30",
        "successor_code": "000.00.00.H29",
        "in_force": False,
    }
    bad = run("agencies", "add", "a..b", "--name", "X", "--from", "2020-01-01")
    assert bad.returncode == 3
    assert "input-error" in bad.stderr and "Mã định danh" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad_date = run("agencies", "retire", "000.00.00.H29", "--to", "30/06/2025")
    assert bad_date.returncode == 3 and "NNNN-TT-NN" in bad_date.stderr


def test_procedures_add_centralised(run) -> None:
    added = run(
        "procedures",
        "add",
        "2.001",
        "--name",
        "Cấp hộ chiếu",
        "--centralised",
        "--operator",
        "05",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)[0]["centralised"] is True
    refused = run("procedures", "add", "2.002", "--name", "X", "--centralised")
    assert refused.returncode == 3 and "2 chữ số" in refused.stderr
