"""METS documents of an E-ARK CSIP 2.1 package: the root ``METS.xml`` and one per representation.

The root METS points at the descriptive (EAD) and preservation (PREMIS) metadata and at each
representation's own METS; a representation's METS lists its files. Every file entry carries
its size, creation time and SHA-256 (``CHECKSUMTYPE="SHA-256"``), as CSIP and Circular
05/2025/TT-BNV ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from storage.archive.model import DossierPackage, PackageFile
from storage.codes import VIETNAM_TZ

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP: dict[str | None, str] = {
    None: METS_NS,
    "xlink": XLINK_NS,
    "csip": CSIP_NS,
    "sip": SIP_NS,
    "xsi": XSI_NS,
}
SCHEMA_LOCATION = (
    f"{METS_NS} http://www.loc.gov/standards/mets/mets.xsd "
    f"{XLINK_NS} http://www.loc.gov/standards/mets/xlink.xsd "
    f"{CSIP_NS} https://earkcsip.dilcis.eu/schema/DILCISExtensionMETS.xsd "
    f"{SIP_NS} https://earksip.dilcis.eu/schema/DILCISExtensionSIPMETS.xsd"
)
CSIP_PROFILE = "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml"
#: What the representations hold, named for the "other" content information type.
CONTENT_TYPE = "sohoa dossier: scans and signed PDF/A-2b (Circular 05/2025/TT-BNV)"


def iso(moment: datetime) -> str:
    """ISO 8601 with the Vietnam offset, whole seconds: ``2026-11-23T10:00:00+07:00``."""
    return moment.astimezone(VIETNAM_TZ).isoformat(timespec="seconds")


def _m(tag: str) -> str:
    return f"{{{METS_NS}}}{tag}"


def _x(attr: str) -> str:
    return f"{{{XLINK_NS}}}{attr}"


def _c(attr: str) -> str:
    return f"{{{CSIP_NS}}}{attr}"


@dataclass(frozen=True)
class MetadataFile:
    """A metadata or METS file the root METS refers to (path relative to the package root)."""

    path: str
    sha256: str
    size: int
    mime_type: str = "text/xml"


def _ref_attrs(item: MetadataFile | PackageFile, created: datetime) -> dict[str, str]:
    return {
        "MIMETYPE": item.mime_type,
        "SIZE": str(item.size),
        "CREATED": iso(created),
        "CHECKSUM": item.sha256.upper(),
        "CHECKSUMTYPE": "SHA-256",
    }


def _root(pkg: DossierPackage, object_id: str, label: str) -> etree._Element:
    root = etree.Element(_m("mets"), nsmap=NSMAP)  # type: ignore[arg-type]
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    root.set("OBJID", object_id)
    root.set("LABEL", label)
    root.set("TYPE", "Mixed")
    root.set(_c("CONTENTINFORMATIONTYPE"), "MIXED")
    root.set("PROFILE", CSIP_PROFILE)
    header = etree.SubElement(root, _m("metsHdr"), CREATEDATE=iso(pkg.created))
    header.set("LASTMODDATE", iso(pkg.created))
    header.set("RECORDSTATUS", "NEW")
    header.set(_c("OAISPACKAGETYPE"), pkg.package_type)
    agent = etree.SubElement(header, _m("agent"), ROLE="CREATOR", TYPE="OTHER")
    agent.set("OTHERTYPE", "SOFTWARE")
    etree.SubElement(agent, _m("name")).text = pkg.software
    note = etree.SubElement(agent, _m("note"))
    note.set(_c("NOTETYPE"), "SOFTWARE VERSION")
    note.text = pkg.software_version
    org = etree.SubElement(header, _m("agent"), ROLE="ARCHIVIST", TYPE="ORGANIZATION")
    etree.SubElement(org, _m("name")).text = pkg.agency_name
    etree.SubElement(org, _m("note")).text = pkg.agency_code
    return root


def _md_ref(parent: etree._Element, md: MetadataFile, mdtype: str, created: datetime) -> None:
    ref = etree.SubElement(parent, _m("mdRef"), LOCTYPE="URL", MDTYPE=mdtype)
    ref.set(_x("type"), "simple")
    ref.set(_x("href"), md.path)
    for key, value in _ref_attrs(md, created).items():
        ref.set(key, value)


def _file(
    parent: etree._Element,
    file_id: str,
    item: MetadataFile | PackageFile,
    href: str,
    created: datetime,
) -> None:
    entry = etree.SubElement(
        parent, _m("file"), attrib={"ID": file_id, **_ref_attrs(item, created)}
    )
    locat = etree.SubElement(entry, _m("FLocat"), LOCTYPE="URL")
    locat.set(_x("type"), "simple")
    locat.set(_x("href"), href)


def _group(parent: etree._Element, group_id: str, use: str) -> etree._Element:
    group = etree.SubElement(parent, _m("fileGrp"), ID=group_id, USE=use)
    # eark-validator 1.1.3's CSIP63 test only passes for OTHER with the "other" attribute set.
    group.set(_c("CONTENTINFORMATIONTYPE"), "OTHER")
    group.set(_c("OTHERCONTENTINFORMATIONTYPE"), CONTENT_TYPE)
    return group


def _bytes(root: etree._Element) -> bytes:
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out


def representation_mets(pkg: DossierPackage, representation: str) -> bytes:
    """The METS of one representation: its files under ``data/`` (paths relative to it)."""
    object_id = f"{pkg.object_id}-{representation}"
    root = _root(pkg, object_id, f"{pkg.dossier_code} — {representation}")
    file_sec = etree.SubElement(root, _m("fileSec"), ID="file-sec")
    group = _group(file_sec, "file-grp-data", "Data")
    ids: list[str] = []
    for n, item in enumerate(pkg.files_of(representation), 1):
        file_id = f"file-{n:04d}"
        ids.append(file_id)
        _file(group, file_id, item, f"data/{item.name}", item.created)
    struct = etree.SubElement(root, _m("structMap"), ID="struct-map", TYPE="PHYSICAL")
    struct.set("LABEL", "CSIP")
    top = etree.SubElement(struct, _m("div"), ID="struct-root", LABEL=object_id)
    data = etree.SubElement(top, _m("div"), ID="struct-data", LABEL="Data")
    for file_id in ids:
        etree.SubElement(data, _m("fptr"), FILEID=file_id)
    return _bytes(root)


def root_mets(
    pkg: DossierPackage,
    ead: MetadataFile,
    premis: MetadataFile,
    representation_files: dict[str, MetadataFile],
    documentation: list[MetadataFile],
    schemas: list[MetadataFile],
) -> bytes:
    """The package's root ``METS.xml``.

    Args:
        pkg: The package.
        ead: ``metadata/descriptive/ead.xml`` (EAD 2002 description).
        premis: ``metadata/preservation/premis.xml`` (PREMIS 3 events, objects, agents).
        representation_files: Each representation's ``representations/<rep>/METS.xml``.
        documentation: Files under ``documentation/`` (what the package holds, the mapping).
        schemas: Files under ``schemas/`` (the XML schemas the package uses).
    """
    root = _root(pkg, pkg.object_id, f"Hồ sơ {pkg.dossier_code}")
    dmd = etree.SubElement(root, _m("dmdSec"), ID="dmd-ead", CREATED=iso(pkg.created))
    dmd.set("STATUS", "CURRENT")
    _md_ref(dmd, ead, "EAD", pkg.created)
    amd = etree.SubElement(root, _m("amdSec"), ID="amd")
    digiprov = etree.SubElement(amd, _m("digiprovMD"), ID="digiprov-premis")
    digiprov.set("CREATED", iso(pkg.created))
    digiprov.set("STATUS", "CURRENT")
    _md_ref(digiprov, premis, "PREMIS", pkg.created)

    file_sec = etree.SubElement(root, _m("fileSec"), ID="file-sec")
    listed: dict[str, list[str]] = {}
    for use, items in (("Documentation", documentation), ("Schemas", schemas)):
        group = _group(file_sec, f"file-grp-{use.lower()}", use)
        for n, item in enumerate(items, 1):
            file_id = f"file-{use.lower()}-{n:02d}"
            listed.setdefault(use, []).append(file_id)
            _file(group, file_id, item, item.path, pkg.created)
    for rep in pkg.representations:
        group = _group(file_sec, f"file-grp-{rep}", f"Representations/{rep}")
        _file(
            group,
            f"file-mets-{rep}",
            representation_files[rep],
            representation_files[rep].path,
            pkg.created,
        )

    struct = etree.SubElement(root, _m("structMap"), ID="struct-map", TYPE="PHYSICAL")
    struct.set("LABEL", "CSIP")
    top = etree.SubElement(struct, _m("div"), ID="struct-root", LABEL=pkg.object_id)
    metadata = etree.SubElement(top, _m("div"), ID="struct-metadata", LABEL="Metadata")
    metadata.set("DMDID", "dmd-ead")
    metadata.set("ADMID", "digiprov-premis")
    for use, file_ids in listed.items():
        div = etree.SubElement(top, _m("div"), ID=f"struct-{use.lower()}", LABEL=use)
        for file_id in file_ids:
            etree.SubElement(div, _m("fptr"), FILEID=file_id)
    content = etree.SubElement(top, _m("div"), ID="struct-representations", LABEL="Representations")
    for rep in pkg.representations:
        etree.SubElement(content, _m("fptr"), FILEID=f"file-mets-{rep}")
    for rep in pkg.representations:
        div = etree.SubElement(
            content, _m("div"), ID=f"struct-{rep}", LABEL=f"Representations/{rep}"
        )
        pointer = etree.SubElement(div, _m("mptr"), LOCTYPE="URL")
        pointer.set(_x("type"), "simple")
        pointer.set(_x("href"), representation_files[rep].path)
        pointer.set(_x("title"), f"file-grp-{rep}")
    return _bytes(root)


__all__ = ["MetadataFile", "iso", "representation_mets", "root_mets"]
