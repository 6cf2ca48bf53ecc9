"""Assemble the searchable PDF/A-2b: page images plus an invisible text layer, then validate.

The text layer uses a "glyphless" font (Tesseract's own trick): a Type0 font over a TrueType
CIDFont whose every CID draws the same empty glyph, with CIDs equal to the UTF-16 code units of
the text and a ToUnicode CMap mapping them back. Any Unicode text (all Vietnamese letters with
their tone marks) can be written and ``pdftotext`` extracts it exactly, with one 572-byte font
for the whole document. The image is drawn turned by the page's deskew/orientation angle
through the drawing matrix, so the scan is stored as it came, never resampled.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from contextlib import ExitStack
from functools import cache
from importlib import resources
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from core.errors import PDFAValidationFailed
from ocr.page import PageResult, TextLine
from ocr.vector import carry_metadata, changes_by_page, whole_source

#: Glyph advance of the glyphless font, in 1/1000 em (its only glyph is 1024/2048 wide).
_ADVANCE = 500
PRODUCER = "sohoa"


@cache
def _font_program() -> bytes:
    return resources.files("ocr").joinpath("data/glyphless.ttf").read_bytes()


def _to_unicode_cmap(used: frozenset[int] | None = None) -> bytes:
    # One bfrange per high byte (a range may only vary in its last byte), only for the high
    # bytes the document's text uses when they are given (a Vietnamese page needs ~6 of 256).
    # Code points that must not appear in extracted text (NUL, surrogates, BOM,
    # non-characters) are left unmapped.
    ranges: list[str] = []
    for high in range(256):
        if 0xD8 <= high <= 0xDF or (used is not None and high not in used):
            continue
        low_start = 1 if high == 0 else 0
        low_end = 0xFD if high == 0xFF else 0xFF
        if high == 0xFE:
            ranges.append("<FE00> <FEFE> <FE00>")
            continue
        start = (high << 8) | low_start
        end = (high << 8) | low_end
        ranges.append(f"<{start:04X}> <{end:04X}> <{start:04X}>")
    blocks = []
    for i in range(0, len(ranges), 100):
        chunk = ranges[i : i + 100]
        blocks.append(f"{len(chunk)} beginbfrange\n" + "\n".join(chunk) + "\nendbfrange")
    text = (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    )
    return text.encode("ascii")


def glyphless_font(pdf: pikepdf.Pdf, used: frozenset[int] | None = None) -> pikepdf.Object:
    """Add the glyphless Type0 font to ``pdf`` and return it (an indirect object).

    ``used``: the high bytes of the UTF-16 code units the text will use (all if None).
    """
    program = Stream(pdf, _font_program())
    program.Length1 = len(_font_program())
    descriptor = Dictionary(
        Type=Name.FontDescriptor,
        FontName=Name.GlyphLessFont,
        Flags=5,
        FontBBox=Array([0, 0, _ADVANCE, 1000]),
        ItalicAngle=0,
        Ascent=1000,
        Descent=0,
        CapHeight=1000,
        StemV=80,
        FontFile2=pdf.make_indirect(program),
    )
    # Every CID maps to glyph 1, the font's one (empty) glyph; never to .notdef (PDF/A-2).
    cid_to_gid = Stream(pdf, zlib.compress(b"\x00\x01" * 65536, 9))
    cid_to_gid.Filter = Name.FlateDecode
    cid_font = Dictionary(
        Type=Name.Font,
        Subtype=Name.CIDFontType2,
        BaseFont=Name.GlyphLessFont,
        CIDSystemInfo=Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=_ADVANCE,
        CIDToGIDMap=pdf.make_indirect(cid_to_gid),
    )
    to_unicode = Stream(pdf, zlib.compress(_to_unicode_cmap(used), 9))
    to_unicode.Filter = Name.FlateDecode
    font = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type0,
        BaseFont=Name.GlyphLessFont,
        Encoding=Name("/Identity-H"),
        DescendantFonts=Array([pdf.make_indirect(cid_font)]),
        ToUnicode=pdf.make_indirect(to_unicode),
    )
    return pdf.make_indirect(font)


def _n(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def image_matrix(page: PageResult) -> list[float]:
    """The ``cm`` matrix drawing the stored image centred on the page, turned by its angle.

    The image is first placed on its unturned page (scaled over it, or by the source's own
    matrix when the source drew it turned), then the page is turned about its centre.
    """
    if page.image.drawn_size is not None:
        width, height = page.image.drawn_size
    else:
        width = page.image.width * 72.0 / page.dpi
        height = page.image.height * 72.0 / page.dpi
    radians = math.radians(page.angle)
    c, s = math.cos(radians), math.sin(radians)
    # Snap exact quarter turns so 90° pages get clean integer matrices.
    c, s = (
        (round(c) if abs(c - round(c)) < 1e-9 else c),
        (round(s) if abs(s - round(s)) < 1e-9 else s),
    )
    e = page.width / 2 - c * width / 2 + s * height / 2
    f = page.height / 2 - s * width / 2 - c * height / 2
    a0, b0, c0, d0, e0, f0 = page.image.placement or (width, 0.0, 0.0, height, 0.0, 0.0)
    # [x y 1] · placement · turn, both as PDF matrices (row vectors).
    return [
        a0 * c - b0 * s,
        a0 * s + b0 * c,
        c0 * c - d0 * s,
        c0 * s + d0 * c,
        e0 * c - f0 * s + e,
        e0 * s + f0 * c + f,
    ]


def _advance(text: str, size: float) -> float:
    """Width in points of ``text`` in the glyphless font (every UTF-16 code unit the same)."""
    return len(text.encode("utf-16-be")) / 2 * _ADVANCE / 1000 * size


def text_layer(lines: Sequence[TextLine], page_height: float) -> str:
    """Content-stream operators drawing ``lines`` as invisible text (render mode 3).

    Each word starts at its box's left edge and is stretched (``Tz``) to reach the next word,
    so ``pdftotext`` reads the words back in order with their spaces. Positions are relative
    ``Td`` steps with one decimal, and ``Tf``/``Tz`` are written only when they change: about
    half the bytes of a full matrix per word, which matters next to a 1-bit scan of ~100 KB.
    """
    out = ["BT", "3 Tr"]
    font_size: float | None = None
    scale = 100.0
    x = y = 0.0
    for line in lines:
        size = round(max(1.0, line.bottom - line.top), 1)
        if size != font_size:
            out.append(f"/F1 {_n(size)} Tf")
            font_size = size
        # Baseline about a fifth of the line height above the bottom (descenders below it).
        baseline = round(page_height - (line.bottom - 0.2 * size), 1)
        words = line.words
        for i, word in enumerate(words):
            text = word.text if i == len(words) - 1 else word.text + " "
            span = (words[i + 1].left - word.left) if i < len(words) - 1 else word.right - word.left
            natural = _advance(text, size)
            word_scale = float(max(1, round(100.0 * span / natural))) if natural else 100.0
            if word_scale != scale:
                out.append(f"{_n(word_scale)} Tz")
                scale = word_scale
            left = round(word.left, 1)
            out.append(f"{_n(left - x)} {_n(baseline - y)} Td")
            x, y = left, baseline
            out.append(f"<{text.encode('utf-16-be').hex().upper()}> Tj")
    out.append("ET")
    return "\n".join(out)


#: Keys an image copied from a source PDF keeps (anything else could break PDF/A).
_IMAGE_KEYS = frozenset(
    (
        "/Type",
        "/Subtype",
        "/Width",
        "/Height",
        "/ColorSpace",
        "/BitsPerComponent",
        "/Filter",
        "/DecodeParms",
        "/Decode",
        "/Length",
    )
)


def _image(
    pdf: pikepdf.Pdf, page: PageResult, sources: ExitStack, opened: dict[Path, pikepdf.Pdf]
) -> Stream:
    if page.image.pdf_source is None:
        return Stream(pdf, page.image.data)
    path, index = page.image.pdf_source
    if path not in opened:
        opened[path] = sources.enter_context(pikepdf.open(path))
    (original,) = opened[path].pages[index].get_images().values()
    # copy_foreign keeps the stream data in the source file until the output is written.
    image = pdf.copy_foreign(original)
    if not isinstance(image, Stream):
        raise TypeError("the source page's image is not a stream")
    for key in list(image.keys()):
        if key not in _IMAGE_KEYS:
            del image[key]
    return image


def _describe(image: Stream, page: PageResult) -> None:
    """Set the image dictionary of a stream sohoa encoded (a copied one keeps its own)."""
    stored = page.image
    image.Width = stored.width
    image.Height = stored.height
    if stored.colour_space == "/Indexed" and stored.palette is not None:
        image.ColorSpace = Array(
            [
                Name.Indexed,
                Name.DeviceRGB,
                len(stored.palette) // 3 - 1,
                pikepdf.String(stored.palette),
            ]
        )
    else:
        image.ColorSpace = Name(stored.colour_space)
    image.BitsPerComponent = stored.bits
    image.Filter = Name(stored.filter)
    if stored.decode_parms:
        image.DecodeParms = Dictionary({key: value for key, value in stored.decode_parms.items()})


def build_document(
    pages: Sequence[PageResult], *, title: str | None, language: str, sources: ExitStack
) -> pikepdf.Pdf:
    """A PDF with one page per result (not yet PDF/A-prepared).

    Source PDFs whose JPEGs are reused are opened on ``sources``; keep it open until saved.
    """
    pdf = pikepdf.new()
    used = frozenset(
        encoded[i]
        for page in pages
        for line in page.lines
        for word in line.words
        for encoded in ((word.text + " ").encode("utf-16-be"),)
        for i in range(0, len(encoded), 2)
    )
    font = glyphless_font(pdf, used)
    opened: dict[Path, pikepdf.Pdf] = {}
    first_source: pikepdf.Pdf | None = None
    for page in pages:
        if page.vector_source is not None:
            path, index = page.vector_source
            if path not in opened:
                opened[path] = sources.enter_context(pikepdf.open(path))
            first_source = first_source or opened[path]
            # The page with its content, fonts and annotations (links) as it is.
            pdf.pages.append(opened[path].pages[index])
            continue
        image = _image(pdf, page, sources, opened)
        image.Type = Name.XObject
        image.Subtype = Name.Image
        if page.image.pdf_source is None:
            _describe(image, page)
        matrix = " ".join(_n(v) for v in image_matrix(page))
        content = f"q {matrix} cm /Im0 Do Q\n{text_layer(page.lines, page.height)}\n"
        contents = Stream(pdf, zlib.compress(content.encode("ascii"), 6))
        contents.Filter = Name.FlateDecode
        page_dict = Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, round(page.width, 3), round(page.height, 3)]),
            Resources=Dictionary(
                XObject=Dictionary(Im0=pdf.make_indirect(image)),
                Font=Dictionary(F1=font),
            ),
            Contents=pdf.make_indirect(contents),
        )
        pdf.pages.append(pikepdf.Page(page_dict))
    carry_metadata(pdf, first_source, title=title, language=language)
    return pdf


def write_pdfa(
    pages: Sequence[PageResult], output: Path, *, title: str | None, language: str
) -> dict[int, list[str]]:
    """Write ``pages`` to ``output`` as validated PDF/A-2b, atomically.

    ``pikepdf.pdfa.save`` (through :func:`core.pdfa.save`) writes to a temporary file next to
    ``output``, validates the bytes written and only then moves them into place: a failure
    leaves no file behind.

    Returns:
        For each page kept as vector content (by index), what PDF/A-2b conversion changed.

    Raises:
        PDFAValidationFailed: The written file did not pass PDF/A-2b validation.
    """
    # pikepdf.pdfa takes ~0.5 s to import; digitize() warms it up while pages are recognised.
    from pikepdf.pdfa import PdfaError, prepare

    from core.pdfa import save as pdfa_save

    with ExitStack() as sources:
        whole = whole_source(pages)
        if whole is not None:
            # The source itself: its tags, outline and names stay exactly as they are.
            pdf = sources.enter_context(pikepdf.open(whole))
            carry_metadata(pdf, pdf, title=title, language=language)
        else:
            pdf = sources.enter_context(
                build_document(pages, title=title, language=language, sources=sources)
            )
        changes = changes_by_page(prepare(pdf, "2b"), pages)
        try:
            pdfa_save(pdf, output, "2b")
        except PdfaError as exc:
            findings = "; ".join(str(f) for f in exc.report.findings[:3])
            raise PDFAValidationFailed(
                f"output failed PDF/A-2b validation: {findings}",
                detail_vi="Tệp kết quả không đạt chuẩn PDF/A-2b",
            ) from exc
    return changes
