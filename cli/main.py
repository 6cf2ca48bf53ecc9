"""Entry point of the ``sohoa`` command: one Typer app, sub-commands registered per area.

Every ``SohoaError`` becomes a one-line message on stderr (English, and Vietnamese where the error
has it) and the error's exit code; with ``--json`` also a JSON error object on stdout
(``cli.errors_out``); no traceback reaches the user.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys

import typer
from typer.exceptions import TyperException

from cli.errors_out import report, report_json, report_sohoa_error, wants_json
from core.errors import SohoaError
from core.logging import configure_logging
from core.settings import get_settings


def _new_app() -> typer.Typer:
    return typer.Typer(
        name="sohoa",
        help="Số hóa hồ sơ: digitize, sign and verify one-stop-shop dossiers.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )


# Each module exposes ``register(app)``; one module per area keeps the owners apart.
_COMMAND_MODULES = (
    "cli.digitize_cmd",
    "cli.signing_cmd",
    "cli.storage_cmd",
    "cli.service_cmd",
    "cli.agencies_cmd",
    "cli.backup_cmd",
    "cli.archive_cmd",
    "cli.indicators_cmd",
)

#: Commands whose module is all they need: ``sohoa digitize`` starts without importing the
#: service, storage and signing commands (~0.3 s of CPU before the first page is read).
_OWN_MODULE = {"digitize": "cli.digitize_cmd", "ocr-models": "cli.digitize_cmd"}


@functools.cache
def full_app() -> typer.Typer:
    """The ``sohoa`` app with every command registered."""
    whole = _new_app()
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(whole)
    return whole


def _app_for(argv: list[str] | None) -> typer.Typer:
    args = sys.argv[1:] if argv is None else argv
    module = _OWN_MODULE.get(args[0]) if args else None
    if module is None:
        return full_app()
    only = _new_app()
    importlib.import_module(module).register(only)
    return only


def __getattr__(name: str) -> typer.Typer:
    # ``from cli.main import app``: the full app, built on first use.
    if name == "app":
        return full_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the process exit code."""
    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    as_json = wants_json(argv)
    try:
        result = _app_for(argv)(args=argv, standalone_mode=False)
    except SohoaError as exc:
        report_sohoa_error(exc, as_json=as_json)
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("sohoa: aborted / đã hủy", file=sys.stderr)
        sys.exit(1)
    except TyperException as exc:
        # Usage errors (unknown option, missing argument): click's own message, and with
        # --json the same refusal as an object (exit code 2, as click gives).
        code = int(getattr(exc, "exit_code", 2))
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        if as_json:
            format_message = getattr(exc, "format_message", None)
            message = format_message() if callable(format_message) else str(exc)
            report_json("usage-error", str(message), "Lệnh không hợp lệ", code)
        sys.exit(code)
    except KeyboardInterrupt:
        print("sohoa: interrupted / đã dừng", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # a bug, not an input: still one line (and JSON), never a traceback
        logging.getLogger("sohoa.cli").debug("unexpected error", exc_info=True)
        message = f"unexpected {type(exc).__name__}: {exc}"[:500]
        report("internal-error", message, "Lỗi hệ thống", 1, as_json=as_json)
        sys.exit(1)
    if isinstance(result, int) and result:
        sys.exit(result)
    return 0


if __name__ == "__main__":
    main()
