"""Structured logging: key=value on a terminal, one JSON object per line when asked."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

_RESERVED = {*vars(logging.makeLogRecord({})), "message", "asctime"}

# Libraries that chatter at INFO on import (pikepdf announces itself); the CLI promises one line
# per error, and service logs should carry sohoa's own events.
_QUIET_LIBRARIES = ("pikepdf",)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


class _KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _RESERVED}
        if not extras:
            return base
        return base + " " + " ".join(f"{k}={v}" for k, v in extras.items())


def configure_logging(level: str = "INFO", *, json_lines: bool = False) -> None:
    """Configure the root logger once for a process (CLI, API, worker)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(_KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
