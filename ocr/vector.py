"""Born-digital pages kept as they are (giữ nguyên trang số gốc): vector content, fonts, links.

A page whose text layer is real and whose fonts are embedded is not rasterized: the page
itself goes into the output and pikepdf.pdfa makes the smallest changes PDF/A-2b needs
(output intent, XMP, Print flags on annotations, hidden annotations and document JavaScript
removed), which are reported per page. When every page of the document is one source PDF's
pages in order, that PDF itself is the base of the output, so its tags, outline, named
destinations and metadata stay exactly as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf

from ocr.page import PageResult

if TYPE_CHECKING:
    from pikepdf.pdfa import PrepareResult

#: Document metadata carried from a born-digital source into the output's Info and XMP.
INFO_KEYS = ("/Title", "/Author", "/Subject", "/Keywords")


def whole_source(pages: Sequence[PageResult]) -> Path | None:
    """The source PDF if the document is exactly its pages, in order, all kept as vector."""
    sources = {p.vector_source for p in pages}
    if not pages or None in sources:
        return None
    paths = {source[0] for source in sources if source is not None}
    if len(paths) != 1:
        return None
    (path,) = paths
    indices = [p.vector_source[1] for p in pages if p.vector_source is not None]
    with pikepdf.open(path) as pdf:
        count = len(pdf.pages)
    return path if indices == list(range(count)) else None


def carry_metadata(
    pdf: pikepdf.Pdf, source: pikepdf.Pdf | None, *, title: str | None, language: str
) -> None:
    """Info and XMP of the output: the source's Title, Author, Subject, Keywords and /Lang
    where it has them, else ``title`` and ``language``; sohoa as the producer in both."""
    info = source.docinfo if source is not None else pikepdf.Dictionary()
    for key in INFO_KEYS:
        value = info.get(key)
        if isinstance(value, pikepdf.String) and str(value).strip():
            pdf.docinfo[key] = pikepdf.String(str(value))
    if "/Title" not in pdf.docinfo and title:
        pdf.docinfo["/Title"] = pikepdf.String(title)
    source_lang = source.Root.get("/Lang") if source is not None else None
    lang = str(source_lang) if isinstance(source_lang, pikepdf.String) and str(source_lang) else ""
    pdf.Root.Lang = pikepdf.String(lang or language)
    from ocr.pdfa import PRODUCER

    pdf.docinfo["/Producer"] = pikepdf.String(PRODUCER)
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta.load_from_docinfo(pdf.docinfo)
        meta["dc:language"] = [lang or language]
        meta["pdf:Producer"] = PRODUCER
        meta["xmp:CreatorTool"] = meta.get("xmp:CreatorTool") or PRODUCER


def changes_by_page(result: PrepareResult, pages: Sequence[PageResult]) -> dict[int, list[str]]:
    """What PDF/A-2b preparation changed, for each page kept as vector content (by index)."""
    document_level = [
        sentence
        for _level, sentence in result.messages()
        if "annotation" not in sentence.lower() or "Print flag" in sentence
    ]
    removed_on = set(result.annotations_removed_pages)
    changes: dict[int, list[str]] = {}
    for number, page in enumerate(pages, start=1):
        if page.vector_source is None:
            continue
        notes = list(page.changes)
        if number in removed_on:
            notes.append("annotations removed (hidden or without appearance; PDF/A-2b)")
        notes.extend(f"document: {sentence}" for sentence in document_level)
        changes[page.index] = notes
    return changes
