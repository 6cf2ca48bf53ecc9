"""Facts about one signature's certificates for the verification report, with Vietnamese labels.

Circular 15/2025/TT-BKHCN Art. 5 asks verification software to show the issuer, the signer,
the signing time or timestamp, integrity and validity; the report therefore carries, per
signature, the signer certificate's issuer, serial number and validity period, and where its
revocation status came from (embedded OCSP/CRL, fetched, or none) with that data's own time.
The labels live here, in the report data, so the CLI and the web pages say the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509

#: Vietnamese labels of the report's fields (``labels_vi`` in the report).
LABELS_VI: dict[str, str] = {
    "verdict": "Kết quả xác thực",
    "reason": "Lý do",
    "reason_vi": "Lý do",
    "signatures": "Chữ ký số",
    "field_name": "Trường chữ ký",
    "kind": "Loại",
    "signer_subject": "Người ký",
    "issuer": "Tổ chức cấp chứng thư",
    "serial_number": "Số hiệu chứng thư",
    "valid_from": "Hiệu lực từ",
    "valid_to": "Hiệu lực đến",
    "chain": "Chuỗi chứng thư",
    "trusted": "Tin cậy",
    "intact": "Toàn vẹn",
    "valid": "Chữ ký hợp lệ",
    "revoked": "Đã bị thu hồi",
    "revocation_time": "Thời điểm thu hồi",
    "revocation_source": "Nguồn kiểm tra thu hồi",
    "revocation_checked_at": "Thời điểm dữ liệu thu hồi",
    "signing_time": "Thời gian ký",
    "timestamp": "Dấu thời gian",
    "level": "Mức chữ ký PAdES",
    "covers_whole_file": "Bao phủ toàn bộ tệp",
    "coverage": "Phạm vi ký",
    "modification": "Thay đổi sau khi ký",
    "problems": "Vấn đề",
    "details": "Chi tiết",
    "expired_certificate": "Chứng thư hết hạn",
}

VERDICT_VI: dict[str, str] = {
    "valid": "Hợp lệ",
    "invalid": "Không hợp lệ",
    "indeterminate": "Chưa xác định được",
}

PROBLEM_VI: dict[str, str] = {
    "tampered": "Nội dung đã bị thay đổi sau khi ký",
    "modified-after-signing": "Tài liệu bị sửa đổi sau khi ký",
    "revoked": "Chứng thư số đã bị thu hồi",
    "certificate-expired": "Chứng thư số đã hết hạn",
    "certificate-not-yet-valid": "Chứng thư số chưa có hiệu lực",
    "untrusted-root": "Chứng thư gốc không được tin cậy",
    "revocation-unavailable": "Không xác định được tình trạng thu hồi",
    "chain-invalid": "Chuỗi chứng thư không hợp lệ",
    "timestamp-invalid": "Dấu thời gian không hợp lệ",
    "signature-unreadable": "Không đọc được chữ ký",
    "unsigned": "Tài liệu chưa được ký số",
}

REVOCATION_SOURCE_VI: dict[str, str] = {
    "embedded-ocsp": "OCSP nhúng trong tệp",
    "embedded-crl": "CRL nhúng trong tệp",
    "fetched-ocsp": "OCSP tra cứu trực tuyến",
    "fetched-crl": "CRL tra cứu trực tuyến",
    "none": "Không có dữ liệu thu hồi",
}


@dataclass(frozen=True)
class CertFacts:
    issuer: str
    serial_number: str
    valid_from: datetime | None
    valid_to: datetime | None


def cert_facts(cert: x509.Certificate | None) -> CertFacts:
    """Issuer, serial (hex, as CAs print it) and validity period of ``cert``."""
    if cert is None:
        return CertFacts("", "", None, None)
    try:
        return CertFacts(
            issuer=str(cert.issuer.human_friendly),
            serial_number=format(cert.serial_number, "X"),
            valid_from=cert.not_valid_before,
            valid_to=cert.not_valid_after,
        )
    except (ValueError, TypeError, KeyError):  # a damaged certificate: nothing to show
        return CertFacts("", "", None, None)


def embedded_revocation(
    ocsps: Iterable[Any], crls: Iterable[Any], cert: x509.Certificate | None
) -> tuple[str, datetime | None]:
    """(source, time) of revocation data for ``cert`` found among the embedded OCSP/CRLs."""
    if cert is None:
        return "none", None
    for data in ocsps:
        try:
            resp = asn1_ocsp.OCSPResponse.load(data)
            tbs = resp["response_bytes"]["response"].parsed["tbs_response_data"]
            for single in tbs["responses"]:
                if single["cert_id"]["serial_number"].native == cert.serial_number:
                    return "embedded-ocsp", single["this_update"].native
        except (ValueError, KeyError, TypeError):
            continue
    for data in crls:
        try:
            parsed = asn1_crl.CertificateList.load(data)
            if parsed.issuer == cert.issuer:
                return "embedded-crl", parsed["tbs_cert_list"]["this_update"].native
        except (ValueError, KeyError, TypeError):
            continue
    return "none", None


def issuer_chain(leaf: x509.Certificate | None, pool: Iterable[x509.Certificate]) -> list[Any]:
    """``leaf`` and its issuers as found in ``pool`` (the certificates the file carries)."""
    if leaf is None:
        return []
    by_subject: dict[bytes, x509.Certificate] = {}
    for cert in pool:
        try:
            by_subject[cert.subject.dump()] = cert
        except (ValueError, TypeError, AttributeError):  # a damaged certificate is no issuer
            continue
    chain, current = [leaf], leaf
    try:
        while len(chain) < 10 and current.self_signed == "no":  # "maybe"/"yes": a root
            issuer = by_subject.get(current.issuer.dump())
            if issuer is None or issuer in chain:
                break
            chain.append(issuer)
            current = issuer
    except (ValueError, TypeError, KeyError):  # a damaged certificate ends the walk
        pass
    return chain


def out_of_validity(
    chain: list[x509.Certificate], moment: datetime | None
) -> tuple[str, x509.Certificate, datetime] | None:
    """The first certificate of ``chain`` not valid at ``moment``: (problem, cert, its date)."""
    when = moment or datetime.now(UTC)
    for cert in chain:
        try:
            if cert.not_valid_after < when:
                return "certificate-expired", cert, cert.not_valid_after
            if cert.not_valid_before > when:
                return "certificate-not-yet-valid", cert, cert.not_valid_before
        except (ValueError, TypeError, KeyError):  # unreadable dates name nothing
            continue
    return None


def reason_vi(verdict: str, reason: str, signatures: list[Any]) -> str:
    """The overall reason in Vietnamese: the problem's name and the signature it concerns."""
    parts = reason.split(": ", 2)
    if parts[0] in PROBLEM_VI:
        where = f" (trường chữ ký {parts[1]})" if len(parts) > 2 else ""
        return PROBLEM_VI[parts[0]] + where
    if verdict == "valid":
        return f"{len(signatures)} chữ ký hợp lệ và được tin cậy"
    return VERDICT_VI.get(verdict, verdict)


def vi_problems(problems: Iterable[str]) -> list[str]:
    """The Vietnamese names of ``problems`` (same order)."""
    return [PROBLEM_VI.get(p, p) for p in problems]


__all__ = [
    "LABELS_VI",
    "PROBLEM_VI",
    "REVOCATION_SOURCE_VI",
    "VERDICT_VI",
    "CertFacts",
    "cert_facts",
    "embedded_revocation",
    "issuer_chain",
    "out_of_validity",
    "reason_vi",
    "vi_problems",
]
