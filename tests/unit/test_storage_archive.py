"""The pure package builders: a CSIP package from plain data passes every schema and validator."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from core.errors import Conflict, IntegrityError
from storage.archive.checks import premis_problems
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
from tests.archive_checks import check_package, eark_errors, eark_report

WHEN = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Hanoi
CODE = "000.00.00.H29-261123-0001"
CONTENT = {"01-trang1.jpg": b"\xff\xd8 scan", f"{CODE}.01.pdf": b"%PDF-1.7 signed"}


def _package() -> DossierPackage:
    scan, pdf = (
        PackageFile(
            ORIGINALS,
            "01-trang1.jpg",
            hashlib.sha256(CONTENT["01-trang1.jpg"]).hexdigest(),
            len(CONTENT["01-trang1.jpg"]),
            "image/jpeg",
            WHEN,
            1,
            "image/jpeg",
        ),
        PackageFile(
            PRESERVATION,
            f"{CODE}.01.pdf",
            hashlib.sha256(CONTENT[f"{CODE}.01.pdf"]).hexdigest(),
            len(CONTENT[f"{CODE}.01.pdf"]),
            "application/pdf",
            WHEN,
            1,
            "PDF/A-2b",
            "fmt/477",
        ),
    )
    return DossierPackage(
        object_id=CODE,
        package_type="AIP",
        created=WHEN,
        dossier_code=CODE,
        agency_code="000.00.00.H29",
        agency_name="UBND Thành phố Hồ Chí Minh",
        procedure_code="1.001234",
        procedure_name="Đăng ký khai sinh",
        received_on=date(2026, 11, 23),
        status="returned",
        documents=(
            DocumentDescription(
                1,
                "submitted",
                "Giấy chứng sinh",
                "12/GCS",
                date(2026, 11, 1),
                "Bệnh viện Từ Dũ",
                "Chứng sinh cho bé Nguyễn Văn A",
                "vi",
                1,
                "Vĩnh viễn",
            ),
        ),
        files=(scan, pdf),
        events=(
            Event("ev-1", "ingestion", WHEN, "original received", "success", "sohoa", (scan.path,)),
            Event("ev-2", "normalization", WHEN, "digitized", "success", "sohoa", (pdf.path,)),
            Event(
                "ev-3",
                "digital signature generation",
                WHEN,
                "PAdES B-LTA",
                "success",
                "signer:CN=Officer",
                (pdf.path,),
            ),
            Event(
                "ev-4",
                "digital signature validation",
                WHEN,
                "verified",
                "valid",
                "sohoa",
                (pdf.path,),
            ),
        ),
        agents=(
            Agent("sohoa", "sohoa 0.1.0", "software"),
            Agent("signer:CN=Officer", "CN=Officer", "person"),
        ),
    )


def _fetch(file: PackageFile, target: Path) -> None:
    target.write_bytes(CONTENT[file.name])


def test_package_from_plain_data_passes_eark_validator_and_schemas(tmp_path: Path) -> None:
    root = write_package(_package(), tmp_path, _fetch)
    assert root.name == CODE
    assert (root / "representations" / "preservation" / "data" / f"{CODE}.01.pdf").is_file()
    check_package(root)
    mets = (root / "METS.xml").read_text(encoding="utf-8")
    assert 'CREATEDATE="2026-11-23T10:00:00+07:00"' in mets
    assert 'CHECKSUMTYPE="SHA-256"' in mets


def test_validator_catches_a_tampered_package(tmp_path: Path) -> None:
    root = write_package(_package(), tmp_path, _fetch)
    mets = root / "METS.xml"
    mets.write_text(
        mets.read_text(encoding="utf-8").replace('LABEL="Representations"', 'LABEL="R"'),
        encoding="utf-8",
    )
    assert any(e.startswith("CSIP103") for e in eark_errors(eark_report(root)))


def test_premis_check_names_broken_links_and_times() -> None:
    from storage.archive.premis import build_premis

    good = build_premis(_package())
    assert premis_problems(good) == []
    broken = good.replace(
        b"signer:CN=Officer</premis:agentIdentifierValue>",
        b"someone-else</premis:agentIdentifierValue>",
    )
    assert any("unknown agent" in p for p in premis_problems(broken))
    naive = good.replace(b"2026-11-23T10:00:00+07:00", b"2026-11-23T03:00:00Z")
    assert any("eventDateTime" in p for p in premis_problems(naive))


def test_fetched_bytes_must_match_the_recorded_sha256(tmp_path: Path) -> None:
    def wrong(file: PackageFile, target: Path) -> None:
        target.write_bytes(b"not the recorded bytes")

    with pytest.raises(IntegrityError):
        write_package(_package(), tmp_path, wrong)
    assert not (tmp_path / CODE).exists()  # nothing half-written is left
    write_package(_package(), tmp_path, _fetch)
    with pytest.raises(Conflict):
        write_package(_package(), tmp_path, _fetch)


def test_ead_carries_the_documents_description(tmp_path: Path) -> None:
    root = write_package(_package(), tmp_path, _fetch)
    ead = etree.parse(str(root / "metadata" / "descriptive" / "ead.xml"))
    assert ead.findtext("archdesc/did/unitid") == CODE
    component = ead.find("archdesc/dsc/c")
    assert component is not None and component.findtext("did/unittitle") == "Giấy chứng sinh"
    assert component.find("did/unitdate").get("normal") == "2026-11-01"  # type: ignore[union-attr]
