"""Entry point of the ``sohoa`` command: one Typer app, sub-commands registered per area.

Every ``SohoaError`` becomes a one-line message on stderr (English, and Vietnamese where the error
has it) and the error's exit code; no traceback reaches the user.
"""

from __future__ import annotations

import importlib
import sys

import typer

from core.errors import SohoaError
from core.logging import configure_logging
from core.settings import get_settings

app = typer.Typer(
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
)

for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the process exit code."""
    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    try:
        app(args=argv, standalone_mode=True)
    except SohoaError as exc:
        line = f"sohoa: error [{exc.code}]: {exc.message}"
        if exc.detail_vi:
            line += f" / {exc.detail_vi}"
        print(line, file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("sohoa: interrupted / đã dừng", file=sys.stderr)
        sys.exit(130)
    return 0


if __name__ == "__main__":
    main()
