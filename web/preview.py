"""The stamp preview of page 1: where the agency stamp and the QR code will be placed.

:func:`planned_boxes` is the one function that knows the geometry. It asks
``pipeline.adapters.stamp_plan`` (the same plan ``sign_pdf`` follows) when the pipeline offers
it, and otherwise uses the corner geometry of the settings (stamp box and QR at their
configured corners, ``SOHOA_STAMP_*`` / ``SOHOA_QR_*``), which is what signing did before
content-aware placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings
from pipeline import adapters


@dataclass(frozen=True)
class Box:
    """A rectangle to draw over the page image, in PDF points from the top-left corner."""

    name: str
    x: float
    y: float
    width: float
    height: float


def _corner(
    corner: str, page_w: float, page_h: float, w: float, h: float, margin: float
) -> tuple[float, float]:
    """Top-left (x, y from the top) of a ``w``×``h`` box at ``corner``."""
    x = margin if corner.endswith("left") else page_w - margin - w
    y = margin if corner.startswith("top") else page_h - margin - h
    return x, y


def planned_boxes(pdf: Path, settings: Settings) -> tuple[float, float, list[Box]]:
    """Page 1's size (points) and the boxes the agency's signature will draw on it."""
    width, height = adapters.page_size(pdf, 1)
    plan_of: Any = getattr(adapters, "stamp_plan", None)
    if plan_of is not None:
        try:
            plan = plan_of(pdf, settings)
            boxes = [
                Box(p.name, p.rect[0], height - p.rect[3], p.rect[2] - p.rect[0],
                    p.rect[3] - p.rect[1])
                for p in plan.placements
                if p.page == 0 and p.name in ("agency", "qr")
            ]  # fmt: skip
            return width, height, boxes
        except (TypeError, AttributeError):
            pass  # another shape than expected: fall back to the corner geometry
    sx, sy = _corner(
        settings.agency_stamp_corner, width, height, settings.stamp_width, settings.stamp_height,
        settings.stamp_margin,
    )  # fmt: skip
    qx, qy = _corner(
        settings.qr_corner, width, height, settings.qr_size, settings.qr_size,
        settings.stamp_margin,
    )  # fmt: skip
    return (
        width,
        height,
        [
            Box("agency", sx, sy, settings.stamp_width, settings.stamp_height),
            Box("qr", qx, qy, settings.qr_size, settings.qr_size),
        ],
    )


__all__ = ["Box", "planned_boxes"]
