"""``sohoa sign``, ``sohoa verify`` and ``sohoa pki export-root``.

With no key configured (``SOHOA_SIGNING_KEY_SOURCE=dev``) signing uses the development PKI under
``SOHOA_DATA_DIR`` and starts its TSA/OCSP on 127.0.0.1 for the duration of the command.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from core.domain import SignatureLevel, SignerRole
from core.errors import CorruptFile, InputError, RevocationUnavailable, SohoaError
from core.settings import get_settings

pki_app = typer.Typer(
    help="The development PKI (untrusted; for trials and tests).", no_args_is_help=True
)


def _quiet_pyhanko() -> None:
    # pyHanko logs every failed path or fetch with a traceback; the report says it in one line.
    for name in ("pyhanko", "pyhanko_certvalidator", "certomancer"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def sign_command(
    source: Annotated[Path, typer.Argument(help="The PDF/A-2b to sign.", exists=False)],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the signed PDF.")],
    level: Annotated[
        SignatureLevel | None, typer.Option("--level", help="PAdES level (default from settings).")
    ] = None,
    role: Annotated[SignerRole, typer.Option("--role", help="Who signs.")] = SignerRole.AGENCY,
    reason: Annotated[str | None, typer.Option("--reason", help="Reason (lý do ký).")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Name on the stamp (agency or officer).")
    ] = None,
    invisible: Annotated[bool, typer.Option("--invisible", help="No visible stamp.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON result.")] = False,
) -> None:
    """Sign a PDF (ký số) at PAdES B-B, B-T, B-LT or B-LTA."""
    from pipeline.adapters import page_occupied
    from signing import SignatureRequest, load_signer, sign_pdf

    _quiet_pyhanko()
    settings = get_settings()
    chosen = level or settings.default_signature_level
    if not source.is_file():
        raise InputError(f"cannot read {source}: no such file")
    signer = load_signer(settings, role)
    try:
        result = sign_pdf(
            source,
            output,
            SignatureRequest(
                level=chosen,
                role=role,
                reason=reason,
                display_name=name,
                visible=not invisible,
                # The stamps go in free space here too, never over page 1's words or ink.
                occupied=(
                    page_occupied(source)
                    if settings.stamp_avoid_content and not invisible
                    else None
                ),
            ),
            settings=settings,
            signer=signer,
        )
    finally:
        if signer.dev_pki is not None:
            signer.dev_pki.stop()
    if as_json:
        print(
            json.dumps(
                {
                    "output": str(output),
                    "level": result.level.value,
                    "signer": result.signer_subject,
                    "signing_time": result.signing_time.isoformat(),
                    "sha256": result.sha256,
                    "size": result.size,
                    "field": result.field_name,
                    "pdfa": result.pdfa.value,
                    "development_pki": signer.is_development,
                },
                ensure_ascii=False,
            )
        )
    else:
        note = " (DEVELOPMENT key, not trusted)" if signer.is_development else ""
        print(f"{output}: signed {result.level.value} by {result.signer_subject}{note}")


def _when(value: object) -> str:
    return "-" if value is None else str(value)


def _print_report(source: Path, report: Any) -> None:
    """The human-readable report: English, then the Vietnamese label, per line."""
    vi = report.labels_vi
    print(f"{source}: {report.verdict.upper()} ({report.verdict_vi}) — {report.reason}")
    print(f"  {vi['reason']}: {report.reason_vi}")
    for sig in report.signatures:
        problems = ", ".join(
            f"{p} ({v})" for p, v in zip(sig.problems, sig.problems_vi, strict=False)
        )
        lines = [
            (vi["signer_subject"], "signer", sig.signer_subject),
            (vi["issuer"], "issuer", sig.issuer),
            (vi["serial_number"], "serial", sig.serial_number),
            (vi["valid_from"], "valid from", _when(sig.valid_from)),
            (vi["valid_to"], "valid to", _when(sig.valid_to)),
            (vi["signing_time"], "signing time", _when(sig.signing_time)),
            (vi["timestamp"], "timestamp", _when(sig.timestamp)),
            (vi["level"], "level", sig.level or "-"),
            (vi["trusted"], "trusted", str(sig.trusted)),
            (vi["covers_whole_file"], "whole file", str(sig.covers_whole_file)),
            (
                vi["revocation_source"],
                "revocation check",
                f"{sig.revocation_source} ({sig.revocation_source_vi}) "
                f"at {_when(sig.revocation_checked_at)}",
            ),
        ]
        if sig.revoked:
            lines.append((vi["revocation_time"], "revoked at", _when(sig.revocation_time)))
        if sig.expired_certificate:
            lines.append(
                (
                    vi["expired_certificate"],
                    "not valid",
                    f"{sig.expired_certificate} ({_when(sig.expired_on)})",
                )
            )
        lines.append((vi["problems"], "problems", problems or "none"))
        print(f"  {sig.field_name} [{sig.kind}]")
        for label_vi, label, value in lines:
            print(f"    {label} / {label_vi}: {value}")


def verify_command(
    source: Annotated[Path, typer.Argument(help="The signed PDF.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            help="Fetch OCSP/CRL for chains ending at a trusted root (default: embedded only).",
        ),
    ] = False,
) -> None:
    """Verify every signature (xác thực chữ ký): exit 0 valid, 1 not valid, 2 unreadable.

    Offline by default: a file of unknown origin is checked against the trust roots and the
    revocation data it carries; nothing is fetched from the URLs its certificates name.
    """
    from signing import verify_pdf
    from signing.pdfcaps import VerifyCaps, check_caps

    _quiet_pyhanko()
    settings = get_settings()
    pki = None
    from signing.devpki import dev_pki_exists, dev_pki_for

    if (
        online
        and settings.signing_key_source == "dev"
        and dev_pki_exists(settings.resolved_data_dir())
    ):
        # B-B/B-T signatures of the dev PKI need its OCSP responder to answer now.
        pki = dev_pki_for(settings.resolved_data_dir(), agency_name=settings.agency_name)
        try:
            pki.start()
        except RevocationUnavailable:
            pki = None  # the report will say which revocation data it could not get
    try:
        data = source.read_bytes()
        check_caps(data, VerifyCaps.from_settings(settings))
        report = verify_pdf(data, settings=settings, fetch="trusted" if online else "none")
    except (CorruptFile, OSError) as exc:
        message = exc.message if isinstance(exc, SohoaError) else str(exc)
        print(f"sohoa: error [unreadable]: {message}", file=sys.stderr)
        raise typer.Exit(2) from exc
    except SohoaError as exc:
        print(f"sohoa: error [{exc.code}]: {exc.message}", file=sys.stderr)
        raise typer.Exit(2) from exc
    finally:
        if pki is not None:
            pki.stop()
    if as_json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_report(source, report)
    raise typer.Exit(0 if report.verdict == "valid" else 1)


@pki_app.command("export-root")
def export_root(
    target: Annotated[Path, typer.Argument(help="Where to write the root certificate (PEM).")],
) -> None:
    """Write the development root CA so other validators (pdfsig, Acrobat) can trust it."""
    from signing.devpki import UNTRUSTED, dev_pki_for

    settings = get_settings()
    pki = dev_pki_for(settings.resolved_data_dir(), agency_name=settings.agency_name)
    target.write_bytes(pki.root_pem())
    print(f"{target}: {UNTRUSTED} root CA of {pki.directory}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Add this area's commands to ``app``."""
    from cli.trust_cmd import trust_app

    app.command("sign")(sign_command)
    app.command("verify")(verify_command)
    app.add_typer(pki_app, name="pki")
    app.add_typer(trust_app, name="trust")
