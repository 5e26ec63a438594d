"""RDF terms and triples written as N-Triples text.

The build writes each report's graph and each body's summaries as N-Triples directly: the store
loads that text, SHACL and the tables read it, and no rdflib graph is built on the way (building
one, serialising it and handing it to SHACL took three quarters of a worker's time). These few
functions are the only place where a term becomes text, so every writer escapes alike.
"""

from __future__ import annotations

import re
from decimal import Decimal

XSD = "http://www.w3.org/2001/XMLSchema#"
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


class Terms:
    """A namespace whose members are N-Triples IRIs: ``Terms(NPC).Count`` is ``<…ontology#Count>``
    (``[name]`` for names that are Python words or methods)."""

    def __init__(self, base: object) -> None:
        self._base = str(base)

    def __getitem__(self, name: str) -> str:
        return f"<{self._base}{name}>"

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        term = self[name]
        setattr(self, name, term)
        return term


def iri(value: object) -> str:
    """An IRI term; characters an IRI may not hold (a space in a page's address) are percent-encoded,
    so that one odd address never makes a report's text unloadable."""
    text = str(value)
    if _NOT_IN_IRI.search(text):
        text = _NOT_IN_IRI.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), text)
    return f"<{text}>"


def literal(value: str, lang: str | None = None, datatype: str | None = None) -> str:
    """A literal with N-Triples' escapes (those rdflib's serialiser writes: \\\\, \\", \\n, \\r).

    >>> literal('say "hi"\\n', lang="zh"), literal("5", datatype=XSD + "integer")
    ('"say \\\\"hi\\\\"\\\\n"@zh', '"5"^^<http://www.w3.org/2001/XMLSchema#integer>')
    """
    esc = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{esc}"@{lang}'
    return f'"{esc}"^^<{datatype}>' if datatype else f'"{esc}"'


def integer(n: int) -> str:
    return f'"{int(n)}"^^<{XSD}integer>'


def boolean(b: bool) -> str:
    return f'"{"true" if b else "false"}"^^<{XSD}boolean>'


def year(y: int) -> str:
    return f'"{int(y):04d}"^^<{XSD}gYear>'


def date(d: str) -> str:
    return literal(d, datatype=XSD + "date")


def decimal(d: object) -> str:
    """xsd:decimal in canonical form (300.0, 98.6), so that every serialiser writes it back alike."""
    text = format(d if isinstance(d, Decimal) else Decimal(str(d)), "f")
    return f'"{text if "." in text else text + ".0"}"^^<{XSD}decimal>'


class Triples:
    """One graph's triples as N-Triples lines, each once, in the order written."""

    def __init__(self) -> None:
        self._lines: dict[str, None] = {}

    def add(self, s: str, p: str, o: str) -> None:
        self._lines[f"{s} {p} {o} .\n"] = None

    def __len__(self) -> int:
        return len(self._lines)

    def text(self) -> str:
        return "".join(self._lines)
