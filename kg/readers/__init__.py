"""Report files as they are published (text, web pages, PDF, Word) → the text a report is read as.

Each format has its module; ``read()`` opens a file (regular files only, at most ``MAX_BYTES``),
tells the format from the bytes (the suffix only breaks ties) and hands it to that module. What
comes back, a ``Read``, is the text the extractor and every evidence offset refer to — kept beside
the store by the build so that anyone can check a quote — with what the format knows besides the
text: pages, pages read by OCR, a web page's title, date and address.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 8 * 1024 * 1024  # a text report; PDF and Word files may be larger (images, fonts)
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
SUFFIXES = {".txt": "text", ".text": "text", ".html": "web", ".htm": "web", ".pdf": "pdf", ".docx": "docx", ".doc": "doc"}


def shown(path: str | Path) -> str:
    """A path as it can be printed: bytes of a file name that are not UTF-8 written as \\xff."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class ReadError(Exception):
    """A file that cannot be read as a report; the message says why, with the line where known."""

    def __init__(self, path: str | Path, reason: str, line: int | None = None) -> None:
        self.path, self.reason, self.line = str(path), reason, line
        where = f"{shown(self.path)}:{line}" if line else shown(self.path)
        super().__init__(f"{where}: {reason}")


@dataclass
class Read:
    """The text of one file as the project reads it, and what its format said about it."""

    text: str
    encoding: str = "utf-8"  # of a text or web file; the format's name for the others (pdf, docx, doc)
    media_type: str = "text/plain"
    pages: list[int] = field(default_factory=list)  # offset in ``text`` where each page begins (PDF)
    ocr_pages: list[int] = field(default_factory=list)  # pages (from 1) whose text came from OCR
    unread_pages: list[int] = field(default_factory=list)  # image-only pages left out (no --ocr)
    title: str | None = None  # a web page's own title
    date: str | None = None  # a web page's publication date, YYYY-MM-DD
    url: str | None = None  # the address a saved web page names as its own
    left_out: list[str] = field(default_factory=list)  # parts of the file not in ``text``, named (a Word file's headers, footnotes)


def kind_of(data: bytes, suffix: str) -> str:
    """The format by its first bytes; the suffix decides between text and web page only."""
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    return "web" if SUFFIXES.get(suffix) == "web" else "text"


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def not_a_file(mode: int) -> str | None:
    """Why a file of this mode is not read (a FIFO would wait for a writer, a device never ends), or None."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file") + ", not a report file"


def read_bytes(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` of them, whatever size the file claims."""
    p = Path(path)
    try:
        st = p.stat()
        if (why := not_a_file(st.st_mode)) is not None:
            raise ReadError(p, why)
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)
    except ReadError:
        raise
    except OSError as e:
        raise ReadError(p, f"cannot read: {e.strerror or e}") from e
    if len(data) > max_bytes:
        size = max(st.st_size, len(data))
        raise ReadError(p, f"{size / 1e6:.1f} MB is larger than the {max_bytes / 1e6:.0f} MB limit for one report")
    return data


def read(path: str | Path, ocr: bool = False, max_bytes: int = MAX_BYTES) -> Read:
    """Read one report file in whatever format it is; ReadError with the reason when it is not one."""
    from kg.readers import pdf, text, web, word

    data = read_bytes(path, max(max_bytes, MAX_DOCUMENT_BYTES))
    kind = kind_of(data, Path(path).suffix.lower())
    if kind in ("text", "web") and len(data) > max_bytes:
        raise ReadError(path, f"{len(data) / 1e6:.1f} MB is larger than the {max_bytes / 1e6:.0f} MB limit for one report")
    if kind == "pdf":
        return pdf.read(data, path, ocr=ocr)
    if kind == "docx":
        return word.read_docx(data, path)
    if kind == "doc":
        return word.read_doc(data, path)
    got = text.read(data, path)
    return web.read(got, path) if kind == "web" or web.looks_like_html(got.text) else got
