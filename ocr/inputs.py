"""Input checks and page planning: format sniffing, limits, encryption, signatures, DPI.

Everything a bad input can do wrong is found here, before any page is decoded: the file's size,
its real format (magic bytes, never the extension), encryption, signatures, page count and the
pixel count of every page (decompression bombs are refused from the header).
"""

from __future__ import annotations

import enum
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pikepdf
from PIL import Image, ImageSequence, UnidentifiedImageError

from core.errors import (
    CorruptFile,
    EmptyDocument,
    EncryptedPDF,
    SignedInput,
    TooLarge,
    UnsupportedFormat,
)
from core.settings import Settings

ColourMode = Literal["bilevel", "gray", "rgb"]

#: Resolution for pages without any image (vector or born-digital pages).
VECTOR_DPI = 300
#: Archival minimum for the stored page image (Vietnamese digitization rules: ≥ 200 dpi).
ARCHIVE_MIN_DPI = 200
_MAX_DPI = 600
#: A recorded DPI that makes the image longer than this (A3 is 16.5 in) is not believed.
_MAX_PLAUSIBLE_INCHES = 17.0


class InputKind(enum.StrEnum):
    """File formats sohoa reads, identified by their first bytes."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"
    BMP = "bmp"


_MAGIC: tuple[tuple[bytes, InputKind], ...] = (
    (b"\xff\xd8\xff", InputKind.JPEG),
    (b"\x89PNG\r\n\x1a\n", InputKind.PNG),
    (b"II*\x00", InputKind.TIFF),
    (b"MM\x00*", InputKind.TIFF),
    (b"BM", InputKind.BMP),
)


def sniff(head: bytes) -> InputKind | None:
    """The format of a file from its first bytes (at least 1024 for PDFs), or None."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    # The PDF header may follow some junk; readers accept it within the first 1024 bytes.
    return InputKind.PDF if b"%PDF-" in head[:1024] else None


@dataclass(frozen=True)
class PagePlan:
    """How to produce one page: picklable, handed to a worker process.

    Attributes:
        path: The input file.
        kind: Its format.
        index: Page (PDF) or frame (TIFF) number in that file, from 0.
        dpi: Resolution of the page image as stored (the source's own resolution).
        colour: Colour mode of the stored image.
        text_layer: True if the PDF page already carries text (born-digital): not re-OCR'd.
        source_dpi: Resolution of the page's largest image, if lower than ``dpi`` (0: same).
        embedded_jpeg: The PDF page is one upright full-page JPEG (the usual scanner PDF): its
            bytes are decoded directly and stored unchanged, skipping poppler and re-encoding.
    """

    path: Path
    kind: InputKind
    index: int
    dpi: int
    colour: ColourMode
    text_layer: bool = False
    embedded_jpeg: bool = False
    source_dpi: int = 0


@dataclass(frozen=True)
class InputInfo:
    """What ``check_input`` learned about a file."""

    path: Path
    kind: InputKind
    pages: tuple[PagePlan, ...]


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(1024)
    except OSError as exc:
        raise UnsupportedFormat(f"{path.name}: cannot be read ({exc.strerror})") from exc


def check_input(path: Path, settings: Settings) -> InputInfo:
    """Check one input file cheaply and plan its pages; raise the matching ``InputError``.

    Raises:
        TooLarge: The file or one of its pages is over a configured limit.
        UnsupportedFormat: Neither an image format we read nor a PDF.
        CorruptFile, EncryptedPDF, EmptyDocument, SignedInput: See ``core.errors``.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnsupportedFormat(f"{path.name}: cannot be read ({exc.strerror})") from exc
    if size > settings.max_upload_bytes:
        raise TooLarge(
            f"{path.name}: {size} bytes is over the limit of {settings.max_upload_bytes}",
            detail_vi="Tệp vượt quá dung lượng cho phép",
        )
    kind = sniff(_read_head(path))
    if kind is None:
        raise UnsupportedFormat(
            f"{path.name}: not a PDF, JPEG, PNG, TIFF or BMP file",
            detail_vi="Chỉ nhận tệp PDF hoặc ảnh quét (JPEG, PNG, TIFF, BMP)",
        )
    pages = (
        _plan_pdf(path, settings) if kind is InputKind.PDF else _plan_image(path, kind, settings)
    )
    return InputInfo(path, kind, tuple(pages))


def _check_pixels(path: Path, width: float, height: float, settings: Settings, where: str) -> None:
    if width * height > settings.max_image_pixels:
        raise TooLarge(
            f"{path.name}: {where} has {int(width)}×{int(height)} pixels, over the limit of "
            f"{settings.max_image_pixels}",
            detail_vi="Ảnh có số điểm ảnh vượt quá giới hạn",
        )


def image_dpi(width: int, height: int, recorded: float | None) -> int:
    """The resolution to treat an image as having.

    The recorded DPI is kept unless it is missing or absurd: cameras and phones write 72 or 96,
    which would make a 3000-pixel photo of an A4 page a 40-inch page (and its OCR copy 200 MP).
    Then the page is taken to be A4. PDF/A needs every page side ≥ 3 units, which bounds the DPI
    of tiny images.
    """
    long_side = max(width, height)
    dpi = float(recorded) if recorded and recorded >= 1 else 0.0
    if not dpi or long_side / dpi > _MAX_PLAUSIBLE_INCHES:
        dpi = long_side / 11.69
    dpi = min(dpi, min(width, height) * 72 / 3)
    return max(1, round(dpi))


def _image_dpi(image: Image.Image) -> int:
    recorded = image.info.get("dpi")
    return image_dpi(image.width, image.height, float(recorded[0]) if recorded else None)


def _image_colour(mode: str) -> ColourMode:
    if mode == "1":
        return "bilevel"
    return "gray" if mode in ("L", "LA", "I", "I;16", "F") else "rgb"


def _plan_image(path: Path, kind: InputKind, settings: Settings) -> list[PagePlan]:
    plans: list[PagePlan] = []
    try:
        # Image.open reads the header only; the pixel check below runs before any decoding.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                for number, frame in enumerate(ImageSequence.Iterator(image)):
                    _check_pixels(path, frame.width, frame.height, settings, f"frame {number + 1}")
                    colour = "rgb" if frame.mode == "P" else _image_colour(frame.mode)
                    plans.append(PagePlan(path, kind, number, _image_dpi(frame), colour))
    except Image.DecompressionBombError as exc:
        raise TooLarge(f"{path.name}: image is a decompression bomb ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise CorruptFile(
            f"{path.name}: damaged {kind.value.upper()} image ({exc})",
            detail_vi="Tệp ảnh bị hỏng",
        ) from exc
    if not plans:
        raise EmptyDocument(f"{path.name}: the image has no frames")
    if len(plans) > settings.max_pages:
        raise TooLarge(f"{path.name}: {len(plans)} pages, over the limit of {settings.max_pages}")
    return plans


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


def _page_raster(page: pikepdf.Page) -> tuple[int, ColourMode, int]:
    """Raster resolution, colour mode, and the source resolution (from the largest image)."""
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
    dpi = min(_MAX_DPI, max(ARCHIVE_MIN_DPI, round(best_dpi)))
    return dpi, colour, source_dpi or dpi


def _plan_pdf(path: Path, settings: Settings) -> list[PagePlan]:
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
        plans = []
        for index, page in enumerate(pdf.pages):
            dpi, colour, source_dpi = _page_raster(page)
            for image in page.get_images().values():
                w, h = int(image.get("/Width", 0)), int(image.get("/Height", 0))
                _check_pixels(path, w, h, settings, f"an image on page {index + 1}")
            box = page.mediabox
            _check_pixels(
                path,
                abs(float(box[2]) - float(box[0])) / 72 * dpi,
                abs(float(box[3]) - float(box[1])) / 72 * dpi,
                settings,
                f"page {index + 1}",
            )
            fonts = _has_fonts(page)
            plans.append(
                PagePlan(
                    path,
                    InputKind.PDF,
                    index,
                    dpi,
                    colour,
                    text_layer=fonts,
                    embedded_jpeg=not fonts and full_page_jpeg(page) is not None,
                    source_dpi=source_dpi,
                )
            )
    return plans


def full_page_jpeg(page: pikepdf.Page) -> pikepdf.Stream | None:
    """The page's only image if it is a plain grey/RGB JPEG drawn upright over the whole page."""
    if int(page.obj.get("/Rotate", 0)) % 360:
        return None
    images = list(page.get_images().values())
    if len(images) != 1 or len(page.get_images(recursive=False)) != 1:
        return None
    if len(images) != 1:
        return None
    image = images[0]
    if image.get("/Filter") != pikepdf.Name.DCTDecode or image.get("/ColorSpace") not in (
        pikepdf.Name.DeviceGray,
        pikepdf.Name.DeviceRGB,
    ):
        return None
    if "/Decode" in image or "/SMask" in image or "/Mask" in image:
        return None
    box = page.mediabox
    page_ratio = abs(float(box[2]) - float(box[0])) / max(1e-6, abs(float(box[3]) - float(box[1])))
    ratio = int(image.Width) / max(1, int(image.Height))
    # An image turned by 90° in the content stream would have the inverse aspect ratio.
    if not isinstance(image, pikepdf.Stream):
        return None
    return image if abs(ratio - page_ratio) / page_ratio < 0.01 else None
