"""Exports of the built dataset: Turtle, N-Triples, N-Quads, TriG and JSON-LD.

Output is canonical and sorted, so two builds of the same input are byte-identical.
"""

from __future__ import annotations

import heapq
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from rdflib import Graph, URIRef

from kg import names
from kg.paths import ONTOLOGY
from kg.rdf import PREFIXES, bind_prefixes
from kg.stores import OxigraphStore

FORMATS = names.EXPORT_FORMATS
CONTEXT = ONTOLOGY / "context.jsonld"


# Oxigraph stores a whole-number xsd:decimal as "41" (XSD 1.1); Turtle's shorthand can only write it
# 41.0. Every export writes the one form "41.0", so that one value is one RDF term in all of them.
_DECIMAL_END = b'"^^<http://www.w3.org/2001/XMLSchema#decimal>'


def _decimals(nquads: bytes) -> bytes:
    """Whole decimals written as rdflib writes them ("3" → "3.0"), so that every export of the same
    graph has the same bytes. Split at the datatype, not searched for with a pattern: the pattern
    tried every quotation mark of a dump (a quarter of an export's own time)."""
    parts = nquads.split(_DECIMAL_END)
    for i, part in enumerate(parts[:-1]):
        quote = part.rfind(b'"')
        lexical = part[quote + 1:]
        if part[quote - 1:quote] == b" " and lexical.removeprefix(b"-").isdigit():
            parts[i] = part + b".0"
    return _DECIMAL_END.join(parts)


SORT_CHUNK = 8 * 2**20  # bytes of lines sorted in memory at once (some 8 times that in Python); more are sorted in runs on disk and merged
FAN_IN = 64  # runs merged at once


def stream_lines(store: OxigraphStore, fmt: str, out: BinaryIO, chunk: int = SORT_CHUNK) -> int:
    """N-Quads or N-Triples (graphs merged, each triple once) written to ``out`` as they are sorted:
    the same bytes as ``export`` in memory bounded by ``chunk`` bytes at any size of store. Oxigraph
    writes the lines (its own dump, graph by graph for N-Triples); here they are only sorted, in
    runs on disk that are merged. Sorted as bytes, UTF-8 sorts as code points. Returns the lines written."""
    import pyoxigraph

    if fmt not in ("nt", "nq"):
        raise ValueError(f"only nt and nq stream: {fmt!r}")
    with tempfile.TemporaryDirectory(prefix="npc-kg-export-") as tmp:
        sorter = _Runs(Path(tmp), chunk)
        if fmt == "nq":
            store.store.dump(sorter, format=pyoxigraph.RdfFormat.N_QUADS)
        else:
            for g in [pyoxigraph.DefaultGraph(), *store.store.named_graphs()]:
                store.store.dump(sorter, format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=g)
        runs = sorter.close()
        while len(runs) > FAN_IN:  # a national store: merge runs into longer ones first, so that few files are open at once
            merged = Path(tmp, f"run-{len(runs)}-merged")
            with merged.open("wb") as f:
                _merge(runs[:FAN_IN], f)
            for run in runs[:FAN_IN]:
                run.unlink()
            runs = [*runs[FAN_IN:], merged]
        return _merge(runs, out)


class _Runs:
    """Where Oxigraph dumps: its bytes are kept as sorted runs on disk, ``chunk`` bytes at a time
    (a dump written to a file and read back cost a second a 150 MB)."""

    def __init__(self, folder: Path, chunk: int) -> None:
        self.folder, self.chunk = folder, chunk
        self.parts: list[bytes] = []
        self.size = 0
        self.runs: list[Path] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        if self.size >= self.chunk:
            self._spill()
        return len(data)

    def flush(self) -> None:
        pass

    def _spill(self, last: bool = False) -> None:
        """Sort the whole lines held into a run; a line not yet ended waits for the next write."""
        data = b"".join(self.parts)
        if last and data and not data.endswith(b"\n"):
            data += b"\n"
        end = len(data) if last else data.rfind(b"\n") + 1
        self.parts, self.size = ([data[end:]] if end < len(data) else []), len(data) - end
        if end:
            run = self.folder / f"run-{len(self.runs)}"
            run.write_bytes(b"".join(sorted(set(_decimals(data[:end]).splitlines(keepends=True)))))
            self.runs.append(run)

    def close(self) -> list[Path]:
        self._spill(last=True)
        return self.runs


def _merge(runs: list[Path], out: BinaryIO) -> int:
    """Sorted runs merged into ``out``, each line once; the lines written."""
    files = [run.open("rb") for run in runs]
    try:
        written, last, batch = 0, None, []
        for line in heapq.merge(*files) if len(files) != 1 else files[0]:
            if line != last:
                batch.append(line)
                last = line
                if len(batch) >= 10_000:
                    out.write(b"".join(batch))
                    written, batch = written + len(batch), []
        out.write(b"".join(batch))
        return written + len(batch)
    finally:
        for f in files:
            f.close()


def export(store: OxigraphStore, fmt: str) -> bytes:
    """The whole store in one format. Triple formats (ttl, nt) merge the named graphs."""
    buf = io.BytesIO()
    stream(store, fmt, buf)
    return buf.getvalue()


def stream(store: OxigraphStore, fmt: str, out: BinaryIO) -> int:
    """Write the whole store in one format to ``out``; returns the lines (nt, nq) or graphs written.
    Memory stays bounded at any size of store: N-Triples and N-Quads are sorted in runs on disk, the
    other formats are written one named graph at a time (the largest graph is what is held)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: {', '.join(FORMATS)}")
    if fmt in ("nt", "nq"):
        return stream_lines(store, fmt, out)
    if fmt == "jsonld":
        return _stream_jsonld(store, out)
    return _stream_turtle(store, out, trig=fmt == "trig")


def _graphs(store: OxigraphStore) -> Iterator[Graph]:
    """Each named graph in IRI order as an rdflib graph (only one is held at a time)."""
    for iri in store.graphs():
        g = bind_prefixes(Graph(identifier=URIRef(iri)))
        g.parse(data=_decimals(store.dump_graph(iri)).decode("utf-8"), format="nt")
        if len(g):
            yield g


def _stream_turtle(store: OxigraphStore, out: BinaryIO, trig: bool) -> int:
    """Turtle (the graphs' triples one after another: a subject may come back in a later graph, which
    Turtle allows) or TriG (each graph in its block). The vocabularies' prefixes come first; a graph
    that needs another one declares it before its triples."""
    header = [f"@prefix {p}: <{ns}> ." for p, ns in sorted(PREFIXES.items())]
    known = set(header)
    out.write(("\n".join(header) + "\n\n").encode("utf-8"))
    written = 0
    for g in _graphs(store):
        body = g.serialize(format="turtle")
        head = [ln for ln in body.splitlines() if ln.startswith("@prefix")]
        rest = body.split("\n", len(head))[-1].strip("\n")  # as written: a literal may span lines
        own = "".join(ln + "\n" for ln in head if ln not in known)
        text = f"{own}<{g.identifier}> {{\n{rest}\n}}\n\n" if trig else f"{own}{rest}\n\n"
        out.write(text.encode("utf-8"))
        written += 1
    return written


def _stream_jsonld(store: OxigraphStore, out: BinaryIO) -> int:
    """One JSON-LD document: the context once, then each named graph as ``{"@id", "@graph"}``, its nodes
    in @id order (rdflib lists them in the order of Python's string hashes, which changes from run to run)."""
    context = json.loads(CONTEXT.read_text(encoding="utf-8"))["@context"]
    out.write(('{\n "@context": ' + json.dumps(context, ensure_ascii=False, sort_keys=True) + ',\n "@graph": [').encode("utf-8"))
    written = 0
    for g in _graphs(store):
        doc = json.loads(g.serialize(format="json-ld", context=context, sort_keys=True))
        doc.pop("@context", None)
        nodes = doc.get("@graph", [doc] if doc else [])
        item = {"@id": str(g.identifier), "@graph": _sorted(nodes)}
        out.write((("," if written else "") + "\n  " + json.dumps(item, ensure_ascii=False, sort_keys=True)).encode("utf-8"))
        written += 1
    out.write(b"\n ]\n}\n")
    return written


def _sorted(node: object) -> object:
    """JSON-LD with every list of nodes in a fixed order (their JSON text)."""
    if isinstance(node, dict):
        return {k: _sorted(v) for k, v in node.items()}
    if isinstance(node, list):
        items = [_sorted(v) for v in node]
        return sorted(items, key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
    return node


def write(store: OxigraphStore, fmt: str, out: str | Path) -> Path:
    out = Path(out)
    with out.open("wb") as f:
        stream(store, fmt, f)
    return out
