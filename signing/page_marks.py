"""Comments sohoa writes into the content streams it adds, read back by later signatures.

A later signature may not change page content, and re-reading a page's ink from inside the
signer would make ``signing`` call poppler; so what sohoa drew records itself.
"""

from __future__ import annotations

import re
from typing import Any

from pyhanko.pdf_utils import generic as _generic

#: pyHanko's object model is only partly annotated; treat it as untyped here.
generic: Any = _generic

Rect = tuple[float, float, float, float]

#: Marks our QR code (so a later signature does not add another).
QR_MARK = b"%sohoa-qr\n"
#: Records a rectangle (displayed coordinates) something of ours occupies.
OCCUPIED_MARK = b"%sohoa-occupied"
#: Marks the signature-information page sohoa appends when page 1 has no free space.
INFO_PAGE_MARK = b"%sohoa-signature-info\n"
_OCCUPIED_LINE = re.compile(rb"%sohoa-occupied ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)")


def occupied_mark(rect: Rect) -> bytes:
    """The content-stream comment recording ``rect`` as occupied."""
    return OCCUPIED_MARK + b" %.2f %.2f %.2f %.2f\n" % rect


def our_streams(page: Any) -> list[bytes]:
    """Decoded content streams of ``page`` that sohoa wrote (each starts with a sohoa mark)."""
    if "/Contents" not in page:
        return []
    contents = page["/Contents"]  # indexing resolves an indirect reference (.get does not)
    streams = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    out = []
    for stream in streams:
        obj = stream.get_object()
        if not isinstance(obj, generic.StreamObject):
            continue
        try:
            data: bytes = obj.data
        except Exception:  # a stream pyHanko cannot decode was not written by sohoa
            continue
        if data.lstrip(b"\nQ").startswith(b"%sohoa-"):
            out.append(data)
    return out


def marked_rects(page: Any) -> list[Rect]:
    """Every rectangle recorded with :func:`occupied_mark` on ``page``."""
    found: list[Rect] = []
    for data in our_streams(page):
        for match in _OCCUPIED_LINE.finditer(data):
            x0, y0, x1, y1 = (float(v) for v in match.groups())
            found.append((x0, y0, x1, y1))
    return found


def is_info_page(page: Any) -> bool:
    return any(d.startswith(INFO_PAGE_MARK) for d in our_streams(page))
