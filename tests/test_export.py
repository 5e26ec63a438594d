"""Exports (kg.export): every RDF format round-trips to the same dataset."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import XSD, Dataset, Graph, Literal
from rdflib.compare import isomorphic

from kg.derived import LIST_GRAPHS
from kg.export import export


def _canon(g: Graph) -> Graph:
    """Decimals compared by value: Oxigraph writes 900, rdflib 900.0 — the same xsd:decimal."""
    out = Graph()
    for s, p, o in g:
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            o = Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD.decimal)
        out.add((s, p, o))
    return out


def test_exports_round_trip(built):
    ref = Dataset()
    ref.parse(data=export(built.store, "nq"), format="nquads")
    graphs = [g for g in ref.graphs() if len(g)]
    lists = [g for g in graphs if str(g.identifier).startswith(LIST_GRAPHS)]
    # five reports, the ontology, the shared entities, the five bodies' derived graphs, the pairs, the dataset,
    # the body lists' heads and a graph per list
    assert len(graphs) == 15 + len(lists) and len(lists) > 20
    for fmt, rdflib_fmt in (("trig", "trig"), ("jsonld", "json-ld")):
        ds = Dataset()
        ds.parse(data=export(built.store, fmt), format=rdflib_fmt)
        for g in graphs:
            assert isomorphic(_canon(g), _canon(ds.graph(g.identifier))), (fmt, g.identifier)
    merged = Graph()
    for s, p, o, _ in ref.quads((None, None, None, None)):
        merged.add((s, p, o))
    for fmt, rdflib_fmt in (("ttl", "turtle"), ("nt", "nt")):
        g = Graph()
        g.parse(data=export(built.store, fmt), format=rdflib_fmt)
        assert isomorphic(_canon(g), _canon(merged)), fmt


@pytest.mark.parametrize("fmt", ["nq", "nt"])
def test_streamed_exports_sorted_in_runs_on_disk_equal_the_sort_in_memory(built, fmt):
    """Runs of 997 lines (many runs for the seeds) merged give the bytes one sort of every quad gives."""
    import io

    from kg.export import _decimals, stream_lines

    out = io.BytesIO()
    n = stream_lines(built.store, fmt, out, chunk=997)
    at_once = sorted({_decimals(f"{q.triple if fmt == 'nt' else q} .\n".encode()) for q in built.store.store})
    assert out.getvalue() == b"".join(at_once) and n == len(at_once) > 997 * 5


def test_json_ld_reads_as_plain_json(built):
    """The context's terms make the export usable without a JSON-LD processor: links are strings,
    typed values are strings of their type, bilingual labels are maps by language."""
    import json

    doc = json.loads(export(built.store, "jsonld"))
    nodes = {n["@id"]: n for g in doc["@graph"] for n in g["@graph"]}
    count = next(n for n in nodes.values() if n.get("measurePhrase") == "主任会议")
    assert count["body"] == "https://w3id.org/npc-kg/id/body/140826-standing-committee"
    assert (count["obsValue"], count["refPeriod"], count["modality"]) == ("14.0", "2023", "https://w3id.org/npc-kg/modality/reported")
    assert count["type"] == ["npc:Count", "qb:Observation"] and count["sentence"].startswith("https://w3id.org/npc-kg/id/sentence/")
    concept = nodes["https://w3id.org/npc-kg/mechanism/livelihood-project-voting"]
    assert concept["prefLabel"] == {"zh": "民生实事项目人大代表票决制", "en": "livelihood-project voting by deputies"}
    assert concept["inScheme"] == "https://w3id.org/npc-kg/mechanism/"
