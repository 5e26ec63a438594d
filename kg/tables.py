"""Tidy tables for analysts: one fact a row, as the stored ``table-*`` queries answer.

The build writes them as Parquet beside the store (``build/tables/``), each report's rows answered
by its worker and replaced when it is built again, so that a table of a whole corpus is read in
a second instead of being computed by the store. Analysts' aggregations over them go through
DuckDB (``kg.tables.sql``)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from kg import lexicon, names, queries
from kg.stores import OxigraphStore, Store

if TYPE_CHECKING:
    from kg import rows

TABLES, NAMES, FORMATS = names.TABLES, names.TABLE_NAMES, names.TABLE_FORMATS
_INTS = ("year", "period_start", "period_end", "start", "end")
FOLDER = "tables"  # beside the store: build/tables/<name>.parquet
STAMP = "stamp.json"  # the store and the queries the files answer for
GRAPH = "_graph"  # the report graph a row comes from: its rows are replaced when it is built again
DUP = "_dup"  # a row another report has too: kept for when that report goes, read once
ROWS = ".rows"  # in the tables folder: the build's own copy of each table, with GRAPH and DUP
PARTS = ".parts"  # in the tables folder while a build writes: its new rows, a file every PART_ROWS
PART_ROWS = 50_000
LAYOUT = "npc-tables/3"  # 2: the _dup column; 3: the build's rows apart from the typed tables users read
CATEGORIES = ("level", "province", "prefecture", "measure", "mechanism", "mechanism_zh", "unit", "bound", "modality", "stage",
              "action", "genre")  # few values, many rows: categories in pandas, dictionaries in Parquet
DATES = ("date",)
SCRATCH_REPORTS = 200  # an in-memory store keeps every string it has seen: start a new one now and then
_REPORT = "urn:npc-kg:tables:report"
_ORDER_BY = re.compile(r"\bORDER\s+BY\s+((?:\?\w+\s*)+)$", re.IGNORECASE)


def table(store: Store, name: str) -> pd.DataFrame:
    """The table as a DataFrame with analyst-friendly dtypes (nullable integers and floats, dates,
    categories, strings):
    from the Parquet file the build wrote beside the store while it answers for it, else from the
    stored ``table-*`` query (the same rows: tests/test_tables.py holds them equal).

    >>> import kg
    >>> g = kg.build("seeds/004_73afdd1df5b9533d.txt", out="build/doctest-tables")
    >>> t = table(g.store, "counts")
    >>> t[["year", "value", "unit", "quote"]].dtypes.astype(str).tolist()
    ['Int64', 'Float64', 'category', 'string']
    >>> t.loc[t.measure_zh == "主任会议", ["year", "value", "unit"]].values.tolist()
    [[2023, 14.0, '次']]
    >>> g.close()
    """
    if name == "panel":
        return panel(table(store, "counts"))
    if name == "adoption":
        from kg.adoption import adoption

        return adoption(table(store, "practices"), table(store, "reports"), table(store, "bodies"))
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(NAMES)}")
    built = _built(store, name)
    if built is not None:
        return built
    rows = store.query(queries.get(f"table-{name}").bind())
    return typed(pd.DataFrame(rows.data, columns=rows.vars))


PANEL_KEY = ["body", "body_zh", "level", "province", "prefecture", "year", "measure", "unit"]


def panel(counts: pd.DataFrame) -> pd.DataFrame:
    """Body × year × measure: what was reported and what was planned side by side, one row per
    cell, each value with its sentence and report (for pandas, R and Stata). Only counts with a
    known measure and one year. A cell that counts with different values fill (29 township and 114
    village stations; two reports that disagree) has no value, only how many values there were and
    the first sentence: no number is picked for the reader (kg.check lists the disagreements)."""
    c = counts[counts.measure.notna() & counts.year.notna()].sort_values(["report", "start", "id"])
    sides = []
    for modality in ("reported", "planned"):
        side = c[c.modality == modality]
        first = side.drop_duplicates(PANEL_KEY)[[*PANEL_KEY, "value", "bound", "quote", "report"]]
        values = side.groupby(PANEL_KEY, dropna=False, observed=True).value.nunique().rename("values").reset_index()
        first = first.merge(values, on=PANEL_KEY, how="left")
        first.loc[first["values"] > 1, ["value", "bound"]] = pd.NA
        sides.append(first.rename(columns={k: f"{modality}_{k}" for k in ("value", "bound", "quote", "report", "values")}))
    out = sides[0].merge(sides[1], on=PANEL_KEY, how="outer")
    for col in ("reported_values", "planned_values"):
        out[col] = out[col].fillna(0).astype("Int64")
    return out.sort_values(["body_zh", "year", "measure", "unit"], kind="stable").reset_index(drop=True)


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Analysts' dtypes: nullable integers and floats, dates, categories (their values in code-point
    order, however the rows came) and strings."""
    for col in df.columns:
        if col in _INTS:
            df[col] = pd.to_numeric(df[col]).astype("Int64")
        elif col in ("value", "low", "high"):
            df[col] = pd.to_numeric(df[col]).astype("Float64")
        elif col in DATES:
            df[col] = pd.to_datetime(df[col].astype("string"), format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
        elif col in CATEGORIES:  # categories of pandas' own str dtype: what a Parquet file of them reads back as
            text = df[col].astype("string")
            df[col] = text.astype("str").where(text.notna()).astype("category")
        else:
            df[col] = df[col].astype("string")
    return df


def folder_of(store_path: Path) -> Path:
    return store_path.parent / FOLDER


def _built(store: Store, name: str) -> pd.DataFrame | None:
    """The build's Parquet table, if the store is the one it was written for (a write by any
    program since then changes the store's files, and the query answers instead)."""
    path = getattr(store, "path", None)
    if not isinstance(store, OxigraphStore) or path is None or not fresh(path):
        return None
    try:
        return read(folder_of(path), name)
    except (OSError, ValueError):
        return None


def fresh(store_path: Path) -> bool:
    """Whether the build's files answer for the store as it is: no program has written to it since
    the build stamped them, and the table queries are the ones they were written by."""
    try:
        stamp = json.loads((folder_of(store_path) / STAMP).read_text(encoding="utf-8"))
        return stamp.get("store") == fingerprint(store_path) and stamp.get("queries") == _queries_digest()
    except (OSError, ValueError):  # no stamp (or a damaged one): they answer for nothing
        return False


def _queries_digest() -> str:
    """The files' layout, the table queries' texts and the ontology's labels: a change to any makes
    the build answer every report again."""
    h = hashlib.sha256(LAYOUT.encode() + lexicon.digest().encode())  # the Turtle files' bytes: the same in every process
    for name in TABLES:
        h.update(queries.get(f"table-{name}").text.encode("utf-8"))
    return h.hexdigest()


@cache
def _ontology_nt() -> bytes:
    return lexicon.ontology_graph().serialize(format="nt", encoding="utf-8")


@cache
def _shape(name: str) -> tuple[list[str], list[str]]:
    """A table query's columns and the columns it is ordered by."""
    import pyoxigraph

    sparql = queries.get(f"table-{name}").bind()
    order = _ORDER_BY.search(queries.strip_comments(sparql).strip())
    return [v.value for v in pyoxigraph.Store().query(sparql).variables], order.group(1).replace("?", " ").split() if order else []


_scratch: OxigraphStore | None = None  # in memory, per process: the ontology stays, reports come and go
_scratch_uses = 0


def answer(nt: str | rows.Graph) -> dict[str, list[list]]:
    """One report's rows of every table (a list per row), from its N-Triples (or their
    ``kg.rows.Graph``) with the entities it names: the build's workers answer them (kg.rows), so
    that no whole-corpus query is needed."""
    from kg import rows

    return rows.answer(nt, _ontology_rows_graph(), {t: _shape(t)[0] for t in TABLES})


@cache
def _ontology_rows_graph() -> rows.Graph:
    from kg import rows

    return rows.Graph(_ontology_nt().decode("utf-8"))


def answer_sparql(nt: str) -> dict[str, list[list]]:
    """``answer`` as the stored table queries give it, asked of a scratch store that holds the
    ontology and the report: the definition the tests hold ``answer`` to."""
    global _scratch, _scratch_uses
    if _scratch is None or _scratch_uses >= SCRATCH_REPORTS:
        from kg.rdf import ONTOLOGY_GRAPH

        _scratch, _scratch_uses = OxigraphStore(), 0
        _scratch.add_to_graph(ONTOLOGY_GRAPH, _ontology_nt())
    _scratch_uses += 1
    _scratch.replace_graph(_REPORT, nt)
    try:
        answered: dict[str, list[list]] = {}
        for t in TABLES:
            rows = _scratch.query(queries.get(f"table-{t}").bind())
            if rows.data:
                answered[t] = [list(r) for r in rows.data]
        return answered
    finally:
        _scratch.remove_graph(_REPORT)


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


def settled_fingerprint(store_path: str | Path, wait: float = 5.0) -> str:
    """The fingerprint once the store's folder has stopped changing: RocksDB may still delete
    obsolete files for a moment after the store is closed, and a stamp taken meanwhile would never
    match again (the tables would then never answer)."""
    deadline = time.monotonic() + wait
    last, same = fingerprint(store_path), 0
    while time.monotonic() < deadline and same < 4:  # unchanged for 0.2 s
        time.sleep(0.05)
        now = fingerprint(store_path)
        same = same + 1 if now == last else 0
        last = now
    return last


class Writer:
    """The build's side of the tables: each report's rows (answered by its worker) replace that
    report's rows in ``build/tables/<name>.parquet``. New rows go to part files every
    PART_ROWS rows, and DuckDB merges them with the rows kept from before (``finish``): at
    30,000 reports the rows held in memory until the end had passed 10 GB.

    A row two reports share (a body, a law) is kept once for each, with ``_dup`` set on all but
    one: when one report goes, the row stays for the other."""

    def __init__(self, store_path: Path) -> None:
        self.folder = folder_of(store_path)
        self.rows = self.folder / ROWS
        self.parts = self.folder / PARTS
        shutil.rmtree(self.parts, ignore_errors=True)  # left by a build that was killed
        self.vars = {t: _shape(t)[0] for t in TABLES}
        self.keep = self._valid(store_path) and all((self.rows / f"{t}.parquet").exists() for t in TABLES)
        self.new: dict[str, list[list]] = {t: [] for t in TABLES}
        self.pending = self.written = 0
        self.dropped: set[str] = set()

    def _valid(self, store_path: Path) -> bool:
        """Whether the files' rows can be kept for the reports that are not built again: they were
        written by these queries. (Not whether they answer for the store as it is: a report graph's
        IRI is its text's checksum, so a graph still there still has these rows.)"""
        try:
            stamp = json.loads((self.folder / STAMP).read_text(encoding="utf-8"))
            return stamp.get("queries") == _queries_digest()
        except (OSError, ValueError):  # no stamp: the files answer for nothing
            return False

    def graphs(self) -> set[str]:
        """The reports the files hold (every report has its row in the reports table)."""
        if not self.keep:
            return set()
        try:
            return set(pd.read_parquet(self.rows / "reports.parquet", columns=[GRAPH])[GRAPH])
        except (OSError, ValueError, KeyError):
            self.keep = False
            return set()

    def replace(self, graph: str, answers: dict[str, list[list]]) -> None:
        self.dropped.add(graph)
        for t in TABLES:
            rows = answers.get(t) or []
            self.new[t].extend([*row, graph] for row in rows)
            self.pending += len(rows)
        if self.pending >= PART_ROWS:
            self._spill()

    def remove(self, graph: str) -> None:
        self.dropped.add(graph)

    def _spill(self) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        for t in TABLES:
            typed(pd.DataFrame(self.new[t], columns=[*self.vars[t], GRAPH])).to_parquet(
                self.parts / f"{t}-{self.written:06d}.parquet", index=False)
        self.new = {t: [] for t in TABLES}
        self.pending, self.written = 0, self.written + 1

    def finish(self) -> None:
        """Write each table: the rows kept from before, less the reports built again or gone, and the
        new ones, in the order of its query (the build's copy), then the table users read from it.
        Until the build stamps them, the files answer for nothing."""
        import duckdb

        if self.keep and not self.dropped:  # no report built again or gone: the files stand as they are
            return
        self._spill()
        (self.folder / STAMP).unlink(missing_ok=True)
        self.rows.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(config={"memory_limit": "1GB", "temp_directory": str(self.parts / "duckdb")})
        try:
            con.register("dropped", pd.DataFrame({"g": sorted(self.dropped)}, dtype=object))
            for t in TABLES:
                parts = ", ".join(sql_text(p) for p in sorted(self.parts.glob(f"{t}-*.parquet")))
                rows = f"SELECT * FROM read_parquet([{parts}])"
                if self.keep:
                    rows += (f" UNION ALL BY NAME SELECT * EXCLUDE ({DUP}) FROM read_parquet({sql_text(self.rows / f'{t}.parquet')})"
                             f" WHERE {GRAPH} NOT IN (SELECT g FROM dropped)")
                by = _shape(t)[1]
                order = ", ".join(f'"{c}" NULLS FIRST' for c in [*by, *(c for c in self.vars[t] if c not in by), GRAPH])
                same = ", ".join(f'"{c}"' for c in self.vars[t])
                tmp = self.rows / f"{t}.parquet.tmp"
                con.execute(f"COPY (SELECT *, row_number() OVER (PARTITION BY {same} ORDER BY {GRAPH}) > 1 AS {DUP}"
                            f" FROM ({rows}) ORDER BY {order}) TO {sql_text(tmp)} (FORMAT parquet)")
                os.replace(tmp, self.rows / f"{t}.parquet")
                _publish(con, self.rows / f"{t}.parquet", self.folder / f"{t}.parquet", self.vars[t])
        finally:
            con.close()
        shutil.rmtree(self.parts, ignore_errors=True)

    def stamp(self, store_path: Path) -> None:
        """Stamp the files with the store they answer for (after the store is closed)."""
        stamp = {"store": settled_fingerprint(store_path), "queries": _queries_digest()}
        tmp = self.folder / f"{STAMP}.tmp"
        tmp.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(tmp, self.folder / STAMP)


def read(folder: Path, name: str, columns: list[str] | None = None, bodies: Iterable[str] | None = None) -> pd.DataFrame:
    """A table as the build wrote it, each row once, with analyst dtypes; only some columns, or
    only the rows of some bodies (local names), when asked."""
    filters: list[tuple[str, str, Any]] | None = [("body", "in", sorted(bodies))] if bodies is not None else None
    return typed(pd.read_parquet(folder / f"{name}.parquet", columns=columns, filters=filters, dtype_backend="numpy_nullable"))


def _publish(con: Any, rows: Path, out: Path, columns: list[str]) -> None:
    """The table users read, from the build's copy: each row once, no internal column, dates as
    dates and categories as dictionaries (pandas reads them as categories, R as factors). Written a
    batch at a time: memory stays bounded at any size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    select = ", ".join(f'TRY_CAST("{c}" AS DATE) AS "{c}"' if c in DATES else f'"{c}"' for c in columns)
    reader = con.sql(f"SELECT {select} FROM read_parquet({sql_text(rows)}) WHERE NOT {DUP}").to_arrow_reader(100_000)
    schema = pa.schema([pa.field(f.name, pa.dictionary(pa.int32(), pa.string())) if f.name in CATEGORIES else f
                        for f in reader.schema])
    tmp = out.with_name(out.name + ".tmp")
    with pq.ParquetWriter(tmp, schema) as writer:
        for batch in reader:
            writer.write_table(pa.Table.from_batches([batch]).cast(schema))
    os.replace(tmp, out)


def sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


SQL_MEMORY = "2GB"  # DuckDB's memory limit for an analyst's query: past it, one error, not an abort
SQL_TIMEOUT = 300.0  # seconds


def sql(build: str | Path, query: str, memory_limit: str = SQL_MEMORY, timeout: float = SQL_TIMEOUT) -> pd.DataFrame:
    """An analyst's SQL over the build's tables (counts, practices, bodies, laws, reports) with DuckDB:
    whole-corpus aggregations without a SPARQL engine.

    The query is not a trusted program: it runs in a DuckDB that holds the tables in memory and can
    reach nothing else: no file (read, COPY, ATTACH), no network, no extension installed or loaded,
    its configuration locked so no statement can undo that, under a memory limit and a time limit.
    The tables answer for the store as it is now: the build's Parquet files while their stamp matches
    the store, else the store's own table queries (a write since the build, ``kg query --allow-update``).

    >>> import kg
    >>> g = kg.build("seeds/004_73afdd1df5b9533d.txt", out="build/doctest-sql")
    >>> by_sql = sql("build/doctest-sql", "SELECT unit, COUNT(*) AS n FROM counts GROUP BY unit ORDER BY unit")
    >>> by_pandas = g.table("counts").groupby("unit", observed=True).size()
    >>> dict(zip(by_sql.unit, by_sql.n)) == by_pandas.to_dict() and len(by_pandas) > 3
    True
    >>> g.close()
    """
    import duckdb

    if not timeout > 0 or timeout == float("inf"):
        raise ValueError(f"the time limit must be a positive number of seconds, not {timeout}")
    frames = _current_tables(Path(build))
    try:
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                                     "allow_community_extensions": False, "allow_unsigned_extensions": False,
                                     "enable_external_access": False, "memory_limit": memory_limit, "threads": 2})
    except duckdb.Error as e:
        raise ValueError(f"SQL: {e}") from e
    try:
        for name, df in frames.items():
            con.register(f"_{name}", df)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")
            con.unregister(f"_{name}")
        con.execute("SET enable_progress_bar = false")
        con.execute("SET lock_configuration = true")
        timer = threading.Timer(timeout, con.interrupt)
        timer.start()
        try:
            return con.execute(query).df()
        finally:
            timer.cancel()
    except duckdb.InterruptException as e:
        raise ValueError(f"SQL: the query ran past its time limit ({timeout:g} s)") from e
    except duckdb.OutOfMemoryException as e:
        raise ValueError(f"SQL: the query needs more than its memory limit ({memory_limit}): {str(e).splitlines()[0]}") from e
    except duckdb.PermissionException as e:
        raise ValueError(f"SQL: refused: {str(e).splitlines()[0]} (kg sql sees the build's tables and nothing else)") from e
    except duckdb.Error as e:
        raise ValueError(f"SQL: {e}") from e
    finally:
        con.close()


def _current_tables(build: Path) -> dict[str, pd.DataFrame]:
    """Every table as it answers for the store now (see ``sql``)."""
    folder, store_path = build / FOLDER, build / "store"
    missing = [t for t in TABLES if not (folder / f"{t}.parquet").exists()]
    if missing and not store_path.is_dir():
        raise ValueError(f"no tables in {folder} (run `kg build` first): {', '.join(missing)} missing")
    if (not missing and fresh(store_path)) or not store_path.is_dir():
        return {t: read(folder, t) for t in TABLES}
    store = OxigraphStore(store_path, read_only=True)
    try:
        return {t: table(store, t) for t in TABLES}
    finally:
        store.close()


def write(df: pd.DataFrame, fmt: str, out: str | Path | None, bom: bool = False) -> str | None:
    """CSV is UTF-8, with a byte-order mark when ``bom`` (Excel then opens it by double-click with the
    Chinese intact); Parquet keeps dtypes. Without ``out`` the table is returned as text (not for parquet)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}: {', '.join(FORMATS)}")
    if fmt == "parquet":
        if not out:
            raise ValueError("parquet needs an output file (-o)")
        df.to_parquet(out, index=False)
        return None
    text = {"csv": lambda: df.to_csv(index=False, lineterminator="\n"),
            "json": lambda: df.to_json(orient="records", force_ascii=False, indent=1),
            "table": lambda: df.to_string(index=False, max_colwidth=40)}[fmt]()
    if bom and fmt == "csv":
        text = "\ufeff" + text
    if out:
        Path(out).write_text(text, encoding="utf-8")
        return None
    return text
