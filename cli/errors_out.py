"""How a refusal is shown: one line on stderr, and with ``--json`` one JSON object on stdout.

A script calling ``sohoa … --json`` always gets something machine-readable, success or not:
``{"error": {"code", "message", "message_vi", "exit_code"}}``, with the same code as the API's
problem ``type`` and the same exit code the process ends with.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from core.errors import SohoaError


def wants_json(argv: Sequence[str] | None) -> bool:
    """True if the command line asked for JSON output (before any ``--`` separator)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--" in args:
        args = args[: args.index("--")]
    return "--json" in args


def error_object(code: str, message: str, message_vi: str, exit_code: int) -> dict[str, object]:
    """The JSON body of a refusal."""
    return {
        "error": {
            "code": code,
            "message": message,
            "message_vi": message_vi,
            "exit_code": exit_code,
        }
    }


def report(code: str, message: str, message_vi: str, exit_code: int, *, as_json: bool) -> None:
    """Print a refusal: the one-line message on stderr; with ``as_json`` the object on stdout."""
    line = f"sohoa: error [{code}]: {message}"
    if message_vi:
        line += f" / {message_vi}"
    print(line, file=sys.stderr)
    if as_json:
        report_json(code, message, message_vi, exit_code)


def report_json(code: str, message: str, message_vi: str, exit_code: int) -> None:
    """Print only the JSON error object on stdout (the message went to stderr already)."""
    body = error_object(code, message, message_vi, exit_code)
    sys.stdout.write(json.dumps(body, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def report_sohoa_error(exc: SohoaError, *, as_json: bool) -> None:
    """Print a ``SohoaError`` (its Vietnamese detail, or its class's Vietnamese title)."""
    report(exc.code, exc.message, exc.detail_vi or exc.title_vi, exc.exit_code, as_json=as_json)
