"""The stamp preview of page 1: where the agency's stamp and the QR code will be placed.

The boxes come from ``pipeline.adapters.stamp_plan``, the same plan ``sign_pdf`` follows
(free space on page 1, shrunk, a margin strip, or an appended signature-information page), so
the preview shows the signature where it will be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.domain import SignerRole
from core.settings import Settings
from pipeline import adapters
from web.reads import DocumentRow


@dataclass(frozen=True)
class Box:
    """A rectangle to draw over the page image, in PDF points from the top-left corner."""

    name: str
    x: float
    y: float
    width: float
    height: float
    where: str


@dataclass(frozen=True)
class Preview:
    width: float
    height: float
    boxes: list[Box]
    #: Stamps that go on an appended signature-information page instead of page 1.
    appended: list[str]


def planned_boxes(pdf: Path, settings: Settings, doc: DocumentRow, procedure_code: str) -> Preview:
    """Page 1's size (points) and the boxes the agency's signature will draw on it."""
    info = adapters.StampInfo(
        dossier_code=doc.dossier_code,
        document_id=doc.id,
        document_name=doc.type_name,
        verify_url=settings.verify_url(doc.verify_reference),
        procedure_code=procedure_code,
        document_identifier=f"{doc.dossier_code}/{doc.ordinal}",
        is_result=doc.kind == "result",
    )
    plan = adapters.stamp_plan(pdf, SignerRole.AGENCY, settings, info)
    x0, y0, x1, y1 = plan.page_box
    height = y1 - y0
    boxes: list[Box] = []
    appended: list[str] = []
    for p in plan.placements:
        if p.page is None:
            appended.append(str(p.name))
            continue
        if p.page != 0:
            continue
        left, bottom, right, top = p.rect
        # PDF origin is bottom-left; the image's is top-left.
        boxes.append(
            Box(str(p.name), left - x0, y1 - top, right - left, top - bottom, str(p.where))
        )
    return Preview(x1 - x0, height, boxes, appended)


__all__ = ["Box", "Preview", "planned_boxes"]
