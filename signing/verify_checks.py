"""The checks behind ``signing.verify``: validation contexts, pyHanko's verdict per signature
and a second, offline opinion, the problems named from a status, and the PAdES level reached.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import SuspiciousModification
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore

from signing.fetching import TrustedFetcherBackend


def read_dss(reader: PdfFileReader) -> DocumentSecurityStore | None:
    try:
        return DocumentSecurityStore.read_dss(reader)
    except Exception:  # NoDSSFoundError, or a malformed DSS we then ignore
        return None


def context(
    dss: DocumentSecurityStore | None,
    roots: list[x509.Certificate],
    *,
    fetcher: TrustedFetcherBackend | None = None,
    mode: str = "hard-fail",
    moment: datetime | None = None,
) -> Any:
    from pyhanko_certvalidator import ValidationContext

    kwargs: dict[str, Any] = {
        "trust_roots": roots,
        "allow_fetching": fetcher is not None,
        # Unreachable OCSP/CRL is an error, never a silent pass; revinfo fetched after the
        # signing time still speaks for it (that is what B-LT embeds).
        "revocation_mode": mode,
        "retroactive_revinfo": True,
    }
    if fetcher is not None:
        kwargs["fetcher_backend"] = fetcher
    if moment is not None:
        kwargs["moment"] = moment
    if dss is not None:
        return dss.as_validation_context(kwargs)
    if fetcher is None:
        # offline with nothing embedded: validation proceeds and names the missing revinfo
        kwargs.update(crls=[], ocsps=[])
    return ValidationContext(**kwargs)


def validate(sig: Any, is_ts: bool, vc: Any) -> Any:
    if is_ts:
        return validate_pdf_timestamp(sig, validation_context=vc)
    return validate_pdf_signature(sig, signer_validation_context=vc, ts_validation_context=vc)


def second_opinion(
    sig: Any,
    is_ts: bool,
    status: Any,
    dss: DocumentSecurityStore | None,
    roots: list[x509.Certificate],
) -> tuple[Any, str | None]:
    """Re-check a signature whose chain failed, to name the failure precisely.

    - Long-term (B-LT/B-LTA): validate offline at the time of its timestamp with the revocation
      data embedded in the DSS; that is the point of embedding it (the TSA/OCSP may be gone).
    - Otherwise: if the chain is fine when revocation is not required, the only problem is
      that revocation status could not be obtained now.
    """
    if status.trusted or status.revoked:
        return status, None
    ts = getattr(status, "timestamp_validity", None)
    when = status.timestamp if is_ts else (ts.timestamp if ts is not None else None)
    if when is not None and revinfo_covers(dss, status.signing_cert):
        offline = validate(sig, is_ts, context(dss, roots, moment=when))
        if offline.trusted or offline.revoked:
            return offline, None
    relaxed = validate(sig, is_ts, context(dss, roots, mode="soft-fail"))
    if relaxed.trusted:
        return status, "revocation-unavailable"
    return status, None


def subject(cert: x509.Certificate | None) -> str:
    return "" if cert is None else str(cert.subject.human_friendly)


def problems_of(status: Any) -> tuple[list[str], str]:
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
        whose = "a CA certificate of the chain" if details and details.ca_revoked else "signer"
        notes.append(f"{whose} certificate revoked{when}")
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


def revinfo_covers(dss: DocumentSecurityStore | None, cert: x509.Certificate | None) -> bool:
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


def level(status: Any, dss: DocumentSecurityStore | None, later_ts: bool) -> str:
    """The PAdES baseline level this signature reached (structure; validity is separate)."""
    if getattr(status, "timestamp_validity", None) is None:
        return "B-B"
    if not revinfo_covers(dss, status.signing_cert):
        return "B-T"
    return "B-LTA" if later_ts else "B-LT"


def raw(refs: Any) -> list[bytes]:
    out: list[bytes] = []
    for ref in refs or ():
        try:
            out.append(bytes(ref.get_object().data))
        except Exception:  # a malformed DSS entry is simply not revocation data
            continue
    return out


def byte_range(sig: Any) -> tuple[int, int] | None:
    """(signed end, file offset where the range starts) from /ByteRange, if well formed."""
    try:
        a, _, c, d = (int(v) for v in sig.sig_object["/ByteRange"])
    except Exception:  # missing or malformed: coverage is then unknown
        return None
    return c + d, a


def modification(status: Any) -> str | None:
    """pyHanko's difference analysis of what follows the signature, in one phrase."""
    diff = getattr(status, "diff_result", None)
    if diff is None:
        return None
    if isinstance(diff, SuspiciousModification):
        return f"suspicious: {diff}"
    level = getattr(diff, "modification_level", None)
    return str(getattr(level, "name", level))


__all__ = [
    "byte_range",
    "context",
    "level",
    "modification",
    "problems_of",
    "raw",
    "read_dss",
    "revinfo_covers",
    "second_opinion",
    "subject",
    "validate",
]
