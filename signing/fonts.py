"""The stamp font: subset once per process, embedded as a CIDFontType2 with a ToUnicode map.

pyHanko's own stamps subset the font for every signature (~180 ms). Here the font is subset once
to a fixed Vietnamese + Latin character set and compressed once; every signed document gets the
same bytes, and ``pdftotext`` reads the diacritics back through the ToUnicode map.
"""

from __future__ import annotations

import io
import logging
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


def flate_stream(data_flate: bytes, extra: dict[str, Any] | None = None) -> Any:
    entries: dict[Any, Any] = {pdf_name("/Filter"): pdf_name("/FlateDecode")}
    for key, value in (extra or {}).items():
        entries[pdf_name(key)] = value
    return generic.StreamObject(generic.DictionaryObject(entries), encoded_data=data_flate)


def embed_font(writer: Any, font: StampFont) -> Any:
    """Write the Type0 font objects into ``writer``; returns the font's reference."""
    program = writer.add_object(
        flate_stream(font.program_flate, {"/Length1": generic.NumberObject(font.program_length)})
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
            pdf_name("/ToUnicode"): writer.add_object(flate_stream(font.to_unicode_flate)),
        }
    )
    ref: Any = writer.add_object(type0)
    return ref
