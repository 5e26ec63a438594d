"""Materialised views: stored queries answered report by report at build time.

A whole-corpus question costs the on-disk store several index lookups and string decodes per fact:
at 30,000 reports ``table-counts`` ran for minutes and ``body-mechanism-edges`` for a minute. Many
stored queries, though, can be answered one report at a time and the answers put together:

- ``materialise: per-report`` — the answer over the store is the union of the answers over each
  report graph (with the ontology and the entities it refers to), de-duplicated if the query says
  DISTINCT and sorted by its ORDER BY. True of a query with no grouping across reports.
- ``combine: {column: sum|min|max|"concat <separator>"}`` — for a query whose groups may span
  reports (a body's mechanisms over ten years): rows that agree on every other column are merged,
  column by column. Exact for COUNT(DISTINCT …) of things that belong to one report (sentences,
  facts), SUM of such, MIN, MAX and GROUP_CONCAT(DISTINCT …) (whose parts then come out sorted).
- ``materialise-each: [parameter]`` — also every concept a concept parameter can take. These are the
  selective questions (one mechanism's bodies), asked one at a time and expected at once: one
  evaluation with the parameter unbound gives the rows of all; the build keeps them put together,
  group by group, and a rebuild after an edit puts together again only the groups the edit touched.
  Each binding's answer is also kept whole, sorted and by column (each column's distinct values and
  a code per row): a large answer is read in one piece and builds few Python objects.

The build answers those queries in its workers, on a small in-memory store that holds one report
with the ontology, and keeps the rows in ``<store>.views.sqlite``, stamped with the store's files as
the build left them. The embedded store answers exactly those query texts from the views while the
stamp matches: a write through kg drops the views, a write by any other program changes the files,
and the store answers by itself again.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import re
import sqlite3
import sys
import time
from array import array
from collections.abc import Callable
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from kg import lexicon, queries
from kg.paths import ONTOLOGY
from kg.store import OxigraphStore, Rows

PER_REPORT = "per-report"
SCHEMA = 11  # the views file's layout (SQLite user_version)
FULL_MERGE_AFTER = 10_000  # touched groups beyond which putting all together again is cheaper
_ORDER_BY = re.compile(r"\bORDER\s+BY\s+((?:\?\w+\s*)+)$", re.IGNORECASE)
_SELECT = re.compile(r"\bSELECT(\s+DISTINCT)?\b", re.IGNORECASE)


class View:
    """One materialised binding of a stored query: its text, whether it is DISTINCT and its sort keys."""

    def __init__(self, q: queries.StoredQuery, values: dict[str, str] | None = None,
                 source: tuple[str, str, str] | None = None) -> None:
        self.query = q.name
        self.values = dict(values or {})  # a value "" leaves that parameter unbound
        self.name = q.name + "".join(f"?{k}={v or '*'}" for k, v in sorted(self.values.items()))
        self.sparql = q.bind(self.values)
        # (view, column, value): answered in the build by filtering that view's rows, not by itself
        self.source = source
        self.split: str | None = None  # the column a source view's rows are split on
        body = queries.strip_comments(self.sparql)
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
        """What merging the reports' rows needs, kept with them so that a query needs no parsing."""
        return json.dumps({"order": self.order, "distinct": self.distinct, "combine": self.combine,
                           "source": self.source, "split": self.split})


def digest(sparql: str) -> str:
    """Rows depend on the query text and on the ontology's labels: a change to either makes them stale."""
    return hashlib.sha256(sparql.encode("utf-8") + _ontology_digest()).hexdigest()


@cache
def _ontology_nt() -> bytes:
    return lexicon.ontology_graph().serialize(format="nt", encoding="utf-8")


@cache
def _ontology_digest() -> bytes:
    h = hashlib.sha256()
    for f in sorted(ONTOLOGY.rglob("*.ttl")):
        h.update(f.read_bytes())
    return h.digest()


@cache
def views() -> dict[str, View]:
    """The materialised bindings of stored queries, by name: each query's default binding; for a
    parameter named in ``materialise-each`` (a concept, projected by the query), every concept of its
    scheme, all answered from one evaluation with the parameter unbound, filtered on its column."""
    out = {}
    for q in queries.stored().values():
        if q.extra.get("materialise") != PER_REPORT:
            continue
        each = q.extra.get("materialise-each") or []
        if not each:
            v = View(q)
            out[v.name] = v
            continue
        if len(each) > 1:
            raise ValueError(f"{q.name}: materialise-each takes one parameter")
        p = next(p for p in q.params if p.name == each[0])
        if not p.type.startswith("concept:"):
            raise ValueError(f"{q.name}: materialise-each {p.name}: only concept parameters have a known set of values")
        source = View(q, {p.name: ""})
        if not (source.combine or source.distinct):
            raise ValueError(f"{q.name}: materialise-each needs rows that are one per group (GROUP BY with combine, or DISTINCT)")
        source.split = p.name
        out[source.name] = source
        scheme = p.type.split(":", 1)[1]
        for c in lexicon.concepts(scheme):
            v = View(q, {} if c.id == p.default else {p.name: c.id}, (source.name, p.name, str(lexicon.SCHEMES[scheme][c.id])))
            out[v.name] = v
    return out


_scratch: OxigraphStore | None = None  # in memory, per process: the ontology stays, reports come and go
_scratch_uses = 0
_REPORT = "urn:npc-kg:views:report"
SCRATCH_REPORTS = 200  # an in-memory store keeps every string it has seen: start a new one now and then


def answer(nt: str) -> dict[str, str]:
    """Rows (JSON, one list per row) of every view over one report's N-Triples, entities included;
    views without rows are left out. Runs in build workers."""
    global _scratch, _scratch_uses
    if _scratch is None or _scratch_uses >= SCRATCH_REPORTS:
        from kg.rdf import ONTOLOGY_GRAPH

        _scratch, _scratch_uses = OxigraphStore(), 0
        _scratch.add_to_graph(ONTOLOGY_GRAPH, _ontology_nt())
    _scratch_uses += 1
    _scratch.replace_graph(_REPORT, nt)
    try:
        answered: dict[str, str] = {}
        for v in views().values():
            if not v.source:  # a binding with a source reads its source's rows, put together after the build
                rows = _scratch.query(v.sparql)
                if rows.rows:
                    answered[v.name] = json.dumps([[r[c] for c in rows.vars] for r in rows.rows], ensure_ascii=False)
        return answered
    finally:
        _scratch.remove_graph(_REPORT)


def settled_fingerprint(store_path: str | Path, wait: float = 5.0) -> str:
    """The fingerprint once the store's folder has stopped changing: RocksDB may still delete
    obsolete files for a moment after the store is closed, and a stamp taken meanwhile would never
    match again (the views and tables would then never answer)."""
    deadline = time.monotonic() + wait
    last, same = fingerprint(store_path), 0
    while time.monotonic() < deadline and same < 4:  # unchanged for 0.2 s
        time.sleep(0.05)
        now = fingerprint(store_path)
        same = same + 1 if now == last else 0
        last = now
    return last


def fingerprint(store_path: str | Path) -> str:
    """The store's files: names, sizes and modification times (RocksDB's informational LOG files left
    out). Any write — by kg or another program — or opening for writing changes it; reading does not."""
    h = hashlib.sha256()
    for e in sorted(os.scandir(store_path), key=lambda e: e.name):
        if e.is_file() and not e.name.startswith("LOG"):
            try:
                st = e.stat()
            except FileNotFoundError:  # RocksDB dropped an obsolete file while we looked: it differs anyway
                h.update(f"{e.name}\0gone\n".encode())
                continue
            h.update(f"{e.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _combine(rows: list[list], names: list[str], combine: dict[str, tuple[str, str]]) -> list[list]:
    """Partial aggregates of one group from several reports, made one (see the module's docstring).
    An unbound partial value (an aggregate over nothing) leaves the others to decide."""
    agg = [(names.index(c), fn, sep) for c, (fn, sep) in combine.items()]
    key_of = itemgetter(*_group_columns(names, combine))
    groups: dict[Any, list] = {}
    for r in rows:
        g = groups.get(k := key_of(r))
        if g is None:
            groups[k] = g = list(r)
            for i, fn, sep in agg:
                if fn == "concat" and r[i] is not None:
                    g[i] = set(r[i].split(sep))
            continue
        for i, fn, sep in agg:
            v = r[i]
            if v is None:
                continue
            if fn == "concat":
                if g[i] is None:
                    g[i] = set()
                g[i].update(v.split(sep))
            elif g[i] is None:
                g[i] = v
            elif fn == "sum":
                g[i] += v
            elif (fn == "min" and v < g[i]) or (fn == "max" and v > g[i]):
                g[i] = v
    for g in groups.values():
        for i, fn, sep in agg:
            if fn == "concat" and g[i] is not None:
                g[i] = sep.join(sorted(g[i]))
    return list(groups.values())


COMBINERS = ("sum", "min", "max", "concat")


def _order_key(value: Any) -> tuple:
    """SPARQL ORDER BY for the values rows hold: unbound first, then numbers, then strings."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    return (2, str(value))


class Views:
    """The rows of the materialised queries in SQLite, per report graph; a split view's rows also put
    together, one row per group (``merged``), which its bindings read."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        journal = Path(f"{self.path}-journal")
        if read_only and journal.exists() and journal.stat().st_size > 0:
            # a build killed mid-write left a hot journal: only a writer can roll it back, and a
            # read-only reader would fail on it ("attempt to write a readonly database")
            try:
                with contextlib.closing(sqlite3.connect(self.path)) as db:
                    db.execute("PRAGMA user_version").fetchone()
            except sqlite3.Error:
                pass
        self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) if read_only else sqlite3.connect(self.path)
        self._shapes: dict[str, tuple[list[str], dict]] = {}
        self._touched: set[tuple[str, str, bytes]] = set()  # (split view, value, group key) whose merged row is out of date

    @classmethod
    def for_build(cls, path: str | Path) -> Views:
        """Open (or create) the views for a build; if the materialised queries, the ontology or the
        file's layout changed since they were written, start over: every report is answered again."""
        v = cls(path)
        db = v.db
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA:
            db.executescript(
                "DROP TABLE IF EXISTS query; DROP TABLE IF EXISTS graph; DROP TABLE IF EXISTS answer; DROP TABLE IF EXISTS meta;"
                "DROP TABLE IF EXISTS merged; DROP TABLE IF EXISTS part; DROP TABLE IF EXISTS binding;"
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
                "CREATE TABLE query (name TEXT PRIMARY KEY, digest TEXT UNIQUE, vars TEXT, spec TEXT);"
                "CREATE TABLE graph (iri TEXT PRIMARY KEY);"
                # clustered by view: a query reads one contiguous run of the file, not a row per page
                "CREATE TABLE answer (name TEXT, graph TEXT, rows TEXT, PRIMARY KEY (name, graph)) WITHOUT ROWID;"
                "CREATE INDEX answer_graph ON answer (graph);"
                # a split view's rows: each report's, by group; and put together, one per group, in order
                # (one binding's groups are one contiguous run of the file: read in one sweep, then sorted)
                "CREATE TABLE part (name TEXT, graph TEXT, value TEXT, key BLOB, row TEXT);"
                "CREATE INDEX part_graph ON part (graph); CREATE INDEX part_key ON part (name, key);"
                "CREATE TABLE merged (name TEXT, value TEXT, key BLOB, row TEXT, PRIMARY KEY (name, value, key)) WITHOUT ROWID;"
                # each binding of a split view: its answer, sorted, as columns (see _columns)
                "CREATE TABLE binding (name TEXT PRIMARY KEY, columns TEXT, codes BLOB);"
                f"PRAGMA user_version = {SCHEMA};")
        current = {x.name: x.digest for x in views().values()}
        if dict(db.execute("SELECT name, digest FROM query").fetchall()) != current:
            db.executescript("DELETE FROM meta; DELETE FROM query; DELETE FROM graph; DELETE FROM answer; DELETE FROM part;"
                             "DELETE FROM merged; DELETE FROM binding;")
            for x in views().values():
                db.execute("INSERT INTO query VALUES (?, ?, ?, ?)", (x.name, x.digest, json.dumps(_projected(x.sparql)), x.spec()))
            db.commit()
        return v

    def graphs(self) -> set[str]:
        return {iri for (iri,) in self.db.execute("SELECT iri FROM graph")}

    def replace(self, graph: str, answers: dict[str, str]) -> None:
        self.remove(graph)
        plain, parts = [], []
        for name, rows in answers.items():
            names, spec = self._shape(name)
            if spec["split"]:
                key, col = _key_of(names, spec), names.index(spec["split"])
                for r in json.loads(rows):
                    parts.append((name, graph, v := _value(r[col]), k := key(r), json.dumps(r, ensure_ascii=False)))
                    self._touched.add((name, v, k))
            else:
                plain.append((name, graph, rows))
        self.db.executemany("INSERT INTO answer VALUES (?, ?, ?)", plain)
        self.db.executemany("INSERT INTO part VALUES (?, ?, ?, ?, ?)", parts)
        self.db.execute("INSERT INTO graph VALUES (?)", (graph,))

    def remove(self, graph: str) -> None:
        self._touched.update(self.db.execute("SELECT name, value, key FROM part WHERE graph = ?", (graph,)))
        self.db.execute("DELETE FROM answer WHERE graph = ?", (graph,))
        self.db.execute("DELETE FROM part WHERE graph = ?", (graph,))
        self.db.execute("DELETE FROM graph WHERE iri = ?", (graph,))

    def merge_each(self) -> None:
        """Put together again the groups of split views that this build touched (all of them after a
        large build): each group's rows from every report, combined into one row; then the answer of
        every binding whose rows changed."""
        for name in [v.name for v in views().values() if v.split]:
            names, spec = self._shape(name)
            key, col = _key_of(names, spec), names.index(spec["split"])
            touched = sorted((v, k) for n, v, k in self._touched if n == name)
            before: dict[tuple[str, bytes], str] | None = None  # the touched groups' rows, unless all are put together
            if len(touched) > FULL_MERGE_AFTER or not self.db.execute("SELECT 1 FROM merged WHERE name = ? LIMIT 1", (name,)).fetchone():
                self.db.execute("DELETE FROM merged WHERE name = ?", (name,))
                rows = self.db.execute("SELECT row FROM part WHERE name = ? ORDER BY graph", (name,))
            else:
                before = {vk: row for vk in touched for (row,) in self.db.execute(
                    "SELECT row FROM merged WHERE name = ? AND value = ? AND key = ?", (name, *vk))}
                self.db.executemany("DELETE FROM merged WHERE name = ? AND value = ? AND key = ?", [(name, *vk) for vk in touched])
                rows = [r for _, k in touched for r in self.db.execute(
                    "SELECT row FROM part WHERE name = ? AND key = ? ORDER BY graph", (name, k))]
            merged = json.loads("[" + ",".join(r for (r,) in rows) + "]")
            if spec["combine"]:
                merged = _combine(merged, names, spec["combine"])
            after = {(_value(r[col]), key(r)): r for r in merged}  # one row per group (and per DISTINCT row)
            text = {vk: json.dumps(r, ensure_ascii=False) for vk, r in after.items()}
            self.db.executemany("INSERT OR REPLACE INTO merged VALUES (?, ?, ?, ?)", [(name, *vk, row) for vk, row in text.items()])
            if before is None:
                of_value: dict[str, list] = {}
                for (v, _), r in sorted(after.items(), key=itemgetter(0)):  # the merged rows' order: ties stay put
                    of_value.setdefault(v, []).append(r)
            else:
                of_value = {v: self._merged(name, v) for v in {v for v, k in touched if before.get((v, k)) != text.get((v, k))}}
            for b in views().values():
                if b.source and b.source[0] == name and (before is None or b.source[2] in of_value):
                    answer = _sorted(of_value.get(b.source[2], []), names, spec)
                    self.db.execute("INSERT OR REPLACE INTO binding VALUES (?, ?, ?)", (b.name, *_columns(answer, len(names))))
        self._touched.clear()

    def commit(self) -> None:
        self.db.commit()

    def stamp(self, store_path: str | Path | None) -> None:
        """Record the store's files as they are now: the views answer for exactly this store
        (``None``: for no store — they do not cover every report graph in it)."""
        value = settled_fingerprint(store_path) if store_path else None
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (value,))

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
        found = self.db.execute("SELECT name FROM query WHERE digest = ?", (digest(sparql),)).fetchone()
        if not found:
            return None
        name = found[0]
        names, spec = self._shape(name)
        gc_was_on = gc.isenabled()
        gc.disable()  # millions of new lists and dicts, no cycles: collection passes would only rescan them
        try:
            if spec["source"]:
                found = self.db.execute("SELECT columns, codes FROM binding WHERE name = ?", (name,)).fetchone()
                if not found:  # every binding is written by the build: a missing one is no empty answer
                    return None
                out = _from_columns(*found)
            elif spec["split"]:
                out = _sorted(self._merged(name), names, spec)
            else:
                out = self._put_together(name, names, spec)
            return Rows(names, out)
        finally:
            if gc_was_on:
                gc.enable()

    def _shape(self, name: str) -> tuple[list[str], dict]:
        if name not in self._shapes:
            names, spec = self.db.execute("SELECT vars, spec FROM query WHERE name = ?", (name,)).fetchone()
            self._shapes[name] = json.loads(names), json.loads(spec)
        return self._shapes[name]

    def _merged(self, name: str, value: str | None = None) -> list[list]:
        """A split view's rows as the build put them together (by group), all or one value's, joined
        into one JSON array by SQLite (a Python string per row cost as much as parsing them)."""
        if value is None:
            found = self.db.execute("SELECT group_concat(row, ',') FROM merged WHERE name = ?", (name,))
        else:
            found = self.db.execute("SELECT group_concat(row, ',') FROM merged WHERE name = ? AND value = ?", (name, value))
        return json.loads("[" + (found.fetchone()[0] or "") + "]")

    def _put_together(self, name: str, names: list[str], spec: dict) -> list[list]:
        """The reports' rows of one view, as one answer: combined, DISTINCT and sorted as the query says."""
        # the reports' JSON arrays spliced into one and parsed in one go (a parse per report cost more)
        parts = [rows[1:-1] for (rows,) in self.db.execute("SELECT rows FROM answer WHERE name = ? ORDER BY graph", (name,))]
        out: list[list] = json.loads("[" + ",".join(p for p in parts if p) + "]")
        if spec["combine"]:
            out = _combine(out, names, spec["combine"])
        if spec["distinct"]:
            out = list({tuple(r): r for r in out}.values())
        return _sorted(out, names, spec)  # ties keep the reports' order, which is fixed (graphs sorted, rows as answered)

    def close(self) -> None:
        self.db.close()


def _sorted(rows: list[list], names: list[str], spec: dict) -> list[list]:
    """Rows in the query's ORDER BY order; a stable sort, so ties keep the order they came in."""
    idx = [names.index(v) for v in spec["order"]]
    try:
        return sorted(rows, key=itemgetter(*idx))  # fast, while no unbound value meets a bound one
    except TypeError:
        return sorted(rows, key=lambda r: [_order_key(r[i]) for i in idx])


def _columns(rows: list[list], width: int) -> tuple[str, bytes]:
    """Rows as columns: each column's distinct values (JSON) and, column after column, the index of
    each row's value among them (unsigned 32-bit, little-endian). Few distinct values repeat down a
    column (a mechanism, a level, a body over its years), and the reader builds one object per value."""
    columns: list[list] = []
    codes = array("I")
    for c in range(width):
        index: dict[tuple, int] = {}
        distinct: list = []
        for r in rows:
            v = r[c]
            code = index.get(k := (v.__class__, v))  # 1, 1.0 and True stay apart
            if code is None:
                code = index[k] = len(distinct)
                distinct.append(v)
            codes.append(code)
        columns.append(distinct)
    if sys.byteorder != "little":
        codes.byteswap()
    return json.dumps(columns, ensure_ascii=False), codes.tobytes()


def _from_columns(columns: str, codes: bytes) -> list[tuple]:
    """The rows that ``_columns`` took apart."""
    distinct = json.loads(columns)
    index = array("I", codes)
    if sys.byteorder != "little":
        index.byteswap()
    n = len(index) // len(distinct)
    view = memoryview(index)
    return list(zip(*(map(values.__getitem__, view[i * n:(i + 1) * n]) for i, values in enumerate(distinct))))


def _value(v: Any) -> str:
    """A split column's value as the merged rows' key holds it (an unbound one is no binding's)."""
    return "" if v is None else str(v)


def _group_columns(names: list[str], combine: dict) -> list[int]:
    """A row's group: the columns no combiner merges (all of them for a DISTINCT query)."""
    return [i for i, n in enumerate(names) if n not in combine]


def _key_of(names: list[str], spec: dict) -> Callable[[list], bytes]:
    """A row's group, the key of its merged row: a digest of the group's values (they are in the row;
    as text the keys and their index took a tenth of the views file)."""
    cols = _group_columns(names, spec["combine"])
    return lambda r: hashlib.blake2b(json.dumps([r[i] for i in cols], ensure_ascii=False).encode(), digest_size=16).digest()


def _projected(sparql: str) -> list[str]:
    """The projected variables, in order, as the store reports them."""
    import pyoxigraph

    return [v.value for v in pyoxigraph.Store().query(sparql).variables]
