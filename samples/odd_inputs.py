"""Odd real-world inputs, built on the spot with pikepdf and Pillow (nothing stored).

Each builder makes the smallest file that shows one way real PDFs and scans go wrong: a Type3
font without ToUnicode, an XFA form, a text layer in byte-swapped UTF-16, a 2-colour palette
PNG, a 66 dpi scan, a tagged born-digital page with links and an outline.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

from samples.pages import render_page


def _helvetica(pdf: pikepdf.Pdf, to_unicode: pikepdf.Stream | None = None) -> pikepdf.Object:
    font = Dictionary(
        Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding
    )
    if to_unicode is not None:
        font.ToUnicode = to_unicode
    return pdf.make_indirect(font)


def _page(pdf: pikepdf.Pdf, content: bytes, fonts: Dictionary) -> pikepdf.Page:
    page = Dictionary(
        Type=Name.Page,
        MediaBox=Array([0, 0, 595, 842]),
        Resources=Dictionary(Font=fonts),
        Contents=pdf.make_stream(content),
    )
    return pikepdf.Page(page)


def type3_without_tounicode(path: Path) -> Path:
    """A page whose Type3 font has no ToUnicode and control-character codes (1–20).

    ``pdftotext`` writes such codes raw, which is not valid XML: the ``-bbox-layout`` parse
    used to end in a traceback. The glyphs are small filled boxes.
    """
    with pikepdf.new() as pdf:
        procs = Dictionary()
        differences: list[object] = [1]
        for code in range(1, 21):
            name = f"/g{code}"
            differences.append(Name(name))
            width = 300 + 20 * code
            procs[name] = pdf.make_stream(
                f"{width} 0 0 0 {width} 700 d1 0 0 {width} 700 re f".encode()
            )
        font = pdf.make_indirect(
            Dictionary(
                Type=Name.Font,
                Subtype=Name.Type3,
                FontBBox=Array([0, 0, 1000, 1000]),
                FontMatrix=Array([0.001, 0, 0, 0.001, 0, 0]),
                CharProcs=procs,
                Encoding=Dictionary(Type=Name.Encoding, Differences=Array(differences)),
                FirstChar=1,
                LastChar=20,
                Widths=Array([300 + 20 * c for c in range(1, 21)]),
                Resources=Dictionary(),
            )
        )
        codes = bytes(range(1, 21))
        lines = b"".join(
            b"1 0 0 1 72 %d Tm <%s> Tj\n" % (760 - 30 * i, codes.hex().encode()) for i in range(12)
        )
        pdf.pages.append(_page(pdf, b"BT /T3 14 Tf\n" + lines + b"ET", Dictionary(T3=font)))
        pdf.save(path)
    return path


def xfa_form(path: Path, *, needs_rendering: bool = True) -> Path:
    """A dynamic XFA form: a placeholder page, the real form only in the XFA stream."""
    xdp = (
        b'<?xml version="1.0"?><xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template>'
        b'<subform name="ToKhai"><field name="HoTen"/></subform></template></xdp:xdp>'
    )
    with pikepdf.new() as pdf:
        pdf.pages.append(
            _page(
                pdf,
                b"BT /F1 12 Tf 72 760 Td (Please wait...) Tj ET",
                Dictionary(F1=_helvetica(pdf)),
            )
        )
        pdf.Root.AcroForm = Dictionary(Fields=Array([]), XFA=pdf.make_stream(xdp))
        if needs_rendering:
            pdf.Root.NeedsRendering = True
        pdf.save(path)
    return path


def _swapped_cmap() -> bytes:
    # Each single-byte code maps to the code point with its two bytes swapped: "M" (0x4D) →
    # U+4D00 "䴀", the way UTF-16 text read with the wrong byte order comes out.
    entries = "\n".join(f"<{c:02X}> <{c:02X}00>" for c in range(0x20, 0x7F))
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Swapped def /CMapType 2 def\n"
        "1 begincodespacerange <00> <FF> endcodespacerange\n"
        f"95 beginbfchar\n{entries}\nendbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end\n"
    ).encode("ascii")


SWAPPED_LINES = (
    "Ho so de nghi cap giay chung nhan",
    "Uy ban nhan dan xa tiep nhan ho so",
    "Thoi han giai quyet muoi lam ngay",
    "Bo phan mot cua huong dan cong dan",
)


def swapped_utf16_layer(path: Path) -> Path:
    """A page showing plain Latin text whose text layer reads as CJK (bytes swapped)."""
    with pikepdf.new() as pdf:
        font = _helvetica(pdf, pdf.make_stream(_swapped_cmap()))
        lines = b"".join(
            b"1 0 0 1 72 %d Tm (%s) Tj\n" % (760 - 40 * i, line.encode("ascii"))
            for i, line in enumerate(SWAPPED_LINES * 3)
        )
        pdf.pages.append(_page(pdf, b"BT /F1 20 Tf\n" + lines + b"ET", Dictionary(F1=font)))
        pdf.save(path)
    return path


def scan_pdf_at(path: Path, dpi: int, *, seed: int = 40, lines: int = 10) -> Path:
    """A scanned A4 page at ``dpi`` (one grey JPEG drawn over the whole page)."""
    page = render_page(seed, dpi=dpi, skew_degrees=0.0, lines=lines, noise=0, blur=0)
    page.image.convert("L").save(path, "PDF", resolution=float(dpi), quality=85)
    return path


BORN_DIGITAL_LINES = (
    "Giay bien nhan ho so va hen tra ket qua",
    "Uy ban nhan dan xa Hoa Hiep tiep nhan ho so",
    "Thoi han giai quyet: muoi lam ngay lam viec",
)


def _embedded_truetype(pdf: pikepdf.Pdf, text: str) -> pikepdf.Object:
    """Noto Sans subset to the characters of ``text``, embedded as a WinAnsi TrueType font."""
    import io

    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    from samples.pages import FONT_DIR

    options = subset.Options()
    options.notdef_outline = True
    font = TTFont(str(FONT_DIR / "NotoSans-Regular.ttf"))
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    widths = []
    for code in range(32, 127):
        glyph = cmap.get(code)
        widths.append(round(font["hmtx"][glyph][0] * scale) if glyph else 0)
    program = pdf.make_stream(buffer.getvalue())
    program.Length1 = len(buffer.getvalue())
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name("/ABCDEF+NotoSans-Regular"),
        Flags=32,
        FontBBox=Array([-600, -300, 2600, 1100]),
        ItalicAngle=0,
        Ascent=1069,
        Descent=-293,
        CapHeight=714,
        StemV=80,
        FontFile2=program,
    )
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font,
            Subtype=Name.TrueType,
            BaseFont=Name("/ABCDEF+NotoSans-Regular"),
            FirstChar=32,
            LastChar=126,
            Widths=Array(widths),
            Encoding=Name.WinAnsiEncoding,
            FontDescriptor=pdf.make_indirect(descriptor),
        )
    )


def born_digital_tagged(path: Path) -> Path:
    """Two tagged born-digital pages with an embedded font, links, an outline and metadata."""
    with pikepdf.new() as pdf:
        font = _embedded_truetype(pdf, "".join(BORN_DIGITAL_LINES) + " 0123456789:./-Trang")
        document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
        parent_tree: list[object] = []
        for number in range(2):
            lines = b"".join(
                b"1 0 0 1 72 %d Tm (%s) Tj\n" % (760 - 30 * i, line.encode("ascii"))
                for i, line in enumerate((*BORN_DIGITAL_LINES, f"Trang {number + 1}"))
            )
            content = b"/P <</MCID 0>> BDC BT /F1 16 Tf\n" + lines + b"ET EMC"
            page = _page(pdf, content, Dictionary(F1=font))
            pdf.pages.append(page)
            added = pdf.pages[-1]
            added.obj.StructParents = number
            paragraph = pdf.make_indirect(
                Dictionary(Type=Name.StructElem, S=Name.P, P=document, Pg=added.obj, K=0)
            )
            document.K.append(paragraph)
            parent_tree.extend([number, Array([paragraph])])
        first, second = pdf.pages[0].obj, pdf.pages[1].obj
        first.Annots = Array(
            [
                pdf.make_indirect(
                    Dictionary(
                        Type=Name.Annot,
                        Subtype=Name.Link,
                        Rect=Array([72, 600, 300, 620]),
                        Border=Array([0, 0, 0]),
                        F=4,
                        A=Dictionary(S=Name.URI, URI=pikepdf.String("https://dichvucong.gov.vn")),
                    )
                ),
                pdf.make_indirect(
                    Dictionary(
                        Type=Name.Annot,
                        Subtype=Name.Link,
                        Rect=Array([72, 560, 300, 580]),
                        Border=Array([0, 0, 0]),
                        F=4,
                        Dest=Array([second, Name.Fit]),
                    )
                ),
            ]
        )
        root = pdf.make_indirect(
            Dictionary(
                Type=Name.StructTreeRoot,
                K=document,
                ParentTree=Dictionary(Nums=Array(parent_tree)),
            )
        )
        document.P = root
        pdf.Root.StructTreeRoot = root
        pdf.Root.MarkInfo = Dictionary(Marked=True)
        outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines))
        items = [
            pdf.make_indirect(
                Dictionary(
                    Title=pikepdf.String(title), Parent=outlines, Dest=Array([page, Name.Fit])
                )
            )
            for title, page in (("Trang 1", first), ("Trang 2", second))
        ]
        items[0].Next, items[1].Prev = items[1], items[0]
        outlines.First, outlines.Last, outlines.Count = items[0], items[1], 2
        pdf.Root.Outlines = outlines
        pdf.Root.Lang = pikepdf.String("vi-VN")
        pdf.docinfo["/Title"] = "Giấy biên nhận hồ sơ"
        pdf.docinfo["/Author"] = "UBND xã Hòa Hiệp"
        pdf.docinfo["/Subject"] = "Biên nhận"
        pdf.docinfo["/Keywords"] = "một cửa; biên nhận"
        pdf.save(path)
    return path
