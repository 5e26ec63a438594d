"""Derived graphs: what corpus-wide questions ask of many reports, summed up once by the build.

A body's practice of a mechanism over the years (first year, stages, how many sentences say so) and
its yearly counts per measure are aggregates over every report that names the body. Asked of the
facts, every store — embedded, ``kg serve``, any SPARQL server the graph is pushed to — joins and
groups the whole corpus, each in its own way (the order inside GROUP_CONCAT, which of two equal
sentences MIN picks). Written as nodes, they are a lookup on all of them, with the same rows: the
lists come sorted from here, not from an engine.

Each body's summaries live in a named graph of its own (``id/graph/derived/<body>``), written again
whenever a build adds or removes a report that names the body. Every summary links the facts it
sums up (prov:wasDerivedFrom); the ontology documents the classes like any other term.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF

from kg.rdf import ID, NPC, SDMX_ATTR, SDMX_DIM, SDMX_MEASURE, decimal_literal, year_literal
from kg.stores import OxigraphStore, Store

VERSION = "npc-derived/2"  # a build by another version writes every body's summaries again
GRAPHS = str(ID["graph/derived/"])  # + the body's local name
BODIES = str(ID["body/"])
BATCH = 400  # bodies per query: a VALUES list the engine turns into index lookups
_PREFIXES = """PREFIX npc: <https://w3id.org/npc-kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
"""
_PRACTICES = _PREFIXES + """SELECT ?b ?p ?m ?mo ?st ?year ?s ?quote ?scope WHERE {
  VALUES ?b { %s }
  ?p npc:body ?b ; a npc:MechanismPractice ; npc:mechanism ?m ; npc:modality ?mo ; npc:stage ?st ; npc:sentence ?s .
  ?s rdf:value ?quote .
  OPTIONAL { ?p npc:year ?year }
  OPTIONAL { ?p npc:scope ?scope }
}"""
_COUNTS = _PREFIXES + """SELECT ?b ?c ?m ?year ?mo ?u (STR(?v) AS ?value) ?bound ?s ?quote WHERE {
  VALUES ?b { %s }
  ?c npc:body ?b ; a npc:Count ; npc:modality ?mo ; sdmx-attribute:unitMeasure ?u ; sdmx-measure:obsValue ?v ;
     npc:bound ?bound ; npc:sentence ?s .
  ?s rdf:value ?quote .
  OPTIONAL { ?c npc:measure ?m }
  OPTIONAL { ?c sdmx-dimension:refPeriod ?year }
}"""


_BODY_OBJECT = re.compile(f"<{re.escape(str(NPC.body))}> <([^>]*)>")


def graph_of(body: str) -> str:
    """The named graph that holds one body's summaries."""
    return GRAPHS + body.removeprefix(BODIES)


def is_derived(graph: str) -> bool:
    return graph.startswith(GRAPHS)


@dataclass
class _Sum:
    """What the facts of one summary have in common, collected row by row."""

    facts: set[str] = field(default_factory=set)
    sentences: dict[str, str] = field(default_factory=dict)  # sentence → quote
    stages: set[str] = field(default_factory=set)
    years: set[int] = field(default_factory=set)
    scopes: set[str] = field(default_factory=set)
    values: set[tuple[Any, str]] = field(default_factory=set)  # (value, bound)

    def add(self, fact: str, sentence: str, quote: str) -> None:
        self.facts.add(fact)
        self.sentences[sentence] = quote

    @property
    def example(self) -> str:
        """The sentence whose quote sorts first (code points): the same one on every run."""
        return min(self.sentences, key=lambda s: (self.sentences[s], s))


def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def summarise(rows_practices: Iterable[dict], rows_counts: Iterable[dict]) -> dict[str, Graph]:
    """Each body's derived graph, from the rows of its practices and counts (as ``_PRACTICES`` and
    ``_COUNTS`` answer them)."""
    practice: dict[tuple, _Sum] = defaultdict(_Sum)  # (body, mechanism, modality)
    yearly: dict[tuple, _Sum] = defaultdict(_Sum)  # (body, mechanism, modality, stage, year)
    counts: dict[tuple, _Sum] = defaultdict(_Sum)  # (body, measure, year, modality, unit)
    for r in rows_practices:
        p = practice[r["b"], r["m"], r["mo"]]
        p.add(r["p"], r["s"], r["quote"])
        p.stages.add(r["st"])
        if r["year"] is not None:
            p.years.add(r["year"])
        y = yearly[r["b"], r["m"], r["mo"], r["st"], r["year"]]
        y.add(r["p"], r["s"], r["quote"])
        if r["scope"] is not None:
            y.scopes.add(r["scope"])
    for r in rows_counts:
        c = counts[r["b"], r["m"], r["year"], r["mo"], r["u"]]
        c.add(r["c"], r["s"], r["quote"])
        c.values.add((r["value"], r["bound"]))

    graphs: dict[str, Graph] = defaultdict(Graph)

    def node(g: Graph, kind: URIRef, key: tuple, s: _Sum) -> URIRef:
        """A summary's node; its IRI is its key (kind, body, …), so a rebuild gives the same IRIs."""
        n = ID["summary/" + "/".join(_local(str(k)) if k is not None else "-" for k in key)]
        g.add((n, RDF.type, kind))
        g.add((n, NPC.body, URIRef(key[1])))
        g.add((n, NPC.factCount, Literal(len(s.facts))))
        g.add((n, NPC.evidenceCount, Literal(len(s.sentences))))
        g.add((n, NPC.exampleSentence, URIRef(s.example)))
        for f in s.facts:
            g.add((n, PROV.wasDerivedFrom, URIRef(f)))
        return n

    tally: dict[tuple, dict[URIRef, set[str]]] = defaultdict(lambda: defaultdict(set))  # (body, modality) → facts by kind
    for (b, _, mo), s in practice.items():
        tally[b, mo][NPC.practiceFacts] |= s.facts
    for (b, _, _, mo, _), s in counts.items():
        tally[b, mo][NPC.countFacts] |= s.facts
    for (b, mo), kinds in tally.items():
        n = ID[f"summary/tally/{_local(b)}/{_local(mo)}"]
        g = graphs[graph_of(b)]
        g.add((n, RDF.type, NPC.FactTally))
        g.add((n, NPC.body, URIRef(b)))
        g.add((n, NPC.modality, URIRef(mo)))
        for prop, facts in kinds.items():
            g.add((n, prop, Literal(len(facts))))
    for (b, m, mo), s in practice.items():
        g = graphs[graph_of(b)]
        n = node(g, NPC.PracticeSummary, ("practice", b, m, mo), s)
        g.add((n, NPC.mechanism, URIRef(m)))
        g.add((n, NPC.modality, URIRef(mo)))
        for st in s.stages:
            g.add((n, NPC.stage, URIRef(st)))
        g.add((n, NPC.stageList, Literal(",".join(sorted(map(_local, s.stages))))))
        if s.years:
            g.add((n, NPC.firstYear, year_literal(min(s.years))))
            g.add((n, NPC.lastYear, year_literal(max(s.years))))
            g.add((n, NPC.yearList, Literal(",".join(map(str, sorted(s.years))))))
    for (b, m, mo, st, year), s in yearly.items():
        g = graphs[graph_of(b)]
        n = node(g, NPC.PracticeYear, ("practice", b, m, mo, st, year), s)
        g.add((n, NPC.mechanism, URIRef(m)))
        g.add((n, NPC.modality, URIRef(mo)))
        g.add((n, NPC.stage, URIRef(st)))
        if year is not None:
            g.add((n, NPC.year, year_literal(year)))
        if s.scopes:
            g.add((n, NPC.scopeList, Literal("、".join(sorted(s.scopes)), lang="zh")))
    for (b, m, year, mo, u), s in counts.items():
        g = graphs[graph_of(b)]
        n = node(g, NPC.CountSummary, ("count", b, m, year, mo, u), s)
        g.add((n, NPC.modality, URIRef(mo)))
        g.add((n, SDMX_ATTR.unitMeasure, URIRef(u)))
        g.add((n, NPC.valueCount, Literal(len({v for v, _ in s.values}))))
        if m is not None:
            g.add((n, NPC.measure, URIRef(m)))
        if year is not None:
            g.add((n, SDMX_DIM.refPeriod, year_literal(year)))
        if len(s.values) == 1:  # counts that disagree give the cell no value: no number is picked for the reader
            (value, bound), = s.values
            g.add((n, SDMX_MEASURE.obsValue, decimal_literal(Decimal(value))))
            g.add((n, NPC.bound, Literal(bound)))
    return graphs


def refresh(store: OxigraphStore, bodies: Iterable[str]) -> int:
    """Write the derived graphs of these bodies again from their facts in the store; a body left
    with no facts loses its graph. Returns the number of graphs written. The graphs go in through
    the store's batch loader: one bulk load per body took most of a full refresh."""
    bodies = sorted(set(bodies))
    written = 0
    with store.batch() as loader:
        for i in range(0, len(bodies), BATCH):
            part = bodies[i:i + BATCH]
            values = " ".join(f"<{b}>" for b in part)
            graphs = summarise(store.query(_PRACTICES % values), store.query(_COUNTS % values))
            for b in part:
                iri = graph_of(b)
                if iri in graphs:
                    loader.replace_graph(iri, graphs[iri].serialize(format="nt", encoding="utf-8").decode("utf-8"))
                    written += 1
                else:
                    loader.remove_graph(iri)
    return written


def bodies_in(store: Store, graph: str) -> set[str]:
    """The bodies that a report graph's facts name: their summaries change with it."""
    rows = store.query(f"SELECT DISTINCT ?b WHERE {{ GRAPH <{graph}> {{ ?f <{NPC.body}> ?b }} }}")
    return {r["b"] for r in rows}


def bodies_in_nt(nt: str) -> set[str]:
    """The bodies that a report's N-Triples name as a fact's body."""
    return set(_BODY_OBJECT.findall(nt))


def all_bodies(store: Store) -> set[str]:
    """Every body some fact names."""
    return {r["b"] for r in store.query(f"SELECT DISTINCT ?b WHERE {{ ?f <{NPC.body}> ?b }}")}
