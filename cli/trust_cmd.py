"""``sohoa trust add|list|remove``: the trust anchors (chứng thư gốc tin cậy) verification uses.

The bundle is ``SOHOA_TRUST_ROOTS_FILE`` or ``$SOHOA_DATA_DIR/trust/roots.pem``; README explains
where the national root CA's and the government specialised CA's certificates come from.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from core.errors import InputError
from core.settings import get_settings

trust_app = typer.Typer(
    help="Trust anchors for verification and signing checks (PEM bundle).", no_args_is_help=True
)


@trust_app.command("add")
def trust_add(
    files: Annotated[list[Path], typer.Argument(help="PEM or DER CA certificates to trust.")],
) -> None:
    """Trust the CA certificates in FILES (e.g. the national root CA); prints each one added."""
    from signing.trust_store import add_anchors

    settings = get_settings()
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}") from exc
        added = add_anchors(settings, data, str(file))
        for anchor in added:
            print(f"added {anchor.fingerprint[:16]} {anchor.subject}")
        if not added:
            print(f"{file}: already trusted")


@trust_app.command("list")
def trust_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the trusted anchors: SHA-256 fingerprint, validity, subject."""
    from signing.trust_store import list_anchors

    settings = get_settings()
    anchors = list_anchors(settings)
    if as_json:
        rows = [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(a).items()}
            for a in anchors
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for a in anchors:
        print(f"{a.fingerprint}  {a.valid_from:%Y-%m-%d}..{a.valid_to:%Y-%m-%d}  {a.subject}")
    if settings.signing_key_source == "dev":
        print("(development mode: the development root is trusted as well)")


@trust_app.command("remove")
def trust_remove(
    name: Annotated[str, typer.Argument(help="Fingerprint prefix (8+ hex digits) or subject.")],
) -> None:
    """Stop trusting one anchor."""
    from signing.trust_store import remove_anchor

    anchor = remove_anchor(get_settings(), name)
    print(f"removed {anchor.fingerprint[:16]} {anchor.subject}")


__all__ = ["trust_app"]
