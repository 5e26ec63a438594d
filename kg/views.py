"""Materialised views: stored queries answered report by report, or body by body, at build time.

A whole-corpus question costs the on-disk store several index lookups and string decodes per fact:
at 30,000 reports ``table-counts`` ran for minutes and ``body-mechanism-edges`` for a minute. Many
stored queries, though, never combine facts from two partitions of the corpus:

- ``materialise: per-report`` — no grouping across reports (one row per fact, per report, per body
  named by a report): the answer over the store is the union of the answers over each report graph;
- ``materialise: per-body`` — every group lies within one reporting body (GROUP BY the body): the
  answer is the union of the answers over each body's report graphs.

In both cases the union is then de-duplicated if the query says DISTINCT and sorted by its ORDER BY.
The build answers those queries (their default binding) on a small in-memory store holding one
partition with the ontology and the entities it refers to, and keeps the rows in
``<store>.views.sqlite``. The embedded store answers that exact query text from the views, but only
while they cover exactly the store's report graphs; any write to the store other than the build's
drops them, and the store answers as before.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from kg import queries
from kg.paths import ONTOLOGY
from kg.store import OxigraphStore, Rows

PER_REPORT, PER_BODY = "per-report", "per-body"
SCHEMA = 1  # the views file's layout (SQLite user_version)
_ORDER_BY = re.compile(r"\bORDER\s+BY\s+((?:\?\w+\s*)+)$", re.IGNORECASE)
_SELECT = re.compile(r"\bSELECT(\s+DISTINCT)?\b", re.IGNORECASE)


class View:
    """One materialised query: its default-bound text, whether it is DISTINCT and its sort keys."""

    def __init__(self, q: queries.StoredQuery) -> None:
        self.name = q.name
        self.partition = q.extra["materialise"]
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
    return {name: View(q) for name, q in queries.stored().items() if q.extra.get("materialise") in (PER_REPORT, PER_BODY)}


@cache
def by_text() -> dict[str, View]:
    return {v.sparql: v for v in views().values()}


class Scratch:
    """An in-memory store with the ontology (and, for bodies, the shared entities): partitions of the
    corpus are loaded into it one at a time and the materialised queries run over each."""

    GRAPH = "urn:npc-kg:views:partition"

    def __init__(self, entities: bytes = b"") -> None:
        from kg import lexicon
        from kg.rdf import ENTITIES_GRAPH, ONTOLOGY_GRAPH

        self.store = OxigraphStore()
        self.store.add_to_graph(ONTOLOGY_GRAPH, lexicon.ontology_graph())
        if entities:
            self.store.add_to_graph(ENTITIES_GRAPH, entities)

    def answer(self, nt: str | bytes, partition: str) -> dict[str, str]:
        """Rows (JSON, one list per row) of each view of this partition kind over these triples."""
        self.store.replace_graph(self.GRAPH, nt)
        try:
            out = {}
            for v in views().values():
                if v.partition == partition:
                    rows = self.store.query(v.sparql)
                    out[v.name] = json.dumps([[r[c] for c in rows.vars] for r in rows.rows], ensure_ascii=False)
            return out
        finally:
            self.store.remove_graph(self.GRAPH)


_report_scratch: Scratch | None = None


def answer_report(nt: str) -> dict[str, str]:
    """The per-report views of one report (its N-Triples, entities included). Runs in build workers."""
    global _report_scratch
    if _report_scratch is None:
        _report_scratch = Scratch()
    return _report_scratch.answer(nt, PER_REPORT)


def _order_key(value: Any) -> tuple:
    """SPARQL ORDER BY for the values rows hold: unbound first, then numbers, then strings."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


class Views:
    """The rows of the materialised queries in SQLite: per report graph, or per reporting body.
    ``graph`` lists the report graphs the views cover and the body each belongs to."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.touched: set[str] = set()  # bodies whose per-body rows must be answered again
        if read_only:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            return
        self.db = sqlite3.connect(self.path)
        if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:  # views of an older kg: start over
            self.db.executescript(
                "DROP TABLE IF EXISTS query; DROP TABLE IF EXISTS graph; DROP TABLE IF EXISTS answer;"
                "CREATE TABLE query (name TEXT PRIMARY KEY, digest TEXT, vars TEXT);"
                "CREATE TABLE graph (iri TEXT PRIMARY KEY, body TEXT);"
                "CREATE TABLE answer (name TEXT, part TEXT, rows TEXT, PRIMARY KEY (name, part));"
                f"PRAGMA user_version = {SCHEMA};")
        current = {v.name: v.digest for v in views().values()}
        if dict(self.db.execute("SELECT name, digest FROM query").fetchall()) != current:
            # a materialised query was added, removed or edited: every report must be answered again
            self.db.executescript("DELETE FROM query; DELETE FROM graph; DELETE FROM answer;")
            for v in views().values():
                self.db.execute("INSERT INTO query VALUES (?, ?, ?)", (v.name, v.digest, json.dumps(queries_vars(v.sparql))))
            self.db.commit()

    def graphs(self) -> set[str]:
        return {iri for (iri,) in self.db.execute("SELECT iri FROM graph")}

    def replace(self, graph: str, body: str, answers: dict[str, str]) -> None:
        """A report graph (re)built: its per-report rows; its body's per-body rows are now due."""
        self.remove(graph)
        self.db.executemany("INSERT INTO answer VALUES (?, ?, ?)", [(n, graph, rows) for n, rows in answers.items()])
        self.db.execute("INSERT INTO graph VALUES (?, ?)", (graph, body))
        self.touched.add(body)

    def remove(self, graph: str) -> None:
        for (body,) in self.db.execute("SELECT body FROM graph WHERE iri = ?", (graph,)).fetchall():
            self.touched.add(body)
        self.db.execute("DELETE FROM answer WHERE part = ?", (graph,))
        self.db.execute("DELETE FROM graph WHERE iri = ?", (graph,))

    def refresh(self, store: OxigraphStore, progress: Callable[[str], None] | None = None) -> int:
        """Answer the per-body views again for every body a replaced or removed report belonged to,
        from that body's report graphs in the store. Returns how many bodies were answered."""
        import pyoxigraph

        from kg.rdf import ENTITIES_GRAPH

        names = [v.name for v in views().values() if v.partition == PER_BODY]
        if not names or not self.touched:
            self.touched.clear()
            return 0
        dump = store.store.dump
        nt = pyoxigraph.RdfFormat.N_TRIPLES
        scratch = Scratch(dump(format=nt, from_graph=pyoxigraph.NamedNode(ENTITIES_GRAPH)))
        for body in sorted(self.touched):
            self.db.executemany("DELETE FROM answer WHERE name = ? AND part = ?", [(n, body) for n in names])
            graphs = [g for (g,) in self.db.execute("SELECT iri FROM graph WHERE body = ? ORDER BY iri", (body,))]
            if graphs:
                triples = b"".join(dump(format=nt, from_graph=pyoxigraph.NamedNode(g)) for g in graphs)
                rows = scratch.answer(triples, PER_BODY)
                self.db.executemany("INSERT INTO answer VALUES (?, ?, ?)", [(n, body, r) for n, r in rows.items()])
            if progress:
                progress(body)
        done = len(self.touched)
        self.touched.clear()
        return done

    def commit(self) -> None:
        self.db.commit()

    def rows(self, view: View, store_graphs: set[str]) -> Rows | None:
        """The query's rows over the store, or None when these views do not answer for it
        (the query changed since the build, or the store holds other report graphs)."""
        from kg.rdf import ENTITIES_GRAPH, ONTOLOGY_GRAPH

        if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            return None
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
