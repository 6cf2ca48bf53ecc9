"""The page image as stored in the PDF: kept as it was scanned (lưu như bản quét).

Bilevel scans stay 1-bit (CCITT G4, the fax coding every PDF reader decodes, several times
smaller than Flate on text), palette scans stay palette (``/Indexed``, Flate), a source JPEG is
kept byte for byte, and nothing is resampled: OCR works on its own copy.
"""

from __future__ import annotations

import io
import zlib

from PIL import Image, TiffImagePlugin

from ocr.page import StoredImage

#: Palettes whose colours are all within this distance of black or white are bilevel scans
#: saved as a 2-colour palette (a common PNG optimiser output).
_BILEVEL_TOLERANCE = 48


def ccitt_g4(image: Image.Image) -> StoredImage:
    """A mode-"1" image as one CCITT Group 4 strip (libtiff's encoder through Pillow)."""
    buffer = io.BytesIO()
    # One strip for the whole page: the strip's bytes are then exactly a PDF CCITTFaxDecode
    # stream with K=-1.
    image.save(buffer, "TIFF", compression="group4", tiffinfo={278: image.height})
    with TiffImagePlugin.TiffImageFile(io.BytesIO(buffer.getvalue())) as tiff:
        offsets = tiff.tag_v2[273]
        counts = tiff.tag_v2[279]
    if len(offsets) != 1:
        return flate_bilevel(image)
    start = int(offsets[0])
    data = buffer.getvalue()[start : start + int(counts[0])]
    # Pillow writes mode "1" as min-is-black with 1 = white, which the coder sees inverted.
    params = {"/K": -1, "/Columns": image.width, "/Rows": image.height, "/BlackIs1": True}
    return StoredImage(
        data, "/CCITTFaxDecode", image.width, image.height, "/DeviceGray", 1, decode_parms=params
    )


def flate_bilevel(image: Image.Image) -> StoredImage:
    """A mode-"1" image as 1-bit Flate (Pillow's rows are MSB-first with 1 = white, as PDF's)."""
    return StoredImage(
        zlib.compress(image.tobytes(), 6),
        "/FlateDecode",
        image.width,
        image.height,
        "/DeviceGray",
        1,
    )


def bilevel_palette(image: Image.Image) -> Image.Image | None:
    """The mode-"1" version of a palette image that only uses black and white, else None."""
    if image.mode != "P" or "transparency" in image.info:
        return None
    used = [int(index) for _count, index in (image.getcolors(256) or []) if isinstance(index, int)]
    palette = image.getpalette() or []
    if not used or len(used) > 2:
        return None
    for index in used:
        red, green, blue = palette[3 * index : 3 * index + 3]
        gray = (red + green + blue) / 3
        if max(red, green, blue) - min(red, green, blue) > _BILEVEL_TOLERANCE:
            return None
        if _BILEVEL_TOLERANCE < gray < 255 - _BILEVEL_TOLERANCE:
            return None
    return image.convert("L").point(lambda v: 255 if v > 127 else 0).convert("1")


def indexed(image: Image.Image) -> StoredImage:
    """A palette image as ``/Indexed`` over DeviceRGB, 8 bits per index, Flate."""
    palette = (image.getpalette("RGB") or [0, 0, 0])[: 3 * 256]
    entries = max(1, len(palette) // 3)
    return StoredImage(
        zlib.compress(image.tobytes(), 6),
        "/FlateDecode",
        image.width,
        image.height,
        "/Indexed",
        8,
        palette=bytes(palette[: 3 * entries]),
    )


def kept_jpeg(data: bytes, image: Image.Image) -> StoredImage:
    """A source JPEG as it is (no second lossy compression, no resampling): ``image`` is it
    opened, whose header gives the size and colour space."""
    space = "/DeviceGray" if image.mode == "L" else "/DeviceRGB"
    return StoredImage(data, "/DCTDecode", image.width, image.height, space, 8)


def store_image(image: Image.Image, quality: int) -> StoredImage:
    """Encode a page image that has no coding of its own to keep (a source JPEG is kept as
    it is by :func:`kept_jpeg`), as close to the scan as PDF/A allows.

    Bilevel images (and palettes of black and white) become CCITT G4; other palettes stay
    indexed; grey and colour images are JPEG-encoded at ``quality``.
    """
    if image.mode == "P":
        bilevel = bilevel_palette(image)
        if bilevel is None:
            return indexed(image)
        image = bilevel
    if image.mode == "1":
        return ccitt_g4(image)
    space = "/DeviceGray" if image.mode == "L" else "/DeviceRGB"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, optimize=False)
    return StoredImage(buffer.getvalue(), "/DCTDecode", image.width, image.height, space, 8)
