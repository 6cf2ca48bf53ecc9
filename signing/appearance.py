"""Visible stamps (Vietnamese text, embedded font, seal image) and the verification QR code.

pyHanko's own stamps subset the font for every signature (~180 ms). Here the font is subset
once per process to a fixed Vietnamese + Latin character set, compressed once, and the same
bytes are written into every signed document as a CIDFontType2 (Identity-H) with a ToUnicode
map, so ``pdftotext`` reads the diacritics back. PDF/A-2b wants no transparency in what we add:
the seal's alpha channel becomes a 1-bit stencil ``/Mask`` (not an ``/SMask``), and the stamp
has no background.
"""

from __future__ import annotations

import io
import logging
import threading
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.generic import pdf_name

#: pyHanko's object model is only partly annotated; treat it as untyped here.
generic: Any = _generic

#: Characters every stamp may use: ASCII, Latin-1, Vietnamese letters and a little punctuation.
_CHARSET = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "".join(chr(c) for c in range(0xC0, 0x100))
    + "ĂăĐđĨĩŨũƠơƯư"
    + "".join(chr(c) for c in range(0x1EA0, 0x1EFA))
    + "—–…·•“”‘’"
)


@dataclass(frozen=True)
class StampFont:
    """A subset TrueType font, ready to embed (built once per font file)."""

    postscript_name: str
    program_flate: bytes
    program_length: int
    gids: dict[str, int]
    widths: dict[int, int]
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    to_unicode_flate: bytes

    def encode(self, text: str) -> bytes:
        """Hex glyph ids for ``text`` (NFC; unknown characters become '?')."""
        fallback = self.gids.get("?", 0)
        gid = self.gids.get
        return b"".join(b"%04X" % gid(ch, fallback) for ch in unicodedata.normalize("NFC", text))

    def width(self, text: str, size: float) -> float:
        fallback = self.gids.get("?", 0)
        total = sum(
            self.widths.get(self.gids.get(ch, fallback), 500)
            for ch in unicodedata.normalize("NFC", text)
        )
        return total * size / 1000.0


@lru_cache(maxsize=4)
def load_stamp_font(path: Path) -> StampFont:
    """Subset ``path`` to the stamp character set (cached per process)."""
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    # fontTools narrates every subsetting step at INFO; that is noise in a CLI report.
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    options = subset.Options()
    options.layout_features = []
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.hinting = False
    font = TTFont(str(path))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=_CHARSET)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    program = buffer.getvalue()
    font = TTFont(io.BytesIO(program))
    scale = 1000.0 / font["head"].unitsPerEm
    glyph_order = font.getGlyphOrder()
    index = {name: i for i, name in enumerate(glyph_order)}
    cmap = font.getBestCmap()
    gids = {chr(cp): index[name] for cp, name in cmap.items()}
    hmtx = font["hmtx"].metrics
    widths = {index[name]: round(hmtx[name][0] * scale) for name in glyph_order}
    head, os2 = font["head"], font["OS/2"]
    bbox = tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
    ps_name = font["name"].getDebugName(6) or "NotoSans-Regular"
    return StampFont(
        postscript_name=f"SOHOAA+{ps_name}",
        program_flate=zlib.compress(program, 9),
        program_length=len(program),
        gids=gids,
        widths=widths,
        bbox=(bbox[0], bbox[1], bbox[2], bbox[3]),
        ascent=round(os2.sTypoAscender * scale),
        descent=round(os2.sTypoDescender * scale),
        cap_height=round(getattr(os2, "sCapHeight", 700) * scale),
        to_unicode_flate=zlib.compress(_to_unicode_cmap(gids), 9),
    )


def _to_unicode_cmap(gids: dict[str, int]) -> bytes:
    pairs = sorted((gid, ch) for ch, gid in gids.items())
    seen: dict[int, str] = {}
    for gid, ch in pairs:
        seen.setdefault(gid, ch)
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    items = list(seen.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(
            f"<{gid:04X}> <{''.join(f'{b:02X}' for b in ch.encode('utf-16-be'))}>"
            for gid, ch in chunk
        )
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode("ascii")


def _flate_stream(data_flate: bytes, extra: dict[str, Any] | None = None) -> Any:
    entries: dict[Any, Any] = {pdf_name("/Filter"): pdf_name("/FlateDecode")}
    for key, value in (extra or {}).items():
        entries[pdf_name(key)] = value
    return generic.StreamObject(generic.DictionaryObject(entries), encoded_data=data_flate)


def embed_font(writer: Any, font: StampFont) -> Any:
    """Write the Type0 font objects into ``writer``; returns the font's reference."""
    program = writer.add_object(
        _flate_stream(font.program_flate, {"/Length1": generic.NumberObject(font.program_length)})
    )
    descriptor = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/FontDescriptor"),
            pdf_name("/FontName"): pdf_name("/" + font.postscript_name),
            pdf_name("/Flags"): generic.NumberObject(32),
            pdf_name("/FontBBox"): generic.ArrayObject(map(generic.NumberObject, font.bbox)),
            pdf_name("/ItalicAngle"): generic.NumberObject(0),
            pdf_name("/Ascent"): generic.NumberObject(font.ascent),
            pdf_name("/Descent"): generic.NumberObject(font.descent),
            pdf_name("/CapHeight"): generic.NumberObject(font.cap_height),
            pdf_name("/StemV"): generic.NumberObject(80),
            pdf_name("/FontFile2"): program,
        }
    )
    widths = generic.ArrayObject()
    for gid in sorted(font.widths):
        widths.append(generic.NumberObject(gid))
        widths.append(generic.ArrayObject([generic.NumberObject(font.widths[gid])]))
    cid_font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/CIDFontType2"),
            pdf_name("/BaseFont"): pdf_name("/" + font.postscript_name),
            pdf_name("/CIDSystemInfo"): generic.DictionaryObject(
                {
                    pdf_name("/Registry"): generic.TextStringObject("Adobe"),
                    pdf_name("/Ordering"): generic.TextStringObject("Identity"),
                    pdf_name("/Supplement"): generic.NumberObject(0),
                }
            ),
            pdf_name("/FontDescriptor"): writer.add_object(descriptor),
            pdf_name("/CIDToGIDMap"): pdf_name("/Identity"),
            pdf_name("/W"): widths,
        }
    )
    type0 = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type0"),
            pdf_name("/BaseFont"): pdf_name("/" + font.postscript_name),
            pdf_name("/Encoding"): pdf_name("/Identity-H"),
            pdf_name("/DescendantFonts"): generic.ArrayObject([writer.add_object(cid_font)]),
            pdf_name("/ToUnicode"): writer.add_object(_flate_stream(font.to_unicode_flate)),
        }
    )
    ref: Any = writer.add_object(type0)
    return ref


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
            _flate_stream(
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
    ref: Any = writer.add_object(_flate_stream(seal.rgb_flate, extra))
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


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR modules for ``payload`` (error correction M, no quiet zone)."""
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
