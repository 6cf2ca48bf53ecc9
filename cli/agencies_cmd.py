"""Register commands: ``sohoa agencies add|list|retire`` and ``sohoa procedures add|list``.

The agency register holds every electronic ID code the installation's agency has had, with its
validity period and successor; dossiers take the code valid on their receipt date. While the
register is empty the agency comes from SOHOA_AGENCY_CODE / SOHOA_AGENCY_NAME.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.options import parse_day
from core.settings import get_settings

if TYPE_CHECKING:  # the runtime (SQLAlchemy) is imported inside the commands: CLI start stays fast
    from pipeline.context import Runtime

agencies_app = typer.Typer(help="Agency register (danh mục cơ quan).", no_args_is_help=True)
procedures_app = typer.Typer(help="Procedures (thủ tục hành chính).", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


@contextmanager
def _runtime() -> Iterator[Runtime]:
    from pipeline.bootstrap import open_runtime

    rt = open_runtime(get_settings(), migrate=True)
    try:
        yield rt
    finally:
        rt.close()


def _print(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        if "valid_from" in row:
            until = row["valid_to"] or "…"
            after = f" → {row['successor_code']}" if row["successor_code"] else ""
            state = "in force" if row["in_force"] else "not in force"
            typer.echo(
                f"{row['code']:<36} {row['valid_from']} – {until:<10} {state:<12} "
                f"{row['name']}{after}"
            )
        else:
            form = f"centralised ({row['operator_code']})" if row["centralised"] else "general"
            typer.echo(f"{row['code']:<20} {form:<18} {row['name']}")


@agencies_app.command("add")
def agencies_add(
    code: Annotated[str, typer.Argument(help="electronic ID code (mã định danh điện tử)")],
    name: Annotated[str, typer.Option("--name", help="agency name (tên cơ quan)")],
    valid_from: Annotated[str, typer.Option("--from", help="first valid day, YYYY-MM-DD")],
    valid_to: Annotated[str | None, typer.Option("--to", help="last valid day")] = None,
    as_json: JsonOption = False,
) -> None:
    """Register an agency code and the period it is valid for."""
    from pipeline import agencies

    start = parse_day(valid_from, "--from")
    assert start is not None
    with _runtime() as rt:
        row = agencies.add_agency(
            rt,
            code=code,
            name=name,
            valid_from=start,
            valid_to=parse_day(valid_to, "--to"),
            actor="cli",
        )
    _print([row], as_json)


@agencies_app.command("list")
def agencies_list(as_json: JsonOption = False) -> None:
    """List the register (every code ever valid, with its period and successor)."""
    from pipeline import agencies

    with _runtime() as rt:
        rows = agencies.list_agencies(rt)
    if not rows and not as_json:
        settings = get_settings()
        typer.echo(
            f"register empty: agency from settings {settings.agency_code} {settings.agency_name}"
        )
        return
    _print(rows, as_json)


@agencies_app.command("retire")
def agencies_retire(
    code: Annotated[str, typer.Argument(help="the code that stops being valid")],
    last_day: Annotated[
        str | None, typer.Option("--to", help="last valid day (default: yesterday)")
    ] = None,
    successor: Annotated[
        str | None, typer.Option("--successor", help="the registered code replacing it")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """End a code's validity, naming its successor (dossiers move to it from the next day)."""
    from pipeline import agencies

    with _runtime() as rt:
        row = agencies.retire_agency(
            rt, code, last_day=parse_day(last_day, "--to"), successor_code=successor, actor="cli"
        )
    _print([row], as_json)


@procedures_app.command("add")
def procedures_add(
    code: Annotated[str, typer.Argument(help="procedure code (mã TTHC)")],
    name: Annotated[str, typer.Option("--name", help="procedure name")],
    centralised: Annotated[
        bool, typer.Option("--centralised", help="nationally centralised (Circular 04/2025)")
    ] = False,
    operator: Annotated[
        str | None, typer.Option("--operator", help="2 digits of the operating agency's code")
    ] = None,
    resolving_agency: Annotated[
        str | None, typer.Option("--resolving-agency", help="resolving agency's ID code")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Register a procedure; a centralised one's dossiers get the centralised code form."""
    from pipeline import agencies

    with _runtime() as rt:
        row = agencies.add_procedure(
            rt,
            code=code,
            name=name,
            centralised=centralised,
            operator_code=operator,
            resolving_agency_code=resolving_agency,
            actor="cli",
        )
    _print([row], as_json)


@procedures_app.command("list")
def procedures_list(as_json: JsonOption = False) -> None:
    """List the registered procedures and their code form."""
    from pipeline import agencies

    with _runtime() as rt:
        rows = agencies.list_procedures(rt)
    _print(rows, as_json)


def register(app: typer.Typer) -> None:
    """Add the ``agencies`` and ``procedures`` command groups to ``app``."""
    app.add_typer(agencies_app, name="agencies")
    app.add_typer(procedures_app, name="procedures")
