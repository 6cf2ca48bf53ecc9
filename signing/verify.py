"""Verify every signature of a PDF and give one verdict: valid, invalid or indeterminate.

For each signature the report names the signer, chain and trust, signing time, timestamp,
the PAdES level reached, whether it covers the whole file, and pyHanko's difference analysis
of whatever was appended after it. The problems the desk must recognise are named in
``reason``: tampered bytes, modification after signing (e.g. an appended page), a revoked
signer (with the revocation time), an expired or not yet valid certificate (with the date), an
untrusted root, missing revocation data.

An upload of unknown origin is validated with ``fetch="none"``: against the trust roots and the
revocation data embedded in the file, no network at all, in a child process under resource
limits (``signing.isolated``; ``POST /verify``, ``sohoa verify`` without ``--online``). The
default ``fetch="trusted"`` is for the service's own freshly signed files: OCSP/CRL only for
chains that end at a trusted root, never an issuer certificate, within one time budget
(``signing.fetching``); a failed fetch makes a signature ``indeterminate``, never ``invalid``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import SignatureCoverageLevel

from core.errors import CorruptFile, EncryptedPDF
from core.settings import Settings
from signing import verify_checks as checks
from signing.fetching import TrustedFetcherBackend
from signing.pdfcaps import VerifyCaps, check_parsed
from signing.trust import trust_roots_for
from signing.verify_facts import (
    LABELS_VI,
    REVOCATION_SOURCE_VI,
    VERDICT_VI,
    cert_facts,
    embedded_revocation,
    issuer_chain,
    out_of_validity,
    reason_vi,
    vi_problems,
)

Verdict = Literal["valid", "invalid", "indeterminate"]
#: "none": embedded revocation data only; "trusted": see ``signing.fetching``.
FetchPolicy = Literal["none", "trusted"]

#: Worst first: the first problem found among all signatures becomes the overall reason.
_PROBLEMS: tuple[tuple[str, Verdict], ...] = (
    ("tampered", "invalid"),
    ("signature-unreadable", "invalid"),
    ("modified-after-signing", "invalid"),
    ("revoked", "invalid"),
    ("certificate-expired", "indeterminate"),
    ("certificate-not-yet-valid", "indeterminate"),
    ("untrusted-root", "indeterminate"),
    ("revocation-unavailable", "indeterminate"),
    ("chain-invalid", "indeterminate"),
    ("timestamp-invalid", "indeterminate"),
    ("unsigned", "indeterminate"),
)


@dataclass
class SignatureReport:
    """One signature or document timestamp (chữ ký số) as the report shows it.

    The web pages and the CLI read the same dict (``VerificationReport.to_dict``); fields are
    only ever added, never renamed. ``LABELS_VI`` (``labels_vi`` in the report) holds the
    Vietnamese label of each field; ``problems_vi`` and ``revocation_source_vi`` the
    Vietnamese wording of the values that need one. ``revocation_source`` is ``embedded-ocsp``,
    ``embedded-crl``, ``fetched-ocsp``, ``fetched-crl`` or ``none``.
    """

    field_name: str
    kind: Literal["signature", "document-timestamp"]
    signer_subject: str
    chain: list[str]
    trusted: bool
    intact: bool
    valid: bool
    revoked: bool
    signing_time: datetime | None
    timestamp: datetime | None
    level: str | None
    covers_whole_file: bool
    coverage: str
    modification: str | None
    problems: list[str] = field(default_factory=list)
    details: str = ""
    # --- added for Circular 15/2025 Art. 5 and issue #12 (fields only ever added) ---------
    issuer: str = ""
    serial_number: str = ""
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    revocation_time: datetime | None = None
    revocation_source: str = "none"
    revocation_source_vi: str = REVOCATION_SOURCE_VI["none"]
    revocation_checked_at: datetime | None = None
    #: Bytes of the file after this signature's signed range (0: it covers up to the end).
    appended_bytes: int = 0
    #: The certificate not valid at the signing time: subject and the date it expired/starts.
    expired_certificate: str | None = None
    expired_on: datetime | None = None
    problems_vi: list[str] = field(default_factory=list)


@dataclass
class VerificationReport:
    """The overall verdict, the first (worst) problem as ``reason``, and every signature."""

    verdict: Verdict
    reason: str
    signatures: list[SignatureReport]
    verdict_vi: str = ""
    labels_vi: dict[str, str] = field(default_factory=lambda: dict(LABELS_VI))
    reason_vi: str = ""

    def __post_init__(self) -> None:
        self.verdict_vi = self.verdict_vi or VERDICT_VI[self.verdict]
        self.reason_vi = self.reason_vi or reason_vi(self.verdict, self.reason, self.signatures)
        for sig in self.signatures:
            sig.problems_vi = vi_problems(sig.problems)

    def to_dict(self) -> dict[str, Any]:
        def _plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, dict):
                return {k: _plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [_plain(v) for v in value]
            return value

        result: dict[str, Any] = _plain(asdict(self))
        return result


def verify_pdf(
    source: Path | bytes,
    *,
    settings: Settings | None = None,
    trust_roots: Iterable[x509.Certificate] | None = None,
    fetch: FetchPolicy = "trusted",
    caps: VerifyCaps | None = None,
) -> VerificationReport:
    """Verify every signature and document timestamp in ``source``.

    Args:
        source: The signed PDF (path or bytes).
        settings: Supplies the trust roots (``trust_roots_file``; in "dev" mode also the
            development root) when ``trust_roots`` is not given, and the fetch budget.
        trust_roots: The certificates to trust instead.
        fetch: ``"none"``: embedded revocation data only, no network at all (uploads).
            ``"trusted"`` (default, the service's own files): OCSP/CRL may be fetched for
            chains ending at a trusted root, within ``verify_fetch_budget_seconds`` overall;
            a failed fetch is ``indeterminate``.
        caps: Also count the parsed signatures and measure each one's ``/Contents`` against
            these caps before validating any (an upload: signatures may hide in object
            streams, out of reach of the byte-level check).

    Returns:
        A report per signature and the overall verdict with the first problem found.

    Raises:
        CorruptFile: the input is not a readable PDF (the CLI exits 2).
        EncryptedPDF: the PDF is encrypted.
    """
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise CorruptFile(
            f"cannot read {source!s}: {exc.strerror}", detail_vi="Không đọc được tệp"
        ) from exc
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except MemoryError:
        raise
    except Exception as exc:
        raise CorruptFile(
            f"not a readable PDF: {type(exc).__name__}", detail_vi="Tệp PDF bị hỏng, không đọc được"
        ) from exc
    if reader.encrypted:
        raise EncryptedPDF("the PDF is encrypted", detail_vi="Tệp PDF được mã hóa")
    roots = list(trust_roots) if trust_roots is not None else trust_roots_for(settings)
    if not embedded:
        return VerificationReport("indeterminate", "unsigned: the document has no signature", [])
    if caps is not None:
        check_parsed(embedded, caps)

    fetcher: TrustedFetcherBackend | None = None
    if fetch == "trusted":
        base = settings or Settings()
        fetcher = TrustedFetcherBackend(
            base.verify_fetch_budget_seconds, base.signing_network_timeout
        )
    dss = checks.read_dss(reader)
    revinfo = (checks.raw(dss.ocsps), checks.raw(dss.crls)) if dss is not None else ([], [])
    reports: list[SignatureReport] = []
    for index, sig in enumerate(embedded):
        is_ts = sig.sig_object.get("/Type") == "/DocTimeStamp"
        signed_end = checks.byte_range(sig)
        appended = max(0, len(data) - signed_end[0]) if signed_end else 0
        try:
            status: Any = checks.validate(sig, is_ts, checks.context(dss, roots, fetcher=fetcher))
            status, named = checks.second_opinion(sig, is_ts, status, dss, roots)
        except MemoryError:
            raise
        except Exception as exc:
            reports.append(_broken(sig, is_ts, exc, len(data), signed_end, appended))
            continue
        later_ts = any(
            other.sig_object.get("/Type") == "/DocTimeStamp" for other in embedded[index + 1 :]
        )
        try:
            reports.append(
                _report(sig, is_ts, status, named, dss, later_ts, revinfo, fetcher, appended)
            )
        except MemoryError:
            raise
        except Exception as exc:  # a damaged structure pyHanko let through: named, not a crash
            reports.append(_broken(sig, is_ts, exc, len(data), signed_end, appended))
    return _overall(reports)


def _report(
    sig: Any,
    is_ts: bool,
    status: Any,
    named: str | None,
    dss: Any,
    later_ts: bool,
    revinfo: tuple[list[bytes], list[bytes]],
    fetcher: TrustedFetcherBackend | None,
    appended: int,
) -> SignatureReport:
    problems, notes = checks.problems_of(status)
    if named == "revocation-unavailable" and "chain-invalid" in problems:
        problems[problems.index("chain-invalid")] = named
        notes = notes.replace("certificate chain not valid", "revocation status unavailable")
    ts_status = getattr(status, "timestamp_validity", None)
    timestamp = status.timestamp if is_ts else (ts_status.timestamp if ts_status else None)
    expired = None
    if not status.trusted and not status.revoked and "untrusted-root" not in problems:
        ts_trusted = is_ts or (ts_status is not None and ts_status.trusted)
        pool = list(getattr(sig, "other_embedded_certs", []) or [])
        pool += [
            x509.Certificate.load(data)
            for data in checks.raw(getattr(dss, "certs", {}).values() if dss is not None else ())
        ]
        chain = issuer_chain(status.signing_cert, pool)
        expired = out_of_validity(chain, timestamp if ts_trusted else None)
    if expired is not None:
        problem, cert, date = expired
        # the named cause replaces pyHanko's generic chain or revocation indication
        problems = [p for p in problems if p not in ("chain-invalid", "revocation-unavailable")]
        problems.insert(0, problem)
        verb = "expired on" if problem == "certificate-expired" else "is valid only from"
        # pyHanko's generic indication ("CERTIFICATE_CHAIN_GENERAL_FAILURE") is dropped
        rest = [
            n
            for n in notes.split("; ")
            if n and not n.startswith(("certificate chain not valid", "revocation status"))
        ]
        notes = "; ".join([f"certificate {checks.subject(cert)} {verb} {date.isoformat()}", *rest])
    path = status.validation_path
    chain_names = (
        [checks.subject(c) for c in path.iter_certs(include_root=True)] if path is not None else []
    )
    coverage = status.coverage
    facts = cert_facts(status.signing_cert)
    source, checked_at = _revocation_source(status.signing_cert, revinfo, fetcher)
    details = getattr(status, "revocation_details", None)
    return SignatureReport(
        field_name=str(sig.field_name),
        kind="document-timestamp" if is_ts else "signature",
        signer_subject=checks.subject(status.signing_cert),
        chain=chain_names,
        trusted=bool(status.trusted),
        intact=bool(status.intact),
        valid=bool(status.valid),
        revoked=bool(status.revoked),
        signing_time=status.timestamp if is_ts else status.signer_reported_dt,
        timestamp=timestamp,
        level=None if is_ts else checks.level(status, dss, later_ts),
        covers_whole_file=coverage == SignatureCoverageLevel.ENTIRE_FILE,
        coverage=getattr(coverage, "name", str(coverage)),
        modification=checks.modification(status),
        problems=problems,
        details=notes,
        issuer=facts.issuer,
        serial_number=facts.serial_number,
        valid_from=facts.valid_from,
        valid_to=facts.valid_to,
        revocation_time=details.revocation_date if status.revoked and details else None,
        revocation_source=source,
        revocation_source_vi=REVOCATION_SOURCE_VI.get(source, source),
        revocation_checked_at=checked_at,
        appended_bytes=appended,
        expired_certificate=checks.subject(expired[1]) if expired else None,
        expired_on=expired[2] if expired else None,
    )


def _revocation_source(
    cert: x509.Certificate | None,
    revinfo: tuple[list[bytes], list[bytes]],
    fetcher: TrustedFetcherBackend | None,
) -> tuple[str, datetime | None]:
    if cert is not None and fetcher is not None:
        fetched = fetcher.log.fetched.get(int(cert.serial_number))
        if fetched is not None:
            return fetched
    return embedded_revocation(revinfo[0], revinfo[1], cert)


#: Failures that say the network (or its budget) failed, not the signature.
_FETCH_FAILURES = ("fetch", "timeout", "timed out", "connection", "ocsp", "crl", "budget")


def _broken(
    sig: Any,
    is_ts: bool,
    exc: Exception,
    size: int,
    signed: tuple[int, int] | None,
    appended: int,
) -> SignatureReport:
    """A signature pyHanko could not evaluate: named for why, its coverage read from /ByteRange."""
    text = f"{type(exc).__name__}: {exc}"
    if any(word in text.lower() for word in _FETCH_FAILURES):
        problem = "revocation-unavailable"
        note = f"revocation status could not be obtained ({type(exc).__name__})"
    else:
        problem = "signature-unreadable"
        note = f"the signature cannot be checked ({type(exc).__name__})"
    whole = signed is not None and signed[1] == 0 and signed[0] == size
    return SignatureReport(
        field_name=str(getattr(sig, "field_name", "?")),
        kind="document-timestamp" if is_ts else "signature",
        signer_subject="",
        chain=[],
        trusted=False,
        intact=False,
        valid=False,
        revoked=False,
        signing_time=None,
        timestamp=None,
        level=None,
        covers_whole_file=whole,
        coverage="ENTIRE_FILE" if whole else "UNKNOWN",
        modification=None,
        problems=[problem],
        details=note,
        appended_bytes=appended,
    )


def _overall(reports: list[SignatureReport]) -> VerificationReport:
    found = {p for r in reports for p in r.problems}
    last = reports[-1]
    # pyHanko judged the appended revisions harmless only if the diff said so; bytes after the
    # last signature that no diff explained are a modification. Said only when bytes were
    # appended: a range that ends at the end of the file is not "appended to".
    if last.appended_bytes > 0 and "modified-after-signing" not in found and not last.modification:
        found.add("modified-after-signing")
        last.problems.append("modified-after-signing")
        last.details = (last.details + "; " if last.details else "") + (
            f"{last.appended_bytes} bytes were appended after the last signature"
        )
    for problem, verdict in _PROBLEMS:
        if problem in found:
            culprit = next(r for r in reports if problem in r.problems)
            return VerificationReport(
                verdict, f"{problem}: {culprit.field_name}: {culprit.details}", reports
            )
    levels = [r.level for r in reports if r.level]
    return VerificationReport(
        "valid",
        f"{len(levels)} signature(s) valid and trusted ({', '.join(levels)})",
        reports,
    )


__all__ = ["FetchPolicy", "SignatureReport", "Verdict", "VerificationReport", "verify_pdf"]
