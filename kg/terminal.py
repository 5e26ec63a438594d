"""Rows as a table in a terminal: columns aligned by the room each character takes on screen (a
Chinese character takes two columns, wcwidth says how many), and a cell too long for its column cut
with a visible ellipsis, so that a cut sentence never looks whole."""

from __future__ import annotations

from wcwidth import wcswidth, wcwidth

from kg.stores import Rows

CELL = 60  # columns a cell may take before it is cut (30 Chinese characters)


def width(text: str) -> int:
    """Columns ``text`` takes on screen (a character wcwidth cannot size counts as one)."""
    w = wcswidth(text)
    return w if w >= 0 else sum(max(wcwidth(ch), 0) or 1 for ch in text)


def cut(text: str, room: int) -> str:
    """``text`` in at most ``room`` columns, ending in … when it had to be cut."""
    if width(text) <= room:
        return text
    out, used = [], 0
    for ch in text:
        w = max(wcwidth(ch), 0) or 1
        if used + w > room - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(text: str, room: int) -> str:
    return text + " " * (room - width(text))


def table(rows: Rows, cell: int = CELL) -> str:
    """The rows aligned in columns, a header line first and the number of rows last.

    >>> print(table(Rows(["name", "n"], [("人大常委会", 14), ("x", None)])))
    name        n
    人大常委会  14
    x
    (2 rows)
    """
    if not rows.data:
        return "(no rows)"
    cells = [[cut("" if v is None else str(v), cell) for v in r] for r in rows.data]
    rooms = [max(width(v), *(width(r[i]) for r in cells)) for i, v in enumerate(rows.vars)]
    lines = ["  ".join(pad(c, rooms[i]) for i, c in enumerate(line)).rstrip() for line in [rows.vars, *cells]]
    return "\n".join(lines) + f"\n({len(rows.data)} rows)"
