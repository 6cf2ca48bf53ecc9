"""PDF inputs: signatures, XFA forms, fonts, and how each page is rendered or kept.

A page that is one upright full-page scan keeps its image stream unchanged (JPEG, CCITT, JBIG2
or Flate); any other page is rendered by poppler at the resolution of its largest image (never
more), or at ``VECTOR_DPI`` when it carries text or vector drawing.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

from core.errors import (
    CorruptFile,
    EmptyDocument,
    EncryptedPDF,
    SignedInput,
    TooLarge,
    XFAForm,
)
from core.settings import Settings
from ocr.plan import (
    _MAX_DPI,
    ARCHIVE_MIN_DPI,
    VECTOR_DPI,
    ColourMode,
    Embedded,
    InputKind,
    PagePlan,
)


def check_pixels(path: Path, width: float, height: float, settings: Settings, where: str) -> None:
    if width * height > settings.max_image_pixels:
        raise TooLarge(
            f"{path.name}: {where} has {int(width)}×{int(height)} pixels, over the limit of "
            f"{settings.max_image_pixels}",
            detail_vi="Ảnh có số điểm ảnh vượt quá giới hạn",
        )


def _is_signed(pdf: pikepdf.Pdf) -> bool:
    acroform = pdf.Root.get("/AcroForm")
    if "/Perms" in pdf.Root:
        return True
    if not isinstance(acroform, pikepdf.Dictionary):
        return False
    pending = list(acroform.get("/Fields", pikepdf.Array()))
    seen = 0
    while pending and seen < 10_000:
        field = pending.pop()
        seen += 1
        if not isinstance(field, pikepdf.Dictionary):
            continue
        if field.get("/FT") == pikepdf.Name.Sig and "/V" in field:
            return True
        pending.extend(field.get("/Kids", pikepdf.Array()))
    return False


def _has_fonts(page: pikepdf.Page) -> bool:
    resources = page.obj.get("/Resources")
    if not isinstance(resources, pikepdf.Dictionary):
        return False
    if "/Font" in resources:
        return True
    xobjects = resources.get("/XObject", pikepdf.Dictionary())
    return any(
        isinstance(x, pikepdf.Stream)
        and x.get("/Subtype") == pikepdf.Name.Form
        and "/Font" in x.get("/Resources", pikepdf.Dictionary())
        for x in xobjects.values()
    )


def _page_raster(page: pikepdf.Page, embedded: Embedded) -> tuple[int, ColourMode, int]:
    """Raster resolution, colour mode, and the source resolution (from the largest image).

    A page that is one scanned image is rendered at that image's own resolution, never more
    (the stored image is the source's; OCR upsamples its own copy). Pages with text or vector
    drawing are rendered at ``VECTOR_DPI`` at least.
    """
    box = page.mediabox
    width_in = abs(float(box[2]) - float(box[0])) / 72 or 8.27
    height_in = abs(float(box[3]) - float(box[1])) / 72 or 11.69
    best_dpi, colours = 0.0, set()
    for image in page.get_images().values():
        w, h = int(image.get("/Width", 0)), int(image.get("/Height", 0))
        # The image may be drawn turned by 90° (cardinal.pdf): take the better-fitting pairing.
        dpi = max(min(w / width_in, h / height_in), min(w / height_in, h / width_in))
        best_dpi = max(best_dpi, dpi)
        space = str(image.get("/ColorSpace", ""))
        if image.get("/ImageMask", False) or int(image.get("/BitsPerComponent", 8)) == 1:
            colours.add("bilevel")
        elif space == "/DeviceGray" or (space.startswith("[") and '/N": 1' in space):
            colours.add("gray")
        else:
            colours.add("rgb")
    source_dpi = round(best_dpi)
    if not best_dpi or _has_fonts(page):
        colours.add("rgb")
        best_dpi = max(best_dpi, VECTOR_DPI)
    colour: ColourMode = "rgb" if "rgb" in colours else "gray" if "gray" in colours else "bilevel"
    floor = 1 if embedded else ARCHIVE_MIN_DPI
    dpi = min(_MAX_DPI, max(floor, round(best_dpi)))
    return dpi, colour, source_dpi or dpi


def _refuse_xfa(path: Path, pdf: pikepdf.Pdf) -> None:
    """Refuse an XFA form whose content exists only in its XFA stream.

    ``/NeedsRendering true`` says so outright (a dynamic form: the pages are a placeholder);
    an ``/XFA`` entry with no AcroForm fields is the same thing without the flag. A static XFA
    form that also carries AcroForm fields and drawn pages is a normal PDF and is converted.
    """
    acroform = pdf.Root.get("/AcroForm")
    needs_rendering = bool(pdf.Root.get("/NeedsRendering", False))
    has_xfa = isinstance(acroform, pikepdf.Dictionary) and "/XFA" in acroform
    fields: pikepdf.Object = pikepdf.Array()
    if isinstance(acroform, pikepdf.Dictionary) and has_xfa:
        fields = acroform.get("/Fields", pikepdf.Array())
    no_fields = not isinstance(fields, pikepdf.Array) or len(fields) == 0
    if needs_rendering or (has_xfa and no_fields):
        raise XFAForm(
            f"{path.name}: an XFA form; its content is only in the XFA stream, not on the pages "
            "(print it to PDF, or scan the paper form)",
            detail_vi="Tệp là biểu mẫu XFA: nội dung chỉ có trong luồng XFA, không có trên trang "
            "(hãy in ra PDF hoặc quét bản giấy)",
        )


def plan_pdf(path: Path, settings: Settings) -> list[PagePlan]:
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise EncryptedPDF(
            f"{path.name}: the PDF is password protected", detail_vi="Tệp PDF có mật khẩu"
        ) from exc
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise CorruptFile(
            f"{path.name}: damaged or truncated PDF ({exc})", detail_vi="Tệp PDF bị hỏng"
        ) from exc
    with pdf:
        if pdf.is_encrypted:
            raise EncryptedPDF(
                f"{path.name}: the PDF is encrypted", detail_vi="Tệp PDF được mã hóa"
            )
        try:
            count = len(pdf.pages)
        except pikepdf.PdfError as exc:
            raise CorruptFile(f"{path.name}: damaged page tree ({exc})") from exc
        if count == 0:
            raise EmptyDocument(
                f"{path.name}: the PDF has no pages", detail_vi="Tệp PDF không có trang nào"
            )
        if count > settings.max_pages:
            raise TooLarge(f"{path.name}: {count} pages, over the limit of {settings.max_pages}")
        if _is_signed(pdf):
            raise SignedInput(
                f"{path.name}: the PDF is digitally signed; converting it would break the "
                "signature",
                detail_vi="Tệp đã ký số, không thể chuyển đổi mà không làm mất hiệu lực chữ ký",
            )
        _refuse_xfa(path, pdf)
        plans = []
        for index, page in enumerate(pdf.pages):
            fonts = _has_fonts(page)
            embedded: Embedded = "" if fonts else _embedded_kind(page)
            dpi, colour, source_dpi = _page_raster(page, embedded)
            for image in page.get_images().values():
                w, h = int(image.get("/Width", 0)), int(image.get("/Height", 0))
                check_pixels(path, w, h, settings, f"an image on page {index + 1}")
            box = page.mediabox
            check_pixels(
                path,
                abs(float(box[2]) - float(box[0])) / 72 * dpi,
                abs(float(box[3]) - float(box[1])) / 72 * dpi,
                settings,
                f"page {index + 1}",
            )
            plans.append(
                PagePlan(
                    path,
                    InputKind.PDF,
                    index,
                    dpi,
                    colour,
                    text_layer=fonts,
                    embedded=embedded,
                    source_dpi=source_dpi,
                )
            )
    return plans


#: Filters of a full-page scan image that PDF/A-2 allows and that are copied unchanged.
_KEPT_FILTERS = (
    pikepdf.Name.DCTDecode,
    pikepdf.Name.CCITTFaxDecode,
    pikepdf.Name.JBIG2Decode,
    pikepdf.Name.FlateDecode,
)


Matrix = tuple[float, float, float, float, float, float]


def full_page_image(page: pikepdf.Page) -> pikepdf.Stream | None:
    """The page's only image if it is a plain scan drawn over the whole page (see below)."""
    found = full_page_placement(page)
    return found[0] if found is not None else None


def full_page_placement(page: pikepdf.Page) -> tuple[pikepdf.Stream, Matrix] | None:
    """The page's only image and the matrix drawing it, if it is a plain full-page scan.

    Plain: one filter PDF/A-2 allows (JPEG, CCITT, JBIG2, Flate), a grey, RGB or indexed colour
    space (or 1-bit), no mask or soft mask, drawn over the whole page box (upright, turned
    inside the content as cardinal.pdf's pages are, or slightly rotated; see ``_covers``). The
    matrix is relative to the box's lower-left corner. Anything else is rendered by poppler.
    """
    if int(page.obj.get("/Rotate", 0)) % 360:
        return None
    images = list(page.get_images().values())
    if len(images) != 1 or len(page.get_images(recursive=False)) != 1:
        return None
    image = images[0]
    if not isinstance(image, pikepdf.Stream) or image.get("/Filter") not in _KEPT_FILTERS:
        return None
    if "/SMask" in image or "/Mask" in image or image.get("/ImageMask", False):
        return None
    space = image.get("/ColorSpace")
    plain = space in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB)
    indexed = (
        isinstance(space, pikepdf.Array)
        and len(space) == 4
        and space[0] == pikepdf.Name.Indexed
        and space[1] in (pikepdf.Name.DeviceGray, pikepdf.Name.DeviceRGB)
    )
    if not (plain or indexed):
        return None
    if image.get("/Filter") == pikepdf.Name.DCTDecode and ("/Decode" in image or indexed):
        return None
    box = page.mediabox
    x0, y0 = min(float(box[0]), float(box[2])), min(float(box[1]), float(box[3]))
    width, height = abs(float(box[2]) - float(box[0])), abs(float(box[3]) - float(box[1]))
    matrix = _do_matrix(page)
    if matrix is None or not _covers(matrix, x0, y0, width, height):
        return None
    a, b, c, d, e, f = matrix
    return image, (a, b, c, d, e - x0, f - y0)


def _covers(matrix: Matrix, x0: float, y0: float, width: float, height: float) -> bool:
    """True if ``matrix`` draws the unit square over the whole box: its bounding box holds the
    box (give or take 1%) and overshoots it by at most 5% on each side.

    Any such matrix is kept as it is (upright, turned by quarter turns, or slightly rotated by
    a scanner that deskewed through the matrix, as skew.pdf does): the output draws the same
    image through the same matrix, so it shows exactly what poppler rendered for OCR.
    """
    a, b, c, d, e, f = matrix
    if abs(a * d - b * c) < 1e-9:
        return False
    xs = [e, e + a, e + c, e + a + c]
    ys = [f, f + b, f + d, f + b + d]
    inside_x, inside_y = 0.01 * width, 0.01 * height
    outside_x, outside_y = 0.05 * width, 0.05 * height
    return (
        x0 - outside_x <= min(xs) <= x0 + inside_x
        and x0 + width - inside_x <= max(xs) <= x0 + width + outside_x
        and y0 - outside_y <= min(ys) <= y0 + inside_y
        and y0 + height - inside_y <= max(ys) <= y0 + height + outside_y
    )


def is_upright(matrix: Matrix) -> bool:
    """True if the image is drawn upright (positive scales, no turn or mirror)."""
    a, b, c, d, _e, _f = matrix
    return a > 0 and d > 0 and b == 0 and c == 0


def _do_matrix(page: pikepdf.Page) -> Matrix | None:
    """The matrix in force at the page's one ``Do`` (None if there is none or it is unclear)."""
    try:
        instructions = pikepdf.parse_content_stream(page)
    except (pikepdf.PdfError, ValueError):
        return None
    matrix: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    stack: list[Matrix] = []
    for instruction in instructions:
        if not isinstance(instruction, pikepdf.ContentStreamInstruction):
            continue  # an inline image: not the page's scan
        # unparse(), not str(): a damaged stream can hold operator bytes that are not UTF-8
        operands, name = instruction.operands, instruction.operator.unparse().decode("latin-1")
        if name == "q":
            stack.append(matrix)
        elif name == "Q" and stack:
            matrix = stack.pop()
        elif name == "cm" and len(operands) == 6:
            a, b, c, d, e, f = (float(v) for v in operands)
            m = matrix
            matrix = (
                a * m[0] + b * m[2],
                a * m[1] + b * m[3],
                c * m[0] + d * m[2],
                c * m[1] + d * m[3],
                e * m[0] + f * m[2] + m[4],
                e * m[1] + f * m[3] + m[5],
            )
        elif name == "Do":
            return matrix
    return None


def full_page_jpeg(page: pikepdf.Page) -> pikepdf.Stream | None:
    """The page's only image if it is a plain grey/RGB JPEG drawn upright over the whole page."""
    found = full_page_placement(page)
    if found is None or found[0].get("/Filter") != pikepdf.Name.DCTDecode:
        return None
    return found[0] if is_upright(found[1]) else None


def _embedded_kind(page: pikepdf.Page) -> Embedded:
    found = full_page_placement(page)
    if found is None:
        return ""
    image, matrix = found
    upright_jpeg = image.get("/Filter") == pikepdf.Name.DCTDecode and is_upright(matrix)
    return "jpeg" if upright_jpeg else "image"


def _font_dicts(resources: pikepdf.Object | None, depth: int = 0) -> list[pikepdf.Dictionary]:
    """Fonts of a resource dictionary and of the form XObjects it draws (bounded depth)."""
    if not isinstance(resources, pikepdf.Dictionary) or depth > 8:
        return []
    found = [f for f in resources.get("/Font", pikepdf.Dictionary()).values()]
    fonts = [f for f in found if isinstance(f, pikepdf.Dictionary)]
    for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form:
            fonts.extend(_font_dicts(xobject.get("/Resources"), depth + 1))
    return fonts


def unembedded_fonts(page: pikepdf.Page) -> list[str]:
    """Names of the page's fonts whose program is not in the file (PDF/A-2b needs them all).

    Type3 fonts draw their glyphs with PDF operators and need no program.
    """
    missing: list[str] = []
    for font in _font_dicts(page.obj.get("/Resources")):
        subtype = font.get("/Subtype")
        if subtype == pikepdf.Name.Type3:
            continue
        target: pikepdf.Object = font
        if subtype == pikepdf.Name.Type0:
            descendants = font.get("/DescendantFonts", pikepdf.Array())
            if not isinstance(descendants, pikepdf.Array) or len(descendants) == 0:
                missing.append(str(font.get("/BaseFont", "?")).lstrip("/"))
                continue
            target = descendants[0]
        descriptor = (
            target.get("/FontDescriptor") if isinstance(target, pikepdf.Dictionary) else None
        )
        embedded = isinstance(descriptor, pikepdf.Dictionary) and any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        )
        if not embedded:
            name = str(font.get("/BaseFont", "?")).lstrip("/")
            if name not in missing:
                missing.append(name)
    return missing
