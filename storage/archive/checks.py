"""Checks of a written package that no installable schema covers: PREMIS 3 and the times.

No package installable here ships the PREMIS 3 XSD, and nothing is downloaded at run time, so
:func:`premis_problems` checks what the PREMIS 3.0 schema requires of the elements sohoa writes
(required children, their order, identifier links) plus the fixity values. METS is checked by
eark-validator against its own METS XSD and the CSIP Schematron rules, EAD against the EAD 2002
DTD (tests). :func:`offset_problems` checks that every time is ISO 8601 with ``+07:00``.
"""

from __future__ import annotations

import re

from lxml import etree

from storage.archive.premis import PREMIS_NS

_P = f"{{{PREMIS_NS}}}"
#: Children in schema order (PREMIS 3.0 objectComplexType/file, eventComplexType, agent…);
#: True marks the required ones.
_ORDER: dict[str, list[tuple[str, bool]]] = {
    "object": [
        ("objectIdentifier", True),
        ("preservationLevel", False),
        ("significantProperties", False),
        ("objectCharacteristics", True),
        ("originalName", False),
        ("storage", False),
        ("signatureInformation", False),
        ("environmentFunction", False),
        ("environmentDesignation", False),
        ("relationship", False),
        ("linkingEventIdentifier", False),
        ("linkingRightsStatementIdentifier", False),
    ],
    "event": [
        ("eventIdentifier", True),
        ("eventType", True),
        ("eventDateTime", True),
        ("eventDetailInformation", False),
        ("eventOutcomeInformation", False),
        ("linkingAgentIdentifier", False),
        ("linkingObjectIdentifier", False),
    ],
    "agent": [
        ("agentIdentifier", True),
        ("agentName", False),
        ("agentType", False),
        ("agentVersion", False),
        ("agentNote", False),
        ("agentExtension", False),
        ("linkingEventIdentifier", False),
        ("linkingRightsStatementIdentifier", False),
        ("linkingEnvironmentIdentifier", False),
    ],
    "objectCharacteristics": [
        ("compositionLevel", False),
        ("fixity", False),
        ("size", False),
        ("format", True),
        ("creatingApplication", False),
        ("inhibitors", False),
        ("objectCharacteristicsExtension", False),
    ],
}
_ISO_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+07:00$")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _order(element: etree._Element, where: str) -> list[str]:
    expected = _ORDER[_local(element)]
    names = [name for name, _ in expected]
    seen = [_local(child) for child in element if isinstance(child.tag, str)]
    problems = [f"{where}: unexpected <{n}>" for n in seen if n not in names]
    positions = [names.index(n) for n in seen if n in names]
    if positions != sorted(positions):
        problems.append(f"{where}: children out of schema order: {seen}")
    problems += [
        f"{where}: missing <{n}>" for n, required in expected if required and n not in seen
    ]
    return problems


def premis_problems(xml: bytes) -> list[str]:
    """What in a PREMIS document breaks the PREMIS 3.0 rules sohoa relies on (empty: none)."""
    root = etree.fromstring(xml)
    problems: list[str] = []
    if root.tag != f"{_P}premis" or root.get("version") != "3.0":
        return [f"root is {root.tag} version {root.get('version')}, not premis 3.0"]
    children = [_local(c) for c in root if isinstance(c.tag, str)]
    rank = {"object": 0, "event": 1, "agent": 2, "rights": 3}
    if [rank.get(c, 9) for c in children] != sorted(rank.get(c, 9) for c in children):
        problems.append(f"premis: children out of order {children}")
    if "object" not in children:
        problems.append("premis: no object")
    objects = {e.text for e in root.iter(f"{_P}objectIdentifierValue")}
    agents = {e.text for e in root.iter(f"{_P}agentIdentifierValue")}
    events = {e.text for e in root.iter(f"{_P}eventIdentifierValue")}
    for n, element in enumerate(root, 1):
        if not isinstance(element.tag, str) or _local(element) not in _ORDER:
            continue
        problems += _order(element, f"{_local(element)}[{n}]")
        for chars in element.iter(f"{_P}objectCharacteristics"):
            problems += _order(chars, f"object[{n}]/objectCharacteristics")
            for fixity in chars.iter(f"{_P}fixity"):
                algorithm = fixity.findtext(f"{_P}messageDigestAlgorithm")
                digest = fixity.findtext(f"{_P}messageDigest") or ""
                if algorithm != "SHA-256" or not re.fullmatch(r"[0-9a-f]{64}", digest):
                    problems.append(f"object[{n}]: fixity {algorithm} {digest!r}")
    for link in root.iter(f"{_P}linkingAgentIdentifierValue"):
        if link.text not in agents:
            problems.append(f"event links unknown agent {link.text!r}")
    for link in root.iter(f"{_P}linkingObjectIdentifierValue"):
        if link.text not in objects:
            problems.append(f"event links unknown object {link.text!r}")
    for link in root.iter(f"{_P}linkingEventIdentifierValue"):
        if link.text not in events:
            problems.append(f"object links unknown event {link.text!r}")
    problems += offset_problems(xml, ("eventDateTime",))
    return problems


def offset_problems(
    xml: bytes, names: tuple[str, ...] = (), attributes: tuple[str, ...] = ()
) -> list[str]:
    """Times in elements ``names`` or attributes ``attributes`` not in ISO 8601 with +07:00."""
    root = etree.fromstring(xml)
    problems = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if _local(element) in names and not _ISO_OFFSET.match(element.text or ""):
            problems.append(f"<{_local(element)}> {element.text!r}")
        for attribute in attributes:
            value = element.get(attribute)
            if value is not None and not _ISO_OFFSET.match(value):
                problems.append(f"@{attribute} {value!r}")
    return problems


__all__ = ["offset_problems", "premis_problems"]
