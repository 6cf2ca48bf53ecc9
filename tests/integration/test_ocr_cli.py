"""``sohoa digitize`` as a user runs it: a real process, real Tesseract, exit codes, --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from core.errors import TooLarge
from core.pdfa import validate as validate_written
from ocr import PageProgress, digitize
from tests.fixtures.ocr import RESOURCES, ocr_settings


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "digitize", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def test_json_report_lists_pages_hashes_and_pdfa_level(tmp_path: Path) -> None:
    output = tmp_path / "typewriter.pdf"
    done = run_cli(str(RESOURCES / "typewriter.png"), "-o", str(output), "--jobs", "1", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["pdfa"] == "2b"
    assert report["page_count"] == 1
    (page,) = report["pages"]
    assert set(page) >= {"index", "dpi", "rotation", "skew", "confidence", "text", "timings"}
    assert page["source"] == "ocr"
    assert page["text"].strip()
    assert len(report["input_sha256"]) == 1 and len(report["output_sha256"]) == 64
    assert set(report["timings"]) >= {"check", "pages", "write", "total"}
    assert validate_written(output, "2b").passed


def test_size_limit_from_the_environment_gives_its_exit_code(tmp_path: Path) -> None:
    import os

    output = tmp_path / "never.pdf"
    env = {**os.environ, "SOHOA_MAX_UPLOAD_BYTES": "1000"}
    done = run_cli(str(RESOURCES / "linn.pdf"), "-o", str(output), env=env)
    assert done.returncode == TooLarge.exit_code
    assert done.stderr.strip().startswith("sohoa: error [too-large]")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not output.exists()


def test_progress_is_reported_for_every_page(tmp_path: Path) -> None:
    events: list[PageProgress] = []
    digitize(
        [RESOURCES / "typewriter.png", RESOURCES / "typewriter.png"],
        tmp_path / "two.pdf",
        settings=ocr_settings(),
        progress=events.append,
    )
    stages = [e.stage for e in events]
    assert stages[0] == "checked" and stages[-1] == "done"
    assert [e.page for e in events if e.stage == "page-done"] == [1, 2]
    assert all(e.total == 2 for e in events)


def test_unknown_language_is_a_configuration_error_before_any_work(tmp_path: Path) -> None:
    from core.errors import ConfigurationError

    output = tmp_path / "never.pdf"
    done = run_cli(str(RESOURCES / "typewriter.png"), "-o", str(output), "--lang", "vie+xyz")
    assert done.returncode == ConfigurationError.exit_code
    assert "xyz not installed" in done.stderr
    assert not output.exists()
