from __future__ import annotations

import json
import logging

import pytest

from core.logging import configure_logging


def _emit(capsys: pytest.CaptureFixture[str], *, json_lines: bool) -> str:
    configure_logging("INFO", json_lines=json_lines)
    try:
        logging.getLogger("sohoa.test").info("trang xong", extra={"page": 3})
        return capsys.readouterr().err.strip()
    finally:
        logging.getLogger().handlers.clear()


def test_key_value_lines_carry_extras_once_and_no_formatter_internals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = _emit(capsys, json_lines=False)
    assert line.endswith("sohoa.test: trang xong page=3")
    assert "asctime=" not in line
    assert "message=" not in line


def test_json_lines_keep_vietnamese_and_extras(capsys: pytest.CaptureFixture[str]) -> None:
    payload = json.loads(_emit(capsys, json_lines=True))
    assert payload["msg"] == "trang xong"
    assert payload["page"] == 3
    assert "asctime" not in payload


def test_logging_follows_stderr_when_a_caller_swaps_and_closes_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import io
    import logging
    import sys

    from core.logging import configure_logging

    saved_handlers, saved_level = logging.getLogger().handlers[:], logging.getLogger().level
    real = sys.stderr
    stand_in = io.StringIO()
    try:
        sys.stderr = stand_in  # an in-process CLI run, as Typer's test runner does
        configure_logging("INFO")
        sys.stderr = real
        stand_in.close()
        logging.getLogger("sohoa.test").info("after the stand-in is gone")
    finally:
        sys.stderr = real
        logging.getLogger().handlers[:] = saved_handlers
        logging.getLogger().setLevel(saved_level)
    err = capsys.readouterr().err
    assert "Logging error" not in err
    assert "after the stand-in is gone" in err
