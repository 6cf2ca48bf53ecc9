"""Placing our stamps and the QR code on page 1, and plugging them into pyHanko's signer.

pyHanko asks a "stamp style" for an appearance when it fills the signature widget; ``StampStyle``
answers with our own appearance stream (see :mod:`signing.appearance`). The QR code goes into the
page content of the first signing revision, or, once the document is signed (page content may no
longer change), into the signing widget itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.generic import pdf_name

from core.domain import SignerRole
from signing import appearance
from signing.keys import Signer
from signing.page_marks import QR_MARK, occupied_mark
from signing.placement import corner_rect
from signing.request import Corner, QRContent, SignatureRequest, SigningPolicy, format_vn_time

#: pyHanko's object model is only partly annotated; treat it as untyped here.
generic: Any = _generic


def stamp_box(
    corner: Corner, page_box: tuple[float, float, float, float], w: float, h: float, margin: float
) -> tuple[float, float, float, float]:
    """The w×h box exactly at ``corner``, ``margin`` from the edges (no content checked)."""
    return corner_rect(page_box, corner, w, h, margin)


def _inherited_box(page: Any, key: str) -> tuple[float, float, float, float] | None:
    node: Any = page
    while node is not None:
        if key in node:
            x0, y0, x1, y1 = (float(v) for v in node[key])
            return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return None


def media_box(page: Any) -> tuple[float, float, float, float]:
    """The visible page area: the CropBox within the MediaBox, both inheritable."""
    media = _inherited_box(page, "/MediaBox") or (0.0, 0.0, 595.0, 842.0)
    crop = _inherited_box(page, "/CropBox")
    if crop is None:
        return media
    box = (
        max(media[0], crop[0]),
        max(media[1], crop[1]),
        min(media[2], crop[2]),
        min(media[3], crop[3]),
    )
    return box if box[0] < box[2] and box[1] < box[3] else media


Matrix = tuple[float, float, float, float, float, float]
Rect = tuple[float, float, float, float]


def page_rotation(page: Any) -> int:
    """The page's /Rotate (inheritable), as 0, 90, 180 or 270 degrees clockwise."""
    node: Any = page
    while node is not None:
        if "/Rotate" in node:
            return int(node["/Rotate"]) % 360 // 90 * 90
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return 0


@dataclass(frozen=True)
class PageView:
    """Page 1 as the reader sees it: displayed size and the map back to PDF user space.

    Corners ("top-right") are meant as displayed; a page with /Rotate 90 shows its user-space
    left edge at the top, so boxes are computed in displayed coordinates and mapped back.
    """

    width: float
    height: float
    rotation: int
    to_user: Matrix

    @classmethod
    def of(cls, page: Any) -> PageView:
        x0, y0, x1, y1 = media_box(page)
        rot = page_rotation(page)
        w, h = x1 - x0, y1 - y0
        matrices: dict[int, Matrix] = {
            0: (1, 0, 0, 1, x0, y0),
            90: (0, 1, -1, 0, x1, y0),
            180: (-1, 0, 0, -1, x1, y1),
            270: (0, -1, 1, 0, x0, y1),
        }
        shown = (h, w) if rot in (90, 270) else (w, h)
        return cls(shown[0], shown[1], rot, matrices[rot])

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (0.0, 0.0, self.width, self.height)

    def user_rect(self, rect: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        a, b, c, d, e, f = self.to_user
        xs, ys = [], []
        for u, v in ((rect[0], rect[1]), (rect[2], rect[3])):
            xs.append(a * u + c * v + e)
            ys.append(b * u + d * v + f)
        return (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))

    def display_rect(self, rect: tuple[float, float, float, float]) -> Rect:
        """A user-space rectangle as displayed (the inverse of :meth:`user_rect`)."""
        a, b, c, d, e, f = self.to_user
        det = a * d - b * c  # ±1 for the four page rotations
        xs, ys = [], []
        for x, y in ((rect[0], rect[1]), (rect[2], rect[3])):
            u, v = x - e, y - f
            xs.append((d * u - c * v) / det)
            ys.append((a * v - b * u) / det)
        return (min(xs), min(ys), max(xs), max(ys))

    def form_matrix(self, w: float, h: float) -> Matrix:
        """/Matrix of an upright w×h appearance on this page (the page rotation undone)."""
        return {
            0: (1, 0, 0, 1, 0, 0),
            90: (0, 1, -1, 0, h, 0),
            180: (-1, 0, 0, -1, w, h),
            270: (0, -1, 1, 0, 0, w),
        }[self.rotation]


class Stamp:
    """What pyHanko's signing code calls back to put our appearance on the widget."""

    def __init__(self, writer: Any, xobject: Any) -> None:
        self.writer, self.xobject = writer, xobject

    def apply_appearance(self, annot: Any) -> None:
        annot[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): self.xobject})
        # PDF/A: widgets must print and must not be hidden.
        annot[pdf_name("/F")] = generic.NumberObject(4)


class StampStyle:
    """Duck-typed stand-in for a pyHanko stamp style (it only needs ``create_stamp``)."""

    def __init__(
        self,
        policy: SigningPolicy,
        text: str,
        with_seal: bool,
        qr_payload: str | None = None,
        *,
        size: tuple[float, float] | None = None,
        matrix: Matrix | None = None,
        font_size: float | None = None,
    ) -> None:
        self.policy, self.text, self.with_seal = policy, text, with_seal
        self.qr_payload = qr_payload
        self.size, self.matrix = size, matrix
        #: The planned size (shrunk to fit free space), else the policy's.
        self.font_size = font_size or policy.font_size

    def create_stamp(self, writer: Any, box: Any, text_params: Any) -> Stamp:
        font = appearance.load_stamp_font(self.policy.font_file)
        font_ref = embedded_once(writer, "font", lambda: appearance.embed_font(writer, font))
        seal_ref, aspect = None, 1.0
        if self.with_seal and self.policy.seal_image is not None:
            seal = appearance.load_seal(self.policy.seal_image)
            seal_ref = appearance.embed_seal(writer, seal)
            aspect = seal.width / seal.height
        width, height = self.size or (float(box.width), float(box.height))
        xobject = appearance.stamp_xobject(
            writer,
            width=width,
            height=height,
            matrix=self.matrix,
            text=self.text,
            font=font,
            font_ref=font_ref,
            font_size=self.font_size,
            seal_ref=seal_ref,
            seal_aspect=aspect,
            qr_ops=None
            if self.qr_payload is None
            else appearance.qr_content_ops(appearance.qr_matrix(self.qr_payload), 0, 0, height),
        )
        return Stamp(writer, xobject)


def embedded_once(writer: Any, key: str, make: Any) -> Any:
    cache: dict[str, Any] = writer.__dict__.setdefault("_sohoa_embedded", {})
    if key not in cache:
        cache[key] = make()
    return cache[key]


def stamp_text(
    request: SignatureRequest, policy: SigningPolicy, signer: Signer, now: datetime
) -> str:
    if request.stamp_text is not None:
        return request.stamp_text
    if request.role is SignerRole.OFFICER:
        name = request.display_name or signer.cert.subject.native.get("common_name", "")
        when = format_vn_time(request.scan_time or now)
        template = policy.officer_text
    else:
        name = request.display_name or policy.agency_name or signer.subject
        when = format_vn_time(now)
        template = policy.agency_text
    return template.replace("{name}", name).replace("{time}", when)


def draw_qr(writer: Any, qr: QRContent, rect: Rect, page_index: int = 0) -> None:
    """Draw the QR code into a page's content at ``rect`` (displayed coordinates).

    Only allowed on a document with no signature yet: a later page-content change would
    invalidate the earlier signatures, so :func:`sign_pdf` refuses that case. The stream
    records the QR's rectangle, so a later signature plans around it.
    """
    page_ref = writer.find_page_for_modification(page_index)[0]
    page = page_ref.get_object()
    view = PageView.of(page)
    x, y, x1, _ = rect
    ops = appearance.qr_content_ops(appearance.qr_matrix(qr.payload()), x, y, x1 - x)
    # drawn in displayed coordinates, mapped onto the (possibly rotated) page
    ops = b"q %.4f %.4f %.4f %.4f %.4f %.4f cm\n" % view.to_user + ops + b"\nQ"
    before = generic.StreamObject(stream_data=b"q\n")
    after = generic.StreamObject(stream_data=b"\nQ\n" + QR_MARK + occupied_mark(rect) + ops + b"\n")
    after.compress()
    contents = page.get("/Contents")
    existing = (
        list(contents)
        if isinstance(contents, generic.ArrayObject)
        else ([] if contents is None else [page.raw_get("/Contents")])
    )
    page[pdf_name("/Contents")] = generic.ArrayObject(
        [writer.add_object(before), *existing, writer.add_object(after)]
    )
    writer.update_container(page)


def has_qr(writer: Any, page_index: int = 0) -> bool:
    """Whether an earlier sohoa signature already drew the QR code on the page (page 1)."""
    page = writer.find_page_for_modification(page_index)[0].get_object()
    contents = page.get("/Contents")
    streams = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    for stream in reversed(streams[-1:]):
        obj = stream.get_object() if stream is not None else None
        if isinstance(obj, generic.StreamObject) and obj.data.startswith(b"\nQ\n" + QR_MARK):
            return True
    return False


class NoStamp:
    def create_stamp(self, writer: Any, box: Any, text_params: Any) -> None:
        return None
