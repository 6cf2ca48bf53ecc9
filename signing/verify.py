"""Verify every signature of a PDF and give one verdict: valid, invalid or indeterminate.

For each signature the report names the signer, chain and trust, signing time, timestamp,
the PAdES level reached, whether it covers the whole file, and pyHanko's difference analysis
of whatever was appended after it. The problems the desk must recognise are named in
``reason``: tampered bytes, modification after signing (e.g. an appended page), a revoked
signer, an untrusted root, missing revocation data.
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
from pyhanko.sign.diff_analysis import SuspiciousModification
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.status import SignatureCoverageLevel

from core.errors import CorruptFile, EncryptedPDF
from core.settings import Settings
from signing.trust import trust_roots_for

Verdict = Literal["valid", "invalid", "indeterminate"]

#: Worst first: the first problem found among all signatures becomes the overall reason.
_PROBLEMS: tuple[tuple[str, Verdict], ...] = (
    ("tampered", "invalid"),
    ("modified-after-signing", "invalid"),
    ("revoked", "invalid"),
    ("untrusted-root", "indeterminate"),
    ("revocation-unavailable", "indeterminate"),
    ("chain-invalid", "indeterminate"),
    ("timestamp-invalid", "indeterminate"),
    ("unsigned", "indeterminate"),
)


@dataclass
class SignatureReport:
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


@dataclass
class VerificationReport:
    verdict: Verdict
    reason: str
    signatures: list[SignatureReport]

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


def _dss_context_kwargs(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader)
    except Exception:  # NoDSSFoundError, or a malformed DSS we then ignore
        return None


def _context(
    dss: DocumentSecurityStore | None,
    roots: list[x509.Certificate],
    *,
    online: bool = True,
    mode: str = "hard-fail",
    moment: datetime | None = None,
) -> Any:
    from pyhanko_certvalidator import ValidationContext

    kwargs: dict[str, Any] = {
        "trust_roots": roots,
        "allow_fetching": online,
        # Unreachable OCSP/CRL is an error, never a silent pass; revinfo fetched after the
        # signing time still speaks for it (that is what B-LT embeds).
        "revocation_mode": mode,
        "retroactive_revinfo": True,
    }
    if moment is not None:
        kwargs["moment"] = moment
    if dss is not None:
        return dss.as_validation_context(kwargs)
    return ValidationContext(**kwargs)


def _validate(sig: Any, is_ts: bool, context: Any) -> Any:
    if is_ts:
        return validate_pdf_timestamp(sig, validation_context=context)
    return validate_pdf_signature(
        sig, signer_validation_context=context, ts_validation_context=context
    )


def _second_opinion(
    sig: Any,
    is_ts: bool,
    status: Any,
    dss: DocumentSecurityStore | None,
    roots: list[x509.Certificate],
) -> tuple[Any, str | None]:
    """Re-check a signature whose chain failed online, to name the failure precisely.

    - Long-term (B-LT/B-LTA): validate offline at the time of its timestamp with the revocation
      data embedded in the DSS; that is the point of embedding it (the TSA/OCSP may be gone).
    - Otherwise: if the chain is fine when revocation is not required, the only problem is
      that revocation status could not be obtained now.
    """
    if status.trusted or status.revoked:
        return status, None
    ts = getattr(status, "timestamp_validity", None)
    when = status.timestamp if is_ts else (ts.timestamp if ts is not None else None)
    if when is not None and _revinfo_covers(dss, status.signing_cert):
        offline = _validate(sig, is_ts, _context(dss, roots, online=False, moment=when))
        if offline.trusted or offline.revoked:
            return offline, None
    relaxed = _validate(sig, is_ts, _context(dss, roots, online=False, mode="soft-fail"))
    if relaxed.trusted:
        return status, "revocation-unavailable"
    return status, None


def _subject(cert: x509.Certificate | None) -> str:
    return "" if cert is None else str(cert.subject.human_friendly)


def _problems_of(status: Any) -> tuple[list[str], str]:
    problems: list[str] = []
    notes: list[str] = []
    if not status.intact or not status.valid:
        problems.append("tampered")
        notes.append("the signed bytes or the signature value do not match")
    diff = getattr(status, "diff_result", None)
    if isinstance(diff, SuspiciousModification):
        problems.append("modified-after-signing")
        notes.append(f"modified after signing: {diff}")
    elif getattr(status, "docmdp_ok", True) is False:
        problems.append("modified-after-signing")
        notes.append("modified after signing in a way the signature does not allow")
    if status.revoked:
        problems.append("revoked")
        details = status.revocation_details
        when = "" if details is None else f" since {details.revocation_date.isoformat()}"
        notes.append(f"signer certificate revoked{when}")
    elif not status.trusted:
        indic = str(getattr(status.trust_problem_indic, "name", status.trust_problem_indic))
        if indic == "NO_CERTIFICATE_CHAIN_FOUND":
            problems.append("untrusted-root")
            notes.append("the certificate chain does not end at a trusted root")
        elif indic in ("TRY_LATER", "REVOCATION_OUT_OF_BOUNDS_NO_POE", "NO_POE"):
            problems.append("revocation-unavailable")
            notes.append(f"revocation status could not be established ({indic})")
        else:
            problems.append("chain-invalid")
            notes.append(f"certificate chain not valid ({indic})")
    ts = getattr(status, "timestamp_validity", None)
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        problems.append("timestamp-invalid")
        notes.append("the signature timestamp is not valid or not trusted")
    return problems, "; ".join(notes)


def _revinfo_covers(dss: DocumentSecurityStore | None, cert: x509.Certificate | None) -> bool:
    """Whether the DSS holds an OCSP response for ``cert`` or a CRL from its issuer."""
    if dss is None or cert is None:
        return False
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp

    for ref in dss.ocsps:
        try:
            resp = asn1_ocsp.OCSPResponse.load(ref.get_object().data)
            tbs = resp["response_bytes"]["response"].parsed["tbs_response_data"]
            if any(
                single["cert_id"]["serial_number"].native == cert.serial_number
                for single in tbs["responses"]
            ):
                return True
        except (ValueError, KeyError, TypeError):
            continue
    for ref in dss.crls:
        try:
            if asn1_crl.CertificateList.load(ref.get_object().data).issuer == cert.issuer:
                return True
        except (ValueError, KeyError, TypeError):
            continue
    return False


def _level(status: Any, dss: DocumentSecurityStore | None, later_ts: bool) -> str:
    """The PAdES baseline level this signature reached (structure; validity is separate)."""
    if getattr(status, "timestamp_validity", None) is None:
        return "B-B"
    if not _revinfo_covers(dss, status.signing_cert):
        return "B-T"
    return "B-LTA" if later_ts else "B-LT"


def verify_pdf(
    source: Path | bytes,
    *,
    settings: Settings | None = None,
    trust_roots: Iterable[x509.Certificate] | None = None,
) -> VerificationReport:
    """Verify every signature and document timestamp in ``source``.

    Args:
        source: The signed PDF (path or bytes).
        settings: Supplies the trust roots (``trust_roots_file``; in "dev" mode also the
            development root) when ``trust_roots`` is not given.
        trust_roots: The certificates to trust instead.

    Returns:
        A report per signature and the overall verdict with the first problem found.

    Raises:
        CorruptFile: the input is not a readable PDF (the CLI exits 2).
        EncryptedPDF: the PDF is encrypted.
    """
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise CorruptFile(f"cannot read {source!s}: {exc.strerror}") from exc
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:
        raise CorruptFile(f"not a readable PDF: {exc}") from exc
    if reader.encrypted:
        raise EncryptedPDF("the PDF is encrypted")
    roots = list(trust_roots) if trust_roots is not None else trust_roots_for(settings)
    if not embedded:
        return VerificationReport("indeterminate", "unsigned: the document has no signature", [])

    dss = _dss_context_kwargs(reader)
    reports: list[SignatureReport] = []
    for index, sig in enumerate(embedded):
        is_ts = sig.sig_object.get("/Type") == "/DocTimeStamp"
        try:
            status: Any = _validate(sig, is_ts, _context(dss, roots))
            status, named = _second_opinion(sig, is_ts, status, dss, roots)
        except Exception as exc:
            reports.append(_broken(sig, is_ts, exc))
            continue
        later_ts = any(
            other.sig_object.get("/Type") == "/DocTimeStamp" for other in embedded[index + 1 :]
        )
        problems, notes = _problems_of(status)
        if named == "revocation-unavailable" and "chain-invalid" in problems:
            problems[problems.index("chain-invalid")] = named
            notes = notes.replace("certificate chain not valid", "revocation status unavailable")
        path = status.validation_path
        chain = (
            [_subject(c) for c in path.iter_certs(include_root=True)] if path is not None else []
        )
        ts_status = getattr(status, "timestamp_validity", None)
        coverage = status.coverage
        reports.append(
            SignatureReport(
                field_name=str(sig.field_name),
                kind="document-timestamp" if is_ts else "signature",
                signer_subject=_subject(status.signing_cert),
                chain=chain,
                trusted=bool(status.trusted),
                intact=bool(status.intact),
                valid=bool(status.valid),
                revoked=bool(status.revoked),
                signing_time=status.timestamp if is_ts else status.signer_reported_dt,
                timestamp=(
                    status.timestamp if is_ts else (ts_status.timestamp if ts_status else None)
                ),
                level=None if is_ts else _level(status, dss, later_ts),
                covers_whole_file=coverage == SignatureCoverageLevel.ENTIRE_FILE,
                coverage=getattr(coverage, "name", str(coverage)),
                modification=_modification(status),
                problems=problems,
                details=notes,
            )
        )
    return _overall(reports)


def _modification(status: Any) -> str | None:
    diff = getattr(status, "diff_result", None)
    if diff is None:
        return None
    if isinstance(diff, SuspiciousModification):
        return f"suspicious: {diff}"
    level = getattr(diff, "modification_level", None)
    return str(getattr(level, "name", level))


def _broken(sig: Any, is_ts: bool, exc: Exception) -> SignatureReport:
    return SignatureReport(
        field_name=str(sig.field_name),
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
        covers_whole_file=False,
        coverage="UNKNOWN",
        modification=None,
        problems=["tampered"],
        details=f"the signature cannot be checked: {type(exc).__name__}: {exc}",
    )


def _overall(reports: list[SignatureReport]) -> VerificationReport:
    found = {p for r in reports for p in r.problems}
    last = reports[-1]
    # pyHanko judged the appended revisions harmless only if the diff said so; anything
    # after the last signature that no diff explained is a modification.
    if (
        not last.covers_whole_file
        and "modified-after-signing" not in found
        and last.modification is None
    ):
        found.add("modified-after-signing")
        last.problems.append("modified-after-signing")
        last.details = (last.details + "; " if last.details else "") + (
            "bytes were appended after the last signature"
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


__all__ = ["SignatureReport", "Verdict", "VerificationReport", "verify_pdf"]
