"""Input checks and page planning: format sniffing, limits, encryption, signatures, DPI.

Everything a bad input can do wrong is found here, before any page is decoded: the file's size,
its real format (magic bytes, never the extension), encryption, signatures, page count and the
pixel count of every page (decompression bombs are refused from the header).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from struct import error as struct_error

from PIL import Image, ImageSequence, UnidentifiedImageError

from core.errors import CorruptFile, EmptyDocument, TooLarge, UnsupportedFormat
from core.settings import Settings
from ocr.pdfplan import check_pixels, full_page_image, full_page_jpeg, plan_pdf
from ocr.plan import (
    _MAX_PLAUSIBLE_INCHES,
    ARCHIVE_MIN_DPI,
    VECTOR_DPI,
    ColourMode,
    Embedded,
    InputInfo,
    InputKind,
    PagePlan,
    sniff,
)

__all__ = [
    "ARCHIVE_MIN_DPI",
    "VECTOR_DPI",
    "ColourMode",
    "Embedded",
    "InputInfo",
    "InputKind",
    "PagePlan",
    "apply_pixel_limit",
    "check_input",
    "full_page_image",
    "full_page_jpeg",
    "image_dpi",
    "sniff",
]


def apply_pixel_limit(settings: Settings) -> None:
    """Make sure Pillow's own decompression-bomb cap never undercuts the configured limit.

    Pillow warns above its ``MAX_IMAGE_PIXELS`` (89.5 Mpx by default) and refuses above twice
    that: a second, hidden cap under ``SOHOA_MAX_IMAGE_PIXELS`` (200 Mpx) and a warning on
    stderr for images sohoa accepts. sohoa checks every image against its own limit from the
    header, before decoding, so Pillow's cap is raised to that limit; it is never lowered, as
    it is process-wide and other code (stamps, previews) decodes images too.
    """
    current = Image.MAX_IMAGE_PIXELS or 0
    if current and settings.max_image_pixels > current:
        Image.MAX_IMAGE_PIXELS = settings.max_image_pixels


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
    apply_pixel_limit(settings)
    kind = sniff(_read_head(path))
    if kind is None:
        raise UnsupportedFormat(
            f"{path.name}: not a PDF, JPEG, PNG, TIFF or BMP file",
            detail_vi="Chỉ nhận tệp PDF hoặc ảnh quét (JPEG, PNG, TIFF, BMP)",
        )
    pages = plan_pdf(path, settings) if kind is InputKind.PDF else _plan_image(path, kind, settings)
    return InputInfo(path, kind, tuple(pages))


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
        # Pillow's own check is ours too (apply_pixel_limit): a bigger image is named by ours.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                for number, frame in enumerate(ImageSequence.Iterator(image)):
                    check_pixels(path, frame.width, frame.height, settings, f"frame {number + 1}")
                    colour = "rgb" if frame.mode == "P" else _image_colour(frame.mode)
                    plans.append(PagePlan(path, kind, number, _image_dpi(frame), colour))
    except Image.DecompressionBombError as exc:
        raise TooLarge(f"{path.name}: image is a decompression bomb ({exc})") from exc
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        struct_error,
    ) as exc:
        raise CorruptFile(
            f"{path.name}: damaged {kind.value.upper()} image ({exc})",
            detail_vi="Tệp ảnh bị hỏng",
        ) from exc
    if not plans:
        raise EmptyDocument(f"{path.name}: the image has no frames")
    if len(plans) > settings.max_pages:
        raise TooLarge(f"{path.name}: {len(plans)} pages, over the limit of {settings.max_pages}")
    return plans
