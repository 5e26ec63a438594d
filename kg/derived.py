"""Derived graphs: what corpus-wide questions ask of many reports, summed up once by the build.

A body's practice of a mechanism over the years (first year, stages, how many sentences say so) and
its yearly counts per measure are aggregates over every report that names the body. Asked of the
facts, every store — embedded, ``kg serve``, any SPARQL server the graph is pushed to — joins and
groups the whole corpus, each in its own way (the order inside GROUP_CONCAT, which of two equal
sentences MIN picks). Written as nodes, they are a lookup on all of them, with the same rows: the
lists come sorted from here, not from an engine.

Each body's summaries live in a named graph of its own (``id/graph/derived/<body>``), written again
whenever a build adds or removes a report that names the body. Every summary links the facts it
sums up (prov:wasDerivedFrom); the ontology documents the classes like any other term. They are
summed up from the build's tables (kg.tables: the same facts, one row each, read report by report
from the report's triples as the stored table queries answer them, kg.rows), not by querying the
store: at 3,000 reports the store took minutes to give every body's facts back, the tables a second.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from kg import ntriples as nt
from kg import tables
from kg.rdf import ID, NPC, T, sentence_iri, unit_iri
from kg.stores import OxigraphStore, Store
from kg.stores.oxigraph import BatchLoader

VERSION = "npc-derived/5"  # a build by another version writes every body's summaries again (5: the body lists)
GRAPHS = str(ID["graph/derived/"])  # + the body's local name
REFRESH_BODIES = 200  # bodies summed up at a time: all at once, every derived triple was held as text (+0.98 GB at 3,000 reports, +0.54 now)
PAIRS_GRAPH = GRAPHS + "mechanism-pairs"  # the corpus's; no body has this local name (kg.rdf.body_iri)
LISTS_GRAPH = GRAPHS + "body-lists"  # each list's head: which mechanism and modality, how many bodies
LIST_GRAPHS = GRAPHS + "body-list/"  # + mechanism/modality: one list's pages
PAGE = 100  # bodies on one page of a list
BODIES = str(ID["body/"])
_SUMMARIES = str(ID["summary/"])
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


@lru_cache(maxsize=1 << 16)  # bodies, mechanisms and years recur in every key of their summaries
def _local(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def summary_iri(*key: object) -> str:
    """A summary's IRI is its key (kind, body, mechanism, …), so that a rebuild gives the same IRIs."""
    return _SUMMARIES + "/".join(_local(str(k)) if k is not None else "-" for k in key)


@cache
def _unit(label: str) -> str:
    """A unit's IRI from its label (the lexicon's scan, once per label)."""
    return str(unit_iri(label))


_COLUMNS = {  # what a summary reads of each table
    "practices": ["id", "body", "mechanism", "modality", "stage", "year", "scope", "report", "start", "end", "quote"],
    "counts": ["id", "body", "measure", "year", "modality", "unit", "value", "bound", "report", "start", "end", "quote"],
}


def _rows(df: pd.DataFrame) -> Iterator[dict]:
    """A table's rows as dicts with None for missing values. Made column by column: pandas'
    to_dict boxed cell by cell, a third of the time of summing up."""
    columns = {c: df[c].astype(object).where(df[c].notna(), None).tolist() for c in df.columns}
    for values in zip(*columns.values(), strict=True):
        r = dict(zip(columns, values, strict=True))
        r["body"] = BODIES + r["body"]
        r["fact"] = str(ID) + r["id"]
        r["sentence"] = str(sentence_iri(r["report"], r["start"], r["end"]))
        yield r


def summarise(practices: Iterable[dict], counts: Iterable[dict]) -> dict[str, list[str]]:
    """Each body's derived graph as N-Triples lines, from its rows of the practices and counts tables."""
    practice: dict[tuple, _Sum] = defaultdict(_Sum)  # (body, mechanism, modality)
    yearly: dict[tuple, _Sum] = defaultdict(_Sum)  # (body, mechanism, modality, stage, year)
    cells: dict[tuple, _Sum] = defaultdict(_Sum)  # (body, measure, year, modality, unit)
    for r in practices:
        key = (r["body"], r["mechanism"], r["modality"])
        p = practice[key]
        p.add(r["fact"], r["sentence"], r["quote"])
        p.stages.add(r["stage"])
        if r["year"] is not None:
            p.years.add(int(r["year"]))
        y = yearly[(*key, r["stage"], r["year"])]
        y.add(r["fact"], r["sentence"], r["quote"])
        y.scopes.update(x for x in (r["scope"] or "").split("、") if x)
    for r in counts:
        c = cells[r["body"], r["measure"], r["year"], r["modality"], r["unit"]]
        c.add(r["fact"], r["sentence"], r["quote"])
        c.values.add((Decimal(str(r["value"])), r["bound"]))

    lines: dict[str, list[str]] = defaultdict(list)

    def node(body: str, kind: str, key: tuple, s: _Sum | None = None) -> tuple[list[str], str]:
        """A summary's triples so far."""
        n = f"<{summary_iri(*key)}>"
        out = lines[graph_of(body)]
        out += [f"{n} {T.rdf.type} {T.npc[kind]} .", f"{n} {T.npc.body} <{body}> ."]
        if s is not None:
            out += [f"{n} {T.npc.factCount} {nt.integer(len(s.facts))} .",
                    f"{n} {T.npc.evidenceCount} {nt.integer(len(s.sentences))} .",
                    f"{n} {T.npc.exampleSentence} <{s.example}> ."]
            out += [f"{n} {T.prov.wasDerivedFrom} <{f}> ." for f in sorted(s.facts)]
        return out, n

    tally: dict[tuple, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))  # (body, modality) → facts by kind
    for (b, _, mo), s in practice.items():
        tally[b, mo][T.npc.practiceFacts] |= s.facts
    for (b, _, _, mo, _), s in cells.items():
        tally[b, mo][T.npc.countFacts] |= s.facts
    for (b, mo), kinds in tally.items():
        out, n = node(b, "FactTally", ("tally", b, mo))
        out.append(f"{n} {T.npc.modality} {T.scheme['modality'][mo]} .")
        out += [f"{n} {prop} {nt.integer(len(facts))} ." for prop, facts in sorted(kinds.items())]
    for (b, m, mo), s in practice.items():
        out, n = node(b, "PracticeSummary", ("practice", b, m, mo), s)
        out += [f"{n} {T.npc.mechanism} {T.scheme['mechanism'][m]} .", f"{n} {T.npc.modality} {T.scheme['modality'][mo]} ."]
        out += [f"{n} {T.npc.stage} {T.scheme['stage'][st]} ." for st in sorted(s.stages)]
        out.append(f"{n} {T.npc.stageList} {nt.literal(','.join(sorted(s.stages)))} .")
        if s.years:
            out += [f"{n} {T.npc.firstYear} {nt.year(min(s.years))} .", f"{n} {T.npc.lastYear} {nt.year(max(s.years))} .",
                    f"{n} {T.npc.yearList} {nt.literal(','.join(map(str, sorted(s.years))))} ."]
    for (b, m, mo, st, year), s in yearly.items():
        out, n = node(b, "PracticeYear", ("practice", b, m, mo, st, year), s)
        out += [f"{n} {T.npc.mechanism} {T.scheme['mechanism'][m]} .", f"{n} {T.npc.modality} {T.scheme['modality'][mo]} .",
                f"{n} {T.npc.stage} {T.scheme['stage'][st]} ."]
        if year is not None:
            out.append(f"{n} {T.npc.year} {nt.year(int(year))} .")
        if s.scopes:
            out.append(f"{n} {T.npc.scopeList} {nt.literal('、'.join(sorted(s.scopes)), lang='zh')} .")
    for (b, m, year, mo, u), s in cells.items():
        out, n = node(b, "CountSummary", ("count", b, m, year, mo, _unit(u)), s)
        out += [f"{n} {T.npc.modality} {T.scheme['modality'][mo]} .", f"{n} {T.attr.unitMeasure} <{_unit(u)}> .",
                f"{n} {T.npc.valueCount} {nt.integer(len({v for v, _ in s.values}))} ."]
        if m is not None:
            out.append(f"{n} {T.npc.measure} {T.scheme['measure'][m]} .")
        if year is not None:
            out.append(f"{n} {T.dim.refPeriod} {nt.year(int(year))} .")
        if len(s.values) == 1:  # counts that disagree give the cell no value: no number is picked for the reader
            (value, bound), = s.values
            out += [f"{n} {T.measure.obsValue} {nt.decimal(value)} .", f"{n} {T.npc.bound} {nt.literal(bound)} ."]
    return lines


def pairs(practices: pd.DataFrame) -> str:
    """The corpus's mechanism pairs as N-Triples: how many bodies practise both mechanisms in one
    modality. A store can count them only by joining every body's mechanisms with each other (10 s at
    3,000 reports); here it is one pass over the practices table, done again on every build that
    changes a body, and the query reads a few hundred nodes."""
    held = practices[["body", "modality", "mechanism"]].dropna().astype(str).drop_duplicates()
    both = held.merge(held, on=["body", "modality"])  # each body's mechanisms with each other, in one join
    both = both[both.mechanism_x < both.mechanism_y]
    together = both.groupby(["mechanism_x", "mechanism_y", "modality"]).size()
    lines = []
    for (a, b, mo), n in sorted(together.items()):
        node = f"<{ID[f'summary/pair/{a}/{b}/{mo}']}>"
        lines += [f"{node} {T.rdf.type} {T.npc.MechanismPair} .", f"{node} {T.npc.modality} {T.scheme['modality'][mo]} .",
                  f"{node} {T.npc.mechanism} {T.scheme['mechanism'][a]} .", f"{node} {T.npc.mechanism} {T.scheme['mechanism'][b]} .",
                  f"{node} {T.npc.bodyCount} {nt.integer(n)} ."]
    return "".join(line + "\n" for line in lines)


def body_lists(practices: pd.DataFrame) -> tuple[str, dict[str, str]]:
    """The bodies that practise each mechanism in each modality, in the order bodies-by-mechanism
    answers them (by label, then IRI), as N-Triples: the lists' heads (one graph), and each list's
    pages of PAGE entries, each entry a practice summary with its rank (a graph per list). A page of
    the answer is then read from one or two pages of its list, with the list's length as its total:
    sorted by the store, the bodies cost ~0.4 ms each, all of them before the first page (0.65 s at
    3,000 reports). Only bodies with a label are listed, as the query joins the label."""
    held = practices[["body", "body_zh", "mechanism", "modality"]].dropna().astype(str).drop_duplicates()
    heads, graphs = [], {}
    for (m, mo), rows in held.groupby(["mechanism", "modality"], observed=True, sort=True):
        entries = sorted(zip(rows.body_zh, BODIES + rows.body))
        head = f"<{summary_iri('bodies', m, mo)}>"
        heads += [f"{head} {T.rdf.type} {T.npc.BodyList} .", f"{head} {T.npc.mechanism} {T.scheme['mechanism'][m]} .",
                  f"{head} {T.npc.modality} {T.scheme['modality'][mo]} .", f"{head} {T.npc.bodyCount} {nt.integer(len(entries))} ."]
        lines = []
        for first in range(0, len(entries), PAGE):
            page = f"<{summary_iri('bodies', m, mo, 'page', first // PAGE)}>"
            lines += [f"{head} {T.npc.page} {page} .", f"{page} {T.rdf.type} {T.npc.BodyListPage} .",
                      f"{page} {T.npc.firstRank} {nt.integer(first)} .",
                      f"{page} {T.npc.lastRank} {nt.integer(min(first + PAGE, len(entries)) - 1)} ."]
            for rank, (_, body) in enumerate(entries[first:first + PAGE], start=first):
                entry = f"<{summary_iri('practice', body, m, mo)}>"
                lines += [f"{page} {T.npc.entry} {entry} .", f"{entry} {T.npc.rank} {nt.integer(rank)} ."]
        graphs[f"{LIST_GRAPHS}{m}/{mo}"] = "".join(line + "\n" for line in lines)
    return "".join(line + "\n" for line in heads), graphs


def _write_lists(loader: BatchLoader, store: OxigraphStore, practices: pd.DataFrame, written: dict[str, str]) -> None:
    """The body lists that differ from what ``written`` (list graph → digest, kept by the build) says
    the store holds; lists gone are taken out, and the heads are written again with any change."""
    heads, graphs = body_lists(practices)
    digests = {iri: hashlib.sha256(text.encode("utf-8")).hexdigest() for iri, text in graphs.items()}
    stored = store.graphs()
    gone = [iri for iri in stored if iri.startswith(LIST_GRAPHS) and iri not in graphs]
    for iri in gone:
        loader.remove_graph(iri)
        written.pop(iri, None)
    changed = [iri for iri in sorted(graphs) if written.get(iri) != digests[iri]]
    for iri in changed:
        loader.replace_graph(iri, graphs[iri])
        written[iri] = digests[iri]
    if gone or changed or LISTS_GRAPH not in stored:
        loader.replace_graph(LISTS_GRAPH, heads)


@contextmanager
def _no_gc() -> Iterator[None]:
    """Summing up makes a few small containers per row and no cycles; the cyclic collector, run
    every few hundred of them over a build's large heap, took a quarter of the time."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def refresh(store: OxigraphStore, bodies: Iterable[str], folder: Path, lists: dict[str, str] | None = None) -> int:
    """Write the derived graphs of these bodies again from their rows of the build's practices and
    counts tables (in ``folder``), and the corpus's mechanism pairs and body lists from the whole
    practices table; a body left with no facts loses its graph. ``lists``: the digests of the body
    lists in the store, which the build keeps and this updates (empty: every list is written).
    Returns the number of body graphs written."""
    bodies = sorted(set(bodies))
    written = 0
    with store.batch() as loader:
        if bodies:
            held = tables.read(folder, "practices", columns=["body", "body_zh", "mechanism", "modality"])
            loader.replace_graph(PAIRS_GRAPH, pairs(held))
            _write_lists(loader, store, held, {} if lists is None else lists)
        for i in range(0, len(bodies), REFRESH_BODIES):
            chunk = bodies[i:i + REFRESH_BODIES]
            some = {b.removeprefix(BODIES) for b in chunk}
            with _no_gc():
                graphs = summarise(*(_rows(tables.read(folder, t, columns=_COLUMNS[t], bodies=some)) for t in ("practices", "counts")))
            for b in chunk:
                iri = graph_of(b)
                if iri in graphs:
                    loader.replace_graph(iri, "\n".join(graphs[iri]) + "\n")
                else:
                    loader.remove_graph(iri)
            written += len(graphs)
    return written


def in_tables(folder: Path) -> set[str]:
    """Every body the build's practices and counts tables name."""
    return {BODIES + b for t in ("practices", "counts") for b in tables.read(folder, t, columns=["body"]).body.dropna()}


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
