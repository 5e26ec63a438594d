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
``<store>.views.sqlite``, stamped with the store's files as the build left them. The embedded store
answers that exact query text from the views only while the stamp matches: a write through kg drops
the views, a write by any other program changes the files, and the store answers as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from kg import lexicon, queries
from kg.paths import ONTOLOGY
from kg.store import OxigraphStore, Rows

PER_REPORT, PER_BODY = "per-report", "per-body"
SCHEMA = 3  # the views file's layout (SQLite user_version)
_ORDER_BY = re.compile(r"\bORDER\s+BY\s+((?:\?\w+\s*)+)$", re.IGNORECASE)
_SELECT = re.compile(r"\bSELECT(\s+DISTINCT)?\b", re.IGNORECASE)


class View:
    """One materialised binding of a stored query: its text, whether it is DISTINCT and its sort keys."""

    def __init__(self, q: queries.StoredQuery, values: dict[str, str] | None = None) -> None:
        self.query = q.name
        self.values = dict(values or {})
        self.name = q.name + "".join(f"?{k}={v}" for k, v in sorted(self.values.items()))
        self.partition = q.extra["materialise"]
        self.sparql = q.bind(self.values)
        body = queries._strip_comments(self.sparql)
        m = _ORDER_BY.search(body.strip())
        if not m:
            raise ValueError(f"{q.name}: a materialised query must end with ORDER BY plain variables")
        self.order = m.group(1).replace("?", " ").split()
        self.distinct = bool(_SELECT.search(body).group(1))  # the first SELECT is the outer one
        self.combine: dict[str, tuple[str, str]] = {}
        for col, spec in (q.extra.get("combine") or {}).items():
            fn, _, sep = str(spec).partition(" ")
            if fn not in COMBINERS or (fn == "concat") != bool(sep):
                raise ValueError(f"{q.name}: combine {col}: {spec!r} is not one of sum, min, max, 'concat <separator>'")
            self.combine[col] = (fn, sep)
        self.digest = digest(self.sparql)

    def spec(self) -> str:
        """What merging the partitions' rows needs, kept with them so that a query needs no parsing."""
        return json.dumps({"order": self.order, "distinct": self.distinct, "combine": self.combine})


def digest(sparql: str) -> str:
    """Rows depend on the query text and on the ontology's labels: a change to either makes them stale."""
    return hashlib.sha256(sparql.encode("utf-8") + _ontology_digest()).hexdigest()


@cache
def _ontology_digest() -> bytes:
    h = hashlib.sha256()
    for f in sorted(ONTOLOGY.rglob("*.ttl")):
        h.update(f.read_bytes())
    return h.digest()


@cache
def views() -> dict[str, View]:
    """The materialised bindings of stored queries, by name: each query's default binding, and for a
    parameter named in ``materialise-each`` (a concept), every concept of its scheme."""
    out = {}
    for q in queries.stored().values():
        if q.extra.get("materialise") not in (PER_REPORT, PER_BODY):
            continue
        bindings: list[dict[str, str]] = [{}]
        for name in q.extra.get("materialise-each") or []:
            p = next(p for p in q.params if p.name == name)
            if not p.type.startswith("concept:"):
                raise ValueError(f"{q.name}: materialise-each {name}: only concept parameters have a known set of values")
            bindings += [{name: c.id} for c in lexicon.concepts(p.type.split(":", 1)[1]) if c.id != p.default]
        for values in bindings:
            v = View(q, values)
            out[v.name] = v
    return out


class Scratch:
    """An in-memory store with the ontology (and, for bodies, the shared entities): partitions of the
    corpus are loaded into it one at a time and the materialised queries run over each."""

    GRAPH = "urn:npc-kg:views:partition"

    def __init__(self, entities: bytes = b"") -> None:
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


_body_scratch: dict[str, tuple[Any, Scratch]] = {}  # store path → (read-only store, scratch), per process


def answer_body(task: tuple[str, str, list[str]]) -> tuple[str, dict[str, str]]:
    """The per-body views of one body: its report graphs read from the store, with the shared entities.
    Runs in build workers; each opens the store read-only once per refresh."""
    import pyoxigraph

    from kg.rdf import ENTITIES_GRAPH

    path, body, graphs = task
    nt = pyoxigraph.RdfFormat.N_TRIPLES
    if path not in _body_scratch:
        ro = pyoxigraph.Store.read_only(path)
        _body_scratch[path] = (ro, Scratch(ro.dump(format=nt, from_graph=pyoxigraph.NamedNode(ENTITIES_GRAPH))))
    ro, scratch = _body_scratch[path]
    return body, scratch.answer(b"".join(ro.dump(format=nt, from_graph=pyoxigraph.NamedNode(g)) for g in graphs), PER_BODY)


def fingerprint(store_path: str | Path) -> str:
    """The store's files: names, sizes and modification times (RocksDB's informational LOG files left
    out). Any write — by kg or another program — or opening for writing changes it; reading does not."""
    h = hashlib.sha256()
    for e in sorted(os.scandir(store_path), key=lambda e: e.name):
        if e.is_file() and not e.name.startswith("LOG"):
            st = e.stat()
            h.update(f"{e.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _combine(rows: list[list], names: list[str], combine: dict[str, tuple[str, str]]) -> list[list]:
    """Partial aggregates of one group from several partitions, made one: rows that agree on every
    column but the combined ones are merged column by column. Exact for COUNT and SUM of things no two
    partitions share, for MIN and MAX, and for GROUP_CONCAT DISTINCT (whose parts come out sorted)."""
    agg = {names.index(c): spec for c, spec in combine.items()}
    keys = [i for i in range(len(names)) if i not in agg]
    groups: dict[tuple, list] = {}
    for r in rows:
        k = tuple(r[i] for i in keys)
        if k not in groups:
            groups[k] = list(r)
            continue
        g = groups[k]
        for i, (fn, sep) in agg.items():
            g[i] = COMBINERS[fn](g[i], r[i], sep)
    for g in groups.values():
        for i, (fn, sep) in agg.items():
            if fn == "concat" and g[i] is not None:
                g[i] = sep.join(sorted(set(str(g[i]).split(sep))))
    return list(groups.values())


def _either(fn: Callable[[Any, Any, str], Any]) -> Callable[[Any, Any, str], Any]:
    """An aggregate over nothing is unbound: the other partition's value stands."""
    return lambda a, b, sep: a if b is None else b if a is None else fn(a, b, sep)


COMBINERS: dict[str, Callable[[Any, Any, str], Any]] = {
    "sum": _either(lambda a, b, _: a + b),
    "min": _either(lambda a, b, _: min(a, b)),
    "max": _either(lambda a, b, _: max(a, b)),
    "concat": _either(lambda a, b, sep: f"{a}{sep}{b}"),
}


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
                "DROP TABLE IF EXISTS query; DROP TABLE IF EXISTS graph; DROP TABLE IF EXISTS answer; DROP TABLE IF EXISTS meta;"
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE query (name TEXT PRIMARY KEY, digest TEXT UNIQUE, vars TEXT, spec TEXT);"
                "CREATE TABLE graph (iri TEXT PRIMARY KEY, body TEXT);"
                "CREATE TABLE answer (name TEXT, part TEXT, rows TEXT, PRIMARY KEY (name, part));"
                "CREATE INDEX answer_part ON answer (part); CREATE INDEX graph_body ON graph (body);"
                f"PRAGMA user_version = {SCHEMA};")
        current = {v.name: v.digest for v in views().values()}
        if dict(self.db.execute("SELECT name, digest FROM query").fetchall()) != current:
            # a materialised query was added, removed or edited: every report must be answered again
            self.db.executescript("DELETE FROM query; DELETE FROM graph; DELETE FROM answer;")
            for v in views().values():
                self.db.execute("INSERT INTO query VALUES (?, ?, ?, ?)", (v.name, v.digest, json.dumps(_projected(v.sparql)), v.spec()))
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

    def refresh(self, store_path: str | Path, jobs: int = 1,
                progress: Callable[[int], Callable[[], None]] | None = None) -> int:
        """Answer the per-body views again for every body a replaced or removed report belonged to,
        from that body's report graphs in the store (flushed, and opened read-only by each worker).
        ``progress`` gets the number of bodies and returns what to call after each.
        Returns how many bodies were answered."""
        names = [v.name for v in views().values() if v.partition == PER_BODY]
        touched, self.touched = sorted(self.touched), set()
        if not names or not touched:
            return 0
        tasks = []
        for body in touched:
            self.db.executemany("DELETE FROM answer WHERE name = ? AND part = ?", [(n, body) for n in names])
            graphs = [g for (g,) in self.db.execute("SELECT iri FROM graph WHERE body = ? ORDER BY iri", (body,))]
            if graphs:
                tasks.append((str(store_path), body, graphs))
        tick = progress(len(tasks)) if progress else None
        _body_scratch.clear()  # a read-only store sees the store as it was when opened: open it anew
        if jobs > 1 and len(tasks) > 1:
            pool = ProcessPoolExecutor(max_workers=jobs)
            answers = pool.map(answer_body, tasks, chunksize=max(1, len(tasks) // (jobs * 8)))
        else:
            pool, answers = None, map(answer_body, tasks)
        try:
            for body, rows in answers:
                self.db.executemany("INSERT INTO answer VALUES (?, ?, ?)", [(n, body, r) for n, r in rows.items()])
                if tick:
                    tick()
        finally:
            _body_scratch.clear()
            if pool:
                pool.shutdown()
        return len(touched)

    def commit(self) -> None:
        self.db.commit()

    def stamp(self, store_path: str | Path) -> None:
        """Record the store's files as they are now: the views answer for exactly this store."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint(store_path),))

    def stamped(self, store_path: str | Path) -> bool:
        if self.db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            return False
        found = self.db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        return bool(found) and found[0] == fingerprint(store_path)

    def rows(self, sparql: str, store_path: str | Path) -> Rows | None:
        """The rows of this query text over the store, or None when these views do not answer for it:
        it is not materialised, it or the ontology changed since the build, or the store was written
        since (by anyone)."""
        if not self.stamped(store_path):  # checks the file's layout first
            return None
        found = self.db.execute("SELECT name, vars, spec FROM query WHERE digest = ?", (digest(sparql),)).fetchone()
        if not found:
            return None
        name, names, spec = found[0], json.loads(found[1]), json.loads(found[2])
        out: list[list] = []
        for (rows,) in self.db.execute("SELECT rows FROM answer WHERE name = ? ORDER BY part", (name,)):
            out.extend(json.loads(rows))
        if spec["combine"]:
            out = _combine(out, names, spec["combine"])
        if spec["distinct"]:
            out = list({tuple(r): r for r in out}.values())
        # a stable sort: ties keep the partitions' order, which is fixed (partitions sorted, rows as answered)
        idx = [names.index(v) for v in spec["order"]]
        try:
            out.sort(key=lambda r: [(r[i] is not None, r[i]) for i in idx])
        except TypeError:  # numbers and strings in one column
            out.sort(key=lambda r: [_order_key(r[i]) for i in idx])
        return Rows(names, [dict(zip(names, r)) for r in out])

    def close(self) -> None:
        self.db.close()


def _projected(sparql: str) -> list[str]:
    """The projected variables, in order, as the store reports them."""
    import pyoxigraph

    return [v.value for v in pyoxigraph.Store().query(sparql).variables]
