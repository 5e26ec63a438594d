"""Report documents made from text: PDF pages (text layer or a picture of the text, as a scan),
Word files. The format tests and the format benchmark make their files with these; what goes
into them is the project's own text (test sentences, the seeds)."""

from __future__ import annotations

from pathlib import Path

import mplfonts

FONT = Path(mplfonts.__file__).parent / "fonts" / "SimHei.ttf"  # the CJK font package the pictures use


def wrap(text: str, width: float = 30) -> list[str]:
    """Hard-wrap at a printed width (a digit takes half a Chinese character's room), as a PDF does."""
    lines, line, room = [], "", 0.0
    for ch in text:
        w = 0.5 if ch.isascii() else 1.0
        if room + w > width:
            lines.append(line)
            line, room = "", 0.0
        line, room = line + ch, room + w
    return [*lines, line] if line else lines


def pdf(path: Path, pages: list[list[str]], header: str | None = None, columns: list[list[str]] | None = None,
        image_pages: dict[int, list[str]] | None = None, password: str | None = None) -> Path:
    """An A4 PDF (up to 32 lines a page) with a running header and a page number in the footer on
    every page; ``pages`` are lines of text; ``columns`` a last page of two columns; ``image_pages`` pages that are only a
    picture of their lines (a scan)."""
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.add_font("cjk", fname=str(FONT))
    doc.set_auto_page_break(False)
    if password:
        doc.set_encryption(owner_password="owner", user_password=password)
    pages, image_pages = list(pages), image_pages or {}
    total = len(pages) + (1 if columns else 0) + len(image_pages)
    made = 0

    def page(draw) -> None:  # type: ignore[no-untyped-def]
        nonlocal made
        made += 1
        doc.add_page()
        doc.set_font("cjk", size=9)
        if header:
            doc.set_xy(10, 8)
            doc.cell(190, 6, header, align="C")
        draw()
        doc.set_font("cjk", size=9)
        doc.set_xy(10, 285)
        doc.cell(190, 6, f"— {made} —", align="C")

    def lines_at(lines: list[str], x: float) -> None:
        doc.set_font("cjk", size=12)
        for i, line in enumerate(lines):
            doc.set_xy(x, 20 + 8 * i)
            doc.cell(0, 8, line)

    for n in range(1, total + 1):
        if n in image_pages:
            shot = path.with_suffix(f".page{n}.png")
            picture(image_pages[n], shot)
            page(lambda shot=shot: doc.image(str(shot), x=10, y=20, w=190))
        elif pages:
            lines = pages.pop(0)
            page(lambda lines=lines: lines_at(lines, 15))
        elif columns:
            page(lambda: (lines_at(columns[0], 12), lines_at(columns[1], 108)))
    doc.output(str(path))
    return path


def picture(lines: list[str], out: Path) -> None:
    """Lines of text as a page image at 150 dpi, black on white: what a scanner makes."""
    from PIL import Image, ImageDraw, ImageFont

    widest = max((len(line) - 0.5 * sum(ch.isascii() for ch in line) for line in lines), default=1)
    size = min(34, int((1240 - 80) / max(widest, 1)))  # the longest line fits the 210 mm page
    font = ImageFont.truetype(str(FONT), size)
    img = Image.new("RGB", (1240, 90 + round(size * 1.75) * len(lines)), "white")
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((40, 40 + round(size * 1.75) * i), line, font=font, fill="black")
    img.save(out)


def docx_report(path: Path, title: str, paragraphs: list[str], rows: list[tuple[str, ...]] = (), after: list[str] = ()) -> Path:
    """A .docx: a heading, paragraphs, a table (its first row the header) and more paragraphs."""
    import docx

    d = docx.Document()
    d.add_heading(title, level=1)
    for text in paragraphs:
        d.add_paragraph(text)
    if rows:
        table = d.add_table(rows=len(rows), cols=len(rows[0]))
        for row, cells in zip(table.rows, rows):
            for cell, value in zip(row.cells, cells):
                cell.text = value
    for text in after:
        d.add_paragraph(text)
    d.save(str(path))
    return path
