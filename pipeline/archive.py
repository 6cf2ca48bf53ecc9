"""Archive export: ``sohoa archive export --dossier CODE | --from DATE --to DATE -o DIR``.

One E-ARK CSIP package per dossier (:mod:`storage.archive`), gathered from the records and the
object store: the originals as received (``representations/originals``), the signed PDF/A-2b
copies (``representations/preservation``; the digitized copy while a document is unsigned),
the EAD description, and PREMIS events (reception, digitization, each signature, and the
verification of each signed copy at export time) with their agents. Every file is fetched
against its recorded SHA-256. The mapping of fields is documented in docs/archive-mapping.md.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.domain import BucketRole, SignerRole
from core.errors import Conflict, InputError, NotFound, SohoaError
from pipeline import adapters
from pipeline.context import Runtime
from storage import records
from storage.archive.layout import write_package
from storage.archive.model import (
    ORIGINALS,
    PRESERVATION,
    Agent,
    DocumentDescription,
    DossierPackage,
    Event,
    PackageFile,
)
from storage.codes import VIETNAM_TZ
from storage.keys import safe_name
from storage.models import AuditEntry, Document, Dossier, Procedure

log = logging.getLogger(__name__)

#: PRONOM identifier of PDF/A-2b, the format of every preservation copy.
PDFA_2B = ("PDF/A-2b", "fmt/477")
SOFTWARE = "sohoa"
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class _Source:
    """Where a package file's bytes are: bucket role, key, version, SHA-256."""

    role: BucketRole
    key: str
    version_id: str | None
    sha256: str


def select_dossiers(
    rt: Runtime, *, code: str | None, start: date | None, end: date | None
) -> list[str]:
    """The codes to export: one dossier, or those received in [start, end] (Vietnam dates)."""
    if (code is None) == (start is None or end is None):
        raise InputError(
            "give --dossier CODE, or --from DATE and --to DATE",
            detail_vi="Cần --dossier MÃ, hoặc --from NGÀY và --to NGÀY",
        )
    with rt.session() as session:
        if code is not None:
            return [records.get_dossier(session, code).code]
        assert start is not None and end is not None
        stmt = (
            select(Dossier.code)
            .where(Dossier.received_on >= start, Dossier.received_on <= end)
            .order_by(Dossier.received_on, Dossier.code)
        )
        return list(session.scalars(stmt))


def _audit_time(session: Session, action: str, subject: str | None) -> datetime | None:
    if subject is None:
        return None
    stmt = select(AuditEntry.created_at).where(
        AuditEntry.action == action, AuditEntry.subject == subject
    )
    return session.scalars(stmt.order_by(AuditEntry.id)).first()


def _signer_agent(subject: str, role: SignerRole) -> Agent:
    kind = "organization" if role == SignerRole.AGENCY else "person"
    label = (
        "Cơ quan ký số / signing agency" if kind == "organization" else "Cán bộ số hóa / officer"
    )
    return Agent(f"signer:{subject}", subject, kind, label)


def _gather(
    rt: Runtime, session: Session, code: str, package_type: str, only: int | None = None
) -> tuple[DossierPackage, dict[str, _Source]]:
    dossier = session.scalars(
        select(Dossier)
        .where(Dossier.code == code)
        .options(
            selectinload(Dossier.documents).selectinload(Document.originals),
            selectinload(Dossier.documents).selectinload(Document.signatures),
        )
    ).one()
    procedure = session.scalars(
        select(Procedure).where(Procedure.code == dossier.procedure_code)
    ).first()
    agency_name = dossier.agency_name or rt.settings.agency_name
    agents: dict[str, Agent] = {
        SOFTWARE: Agent(SOFTWARE, f"{SOFTWARE} 0.1.0", "software", "Hệ thống số hóa hồ sơ"),
        "agency": Agent("agency", agency_name, "organization", dossier.agency_code),
    }
    files: list[PackageFile] = []
    sources: dict[str, _Source] = {}
    events: list[Event] = []
    descriptions: list[DocumentDescription] = []
    chosen = [d for d in dossier.documents if only is None or d.ordinal == only]
    if only is not None and not chosen:
        raise NotFound(
            f"dossier {code} has no document {only}",
            detail_vi=f"Hồ sơ {code} không có tài liệu số {only}",
        )
    for document in chosen:
        descriptions.append(
            DocumentDescription(
                ordinal=document.ordinal,
                kind=document.kind.value,
                type_name=document.type_name,
                number_notation=document.number_notation,
                issue_date=document.issue_date,
                issuing_agency=document.issuing_agency,
                summary=document.summary,
                language=document.language,
                page_count=document.page_count,
                retention_period=document.retention_period,
            )
        )
        for original in document.originals:
            name = f"{document.ordinal:02d}-{safe_name(original.object_key.rsplit('/', 1)[-1])}"
            item = PackageFile(
                ORIGINALS,
                name,
                original.sha256,
                original.size,
                original.content_type,
                original.created_at,
                document.ordinal,
                format_name=original.content_type,
            )
            files.append(item)
            sources[item.path] = _Source(
                BucketRole.ORIGINALS,
                original.object_key,
                getattr(original, "version_id", None),
                original.sha256,
            )
            events.append(
                Event(
                    f"ev-received-{document.ordinal:02d}-{len(events) + 1}",
                    "ingestion",
                    original.created_at,
                    f"Tiếp nhận bản quét gốc / original received: {original.upload_name}",
                    "success",
                    SOFTWARE,
                    (item.path,),
                )
            )
        signed = document.signed_key is not None and document.signed_sha256 is not None
        key = document.signed_key if signed else document.digitized_key
        sha = document.signed_sha256 if signed else document.digitized_sha256
        if key is None or sha is None:
            continue
        role = BucketRole.RESULTS if signed else BucketRole.DOCUMENTS
        version = getattr(document, "signed_version_id" if signed else "digitized_version_id", None)
        item = PackageFile(
            PRESERVATION,
            safe_name(key.rsplit("/", 1)[-1]),
            sha,
            0,  # filled in once fetched (the records keep no size for PDFs)
            "application/pdf",
            document.updated_at,
            document.ordinal,
            *PDFA_2B,
        )
        files.append(item)
        sources[item.path] = _Source(role, key, version, sha)
        digitized_at = _audit_time(session, "document.digitized", document.digitized_key)
        events.append(
            Event(
                f"ev-digitized-{document.ordinal:02d}",
                "normalization",
                digitized_at or document.updated_at,
                "Số hóa: OCR tiếng Việt, PDF/A-2b / digitized: OCR, PDF/A-2b",
                "success",
                SOFTWARE,
                (item.path,),
            )
        )
        for n, signature in enumerate(document.signatures, 1):
            agent = _signer_agent(signature.signer_subject, signature.role)
            agents.setdefault(agent.identifier, agent)
            events.append(
                Event(
                    f"ev-signed-{document.ordinal:02d}-{n}",
                    "digital signature generation",
                    signature.signed_at,
                    f"Ký số PAdES {signature.level.value} ({signature.role.value}) / signed",
                    "success",
                    agent.identifier,
                    (item.path,),
                    outcome_detail=f"SHA-256 {signature.sha256}",
                )
            )
    package = DossierPackage(
        # A document's own package (Circular 05/2025: packages per dossier and per document).
        object_id=dossier.code if only is None else f"{dossier.code}.{only:02d}",
        package_type=package_type,
        created=datetime.now(VIETNAM_TZ),
        dossier_code=dossier.code,
        agency_code=dossier.agency_code,
        agency_name=agency_name,
        procedure_code=dossier.procedure_code,
        procedure_name=getattr(dossier, "procedure_name", None)
        or (procedure.name if procedure else None),
        received_on=dossier.received_on,
        status=dossier.status.value,
        documents=tuple(descriptions),
        files=tuple(files),
        events=tuple(events),
        agents=tuple(agents.values()),
    )
    return package, sources


def _fetcher(rt: Runtime, sources: dict[str, _Source]) -> Callable[[PackageFile, Path], None]:
    def fetch(file: PackageFile, target: Path) -> None:
        source = sources[file.path]
        with target.open("wb") as out:
            for chunk in rt.objects.iter_verified(
                rt.bucket(source.role), source.key, source.sha256, version_id=source.version_id
            ):
                out.write(chunk)

    return fetch


def _sized(package: DossierPackage, rt: Runtime, sources: dict[str, _Source]) -> DossierPackage:
    """The package with each PDF's size from S3 (the records keep sizes of originals only)."""
    files = []
    for file in package.files:
        if file.size == 0:
            source = sources[file.path]
            stored = rt.objects.stat(rt.bucket(source.role), source.key)
            size = stored.size if stored is not None else 0
            file = PackageFile(**{**file.__dict__, "size": size})
        files.append(file)
    return DossierPackage(**{**package.__dict__, "files": tuple(files)})


def _verification_events(package: DossierPackage, root: Path, rt: Runtime) -> list[Event]:
    """Verify each signed copy now: the ``digital signature validation`` events."""
    events = []
    for file in package.files_of(PRESERVATION):
        if not any(
            e.type == "digital signature generation" and file.path in e.files
            for e in package.events
        ):
            continue
        try:
            report: dict[str, Any] = adapters.verify_report(root / file.path, rt.settings)
            outcome, detail = str(report.get("verdict", "unknown")), str(report.get("reason", ""))
        except SohoaError as exc:
            outcome, detail = "failure", f"{exc.code}: {exc.message}"
        events.append(
            Event(
                f"ev-verified-{file.document:02d}",
                "digital signature validation",
                datetime.now(VIETNAM_TZ),
                "Kiểm tra chữ ký số khi xuất gói / signatures verified at export",
                outcome,
                SOFTWARE,
                (file.path,),
                outcome_detail=detail[:500],
            )
        )
    return events


def export_dossier(
    rt: Runtime,
    code: str,
    out_dir: Path,
    *,
    package_type: str = "AIP",
    document: int | None = None,
) -> Path:
    """Write one dossier's package (or one of its documents') under ``out_dir``.

    Returns:
        The package folder, ``out_dir/<code>`` (or ``out_dir/<code>.<NN>`` for document NN).
    """
    with rt.session() as session:
        package, sources = _gather(rt, session, code, package_type, document)
    if (out_dir / package.object_id).exists():
        raise Conflict(
            f"package {out_dir / package.object_id} already exists",
            detail_vi=f"Gói {package.object_id} đã tồn tại",
        )
    package = _sized(package, rt, sources)
    # Verification needs the fetched files: write once to learn it, then with its events.
    staging = out_dir / f".{package.object_id}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        root = write_package(package, staging, _fetcher(rt, sources))
        extra = _verification_events(package, root, rt)
        package = DossierPackage(**{**package.__dict__, "events": (*package.events, *extra)})

        def from_staging(file: PackageFile, target: Path) -> None:
            (root / file.path).replace(target)

        return write_package(package, out_dir, from_staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def export(
    rt: Runtime,
    out_dir: Path,
    *,
    code: str | None = None,
    start: date | None = None,
    end: date | None = None,
    package_type: str = "AIP",
    document: int | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Export one package per selected dossier (see :func:`select_dossiers`).

    ``document``: with ``code``, export only that document (its ordinal) as its own package.
    """
    if document is not None and code is None:
        raise InputError("--document needs --dossier", detail_vi="--document cần đi kèm --dossier")
    codes = select_dossiers(rt, code=code, start=start, end=end)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for n, dossier_code in enumerate(codes, 1):
        written.append(
            export_dossier(rt, dossier_code, out_dir, package_type=package_type, document=document)
        )
        if progress:
            progress("archive", n, len(codes))
    log.info("archive packages written", extra={"count": len(written), "dir": str(out_dir)})
    return written


__all__ = ["export", "export_dossier", "select_dossiers"]
