"""The pipeline's adapters over ``ocr``, ``signing`` and ``storage.objects`` .

Each function here is the one place the pipeline touches another area's API, so a change in
that API is a change in one small function. Nothing here knows about the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.domain import BucketRole, SignatureLevel, SignerRole
from core.errors import StorageUnavailable
from core.settings import Settings
from storage.objects import ObjectStore
from storage.pages import PageRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StampInfo:
    """What the visible stamp and QR code of a signature show."""

    dossier_code: str
    document_id: int
    document_name: str
    verify_url: str
    #: The procedure's code (mã thủ tục hành chính), printed in the QR code.
    procedure_code: str = ""
    #: The document's own identifier in the QR code: its number and notation (số, ký hiệu).
    document_identifier: str = ""
    #: A result (kết quả) carries its validity in the QR code (``SOHOA_RESULT_VALIDITY_DAYS``).
    is_result: bool = False


def open_object_store(settings: Settings) -> ObjectStore:
    """The S3 store of ``settings`` with its buckets ensured."""
    if not settings.s3_endpoint:
        raise StorageUnavailable(
            "no S3 endpoint configured (SOHOA_S3_ENDPOINT); `sohoa run` starts an embedded one",
            detail_vi="Chưa cấu hình kho lưu trữ S3",
        )
    store = ObjectStore.from_settings(settings)
    store.ensure_buckets()
    return store


def bucket_name(store: ObjectStore, role: BucketRole) -> str:
    """The configured name of the bucket with ``role``."""
    name: str = getattr(store.buckets, role.value)
    return name


def check_input(path: Path, settings: Settings) -> int:
    """Refuse a bad upload before anything is stored; returns its page count (estimate)."""
    # The page plan sizes the task's time limit.
    from ocr import check_input as ocr_check

    return max(1, len(ocr_check(path, settings).pages))


@dataclass(frozen=True)
class OcrOutcome:
    """What digitizing a document gave: its text, page count and per-page reports."""

    text: str
    page_count: int
    pages: tuple[PageRecord, ...] = ()


def run_ocr(
    inputs: list[Path],
    output: Path,
    settings: Settings,
    title: str,
    progress: Callable[[int, int], None],
) -> OcrOutcome:
    """Digitize ``inputs`` into the PDF/A ``output``; returns text, page count, page reports."""
    from ocr.digitize import PageProgress, digitize

    def on_progress(event: PageProgress) -> None:
        progress(event.page, event.total)

    report = digitize(inputs, output, settings=settings, title=title, progress=on_progress)
    pages = tuple(
        PageRecord(
            number=page.index + 1,
            source=page.source,
            content=page.content,
            confidence=page.confidence,
            estimated_accuracy=page.estimated_accuracy,
            needs_rescan=page.needs_rescan,
            reason=page.reason,
            text_layer_rejected=page.text_layer_rejected,
            rotation=page.rotation,
            dpi=page.source_dpi or page.dpi,
            changes=tuple(page.changes),
        )
        for page in report.pages
    )
    return OcrOutcome(report.text, report.page_count, pages)


def pdf_text(path: Path) -> OcrOutcome:
    """Text and page count of a stored PDF/A (when adopting a crashed attempt's output).

    The page reports of that attempt were not recorded: the outcome has none.
    """
    from ocr.pdftext import document_text

    text, pages = document_text(path)
    return OcrOutcome(text, pages)


def run_sign(
    source: Path,
    output: Path,
    settings: Settings,
    role: SignerRole,
    level: SignatureLevel,
    info: StampInfo,
    *,
    written_by_ocr: bool,
) -> tuple[str, datetime | None]:
    """Sign ``source`` into ``output``; returns (signer subject, signing time).

    ``written_by_ocr``: ``source`` is the file :func:`run_ocr` wrote, which ``ocr`` validated
    as PDF/A-2b before storing it (fetched against its recorded SHA-256), so signing does not
    validate it a second time. The stamps go where :func:`stamp_plan` says (free space).
    """
    from signing.pades import sign_pdf

    request = _sign_request(source, settings, role, level, info)
    result = sign_pdf(source, output, request, settings=settings, base_validated=written_by_ocr)
    if result.placement is not None and result.placement.notes:
        log.warning(
            "stamp placement: %s", "; ".join(result.placement.notes), extra={"role": role.value}
        )
    return result.signer_subject, result.signing_time


def stamp_plan(pdf_path: Path, role: SignerRole, settings: Settings, info: StampInfo) -> Any:
    """Where signing ``pdf_path`` as ``role`` will put the stamps and the QR code (a preview).

    Runs the planning :func:`run_sign` runs (same request, same page-1 layout), so a preview
    drawn from it shows the signature where it will be.

    Args:
        pdf_path: The PDF about to be signed (the digitized copy, or the officer-signed file).
        role: Who signs next.
        settings: The configuration (stamp sizes, corners, margin).
        info: What the stamp and QR code show (the QR's length sets its printed size).

    Returns:
        A ``signing.placement.StampPlan``: ``placements`` (``name`` "agency" / "officer" /
        "qr", ``rect`` = (x0, y0, x1, y1) in points on page 1 as displayed, origin at the
        bottom-left, ``page`` 0 or ``None`` for an appended signature-information page,
        ``where`` and ``scale``), ``page_box`` and ``notes``.
    """
    from signing.page_plan import plan_signature
    from signing.request import SigningPolicy

    request = _sign_request(pdf_path, settings, role, settings.default_signature_level, info)
    return plan_signature(pdf_path, request, SigningPolicy.from_settings(settings))


def page_occupied(pdf_path: Path) -> tuple[tuple[float, float, float, float], ...]:
    """Page 1's word boxes and inked areas (``ocr.layout``), where no stamp may go."""
    from ocr.layout import page_layout

    return page_layout(pdf_path, 0).occupied


def _sign_request(
    source: Path, settings: Settings, role: SignerRole, level: SignatureLevel, info: StampInfo
) -> Any:
    from signing.pades import VN_TIME, QRContent, SignatureRequest

    now = datetime.now(UTC)
    valid_until = None
    if info.is_result and settings.result_validity_days > 0:
        valid_until = (
            now.astimezone(VN_TIME) + timedelta(days=settings.result_validity_days)
        ).date()
    return SignatureRequest(
        role=role,
        level=level,
        scan_time=now if role == SignerRole.OFFICER else None,
        qr=QRContent(
            verification_url=info.verify_url,
            dossier_code=info.dossier_code,
            document_name=info.document_name,
            issued_at=now,
            procedure_code=info.procedure_code,
            document_id=info.document_identifier,
            issuing_system=settings.issuing_system,
            valid_until=valid_until,
        ),
        # One field per role: a redelivered stage never adds a second field by the same role.
        field_name=f"sohoa-{role.value}",
        occupied=page_occupied(source) if settings.stamp_avoid_content else None,
    )


def last_signature(path: Path, settings: Settings) -> tuple[str, datetime | None]:
    """Signer subject and time of the last signature in ``path`` (adopting stored output)."""
    from signing.verify import verify_pdf

    # only the signer and time are needed: nothing to fetch
    report = verify_pdf(path, settings=settings, fetch="none")
    signatures = [s for s in report.signatures if s.kind == "signature"]
    if not signatures:
        return "", None
    return signatures[-1].signer_subject, signatures[-1].signing_time


def verify_report(path: Path, settings: Settings) -> dict[str, Any]:
    """The verification report of an uploaded PDF as plain JSON-able data.

    An upload is of unknown origin: it is validated offline, in a child process under CPU,
    memory and time limits (``signing.isolated``); a limit hit is ``VerifyLimit`` (422).
    """
    from signing.isolated import verify_upload

    result: dict[str, Any] = _jsonable(verify_upload(path, settings))
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def plain_name(name: str) -> str:
    """A file name safe for the work directory, keeping the extension OCR dispatches on."""
    from storage.keys import safe_name

    return safe_name(name)


def page_image(pdf: Path, page: int, width: int) -> bytes:
    """A PNG of page ``page`` (1-based) of ``pdf``, ``width`` pixels wide (thumbnails)."""
    from ocr.preview import page_png

    return page_png(pdf, page, width)


__all__ = [
    "OcrOutcome",
    "StampInfo",
    "check_input",
    "last_signature",
    "open_object_store",
    "page_image",
    "pdf_text",
    "plain_name",
    "run_ocr",
    "run_sign",
    "stamp_plan",
]
