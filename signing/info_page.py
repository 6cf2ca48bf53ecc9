"""The signature-information page appended when page 1 has no free space for the stamps.

The last resort of :mod:`signing.placement`: rather than cover the document's content, the
signature's stamp and the QR code go onto a page added at the end, in the first signing
revision (a signed document may not gain pages), titled so a reader knows why it is there.
Circular 01/2023/TT-VPCP asks the digitized copy to keep the paper's pages, in order: the page
is added after them and says so, and the signing report names it.
"""

from __future__ import annotations

from typing import Any

from pyhanko.pdf_utils import generic as _generic
from pyhanko.pdf_utils.generic import pdf_name

from signing import appearance
from signing.page_marks import INFO_PAGE_MARK, occupied_mark
from signing.request import SigningPolicy

#: pyHanko's object model is only partly annotated; treat it as untyped here.
generic: Any = _generic

TITLE = "THÔNG TIN CHỮ KÝ SỐ"
LINES = (
    "Trang này được thêm khi ký: trang 1 không còn chỗ trống cho chữ ký số và mã QR.",
    "Signature information page: page 1 has no free space for the signature stamps and QR code.",
)


def append_info_page(writer: Any, size: tuple[float, float], policy: SigningPolicy) -> int:
    """Add the signature-information page (``size`` = page 1 as displayed); its index."""
    from signing.stamps import embedded_once

    width, height = size
    font = appearance.load_stamp_font(policy.font_file)
    font_ref = embedded_once(writer, "font", lambda: appearance.embed_font(writer, font))
    x, top = 72.0, height / 2 + 40
    ops = [b"BT 0 g /F1 14 Tf %.2f %.2f Td <%s> Tj ET" % (x, top, font.encode(TITLE))]
    right = x + font.width(TITLE, 14)
    y = top - 24
    for line in LINES:
        ops.append(b"BT 0 g /F1 9 Tf %.2f %.2f Td <%s> Tj ET" % (x, y, font.encode(line)))
        right = max(right, x + font.width(line, 9))
        y -= 14
    block = (x, y + 10, right, top + 14)
    content = generic.StreamObject(
        stream_data=INFO_PAGE_MARK + occupied_mark(block) + b"\n".join(ops) + b"\n"
    )
    content.compress()
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(
                [generic.FloatObject(v) for v in (0, 0, width, height)]
            ),
            pdf_name("/Resources"): generic.DictionaryObject(
                {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): font_ref})}
            ),
            pdf_name("/Contents"): writer.add_object(content),
        }
    )
    count = int(writer.root["/Pages"]["/Count"])
    writer.insert_page(page, after=count - 1)
    return count
