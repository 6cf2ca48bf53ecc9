"""Page images: PDF pages rasterized with pdf2image (poppler), image files read with Pillow.

pdf2image writes PPM: PNG output costs ~50× more. A scanner PDF whose page is one upright JPEG
skips poppler entirely: the JPEG is decoded directly and stored unchanged; one whose page is one
CCITT, JBIG2 or Flate scan is rendered by poppler for OCR, and its image stored unchanged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pdf2image import convert_from_path
from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError
from PIL import Image, ImageChops

from core.errors import CorruptFile
from ocr.images import kept_jpeg
from ocr.inputs import InputKind, PagePlan, full_page_jpeg
from ocr.page import StoredImage
from ocr.pdfplan import full_page_placement
from ocr.pngstream import png_stream


@dataclass(frozen=True)
class LoadedPage:
    """A decoded page, and where its source image is when it can be stored unchanged.

    ``pdf_source`` names a PDF page whose only image is stored unchanged (copied from the PDF at
    write time instead of held in memory); ``page_size`` is then that page's size in points, and
    ``source_pixels`` its image's size. ``encoded`` holds a JPEG or PNG file's own coding.
    """

    image: Image.Image
    pdf_source: tuple[Path, int] | None = None
    page_size: tuple[float, float] | None = None
    source_pixels: tuple[int, int] | None = None
    #: The matrix the source page draws that image with (relative to its box), when kept.
    placement: tuple[float, float, float, float, float, float] | None = None
    #: The image already encoded for the PDF (a JPEG file's bytes, a PNG's own compressed
    #: data), when it can be.
    encoded: StoredImage | None = None


def load_page(plan: PagePlan) -> LoadedPage:
    """Decode one page as a Pillow image in mode ``1``, ``L``, ``P`` or ``RGB`` (alpha on white)."""
    if plan.kind is InputKind.PDF:
        if plan.embedded == "jpeg":
            loaded = _embedded_jpeg(plan)
            if loaded is not None:
                return loaded
        if plan.embedded:
            kept = _embedded_image(plan)
            if kept is not None:
                return kept
        return LoadedPage(_rasterize_pdf_page(plan))
    try:
        with Image.open(plan.path) as image:
            image.seek(plan.index)
            # A JPEG goes into the PDF byte for byte (no second lossy coding); CMYK ones (often
            # Adobe-inverted) are re-encoded as RGB instead.
            if plan.kind is InputKind.JPEG and image.mode in ("L", "RGB"):
                as_scanned = kept_jpeg(plan.path.read_bytes(), image)
                grey_decode(image)
                image.load()
                return LoadedPage(image.copy(), encoded=as_scanned)
            image.load()
            own = png_stream(plan.path) if plan.kind is InputKind.PNG else None
            return LoadedPage(_normalise_mode(image), encoded=own)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(
            f"{plan.path.name}: damaged image ({exc})", detail_vi="Tệp ảnh bị hỏng"
        ) from exc


def grey_decode(image: Image.Image) -> None:
    """Have libjpeg decode a colour JPEG straight to grey (its Y channel: no chroma upsampling,
    no colour conversion), ~40% less work. Only for a JPEG that is stored as it is, so the
    decoded copy is read by OCR alone, which reads grey anyway."""
    if image.format == "JPEG" and image.mode == "RGB":
        image.draft("L", None)


def _embedded_jpeg(plan: PagePlan) -> LoadedPage | None:
    try:
        with pikepdf.open(plan.path) as pdf:
            stream = full_page_jpeg(pdf.pages[plan.index])
            if stream is None:
                return None
            data = stream.read_raw_bytes()
            size = _box_size(pdf.pages[plan.index])
        with Image.open(io.BytesIO(data)) as image:
            if image.mode not in ("L", "RGB"):
                return None
            pixels = image.size
            grey_decode(image)
            image.load()
            return LoadedPage(
                image.copy(),
                pdf_source=(plan.path, plan.index),
                page_size=size,
                source_pixels=pixels,
            )
    except (pikepdf.PdfError, OSError, SyntaxError, ValueError):
        # Anything unusual: let poppler render the page instead.
        return None


def _box_size(page: pikepdf.Page) -> tuple[float, float]:
    box = page.mediabox
    return abs(float(box[2]) - float(box[0])), abs(float(box[3]) - float(box[1]))


def _embedded_image(plan: PagePlan) -> LoadedPage | None:
    """A CCITT/JBIG2/Flate full-page scan: poppler renders it for OCR; the stream is kept."""
    try:
        with pikepdf.open(plan.path) as pdf:
            page = pdf.pages[plan.index]
            found = full_page_placement(page)
            if found is None:
                return None
            stream, placement = found
            size = _box_size(page)
            pixels = (int(stream.Width), int(stream.Height))
    except (pikepdf.PdfError, OSError, ValueError, AttributeError):
        return None
    return LoadedPage(
        _rasterize_pdf_page(plan),
        pdf_source=(plan.path, plan.index),
        page_size=size,
        source_pixels=pixels,
        placement=placement,
    )


def _normalise_mode(image: Image.Image) -> Image.Image:
    if image.mode in ("1", "L", "RGB"):
        return image.copy()
    if image.mode == "P" and "transparency" not in image.info:
        return image.copy()  # stored as a palette (or 1-bit) by ocr.images
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        # Scanned pages are read on white paper: composite transparency onto white.
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return canvas.convert("RGB")
    if image.mode in ("I", "I;16", "I;16B", "F"):
        return image.point(lambda v: v / 256).convert("L")
    return image.convert("RGB")


def _rasterize_pdf_page(plan: PagePlan) -> Image.Image:
    try:
        images = convert_from_path(
            plan.path,
            dpi=plan.dpi,
            first_page=plan.index + 1,
            last_page=plan.index + 1,
            fmt="ppm",
            grayscale=plan.colour != "rgb",
        )
    except (PDFPageCountError, PDFSyntaxError) as exc:
        raise CorruptFile(f"{plan.path.name}: poppler cannot render page {plan.index + 1}") from exc
    if not images:
        raise CorruptFile(f"{plan.path.name}: poppler rendered nothing for page {plan.index + 1}")
    image = images[0]
    if plan.colour == "bilevel":
        return (
            image.convert("L")
            .point(lambda v: 255 if v > 127 else 0)
            .convert("1", dither=Image.Dither.NONE)
        )
    if plan.colour == "gray":
        return image.convert("L")
    return simplest_mode(image.convert("RGB"))


#: Largest channel spread (0–255) of a page that counts as grey; most JPEG-free renderings of
#: black-on-white pages have none at all.
_GREY_SPREAD = 12
#: Largest share of mid-tone pixels of a grey page that counts as black on white (anti-aliased
#: glyph edges of a dense text page are ~2–4%).
_MID_TONES = 0.06


def simplest_mode(image: Image.Image) -> Image.Image:
    """A rendered page in the simplest mode that shows it: "1" for black on white, else "L" for
    grey, else RGB. A born-digital page rendered for a scan copy would otherwise be stored as a
    300 dpi colour JPEG (~150–400 KB for a page of black text)."""
    probe = image.reduce(2) if min(image.size) > 400 else image
    red, green, blue = probe.split()
    spread = max(
        float(ImageChops.difference(red, green).getextrema()[1]),  # type: ignore[arg-type]
        float(ImageChops.difference(green, blue).getextrema()[1]),  # type: ignore[arg-type]
    )
    if spread > _GREY_SPREAD:
        return image
    gray = image.convert("L")
    histogram = probe.convert("L").histogram()
    mid = sum(histogram[48:208]) / max(1, sum(histogram))
    if mid > _MID_TONES:
        return gray
    return gray.point(lambda v: 255 if v > 127 else 0).convert("1", dither=Image.Dither.NONE)
