"""PDF files: the text layer in reading order, without what repeats on every page.

pypdfium2 (PDFium, Apache-2.0/BSD) reads the text layer: on CJK test pages it gave the same text as
pdfplumber and pypdf, kept two columns apart where pdfplumber interleaves their lines, and read
890 pages/s against pdfplumber's 29 (bench/formats.py). Running headers and footers (a line that
comes back at the top or bottom of most pages, digits aside) and page-number lines are taken out;
pages are joined by a line break, so that a sentence broken over a page is joined again like any
hard-wrapped line (kg.report.clean). Image-only pages are read by OCR when asked (kg.readers.ocr).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from kg.readers import Read, ReadError

MIN_TEXT = 20  # characters on a page below which it is taken for a scanned image
_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–－_·•]\s*)?(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4})?(?:\s*(?:页)?\s*[-—–－_·•])?\s*$")
_DIGITS = re.compile(r"\d+")


def read(data: bytes, path: str | Path, ocr: bool = False) -> Read:
    import pypdfium2

    try:
        doc = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as e:
        if "password" in str(e).lower():
            raise ReadError(path, "an encrypted PDF: it needs a password to be read") from e
        raise ReadError(path, f"not a readable PDF ({e})") from e
    try:
        raw = [_lines(doc[i]) for i in range(len(doc))]
        pages = _without_furniture(raw)
        ocr_pages, unread = [], []
        for i, lines in enumerate(pages):  # what is left of a scanned page is its header and footer, if that
            if len(re.sub(r"\s", "", "".join(lines))) < MIN_TEXT:
                if ocr:
                    from kg.readers.ocr import read_page

                    pages[i] = read_page(doc[i]).split("\n")
                    ocr_pages.append(i + 1)
                else:
                    unread.append(i + 1)
    except pypdfium2.PdfiumError as e:
        raise ReadError(path, f"a damaged PDF ({e})") from e
    finally:
        doc.close()
    if not any(line.strip() for lines in pages for line in lines):
        hint = " (build with --ocr to read scanned pages)" if unread else ""
        raise ReadError(path, f"a PDF without text on any page{hint}")
    text, starts = "", []
    for lines in pages:
        starts.append(len(text))
        body = "\n".join(lines).strip("\n")
        text += body + "\n" if body else ""
    return Read(text, "pdf", "application/pdf", starts, ocr_pages, unread)


def _lines(page) -> list[str]:  # type: ignore[no-untyped-def]
    text = page.get_textpage().get_text_range().replace("\r\n", "\n").replace("\r", "\n")
    return [line.rstrip() for line in text.split("\n")]


def _without_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Each page's lines without its page number and, after the first page, without the running
    header and footer."""
    def edges(lines: list[str]) -> list[tuple[int, str]]:
        full = [(i, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
        return full[:2] + full[-2:] if len(full) > 4 else full

    repeated: Counter[str] = Counter()
    for lines in pages:
        repeated.update({_DIGITS.sub("#", ln) for _, ln in edges(lines)})
    enough = max(2, (len(pages) + 1) // 2)
    out = []
    for n, lines in enumerate(pages):  # the first page keeps its header: it is often the report's title
        drop = {i for i, ln in edges(lines)
                if _PAGE_NUMBER.match(ln) or (n > 0 and repeated[_DIGITS.sub("#", ln)] >= enough)}
        out.append([ln for i, ln in enumerate(lines) if i not in drop])
    return out
