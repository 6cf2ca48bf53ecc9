"""The EAD 2002 description of a dossier (``metadata/descriptive/ead.xml``).

The dossier is the ``archdesc`` at ``level="file"`` (hồ sơ), each document a component
``<c level="item">`` (tài liệu) with its type, number/notation, date, issuing agency, summary
(trích yếu), page count, language and retention period (thời hạn bảo quản). EAD 2002 is valid
against its DTD (no namespace); docs/archive-mapping.md maps every field to sohoa's records.
"""

from __future__ import annotations

from datetime import date

from lxml import etree

from storage.archive.mets import iso
from storage.archive.model import DocumentDescription, DossierPackage

DOCTYPE = (
    '<!DOCTYPE ead PUBLIC "+//ISBN 1-931666-00-8//DTD ead.dtd (Encoded Archival Description '
    '(EAD) Version 2002)//EN" "ead.dtd">'
)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrib=attrs)
    if text is not None:
        element.text = text
    return element


def _date(parent: etree._Element, day: date, tag: str = "unitdate") -> None:
    _sub(parent, tag, f"{day:%d/%m/%Y}", normal=day.isoformat(), era="ce", calendar="gregorian")


def _language(code: str) -> tuple[str, str]:
    # ISO 639-2/B, as EAD's langencoding says.
    return {"vi": ("vie", "Tiếng Việt"), "en": ("eng", "English")}.get(code, (code, code))


def _component(dsc: etree._Element, pkg: DossierPackage, doc: DocumentDescription) -> None:
    c = _sub(dsc, "c", level="item", id=f"doc-{doc.ordinal:02d}")
    did = _sub(c, "did")
    _sub(did, "unitid", f"{pkg.dossier_code}.{doc.ordinal:02d}")
    _sub(did, "unittitle", doc.type_name)
    if doc.issue_date is not None:
        _date(did, doc.issue_date)
    if doc.issuing_agency:
        origination = _sub(did, "origination", label="Cơ quan ban hành")
        _sub(origination, "corpname", doc.issuing_agency)
    physdesc = _sub(did, "physdesc")
    _sub(physdesc, "extent", f"{doc.page_count} trang", unit="pages")
    langmaterial = _sub(did, "langmaterial")
    langcode, name = _language(doc.language)
    _sub(langmaterial, "language", name, langcode=langcode)
    if doc.number_notation:
        _sub(did, "unitid", doc.number_notation, label="Số, ký hiệu", type="number-notation")
    _sub(did, "note", label="Loại").append(
        _para("Kết quả" if doc.kind == "result" else "Thành phần hồ sơ")
    )
    if doc.summary:
        _sub(c, "scopecontent").append(_para(doc.summary, head="Trích yếu"))
    if doc.retention_period:
        _sub(c, "appraisal").append(_para(doc.retention_period, head="Thời hạn bảo quản"))
    daogrp = _sub(c, "daogrp")
    for file in pkg.files:
        if file.document == doc.ordinal:
            _sub(daogrp, "daoloc", href=file.path, title=file.representation)


def _para(text: str, head: str | None = None) -> etree._Element:
    p = etree.Element("p")
    p.text = f"{head}: {text}" if head else text
    return p


def build_ead(pkg: DossierPackage) -> bytes:
    """The EAD 2002 XML of ``pkg`` (with its DOCTYPE, UTF-8)."""
    ead = etree.Element("ead", audience="external")
    header = _sub(
        ead,
        "eadheader",
        langencoding="iso639-2b",
        dateencoding="iso8601",
        countryencoding="iso3166-1",
        repositoryencoding="iso15511",
        scriptencoding="iso15924",
    )
    _sub(header, "eadid", pkg.object_id, countrycode="VN", identifier=pkg.object_id)
    filedesc = _sub(header, "filedesc")
    titlestmt = _sub(filedesc, "titlestmt")
    _sub(titlestmt, "titleproper", f"Hồ sơ {pkg.dossier_code}")
    profile = _sub(header, "profiledesc")
    creation = _sub(profile, "creation", f"{pkg.software} {pkg.software_version} ")
    _sub(creation, "date", iso(pkg.created), normal=pkg.created.date().isoformat())
    langusage = _sub(profile, "langusage")
    _sub(langusage, "language", "Tiếng Việt", langcode="vie", scriptcode="Latn")

    archdesc = _sub(ead, "archdesc", level="file", type="inventory")
    did = _sub(archdesc, "did")
    _sub(did, "unitid", pkg.dossier_code, countrycode="VN", repositorycode=pkg.agency_code)
    _sub(did, "unittitle", pkg.procedure_name or f"Thủ tục {pkg.procedure_code}")
    _date(did, pkg.received_on)
    repository = _sub(did, "repository")
    _sub(repository, "corpname", pkg.agency_name)
    origination = _sub(did, "origination", label="Cơ quan tiếp nhận")
    _sub(origination, "corpname", f"{pkg.agency_name} ({pkg.agency_code})")
    physdesc = _sub(did, "physdesc")
    _sub(physdesc, "extent", f"{len(pkg.documents)} tài liệu", unit="items")
    _sub(did, "note", label="Mã thủ tục hành chính").append(_para(pkg.procedure_code))
    _sub(archdesc, "processinfo").append(_para(pkg.status, head="Trạng thái hồ sơ"))
    dsc = _sub(archdesc, "dsc", type="combined")
    for doc in pkg.documents:
        _component(dsc, pkg, doc)
    body = etree.tostring(ead, encoding="UTF-8", pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + DOCTYPE.encode() + b"\n" + body


__all__ = ["build_ead"]
