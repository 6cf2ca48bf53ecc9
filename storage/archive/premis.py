"""The PREMIS 3 preservation metadata of a package (``metadata/preservation/premis.xml``).

Objects: every file with its SHA-256 fixity, size and format (PRONOM). Events: reception of the
originals (``ingestion``), digitization to PDF/A-2b (``normalization``), each signature
(``digital signature generation``) and the verification at export (``digital signature
validation``), each linked to its agent (sohoa, the agency, the signer) and to the files it
concerns. Event types use the Library of Congress PREMIS event type vocabulary wording.
"""

from __future__ import annotations

from lxml import etree

from storage.archive.mets import iso
from storage.archive.model import DossierPackage, PackageFile

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{PREMIS_NS} https://www.loc.gov/standards/premis/premis.xsd"


def _p(tag: str) -> str:
    return f"{{{PREMIS_NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _p(tag))
    if text is not None:
        element.text = text
    return element


def _object(root: etree._Element, file: PackageFile, events: list[str]) -> None:
    obj = _sub(root, "object")
    obj.set(f"{{{XSI_NS}}}type", "premis:file")
    holder = _sub(obj, "objectIdentifier")
    _sub(holder, "objectIdentifierType", "local")
    _sub(holder, "objectIdentifierValue", file.path)
    characteristics = _sub(obj, "objectCharacteristics")
    _sub(characteristics, "compositionLevel", "0")
    fixity = _sub(characteristics, "fixity")
    _sub(fixity, "messageDigestAlgorithm", "SHA-256")
    _sub(fixity, "messageDigest", file.sha256)
    _sub(characteristics, "size", str(file.size))
    fmt = _sub(characteristics, "format")
    designation = _sub(fmt, "formatDesignation")
    _sub(designation, "formatName", file.format_name or file.mime_type)
    if file.format_registry_key:
        registry = _sub(fmt, "formatRegistry")
        _sub(registry, "formatRegistryName", "PRONOM")
        _sub(registry, "formatRegistryKey", file.format_registry_key)
    _sub(obj, "originalName", file.name)
    for event_id in events:
        link = _sub(obj, "linkingEventIdentifier")
        _sub(link, "linkingEventIdentifierType", "local")
        _sub(link, "linkingEventIdentifierValue", event_id)


def build_premis(pkg: DossierPackage) -> bytes:
    """The PREMIS 3 XML of ``pkg``."""
    root = etree.Element(_p("premis"), nsmap={"premis": PREMIS_NS, "xsi": XSI_NS})
    root.set("version", "3.0")
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    for file in pkg.files:
        _object(root, file, [e.identifier for e in pkg.events if file.path in e.files])
    for event in pkg.events:
        element = _sub(root, "event")
        holder = _sub(element, "eventIdentifier")
        _sub(holder, "eventIdentifierType", "local")
        _sub(holder, "eventIdentifierValue", event.identifier)
        _sub(element, "eventType", event.type)
        _sub(element, "eventDateTime", iso(event.time))
        _sub(_sub(element, "eventDetailInformation"), "eventDetail", event.detail)
        outcome = _sub(element, "eventOutcomeInformation")
        _sub(outcome, "eventOutcome", event.outcome)
        if event.outcome_detail:
            _sub(
                _sub(outcome, "eventOutcomeDetail"), "eventOutcomeDetailNote", event.outcome_detail
            )
        linked = _sub(element, "linkingAgentIdentifier")
        _sub(linked, "linkingAgentIdentifierType", "local")
        _sub(linked, "linkingAgentIdentifierValue", event.agent)
        _sub(
            linked,
            "linkingAgentRole",
            "executing program" if event.agent == "sohoa" else "implementer",
        )
        for path in event.files:
            link = _sub(element, "linkingObjectIdentifier")
            _sub(link, "linkingObjectIdentifierType", "local")
            _sub(link, "linkingObjectIdentifierValue", path)
    for agent in pkg.agents:
        element = _sub(root, "agent")
        holder = _sub(element, "agentIdentifier")
        _sub(holder, "agentIdentifierType", "local")
        _sub(holder, "agentIdentifierValue", agent.identifier)
        _sub(element, "agentName", agent.name)
        _sub(element, "agentType", agent.type)
        if agent.note:
            _sub(element, "agentNote", agent.note)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out


__all__ = ["PREMIS_NS", "build_premis"]
