"""A PNG's own compressed data as a PDF image stream (lưu nguyên dữ liệu ảnh PNG).

A PNG's IDAT chunks together are a zlib stream with PNG row filters, which is exactly what a
PDF ``/FlateDecode`` stream with ``/Predictor 15`` holds: a grey, RGB or palette PNG is stored
losslessly at its own size instead of being re-encoded as JPEG (a rendered chart or form of
46 KB became 140 KB of JPEG). Interlaced PNGs, 16-bit ones and any with transparency are
decoded instead (the composite on white is what a scan of the page shows).
"""

from __future__ import annotations

import struct
from pathlib import Path

from ocr.page import StoredImage

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG colour type → (PDF colour space, colours per pixel).
_SPACES = {0: ("/DeviceGray", 1), 2: ("/DeviceRGB", 3), 3: ("/Indexed", 1)}


def png_stream(path: Path) -> StoredImage | None:
    """The PNG at ``path`` as a stored image without re-encoding, or None if it cannot be."""
    data = path.read_bytes()
    if not data.startswith(_SIGNATURE):
        return None
    position, header, palette, idat = len(_SIGNATURE), b"", b"", []
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"tRNS":
            return None
        elif kind == b"IEND":
            break
    if len(header) != 13 or not idat:
        return None
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", header
    )
    if interlace or colour not in _SPACES or (colour == 3 and not palette):
        return None
    # 8-bit grey and RGB, and palettes of any depth PDF allows; a 1-bit grey PNG is a bilevel
    # scan, which CCITT G4 stores smaller.
    allowed = (1, 2, 4, 8) if colour == 3 else (2, 4, 8) if colour == 0 else (8,)
    if depth not in allowed:
        return None
    space, colours = _SPACES[colour]
    params: dict[str, int | bool] = {
        "/Predictor": 15,
        "/Colors": colours,
        "/BitsPerComponent": depth,
        "/Columns": width,
    }
    return StoredImage(
        b"".join(idat),
        "/FlateDecode",
        width,
        height,
        space,
        depth,
        decode_parms=params,
        palette=palette if colour == 3 else None,
    )
