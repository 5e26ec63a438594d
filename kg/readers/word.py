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
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_rows(block))
        else:
            lines.append(block.text)
    text = "\n".join(lines).strip() + "\n"
    return Read(text, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


def _refuse_bomb(data: bytes, path: str | Path) -> None:
    """A .docx is a zip: a few MB can unpack to gigabytes, which would all be parsed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, ValueError):
        return  # python-docx says what is wrong with it
    if unpacked > MAX_UNPACKED:
        raise ReadError(path, f"a .docx that unpacks to {unpacked / 1e6:.0f} MB (more than {MAX_UNPACKED / 1e6:.0f} MB)")


def _rows(table) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            value = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
            if not cells or value != cells[-1]:  # a merged cell comes back once per column it spans
                cells.append(value)
        out.append("\t".join(cells))
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
