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
import shutil
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from kg import ntriples as nt
from kg import tables
from kg.rdf import ID, NPC, T, sentence_iri, unit_iri
from kg.stores import OxigraphStore, Store
from kg.stores.oxigraph import BatchLoader

VERSION = "npc-derived/5"  # a build by another version writes every body's summaries again (5: the body lists)
GRAPHS = str(ID["graph/derived/"])  # + the body's local name
REFRESH_ROWS = 20_000  # table rows summed up at a time, whole bodies each time: all at once, every derived triple was held as text
SUM_MEMORY = "256MB"  # DuckDB's limit while it sorts the rows by body (past it, it sorts on disk)
SPILL = ".summing"  # in the tables folder while bodies are summed up: their rows sorted by body
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


def _row(r: dict) -> dict:
    """A table row with the IRIs a summary names: its body, its fact and its sentence."""
    r["body"] = BODIES + r["body"]
    r["fact"] = str(ID) + r["id"]
    r["sentence"] = str(sentence_iri(r["report"], r["start"], r["end"]))
    return r


@contextmanager
def _duckdb(folder: Path) -> Iterator[Any]:
    """DuckDB over the build's tables within SUM_MEMORY, spilling into the tables folder; closing it
    frees its memory before the summaries are made."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": SUM_MEMORY, "temp_directory": str(folder / SPILL / "duckdb"), "threads": 1})
    try:
        yield con
    finally:
        con.close()


def _sort_by_body(con: Any, folder: Path, bodies: list[str]) -> Path:
    """Write the practices and counts rows of these bodies (local names) sorted by body into a folder
    of the build's: a body's facts come from every report that names it, and read from tables ordered
    by report, a few hundred bodies' rows held a table's worth (1.9 GB at 30,000 reports)."""
    import pyarrow as pa

    spill = folder / SPILL
    spill.mkdir(exist_ok=True)
    con.register("wanted", pa.table({"body": pa.array(bodies, pa.string())}))
    for table, columns in _COLUMNS.items():
        listed = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"COPY (SELECT {listed} FROM read_parquet({tables.sql_text(folder / f'{table}.parquet')}) "
                    f"WHERE body IN (SELECT body FROM wanted) ORDER BY body) TO {tables.sql_text(spill / f'{table}.parquet')} (FORMAT parquet)")
    return spill


def _by_body(path: Path) -> Iterator[list[dict]]:
    """A file of rows sorted by body, a body's rows at a time, read a batch at a time."""
    import pyarrow.parquet as pq

    rows = (r for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000) for r in batch.to_pylist())
    for _, same in groupby(rows, key=itemgetter("body")):
        yield [_row(r) for r in same]


def _chunks(spill: Path) -> Iterator[tuple[list[dict], list[dict]]]:
    """The practices and counts rows ``_sort_by_body`` wrote, about REFRESH_ROWS at a time, every
    row of a body in the same chunk; the folder goes when they are read."""
    try:
        streams = [_by_body(spill / f"{t}.parquet") for t in ("practices", "counts")]
        heads = [next(s, None) for s in streams]
        chunk: tuple[list[dict], list[dict]] = ([], [])
        while any(heads):
            body = min(h[0]["body"] for h in heads if h)
            for i, h in enumerate(heads):
                if h and h[0]["body"] == body:
                    chunk[i].extend(h)
                    heads[i] = next(streams[i], None)
            if len(chunk[0]) + len(chunk[1]) >= REFRESH_ROWS:
                yield chunk
                chunk = ([], [])
        if chunk[0] or chunk[1]:
            yield chunk
    finally:
        shutil.rmtree(spill, ignore_errors=True)


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


def pairs(con: Any, folder: Path) -> str:
    """The corpus's mechanism pairs as N-Triples: how many bodies practise both mechanisms in one
    modality. A store can count them only by joining every body's mechanisms with each other (10 s at
    3,000 reports); here DuckDB joins the practices table with itself, done again on every build that
    changes a body, and the query reads a few hundred nodes."""
    together = con.sql(
        f"WITH held AS (SELECT DISTINCT body, modality, mechanism FROM read_parquet({tables.sql_text(folder / 'practices.parquet')}) "
        "WHERE body IS NOT NULL AND modality IS NOT NULL AND mechanism IS NOT NULL) "
        "SELECT a.mechanism, b.mechanism, a.modality, COUNT(*) FROM held a JOIN held b "
        "ON a.body = b.body AND a.modality = b.modality AND a.mechanism < b.mechanism GROUP BY ALL ORDER BY ALL").fetchall()
    lines = []
    for a, b, mo, n in together:
        node = f"<{ID[f'summary/pair/{a}/{b}/{mo}']}>"
        lines += [f"{node} {T.rdf.type} {T.npc.MechanismPair} .", f"{node} {T.npc.modality} {T.scheme['modality'][mo]} .",
                  f"{node} {T.npc.mechanism} {T.scheme['mechanism'][a]} .", f"{node} {T.npc.mechanism} {T.scheme['mechanism'][b]} .",
                  f"{node} {T.npc.bodyCount} {nt.integer(n)} ."]
    return "".join(line + "\n" for line in lines)


def body_lists(con: Any, folder: Path) -> tuple[str, dict[str, str]]:
    """The bodies that practise each mechanism in each modality, in the order bodies-by-mechanism
    answers them (by label, then IRI), as N-Triples: the lists' heads (one graph), and each list's
    pages of PAGE entries, each entry a practice summary with its rank (a graph per list). A page of
    the answer is then read from one or two pages of its list, with the list's length as its total:
    sorted by the store, the bodies cost ~0.4 ms each, all of them before the first page (0.65 s at
    3,000 reports). Only bodies with a label are listed, as the query joins the label."""
    held = con.sql(f"SELECT DISTINCT mechanism, modality, body_zh, body FROM read_parquet({tables.sql_text(folder / 'practices.parquet')}) "
                   "WHERE body IS NOT NULL AND body_zh IS NOT NULL AND mechanism IS NOT NULL AND modality IS NOT NULL "
                   "ORDER BY ALL").fetchall()  # by code point, as Python sorts
    heads, graphs = [], {}
    for (m, mo), rows in groupby(held, key=itemgetter(0, 1)):
        entries = [(zh, BODIES + body) for _, _, zh, body in rows]
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


def _write_lists(loader: BatchLoader, store: OxigraphStore, heads: str, graphs: dict[str, str], written: dict[str, str]) -> None:
    """The body lists (``body_lists``) that differ from what ``written`` (list graph → digest, kept by
    the build) says the store holds; lists gone are taken out, and the heads are written again with any change."""
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
    if not bodies:
        return 0
    summed: set[str] = set()
    with store.batch() as loader:
        with _duckdb(folder) as con:
            loader.replace_graph(PAIRS_GRAPH, pairs(con, folder))
            _write_lists(loader, store, *body_lists(con, folder), {} if lists is None else lists)
            spill = _sort_by_body(con, folder, [b.removeprefix(BODIES) for b in bodies])
        for chunk in _chunks(spill):
            with _no_gc():
                graphs = summarise(*chunk)
            for iri, lines in graphs.items():
                loader.replace_graph(iri, "\n".join(lines) + "\n")
            summed.update(graphs)
        for b in bodies:
            if graph_of(b) not in summed:  # no fact names it now
                loader.remove_graph(graph_of(b))
    return len(summed)


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
