"""Materialised views: stored queries answered report by report, kept beside the store.

A whole-corpus table (one row per fact) costs the on-disk store several index lookups and string
decodes per row: at 30,000 reports ``table-counts`` ran for minutes. Some stored queries, though,
have no grouping across reports: their answer over the store is exactly the union of their answers
over each report graph (with the entities and ontology it refers to), de-duplicated if the query says
DISTINCT and sorted by its ORDER BY. Such a query says ``materialise: per-report`` in its header.

The build answers those queries (their default binding) in the worker, on a small in-memory store
holding just the report, and keeps the rows in ``<store>.views.sqlite``. The embedded store then
answers that exact query text from the views, but only while the views cover exactly the store's
report graphs; any other write to the store drops them, and the store answers as before.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from functools import cache
from pathlib import Path
from typing import Any

from kg import queries
from kg.paths import ONTOLOGY
from kg.store import OxigraphStore, Rows

PER_REPORT = "per-report"
_ORDER_BY = re.compile(r"\bORDER\s+BY\s+((?:\?\w+\s*)+)$", re.IGNORECASE)
_SELECT = re.compile(r"\bSELECT(\s+DISTINCT)?\b", re.IGNORECASE)
_SCRATCH = "urn:npc-kg:views:report"


class View:
    """One materialised query: its default-bound text, whether it is DISTINCT and its sort keys."""

    def __init__(self, q: queries.StoredQuery) -> None:
        self.name = q.name
        self.sparql = q.bind()
        body = queries._strip_comments(self.sparql)
        m = _ORDER_BY.search(body.strip())
        if not m:
            raise ValueError(f"{q.name}: a materialised query must end with ORDER BY plain variables")
        self.order = m.group(1).replace("?", " ").split()
        self.distinct = bool(_SELECT.search(body).group(1))  # the first SELECT is the outer one
        # rows depend on the query and on the ontology's labels: a change to either makes them stale
        self.digest = hashlib.sha256(self.sparql.encode("utf-8") + _ontology_digest()).hexdigest()


@cache
def _ontology_digest() -> bytes:
    h = hashlib.sha256()
    for f in sorted(ONTOLOGY.rglob("*.ttl")):
        h.update(f.read_bytes())
    return h.digest()


@cache
def views() -> dict[str, View]:
    """The stored queries that are materialised, by name."""
    return {name: View(q) for name, q in queries.stored().items() if q.extra.get("materialise") == PER_REPORT}


@cache
def by_text() -> dict[str, View]:
    return {v.sparql: v for v in views().values()}


_scratch: OxigraphStore | None = None


def answer(nt: str) -> dict[str, str]:
    """Rows (JSON, one list per row) of every materialised query over one report's N-Triples.
    Runs in build workers: an in-memory store per process holds the ontology; the report comes and goes."""
    global _scratch
    if _scratch is None:
        from kg import lexicon
        from kg.rdf import ONTOLOGY_GRAPH

        _scratch = OxigraphStore()
        _scratch.add_to_graph(ONTOLOGY_GRAPH, lexicon.ontology_graph())
    _scratch.replace_graph(_SCRATCH, nt)
    try:
        out = {}
        for v in views().values():
            rows = _scratch.query(v.sparql)
            out[v.name] = json.dumps([[r[c] for c in rows.vars] for r in rows.rows], ensure_ascii=False)
        return out
    finally:
        _scratch.remove_graph(_SCRATCH)


def _order_key(value: Any) -> tuple:
    """SPARQL ORDER BY for the values rows hold: unbound first, then numbers, then strings."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


class Views:
    """The rows of the materialised queries, per report graph, in SQLite."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            return
        self.db = sqlite3.connect(self.path)
        self.db.executescript(
            "CREATE TABLE IF NOT EXISTS query (name TEXT PRIMARY KEY, digest TEXT, vars TEXT);"
            "CREATE TABLE IF NOT EXISTS graph (iri TEXT PRIMARY KEY);"
            "CREATE TABLE IF NOT EXISTS answer (name TEXT, graph TEXT, rows TEXT, PRIMARY KEY (name, graph));")
        current = {v.name: v.digest for v in views().values()}
        if dict(self.db.execute("SELECT name, digest FROM query").fetchall()) != current:
            # a materialised query was added, removed or edited: every report must be answered again
            self.db.executescript("DELETE FROM query; DELETE FROM graph; DELETE FROM answer;")
            for v in views().values():
                vars_ = queries_vars(v.sparql)
                self.db.execute("INSERT INTO query VALUES (?, ?, ?)", (v.name, v.digest, json.dumps(vars_)))
            self.db.commit()

    def graphs(self) -> set[str]:
        return {iri for (iri,) in self.db.execute("SELECT iri FROM graph")}

    def replace(self, graph: str, answers: dict[str, str]) -> None:
        self.remove(graph)
        self.db.executemany("INSERT INTO answer VALUES (?, ?, ?)", [(n, graph, rows) for n, rows in answers.items()])
        self.db.execute("INSERT INTO graph VALUES (?)", (graph,))

    def remove(self, graph: str) -> None:
        self.db.execute("DELETE FROM answer WHERE graph = ?", (graph,))
        self.db.execute("DELETE FROM graph WHERE iri = ?", (graph,))

    def commit(self) -> None:
        self.db.commit()

    def rows(self, view: View, store_graphs: set[str]) -> Rows | None:
        """The query's rows over the store, or None when these views do not answer for it
        (the query changed since the build, or the store holds other report graphs)."""
        from kg.rdf import ENTITIES_GRAPH, ONTOLOGY_GRAPH

        found = self.db.execute("SELECT digest, vars FROM query WHERE name = ?", (view.name,)).fetchone()
        if not found or found[0] != view.digest or self.graphs() != store_graphs - {ENTITIES_GRAPH, ONTOLOGY_GRAPH}:
            return None
        names = json.loads(found[1])
        out: list[list] = []
        for (rows,) in self.db.execute("SELECT rows FROM answer WHERE name = ?", (view.name,)):
            out.extend(json.loads(rows))
        if view.distinct:
            out = list({tuple(r): r for r in out}.values())
        idx = [names.index(v) for v in view.order] + list(range(len(names)))  # ties broken by the whole row
        out.sort(key=lambda r: tuple(_order_key(r[i]) for i in idx))
        return Rows(names, [dict(zip(names, r)) for r in out])

    def close(self) -> None:
        self.db.close()


def queries_vars(sparql: str) -> list[str]:
    """The projected variables, in order, as the store reports them."""
    import pyoxigraph

    return [v.value for v in pyoxigraph.Store().query(sparql).variables]
