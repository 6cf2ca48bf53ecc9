"""The pipeline's adapters over ``ocr``, ``signing`` and ``storage.objects`` .

Each function here is the one place the pipeline touches another area's API, so a change in
that API is a change in one small function. Nothing here knows about the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pikepdf

from core.domain import BucketRole, SignatureLevel, SignerRole
from core.errors import StorageUnavailable
from core.settings import Settings
from storage.objects import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StampInfo:
    """What the visible stamp and QR code of a signature show."""

    dossier_code: str
    document_id: int
    document_name: str
    verify_url: str


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


def run_ocr(
    inputs: list[Path],
    output: Path,
    settings: Settings,
    title: str,
    progress: Callable[[int, int], None],
) -> tuple[str, int]:
    """Digitize ``inputs`` into the PDF/A ``output``; returns (OCR text, page count)."""
    from ocr.digitize import PageProgress, digitize

    def on_progress(event: PageProgress) -> None:
        progress(event.page, event.total)

    report = digitize(inputs, output, settings=settings, title=title, progress=on_progress)
    return report.text, report.page_count


def pdf_text(path: Path) -> tuple[str, int]:
    """Text and page count of a stored PDF/A (when adopting a crashed attempt's output)."""
    import subprocess

    with pikepdf.open(path) as pdf:
        pages = len(pdf.pages)
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False
    )
    return done.stdout.decode("utf-8", errors="replace"), pages


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
    validate it a second time.
    """
    from signing.pades import QRContent, SignatureRequest, sign_pdf

    request = SignatureRequest(
        role=role,
        level=level,
        scan_time=datetime.now(UTC) if role == SignerRole.OFFICER else None,
        qr=QRContent(
            verification_url=info.verify_url,
            dossier_code=info.dossier_code,
            document_name=info.document_name,
            issued_at=datetime.now(UTC),
        ),
        # One field per role: a redelivered stage never adds a second field by the same role.
        field_name=f"sohoa-{role.value}",
    )
    result = sign_pdf(source, output, request, settings=settings, base_validated=written_by_ocr)
    return result.signer_subject, result.signing_time


def last_signature(path: Path, settings: Settings) -> tuple[str, datetime | None]:
    """Signer subject and time of the last signature in ``path`` (adopting stored output)."""
    from signing.verify import verify_pdf

    report = verify_pdf(path, settings=settings)
    signatures = [s for s in report.signatures if s.kind == "signature"]
    if not signatures:
        return "", None
    return signatures[-1].signer_subject, signatures[-1].signing_time


def verify_report(path: Path, settings: Settings) -> dict[str, Any]:
    """The verification report of a PDF as plain JSON-able data."""
    from signing.verify import verify_pdf

    result: dict[str, Any] = _jsonable(verify_pdf(path, settings=settings).to_dict())
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


__all__ = [
    "StampInfo",
    "check_input",
    "last_signature",
    "open_object_store",
    "pdf_text",
    "plain_name",
    "run_ocr",
    "run_sign",
]
