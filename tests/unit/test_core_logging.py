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
