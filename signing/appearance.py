"""Visible stamps (Vietnamese text, embedded font, seal image) and the verification QR code.

pyHanko's own stamps subset the font for every signature (~180 ms). Here the font is subset
once per process to a fixed Vietnamese + Latin character set, compressed once, and the same
bytes are written into every signed document as a CIDFontType2 (Identity-H) with a ToUnicode
map, so ``pdftotext`` reads the diacritics back. PDF/A-2b wants no transparency in what we add:
the seal's alpha channel becomes a 1-bit stencil ``/Mask`` (not an ``/SMask``), and the stamp
has no background.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.generic import pdf_name

from signing.fonts import StampFont, embed_font, flate_stream, load_stamp_font

#: pyHanko's object model is only partly annotated; treat it as untyped here.
generic: Any = _generic


@dataclass(frozen=True)
class SealImage:
    """An RGB seal with a 1-bit stencil mask instead of an alpha channel (cached per file)."""

    width: int
    height: int
    rgb_flate: bytes
    mask_flate: bytes | None


_SEAL_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def load_seal(path: Path) -> SealImage:
    """Read a PNG seal; transparent pixels become a stencil mask, colours are kept."""
    from PIL import Image

    with _SEAL_LOCK, Image.open(path) as img:
        img.load()
        rgba = img.convert("RGBA")
    # A seal is printed ~40 mm wide: 300 px is plenty and keeps the stamp small.
    rgba.thumbnail((300, 300))
    alpha = rgba.getchannel("A")
    # Fully transparent pixels go white, so a viewer that ignores /Mask still shows a seal.
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba.convert("RGB"), mask=alpha)
    low, _high = alpha.getextrema()
    has_mask = bool(low < 255)  # type: ignore[operator]
    mask_flate = None
    if has_mask:
        # In a PDF stencil mask, sample value 1 means "masked out" unless /Decode says otherwise.
        stencil = alpha.point(lambda a: 0 if a >= 128 else 255).convert("1")
        mask_flate = zlib.compress(stencil.tobytes(), 9)
    return SealImage(
        width=rgba.width,
        height=rgba.height,
        rgb_flate=zlib.compress(background.tobytes(), 6),
        mask_flate=mask_flate,
    )


def embed_seal(writer: Any, seal: SealImage) -> Any:
    extra: dict[str, Any] = {
        "/Type": pdf_name("/XObject"),
        "/Subtype": pdf_name("/Image"),
        "/Width": generic.NumberObject(seal.width),
        "/Height": generic.NumberObject(seal.height),
        "/ColorSpace": pdf_name("/DeviceRGB"),
        "/BitsPerComponent": generic.NumberObject(8),
    }
    if seal.mask_flate is not None:
        extra["/Mask"] = writer.add_object(
            flate_stream(
                seal.mask_flate,
                {
                    "/Type": pdf_name("/XObject"),
                    "/Subtype": pdf_name("/Image"),
                    "/Width": generic.NumberObject(seal.width),
                    "/Height": generic.NumberObject(seal.height),
                    "/ImageMask": generic.BooleanObject(True),
                    "/BitsPerComponent": generic.NumberObject(1),
                },
            )
        )
    ref: Any = writer.add_object(flate_stream(seal.rgb_flate, extra))
    return ref


def wrap_text(font: StampFont, text: str, size: float, max_width: float) -> list[str]:
    """Greedy word wrap measured with the font's widths."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and font.width(candidate, size) > max_width:
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
    return lines


@lru_cache(maxsize=16)
def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR modules for ``payload`` (error correction M, no quiet zone; cached: one
    signature sizes the code when planning and draws it; callers never mutate it)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def qr_content_ops(matrix: list[list[bool]], x: float, y: float, size: float) -> bytes:
    """Vector operators drawing ``matrix`` as black squares in a ``size`` box at (x, y)."""
    n = len(matrix)
    quiet = 2  # modules of white margin drawn explicitly (the page may not be white)
    module = size / (n + 2 * quiet)
    out = [b"q 1 g", b"%.3f %.3f %.3f %.3f re f" % (x, y, size, size), b"0 g"]
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + quiet + 1) * module
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                out.append(
                    b"%.3f %.3f %.3f %.3f re"
                    % (x + (start + quiet) * module, top, (col - start) * module, module)
                )
            else:
                col += 1
    out.append(b"f Q")
    return b"\n".join(out)


def stamp_xobject(
    writer: Any,
    *,
    width: float,
    height: float,
    text: str,
    font: StampFont,
    font_ref: Any,
    font_size: float,
    seal_ref: Any = None,
    seal_aspect: float = 1.0,
    qr_ops: bytes | None = None,
    matrix: tuple[float, float, float, float, float, float] | None = None,
) -> Any:
    """The stamp's normal appearance: thin frame, optional seal on the left, text lines."""
    pad = 3.0
    resources = generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font_ref})}
    )
    ops = [b"q 0.1 0.2 0.6 RG 0.8 w 0.4 0.4 %.2f %.2f re S Q" % (width - 0.8, height - 0.8)]
    text_x = pad + 1
    if qr_ops is not None:
        # a QR square as tall as the stamp, at its left edge
        ops.append(qr_ops)
        text_x += height
    if seal_ref is not None:
        seal_h = height - 2 * pad
        seal_w = seal_h * seal_aspect
        resources[pdf_name("/XObject")] = generic.DictionaryObject({pdf_name("/Seal"): seal_ref})
        ops.append(b"q %.2f 0 0 %.2f %.2f %.2f cm /Seal Do Q" % (seal_w, seal_h, text_x - 1, pad))
        text_x += seal_w + pad
    avail_w, avail_h = width - text_x - pad, height - 2 * pad
    size = font_size
    # A line such as the signing time reads best unbroken: shrink a little before wrapping.
    given = text.splitlines() or [""]
    while size > font_size * 0.8 and any(font.width(ln, size) > avail_w for ln in given):
        size -= 0.25
    lines = wrap_text(font, text, size, avail_w)
    # Shrink until everything fits: long agency names must not spill out of the box.
    while size > 4 and (
        len(lines) * size * 1.2 > avail_h or any(font.width(ln, size) > avail_w for ln in lines)
    ):
        size -= 0.5
        lines = wrap_text(font, text, size, avail_w)
    leading = size * 1.2
    block = len(lines) * leading
    top = pad + (avail_h + block) / 2 - size
    ops.append(b"BT 0.1 0.2 0.6 rg /F1 %.2f Tf %.2f TL %.2f %.2f Td" % (size, leading, text_x, top))
    for i, line in enumerate(lines):
        ops.append(b"%s<%s> Tj" % (b"T* " if i else b"", font.encode(line)))
    ops.append(b"ET")
    stream = generic.StreamObject(
        generic.DictionaryObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Form"),
                pdf_name("/BBox"): generic.ArrayObject(
                    [
                        generic.FloatObject(0),
                        generic.FloatObject(0),
                        generic.FloatObject(width),
                        generic.FloatObject(height),
                    ]
                ),
                pdf_name("/Resources"): resources,
                **(
                    {}
                    if matrix is None
                    else {
                        pdf_name("/Matrix"): generic.ArrayObject(
                            [generic.FloatObject(v) for v in matrix]
                        )
                    }
                ),
            }
        ),
        stream_data=b"\n".join(ops),
    )
    stream.compress()
    ref: Any = writer.add_object(stream)
    return ref


__all__ = [
    "SealImage",
    "StampFont",
    "embed_font",
    "embed_seal",
    "load_seal",
    "load_stamp_font",
    "qr_content_ops",
    "qr_matrix",
    "stamp_xobject",
    "wrap_text",
]
