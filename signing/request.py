"""What a signature request says (who, level, stamp, QR) and the frozen signing policy.

The policy is everything about *how* to sign that does not change between documents; it is built
once from settings. Times on stamps are Vietnam time, printed ``dd/MM/yyyy HH:mm:ss +07:00``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from core.domain import SignatureLevel, SignerRole
from core.settings import Settings

#: Vietnam's civil time; stamps print it as "+07:00" (no daylight saving).
VN_TIME = timezone(timedelta(hours=7), "+07:00")
_TIME_FORMAT = "%d/%m/%Y %H:%M:%S +07:00"


class Corner(StrEnum):
    TOP_LEFT = "top-left"
    TOP_RIGHT = "top-right"
    BOTTOM_LEFT = "bottom-left"
    BOTTOM_RIGHT = "bottom-right"


@dataclass(frozen=True)
class QRContent:
    """What the verification QR code holds (UTF-8, one short labelled line per field).

    The URL comes first, so a phone opens it; then the dossier code, the document and its issue
    time, and the fields Circular 01/2023/TT-VPCP names for a digitized copy's information: the
    procedure code (mã thủ tục hành chính), the document's own identifier, the issuing system
    and, for a result, its validity. Empty optional fields are left out, keeping the code small
    enough for a phone camera at the printed size.
    """

    verification_url: str
    dossier_code: str
    document_name: str
    issued_at: datetime
    procedure_code: str = ""
    #: The document's own identifier: its number and notation (số, ký hiệu) when it has one.
    document_id: str = ""
    #: The system that issued the digitized copy or result (``SOHOA_ISSUING_SYSTEM``).
    issuing_system: str = ""
    #: A result's last day of validity (``None``: not stated).
    valid_until: date | None = None

    def payload(self) -> str:
        lines = [
            self.verification_url,
            f"Mã hồ sơ: {self.dossier_code}",
            f"Tài liệu: {self.document_name}",
            f"Ngày ban hành: {format_vn_time(self.issued_at)}",
        ]
        if self.procedure_code:
            lines.append(f"Mã TTHC: {self.procedure_code}")
        if self.document_id:
            lines.append(f"Số hiệu: {self.document_id}")
        if self.issuing_system:
            lines.append(f"Hệ thống: {self.issuing_system}")
        if self.valid_until is not None:
            lines.append(f"Hiệu lực đến: {self.valid_until.strftime('%d/%m/%Y')}")
        return "\n".join(lines)


@dataclass(frozen=True)
class SignatureRequest:
    """One signature: who signs (role), at which level, and what the stamp shows."""

    level: SignatureLevel = SignatureLevel.B_LTA
    role: SignerRole = SignerRole.AGENCY
    reason: str | None = None
    location: str | None = None
    visible: bool = True
    #: Agency name (agency stamp) or officer name (officer stamp); default from settings/cert.
    display_name: str | None = None
    #: Officer stamp: the scan time; agency stamp: ignored (the signing time is printed).
    scan_time: datetime | None = None
    qr: QRContent | None = None
    stamp_corner: Corner | None = None
    qr_corner: Corner | None = None
    field_name: str | None = None
    #: Replaces the whole stamp text when given (lines separated by newlines).
    stamp_text: str | None = None
    #: Page 1's word boxes and inked areas (points, page as displayed, origin bottom-left),
    #: found by ``ocr.layout``; stamps and the QR go into free space
    #: (:mod:`signing.placement`). ``None``: not known; each goes exactly to its corner.
    occupied: tuple[tuple[float, float, float, float], ...] | None = None


class PdfACheck(StrEnum):
    """How the PDF/A-2b conformance of the revision under a new signature was established."""

    #: ``sign_pdf`` validated the unsigned input itself (an input of unknown origin).
    VALIDATED = "validated"
    #: The caller validated these exact bytes when it wrote them (``base_validated=True``):
    #: the pipeline signs what ``ocr`` wrote and validated, fetched against its SHA-256.
    VALIDATED_WHEN_WRITTEN = "validated-when-written"
    #: Already signed: the pre-signing revision was checked before the first signature.
    ALREADY_SIGNED = "already-signed"
    #: pikepdf.pdfa named no violation but could not judge some construct ("unsupported").
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class SignResult:
    """What one signature produced: the signed file is ``base`` followed by ``update``."""

    level: SignatureLevel
    signer_subject: str
    signing_time: datetime
    size: int
    field_name: str
    output: Path | None
    pdfa: PdfACheck
    #: The input file, unchanged (an incremental update never rewrites it).
    base: bytes = field(repr=False, compare=False, default=b"")
    #: The bytes the signature appended (signature dictionary, stamp, CMS, DSS, timestamp).
    update: bytes = field(repr=False, compare=False, default=b"")
    #: Where the stamp and QR went (``signing.placement.StampPlan``); its ``notes`` name any
    #: shrunk stamp, margin strip, appended signature-information page or overlap.
    placement: Any = field(repr=False, compare=False, default=None)

    @cached_property
    def data(self) -> bytes:
        """The signed file (joined on first use: a copy of the whole file)."""
        return self.base + self.update

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the signed file, computed on first use (20 MB cost ~15 ms to hash)."""
        digest = hashlib.sha256(self.base)
        digest.update(self.update)
        return digest.hexdigest()


@dataclass(frozen=True)
class SigningPolicy:
    """Everything about *how* to sign that does not change between documents."""

    md_algorithm: str = "sha256"
    font_file: Path = Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf")
    #: Shrinks down to signing.placement.MIN_READABLE_FONT when free space is short.
    font_size: float = 8.0
    stamp_width: float = 200.0
    stamp_height: float = 64.0
    #: 18 pt (6.35 mm) from the paper's edge: inside the page margins of Decree
    #: 30/2020/NĐ-CP Appendix I (top/bottom 20-25 mm, left 30-35 mm, right 15-20 mm), where
    #: an administrative document carries no text, and clear of printers' unprinted edge.
    margin: float = 18.0
    #: No rule places the QR code: bottom-right is sohoa's choice, where reading ends, away
    #: from the heading (top) and the signature blocks (top corners).
    qr_corner: Corner = Corner.BOTTOM_RIGHT
    #: 25.4 mm: large enough for a phone camera at arm's length (modules >= 0.4 mm; the side
    #: grows with the payload, signing.page_plan.qr_side).
    qr_size: float = 72.0
    seal_image: Path | None = None
    agency_name: str = ""
    #: Decree 30/2020/NĐ-CP Appendix I: the agency's digital signature on an attached
    #: document stands at the top right of its first page.
    agency_corner: Corner = Corner.TOP_RIGHT
    #: Circular 01/2023/TT-VPCP Art. 8 names what the digitized copy's signature information
    #: says (who digitized it, when), not where; the top left keeps it clear of the agency's.
    officer_corner: Corner = Corner.TOP_LEFT
    agency_text: str = "Ký bởi: {name}\nThời gian ký: {time}"
    officer_text: str = "Cán bộ số hóa: {name}\nThời gian số hóa: {time}"
    tsa_url: str = ""
    network_timeout: float = 10.0
    #: Room for the CMS container: skips pyHanko's trial signature (an extra key operation).
    bytes_reserved: dict[SignatureLevel, int] = field(
        default_factory=lambda: {
            SignatureLevel.B_B: 12288,
            SignatureLevel.B_T: 20480,
            SignatureLevel.B_LT: 20480,
            SignatureLevel.B_LTA: 20480,
        }
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningPolicy:
        return cls(
            font_file=settings.stamp_font,
            font_size=settings.stamp_font_size,
            stamp_width=settings.stamp_width,
            stamp_height=settings.stamp_height,
            margin=settings.stamp_margin,
            qr_corner=Corner(settings.qr_corner),
            qr_size=settings.qr_size,
            seal_image=settings.seal_image,
            agency_name=settings.agency_name,
            agency_corner=Corner(settings.agency_stamp_corner),
            officer_corner=Corner(settings.officer_stamp_corner),
            agency_text=settings.agency_stamp_text.replace("\\n", "\n"),
            officer_text=settings.officer_stamp_text.replace("\\n", "\n"),
            tsa_url=settings.tsa_url,
            network_timeout=settings.signing_network_timeout,
        )


def format_vn_time(moment: datetime) -> str:
    """``dd/MM/yyyy HH:mm:ss +07:00`` in Vietnam time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TIME).strftime(_TIME_FORMAT)
