"""Web pages: the article, not the page around it.

A congress's site wraps its report in a menu, a sidebar of other news, "related links" and a
footer, and their sentences hold counts of other bodies. trafilatura (a maintained boilerplate
remover) finds the article; its title, date and the page's own address go into the report's
metadata. Table rows come out with their cells separated by tabs, so that a count split over two
cells (执法检查 | 4次) is still read.
"""

from __future__ import annotations

import re
from pathlib import Path

from kg.readers import Read, ReadError

_TAGS = re.compile(r"</?(?:p|div|span|br|td|li|h[1-6])\b", re.IGNORECASE)
_TABLE_ROW = re.compile(r"^\|(.*)\|\s*$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
MIN_ARTICLE = 10  # Chinese characters: fewer is a menu or a link, not a report


def looks_like_html(text: str) -> bool:
    head = text[:2000].lower()
    return "<html" in head or "<!doctype html" in head or "<body" in head or len(_TAGS.findall(head)) >= 3


def _unclosed(html: str, tag: str) -> int | None:
    """The line of a <script> or <style> that is never closed: a browser hides all that follows it."""
    opened = [m.start() for m in re.finditer(rf"<{tag}\b", html, re.IGNORECASE)]
    closed = len(re.findall(rf"</{tag}\s*>", html, re.IGNORECASE))
    return html.count("\n", 0, opened[closed]) + 1 if len(opened) > closed else None


def article(html: str, path: str | Path = "<html>") -> Read:
    import trafilatura

    for tag in ("script", "style"):
        if (line := _unclosed(html, tag)) is not None:
            raise ReadError(path, f"a <{tag}> that is never closed hides the rest of the page (as in a browser)", line)
    doc = None
    for precision in (True, False):  # precision leaves out more; recall finds an article in a bare page
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_tables=True, include_comments=False,
                                          include_images=False, favor_precision=precision, favor_recall=not precision)
        if doc is not None and doc.text and len(_CJK.findall(doc.text)) >= MIN_ARTICLE:
            break
    else:
        raise ReadError(path, "no article found on the web page (only menus, links or code)")
    lines = [_cells(line) for line in doc.text.split("\n")]
    title = (doc.title or "").strip()
    if title and _CJK.search(title) and not any(title in line for line in lines[:3]):
        lines.insert(0, title)  # the heading is part of the article: it often names the body and the year
    text = "\n".join(lines).strip() + "\n"
    url = doc.url if doc.url and re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", doc.url) else None
    return Read(text, title=title if _CJK.search(title) else None, date=doc.date, url=url, media_type="text/html")


def read(page: Read, path: str | Path) -> Read:
    got = article(page.text, path)
    got.encoding = page.encoding
    return got


def _cells(line: str) -> str:
    """A table row as trafilatura writes it (| a | b |) → its cells separated by tabs."""
    m = _TABLE_ROW.match(line)
    return "\t".join(c.strip() for c in m.group(1).split("|")) if m else line
