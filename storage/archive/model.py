"""A dossier's archive package as plain data (what the XML builders need, nothing more).

Times are aware datetimes; the builders write them in ISO 8601 with the Vietnam offset
(+07:00), as Circular 05/2025/TT-BNV asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

#: CSIP representation folders: the scans as received, and the signed PDF/A copies.
ORIGINALS = "originals"
PRESERVATION = "preservation"


@dataclass(frozen=True)
class PackageFile:
    """One file of a representation, at ``representations/<rep>/data/<name>``."""

    representation: str
    name: str
    sha256: str
    size: int
    mime_type: str
    created: datetime
    #: Which document (ordinal) it belongs to.
    document: int
    #: PRONOM id / format name for PREMIS (``fmt/479`` is PDF/A-2b).
    format_name: str = ""
    format_registry_key: str = ""

    @property
    def path(self) -> str:
        return f"representations/{self.representation}/data/{self.name}"


@dataclass(frozen=True)
class Event:
    """A preservation event (PREMIS): what happened to which files, by whom, when, outcome."""

    identifier: str
    type: str  # PREMIS eventType, Library of Congress vocabulary wording
    time: datetime
    detail: str
    outcome: str  # "success" | "failure" | a validation verdict
    agent: str  # Agent.identifier
    files: tuple[str, ...] = ()  # PackageFile.path of the objects concerned
    outcome_detail: str = ""


@dataclass(frozen=True)
class Agent:
    """A PREMIS agent: the software, an organisation or a person (signer)."""

    identifier: str
    name: str
    type: str  # "software" | "organization" | "person"
    note: str = ""


@dataclass(frozen=True)
class DocumentDescription:
    """EAD description of one document (tài liệu) of the dossier."""

    ordinal: int
    kind: str  # submitted | result
    type_name: str
    number_notation: str | None
    issue_date: date | None
    issuing_agency: str | None
    summary: str | None
    language: str
    page_count: int
    retention_period: str | None


@dataclass(frozen=True)
class DossierPackage:
    """Everything one dossier's package holds."""

    object_id: str  # the dossier code: the package's OBJID and folder name
    package_type: str  # "SIP" or "AIP"
    created: datetime
    dossier_code: str
    agency_code: str
    agency_name: str
    procedure_code: str
    procedure_name: str | None
    received_on: date
    status: str
    documents: tuple[DocumentDescription, ...]
    files: tuple[PackageFile, ...]
    events: tuple[Event, ...]
    agents: tuple[Agent, ...]
    software: str = "sohoa"
    software_version: str = "0.1.0"
    representations: tuple[str, ...] = field(default=(ORIGINALS, PRESERVATION))

    def files_of(self, representation: str) -> list[PackageFile]:
        return [f for f in self.files if f.representation == representation]


__all__ = [
    "ORIGINALS",
    "PRESERVATION",
    "Agent",
    "DocumentDescription",
    "DossierPackage",
    "Event",
    "PackageFile",
]
