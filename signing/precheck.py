"""The signer's certificate is checked before anything is signed (kiểm tra chứng thư trước khi ký).

Decree 23/2025/NĐ-CP and Circular 15/2025/TT-BKHCN Art. 5(1) require signing software to
check the signer certificate's validity before it signs. Checked here, in this order:

1. **time**: the signer certificate and every CA certificate above it are valid now;
2. **key usage**: the key is meant for signing (keyUsage digitalSignature or nonRepudiation;
   an extendedKeyUsage, if present, allows document/e-mail signing);
3. **revocation and chain**: the path to a configured trust anchor validates with OCSP/CRL
   fetched now (pyHanko's certvalidator, hard-fail), so a revoked key signs nothing.

A failure is :class:`SignerCertificateInvalid` naming which check failed
(``expired``, ``not-yet-valid``, ``revoked``, ``wrong-usage``, ``untrusted``, ``chain-invalid``);
an unreachable OCSP/CRL server is :class:`RevocationUnavailable` (retryable). A signer that
passed is remembered for a few minutes, so a batch fetches revocation data once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime
from typing import Any

from asn1crypto import x509

from core.errors import RevocationUnavailable, SignerCertificateInvalid
from core.settings import Settings
from signing.keys import Signer
from signing.trust import trust_roots_for
from signing.verify_facts import issuer_chain

#: Seconds a signer that passed the revocation check is not checked again.
_PASSED_TTL = 300.0
_PASSED: dict[tuple[int, bytes], float] = {}
_LOCK = threading.Lock()

_SIGNING_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})
#: Extended key usages under which Vietnamese CAs issue signing certificates.
_SIGNING_EKUS = frozenset(
    {
        "email_protection",
        "client_auth",
        "any_extended_key_usage",
        "1.3.6.1.5.5.7.3.36",  # id-kp-documentSigning (RFC 9336)
        "1.3.6.1.4.1.311.10.3.12",  # Microsoft document signing
        "1.2.840.113583.1.1.5",  # Adobe Authentic Documents Trust
    }
)


def _refuse(which: str, message: str, vi: str) -> SignerCertificateInvalid:
    return SignerCertificateInvalid(f"{which}: {message}", detail_vi=vi)


def _name(cert: x509.Certificate) -> str:
    return str(cert.subject.human_friendly)


def check_time(signer: Signer, moment: datetime | None = None) -> None:
    """The signer and CA certificates are all valid at ``moment`` (default: now)."""
    now = moment or datetime.now(UTC)
    for cert in issuer_chain(signer.cert, signer.chain):
        role = "signer" if cert is signer.cert else "CA"
        if cert.not_valid_after < now:
            date = cert.not_valid_after.isoformat()
            raise _refuse(
                "expired",
                f"the {role} certificate {_name(cert)} expired on {date}",
                f"Chứng thư số {_name(cert)} đã hết hạn từ {date}",
            )
        if cert.not_valid_before > now:
            date = cert.not_valid_before.isoformat()
            raise _refuse(
                "not-yet-valid",
                f"the {role} certificate {_name(cert)} is valid only from {date}",
                f"Chứng thư số {_name(cert)} chỉ có hiệu lực từ {date}",
            )


def check_usage(cert: x509.Certificate) -> None:
    """The certificate's key is meant for signing documents."""
    usage = cert.key_usage_value
    if usage is not None and not (set(usage.native) & _SIGNING_KEY_USAGES):
        raise _refuse(
            "wrong-usage",
            f"the key usage of {_name(cert)} ({', '.join(sorted(usage.native))}) does not "
            "allow signing documents",
            "Mục đích sử dụng khóa của chứng thư số không cho phép ký văn bản",
        )
    extended = cert.extended_key_usage_value
    if extended is not None and not (set(extended.native) & _SIGNING_EKUS):
        raise _refuse(
            "wrong-usage",
            f"the extended key usage of {_name(cert)} ({', '.join(extended.native)}) does not "
            "allow signing documents",
            "Mục đích sử dụng mở rộng của chứng thư số không cho phép ký văn bản",
        )
    if cert.ca:
        raise _refuse(
            "wrong-usage",
            f"{_name(cert)} is a CA certificate, not a signer's",
            "Chứng thư của tổ chức chứng thực không dùng để ký văn bản",
        )


def _validation_context(settings: Settings, signer: Signer) -> Any:
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

    # the root the key file itself carries counts too, as when signing B-LT (signing.trust)
    roots = trust_roots_for(settings) + [
        c for c in signer.chain if c.self_signed in ("maybe", "yes")
    ]
    return ValidationContext(
        trust_roots=roots,
        other_certs=list(signer.chain),
        allow_fetching=True,
        revocation_mode="hard-fail",
        fetcher_backend=RequestsFetcherBackend(
            per_request_timeout=max(1.0, settings.signing_network_timeout)
        ),
    )


def check_revocation(signer: Signer, settings: Settings) -> None:
    """The path to a trust anchor validates now, OCSP/CRL included (network)."""
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator import errors as cv

    key = (id(signer), signer.cert.sha256)
    with _LOCK:
        passed = _PASSED.get(key)
    if passed is not None and time.monotonic() - passed < _PASSED_TTL:
        return
    if signer.dev_pki is not None:
        signer.dev_pki.start()  # its OCSP responder must answer
    validator: Any = CertificateValidator(
        signer.cert,
        intermediate_certs=list(signer.chain),
        validation_context=_validation_context(settings, signer),
    )
    try:
        asyncio.run(validator.async_validate_usage(set()))
    except cv.RevokedError as exc:
        date = exc.revocation_dt.isoformat()
        raise _refuse(
            "revoked",
            f"{'the signer' if exc.is_ee_cert else 'a CA'} certificate was revoked on {date} "
            f"({exc.reason.human_friendly})",
            f"Chứng thư số đã bị thu hồi từ {date}",
        ) from exc
    except (cv.InsufficientRevinfoError, cv.OCSPFetchError, cv.CRLFetchError) as exc:
        raise RevocationUnavailable(
            f"the signer certificate's revocation status is unavailable: {exc}",
            detail_vi="Không lấy được thông tin thu hồi chứng thư",
        ) from exc
    except cv.PathBuildingError as exc:
        raise _refuse(
            "untrusted",
            f"{signer.subject} does not chain to a configured trust anchor (sohoa trust add)",
            "Chứng thư số không thuộc chuỗi tin cậy đã cấu hình",
        ) from exc
    except (cv.ExpiredError, cv.NotYetValidError) as exc:
        raise _refuse("expired", str(exc), "Chứng thư số đã hết hạn") from exc
    except (cv.ValidationError, cv.PathError) as exc:
        raise _refuse(
            "chain-invalid", f"the certificate chain is not valid: {exc}", "Chuỗi không hợp lệ"
        ) from exc
    with _LOCK:
        _PASSED[key] = time.monotonic()


def check_signer(signer: Signer, settings: Settings, *, moment: datetime | None = None) -> None:
    """Every check above, cheapest first; raises before any signing work is done.

    Raises:
        SignerCertificateInvalid: expired, not yet valid, revoked, wrong usage, untrusted.
        RevocationUnavailable: OCSP/CRL could not be fetched (retryable).
    """
    check_time(signer, moment)
    check_usage(signer.cert)
    check_revocation(signer, settings)


def forget_checked() -> None:
    """Forget which signers passed (tests; a key rotated in place)."""
    with _LOCK:
        _PASSED.clear()


__all__ = ["check_revocation", "check_signer", "check_time", "check_usage", "forget_checked"]
