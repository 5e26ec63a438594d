"""Exports of the built dataset: Turtle, N-Triples, N-Quads, TriG and JSON-LD.

Output is canonical and sorted, so two builds of the same input are byte-identical.
"""

from __future__ import annotations

import json
from pathlib import Path

from rdflib import Dataset

from kg.paths import ROOT
from kg.rdf import bind_prefixes
from kg.store import OxigraphStore

FORMATS = {"ttl": "turtle", "nt": "nt", "nq": "nquads", "trig": "trig", "jsonld": "json-ld"}
CONTEXT = ROOT / "ontology" / "context.jsonld"


def dataset(store: OxigraphStore) -> Dataset:
    ds = Dataset()
    ds.parse(data=store.dump("nq"), format="nquads")
    for p, ns in bind_prefixes(ds.default_graph).namespaces():
        ds.bind(p, ns)
    return ds


def export(store: OxigraphStore, fmt: str) -> bytes:
    """The whole store in one format. Triple formats (ttl, nt) merge the named graphs."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: {', '.join(FORMATS)}")
    if fmt in ("nt", "nq"):
        quads = list(store.store)
        lines = sorted({f"{q.triple} ." for q in quads} if fmt == "nt" else {f"{q} ." for q in quads})
        return ("\n".join(lines) + "\n").encode("utf-8")
    ds = dataset(store)
    if fmt == "ttl":
        g = bind_prefixes(ds.default_graph.__class__())
        for s, p, o, _ in ds.quads((None, None, None, None)):
            g.add((s, p, o))
        return g.serialize(format="turtle", encoding="utf-8")
    if fmt == "jsonld":
        context = json.loads(CONTEXT.read_text(encoding="utf-8"))["@context"]
        return ds.serialize(format="json-ld", context=context, sort_keys=True, indent=1, encoding="utf-8")
    return ds.serialize(format="trig", encoding="utf-8")


def write(store: OxigraphStore, fmt: str, out: str | Path) -> Path:
    out = Path(out)
    out.write_bytes(export(store, fmt))
    return out
