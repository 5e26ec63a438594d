"""Word files: .docx with python-docx (paragraphs and tables in document order), and the older
binary .doc by LibreOffice (a maintained converter from Debian's packages: ``soffice --convert-to
docx``), then read the same way. A table row's cells are separated by tabs, so that a count split
over cells (执法检查 | 4次) is still read."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from kg.readers import Read, ReadError

CONVERT_TIMEOUT = 120  # seconds for LibreOffice to convert one .doc
MAX_UNPACKED = 256 * 1024 * 1024  # bytes a .docx may unpack to: a long report with pictures is tens of MB


def read_docx(data: bytes, path: str | Path) -> Read:
    import docx
    from docx.table import Table

    _refuse_bomb(data, path)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises zip, XML and key errors for a damaged package
        raise ReadError(path, f"not a readable .docx file ({type(e).__name__}: {e})") from e
    lines = _blocks(document, Table)
    text = "\n".join(lines).strip() + "\n"
    return Read(text, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                left_out=_left_out(document, data))


def _blocks(container, table_type) -> list[str]:  # type: ignore[no-untyped-def]
    """Paragraphs and tables in document order; a text box's paragraphs after the paragraph that anchors
    it, a table nested in a cell after its row (python-docx reads neither into a paragraph's text)."""
    lines: list[str] = []
    for block in container.iter_inner_content():
        if isinstance(block, table_type):
            lines.extend(_rows(block, table_type))
        else:
            lines.append(block.text)
            lines.extend(_text_boxes(block._p))
    return lines


def _text_boxes(element) -> list[str]:  # type: ignore[no-untyped-def]
    """The paragraphs of the text boxes (w:txbxContent) inside one paragraph; a box drawn twice (the
    DrawingML shape and its VML fallback) is read once."""
    out: list[str] = []
    for box in element.iter(_W + "txbxContent"):
        if any(a.tag == _W + "txbxContent" for a in box.iterancestors()):
            continue  # a box inside a box: its text is in the outer box's paragraphs
        if any(a.tag.endswith("}Fallback") for a in box.iterancestors()):
            continue  # the VML copy of a DrawingML box
        for p in box.iter(_W + "p"):
            text = "".join(t.text or "" for t in p.iter(_W + "t"))
            if text.strip():
                out.append(text)
    return out


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _left_out(document, data: bytes) -> list[str]:  # type: ignore[no-untyped-def]
    """What the text leaves out, named: headers and footers (page furniture), footnotes and endnotes."""
    out = []
    for section in document.sections:
        for part in (section.header, section.footer):
            if not part.is_linked_to_previous and any(p.text.strip() for p in part.paragraphs):
                out.append("headers and footers")
                break
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name, what in (("word/footnotes.xml", "footnotes"), ("word/endnotes.xml", "endnotes")):
            if name in z.namelist() and z.read(name).count(b"<w:footnote ") + z.read(name).count(b"<w:endnote ") > 2:
                out.append(what)  # two separators are always there
    return sorted(set(out))


def _refuse_bomb(data: bytes, path: str | Path) -> None:
    """A .docx is a zip: a few MB can unpack to gigabytes, which would all be parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError):
        return  # python-docx says what is wrong with it
    if unpacked > MAX_UNPACKED:
        raise ReadError(path, f"a .docx that unpacks to {unpacked / 1e6:.0f} MB (more than {MAX_UNPACKED / 1e6:.0f} MB)")


def _rows(table, table_type) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for row in table.rows:
        cells: list[str] = []
        nested: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            value = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            if not cells or value != cells[-1]:  # a merged cell comes back once per column it spans
                cells.append(value)
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                for inner in cell.tables:
                    nested.extend(_rows(inner, table_type))
                for p in cell.paragraphs:
                    nested.extend(_text_boxes(p._p))
        out.append("\t".join(cells))
        out.extend(nested)
    return out


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_doc(data: bytes, path: str | Path) -> Read:
    if "WordDocument".encode("utf-16-le") not in data:  # the name of its main stream, in the OLE directory
        raise ReadError(path, "not a Word document (an OLE file without a WordDocument stream: Excel, PowerPoint or damaged?)")
    program = soffice()
    if program is None:
        raise ReadError(path, "a Word 97–2003 .doc file: reading it needs LibreOffice (apt install libreoffice-writer-nogui)")
    with tempfile.TemporaryDirectory(prefix="npc-kg-doc-") as tmp:
        src = Path(tmp, "report.doc")
        src.write_bytes(data)
        try:  # a profile of its own: two builds converting at once must not share LibreOffice's lock
            done = subprocess.run([program, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", "docx",
                                   "--outdir", tmp, str(src)], capture_output=True, timeout=CONVERT_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            raise ReadError(path, f"LibreOffice did not convert the .doc file within {CONVERT_TIMEOUT} s") from e
        out = Path(tmp, "report.docx")
        if done.returncode != 0 or not out.exists():
            why = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
            raise ReadError(path, "LibreOffice cannot read this .doc file" + (f" ({why[-1]})" if why else ""))
        got = read_docx(out.read_bytes(), path)
    got.encoding, got.media_type = "doc", "application/msword"
    return got
