"""The stamp plan of one document about to be signed: what to place, and what is already there.

:func:`document_plan` turns the request, the policy and the document's state (already signed?
QR drawn? a signature-information page appended?) into :class:`signing.placement.StampSpec`
items and obstacles, and asks :func:`signing.placement.plan_stamps` where they go. The stamp
step of :func:`signing.pades.sign_pdf` and the preview (:func:`signing.pades.plan_signature`)
both call it, so a preview shows exactly where the signature will be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyhanko.sign import fields

from core.domain import SignerRole
from core.errors import CorruptFile, InputError, SigningError
from signing import appearance
from signing.info_page import append_info_page
from signing.job import Layout, SigningJob
from signing.page_marks import is_info_page, marked_rects
from signing.placement import MIN_READABLE_FONT, Rect, StampPlan, StampSpec, Where, plan_stamps
from signing.request import SignatureRequest, SigningPolicy
from signing.stamps import PageView, StampStyle, draw_qr, has_qr, stamp_text

#: The smallest QR module printed (0.4 mm ≈ 1.13 pt): phone cameras and zbar read 0.33 mm
#: modules in good light; 0.4 mm leaves room for a worn print or a photocopy.
MIN_QR_MODULE = 0.4 / 25.4 * 72
#: How far past one of our own stamps its rendered ink may reach: one 36 dpi ink cell of
#: ocr.layout (4 pt) and rounding.
OWN_INK_SLACK = 5.0
#: Height of a margin strip: two lines at the smallest readable size, the stamp's padding.
STRIP_HEIGHT = 2 * MIN_READABLE_FONT * 1.2 + 2 * 3.0 + 1.0


@dataclass(frozen=True)
class DocumentPlan:
    """The plan plus what the stamp step needs to apply it."""

    plan: StampPlan
    #: Index of an existing signature-information page (a later signature), else ``None``.
    info_page: int | None
    #: The QR payload drawn inside this signature's stamp (page content is frozen once signed).
    qr_in_stamp: str | None
    #: Whether this signature draws the QR code into page content.
    draws_qr: bool


def qr_side(payload: str, policy: SigningPolicy) -> float:
    """The printed side of the QR code: the configured size, larger if modules get too small."""
    modules = len(appearance.qr_matrix(payload)) + 4  # appearance draws a 2-module quiet zone
    return max(policy.qr_size, modules * MIN_QR_MODULE)


def stamp_specs(
    request: SignatureRequest,
    policy: SigningPolicy,
    *,
    already_signed: int,
    qr_present: bool,
) -> tuple[list[StampSpec], str | None, bool]:
    """What to place, in priority order; the QR payload inside the stamp; whether QR is drawn.

    The agency's stamp is planned first (its seal is the legal mark of the result, Decree
    30/2020/NĐ-CP Appendix I), then the QR code, then the officer's stamp. On a document's
    first signature by the officer the agency's stamp is planned too, though not drawn: its
    room is kept free, so the agency signing later finds the same place. Because the officer
    comes last, the agency's stamp and the QR code land in the same places whoever signs
    first (a preview for either role shows them where they will be).
    """
    qr_payload = request.qr.payload() if request.qr is not None else None
    draws_qr = qr_payload is not None and not already_signed
    qr_in_stamp = (
        qr_payload if qr_payload and already_signed and not qr_present and request.visible else None
    )
    stamps: dict[SignerRole, StampSpec] = {}
    roles = [request.role] if request.visible else []
    if not already_signed and request.role is SignerRole.OFFICER:
        roles = [SignerRole.AGENCY, *roles]
    for role in roles:
        mine = role is request.role
        corner = policy.officer_corner if role is SignerRole.OFFICER else policy.agency_corner
        if mine and request.stamp_corner is not None:
            corner = request.stamp_corner
        width, height = policy.stamp_width, policy.stamp_height
        if mine and qr_in_stamp:
            # the QR square sits at the stamp's left and must keep its printed size
            stamps[role] = StampSpec(role.value, corner, width + height, height)
            continue
        stamps[role] = StampSpec(
            role.value,
            corner,
            width,
            height,
            min_scale=MIN_READABLE_FONT / policy.font_size,
            strip=(width * 1.25, STRIP_HEIGHT),
        )
    specs = [stamps[SignerRole.AGENCY]] if SignerRole.AGENCY in stamps else []
    if draws_qr and qr_payload is not None:
        side = qr_side(qr_payload, policy)
        specs.append(StampSpec("qr", request.qr_corner or policy.qr_corner, side, side))
    if SignerRole.OFFICER in stamps:
        specs.append(stamps[SignerRole.OFFICER])
    return specs, qr_in_stamp, draws_qr


def document_plan(
    writer: Any,
    request: SignatureRequest,
    policy: SigningPolicy,
    *,
    already_signed: int,
) -> DocumentPlan:
    """Plan this signature's stamp (and the QR code) on the document ``writer`` holds."""
    page1 = writer.find_page_for_modification(0)[0].get_object()
    view = PageView.of(page1)
    occupied: list[Rect] = list(request.occupied or ())
    info_page: int | None = None
    appendix_occupied: list[Rect] = []
    # Earlier stamps (any widget: another signer's field too) and our QR are known exactly;
    # the ink and words found for them on the render (36 dpi cells, the stamp's own text)
    # would only blur their edges into room kept free for this signature.
    ours = page_obstacles(page1, view)
    if ours:
        occupied = [r for r in occupied if not any(_within(r, o, OWN_INK_SLACK) for o in ours)]
        occupied += ours
    if already_signed:
        info_page = find_info_page(writer)
        if info_page is not None:
            page = writer.find_page_for_modification(info_page)[0].get_object()
            appendix_occupied = page_obstacles(page, PageView.of(page))
    specs, qr_in_stamp, draws_qr = stamp_specs(
        request,
        policy,
        already_signed=already_signed,
        qr_present=bool(already_signed) and _qr_anywhere(writer),
    )
    plan = plan_stamps(
        view.box,
        occupied,
        specs,
        margin=policy.margin,
        # a signed document may not gain pages; it may use one appended before it was signed
        can_append=not already_signed or info_page is not None,
        appendix_occupied=appendix_occupied,
    )
    return DocumentPlan(plan, info_page, qr_in_stamp, draws_qr)


def _within(rect: Rect, outer: Rect, slack: float) -> bool:
    return (
        rect[0] >= outer[0] - slack
        and rect[1] >= outer[1] - slack
        and rect[2] <= outer[2] + slack
        and rect[3] <= outer[3] + slack
    )


def page_obstacles(page: Any, view: PageView) -> list[Rect]:
    """Rectangles of our earlier stamps (widgets) and marked areas (QR, page title)."""
    found: list[Rect] = []
    # .get would return an unresolved indirect reference: pyHanko resolves on indexing only
    annots = page["/Annots"] if "/Annots" in page else []  # noqa: SIM401
    for annot in annots:
        annot = annot.get_object()
        if "/Subtype" in annot and annot["/Subtype"] == "/Widget" and "/Rect" in annot:
            x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
            found.append(view.display_rect((x0, y0, x1, y1)))
    return found + marked_rects(page)


def find_info_page(writer: Any) -> int | None:
    """The index of the signature-information page sohoa appended, if any (always the last)."""
    count = int(writer.root["/Pages"]["/Count"])
    if count < 2:
        return None
    page = writer.find_page_for_modification(count - 1)[0].get_object()
    return count - 1 if is_info_page(page) else None


def lay_out(job: SigningJob) -> Layout:
    """Step 2 of signing: plan, then draw the QR code and place the visible stamp.

    The QR code is drawn into page content on a document's first signature; once it is signed
    (page content may not change) the QR joins this signature's stamp instead.
    """
    request, policy, writer = job.request, job.policy, job.writer
    late_qr = request.qr is not None and job.already_signed and not request.visible
    if late_qr and not _qr_anywhere(writer):
        raise SigningError("a QR code on an already signed document needs a visible signature")
    planned = document_plan(writer, request, policy, already_signed=job.already_signed)
    job.plan = planned.plan
    view = PageView.of(writer.find_page_for_modification(0)[0].get_object())
    info_page = planned.info_page
    if planned.plan.appended_page and info_page is None:
        info_page = append_info_page(writer, (view.width, view.height), policy)
    qr = planned.plan.get("qr")
    if planned.draws_qr and qr is not None and request.qr is not None:
        draw_qr(writer, request.qr, qr.rect, 0 if qr.page == 0 else _index(info_page))

    mine = planned.plan.get(request.role.value) if request.visible else None
    if mine is None:
        return Layout(fields.SigFieldSpec(job.field_name), None)
    page_index = 0 if mine.page == 0 else _index(info_page)
    if page_index:
        view = PageView.of(writer.find_page_for_modification(page_index)[0].get_object())
    x0, y0, x1, y1 = mine.rect
    width, height = x1 - x0, y1 - y0
    font_size = policy.font_size * mine.scale
    if mine.where is Where.MARGIN_STRIP:
        font_size = MIN_READABLE_FONT
    field_spec = fields.SigFieldSpec(
        job.field_name, on_page=page_index, box=view.user_rect(mine.rect)
    )
    stamp_style = StampStyle(
        policy,
        stamp_text(request, policy, job.signer, job.now),
        with_seal=request.role is SignerRole.AGENCY,
        qr_payload=planned.qr_in_stamp,
        size=(width, height),
        matrix=view.form_matrix(width, height),
        font_size=font_size,
    )
    return Layout(field_spec, stamp_style)


def _qr_anywhere(writer: Any) -> bool:
    info = find_info_page(writer)
    return has_qr(writer) or (info is not None and has_qr(writer, info))


def _index(info_page: int | None) -> int:
    if info_page is None:  # plan_stamps only uses the appended page when one may exist
        raise SigningError("no signature-information page to place the stamp on")
    return info_page


def plan_signature(
    source: Path | bytes, request: SignatureRequest, policy: SigningPolicy
) -> StampPlan:
    """Where :func:`signing.pades.sign_pdf` will put ``request``'s stamp and QR code.

    The preview of page 1 calls this with the same request the signature will get (including
    ``request.occupied``), and the signature's stamp step runs the same planning, so the two
    agree. Nothing is written.

    Args:
        source: The PDF about to be signed (path or bytes).
        request: The signature request (role, visibility, QR, corners, occupied areas).
        policy: The signing policy (``SigningPolicy.from_settings(settings)``).

    Returns:
        The :class:`signing.placement.StampPlan`: one placement per stamp (and ``"qr"``), in
        page-1 displayed coordinates (points, origin bottom-left), ``page=None`` for the
        signature-information page that signing would append.

    Raises:
        InputError: ``source`` cannot be read. CorruptFile: it is not a readable PDF.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from signing.incremental import AppendOnlyPdf

    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {source}: {exc.strerror}") from exc
    try:
        writer: Any = IncrementalPdfFileWriter(AppendOnlyPdf(data), strict=False)
    except Exception as exc:
        raise CorruptFile(f"not a readable PDF: {exc}") from exc
    return document_plan(writer, request, policy, already_signed=signature_count(writer)).plan


def signature_count(writer: Any) -> int:
    """How many signatures the document already carries."""
    return sum(1 for _ in fields.enumerate_sig_fields(writer.prev, filled_status=True))


__all__ = [
    "MIN_QR_MODULE",
    "DocumentPlan",
    "document_plan",
    "find_info_page",
    "lay_out",
    "page_obstacles",
    "plan_signature",
    "qr_side",
    "signature_count",
    "stamp_specs",
]
