"""Exports of the built dataset: Turtle, N-Triples, N-Quads, TriG and JSON-LD.

Output is canonical and sorted, so two builds of the same input are byte-identical.
"""

from __future__ import annotations

import heapq
import io
import json
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from rdflib import Dataset

from kg.paths import ONTOLOGY
from kg.rdf import bind_prefixes
from kg.stores import OxigraphStore

FORMATS = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}
CONTEXT = ONTOLOGY / "context.jsonld"


# Oxigraph stores a whole-number xsd:decimal as "41" (XSD 1.1); Turtle's shorthand can only write it
# 41.0. Every export writes the one form "41.0", so that one value is one RDF term in all of them.
_WHOLE_DECIMAL = re.compile(r'(?<= )"(-?\d+)"(\^\^<http://www\.w3\.org/2001/XMLSchema#decimal>)')


def _decimals(nquads: str) -> str:
    return _WHOLE_DECIMAL.sub(r'"\1.0"\2', nquads)


def dataset(store: OxigraphStore) -> Dataset:
    ds = Dataset()
    ds.parse(data=_decimals(store.dump("nq").decode("utf-8")), format="nquads")
    for p, ns in bind_prefixes(ds.default_graph).namespaces():
        ds.bind(p, ns)
    return ds


SORT_CHUNK = 400_000  # lines sorted in memory at once; a larger store is sorted in runs on disk and merged


def stream_lines(store: OxigraphStore, fmt: str, out: BinaryIO, chunk: int = SORT_CHUNK) -> int:
    """N-Quads or N-Triples (graphs merged, each triple once) written to ``out`` as they are sorted:
    the same bytes as ``export`` in memory bounded by ``chunk`` lines at any size of store (runs of
    sorted lines on disk, merged). Returns the lines written."""
    if fmt not in ("nt", "nq"):
        raise ValueError(f"only nt and nq stream: {fmt!r}")
    with tempfile.TemporaryDirectory(prefix="npc-kg-export-") as tmp:
        runs: list[Path] = []
        buffer: list[str] = []

        def spill() -> None:
            run = Path(tmp, f"run-{len(runs)}")
            run.write_text("".join(sorted(set(buffer))), encoding="utf-8")
            runs.append(run)
            buffer.clear()

        for quad in store.store:
            buffer.append(_decimals(f"{quad.triple if fmt == 'nt' else quad} .\n"))
            if len(buffer) >= chunk:
                spill()
        if buffer or not runs:
            spill()
        files = [run.open(encoding="utf-8") for run in runs]
        try:
            written, last = 0, None
            for line in heapq.merge(*files):
                if line != last:
                    out.write(line.encode("utf-8"))
                    written, last = written + 1, line
        finally:
            for f in files:
                f.close()
    return written


def export(store: OxigraphStore, fmt: str) -> bytes:
    """The whole store in one format. Triple formats (ttl, nt) merge the named graphs."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: {', '.join(FORMATS)}")
    if fmt in ("nt", "nq"):
        buf = io.BytesIO()
        stream_lines(store, fmt, buf)
        return buf.getvalue()
    ds = dataset(store)
    if fmt == "ttl":
        g = bind_prefixes(ds.default_graph.__class__())
        for s, p, o, _ in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        return g.serialize(format="turtle", encoding="utf-8")
    if fmt == "jsonld":
        context = json.loads(CONTEXT.read_text(encoding="utf-8"))["@context"]
        doc = json.loads(ds.serialize(format="json-ld", context=context, sort_keys=True, indent=1))
        return (json.dumps(_sorted(doc), ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")
    return _trig(ds)


def _sorted(node: object) -> object:
    """JSON-LD with every list of nodes in @id order: rdflib lists graphs and nodes in the order of
    Python's string hashes, which changes from run to run."""
    if isinstance(node, dict):
        return {k: _sorted(v) for k, v in node.items()}
    if isinstance(node, list):
        items = [_sorted(v) for v in node]
        return sorted(items, key=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
    return node


def _trig(ds: Dataset) -> bytes:
    """TriG written graph by graph in IRI order, each graph's body as rdflib's (sorted) Turtle, so
    that two exports of one store are byte-identical whatever Python's hash seed."""
    prefixes: set[str] = set()  # the prefixes the graphs' Turtle actually uses
    graphs: list[str] = []
    for g in sorted(ds.graphs(), key=lambda g: str(g.identifier)):
        if len(g) == 0:
            continue
        body = bind_prefixes(g).serialize(format="turtle")
        head = [ln for ln in body.splitlines() if ln.startswith("@prefix")]
        prefixes.update(head)
        rest = body.split("\n", len(head))[-1].strip("\n")  # as written: a literal may span lines
        graphs += [f"<{g.identifier}> {{", rest, "}", ""]
    return "\n".join([*sorted(prefixes), "", *graphs]).encode("utf-8")


def write(store: OxigraphStore, fmt: str, out: str | Path) -> Path:
    out = Path(out)
    out.write_bytes(export(store, fmt))
    return out
