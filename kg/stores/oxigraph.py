"""Embedded Oxigraph: on disk under build/ (the default store), or in memory."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg.queries import refuse_service
from kg.stores.base import QuerySyntaxError, QueryTimeout, Rows, StoreError, _nt, nt_lines, python_value, result_format, with_timeout

_LINE_END = re.compile(r"[ \t]*\.[ \t\r]*$", re.MULTILINE)


class BatchLoader:
    """Loads many named graphs into an embedded store in a few bulk loads. A bulk load per report
    graph cost three times as much and leaves RocksDB one small file per call.

    Use it as a context manager; what is buffered is loaded when the block ends."""

    def __init__(self, store: OxigraphStore, batch_quads: int = 200_000) -> None:
        self.store, self.batch_quads = store, batch_quads
        self._parts: list[str] = []
        self._quads = 0
        self.loaded = 0  # quads sent to the store so far
        self._pending: set[str] = set()
        self._added: set[tuple[str, str]] = set()

    def replace_graph(self, iri: str, nt: str) -> None:
        if iri in self._pending:  # two files with the same text: the later one wins, as it would unbatched
            self.flush()
        self.store.remove_graph(iri)
        self._pending.add(iri)
        self._append(iri, nt)

    def add_to_graph(self, iri: str, nt: str) -> None:
        """Add triples to a graph; a line seen before in this loader is not sent again."""
        new = [line for line in nt_lines(nt) if (iri, line) not in self._added]
        self._added.update((iri, line) for line in new)
        self._append(iri, "".join(line + "\n" for line in new))

    def remove_graph(self, iri: str) -> None:
        self.flush()
        self.store.remove_graph(iri)

    def _append(self, iri: str, nt: str) -> None:
        """The triples as quads of the graph: its name before each line's final dot (N-Triples keeps
        a line break inside a literal escaped, so every line end is a triple's end)."""
        self.store.written.add(iri)
        n = nt.count("\n")
        if n and nt.endswith(" .\n") and nt.count(" .\n") == n:  # every line ends as kg writes it: a plain replace, 5x faster
            quads = nt.replace(" .\n", f" <{iri}> .\n")
        else:
            quads, n = _LINE_END.subn(f" <{iri}> .", nt)
        self._parts.append(quads + "\n")
        self._quads += n
        if self._quads >= self.batch_quads:
            self.flush()

    def flush(self) -> None:
        import pyoxigraph

        if self._parts:
            self.store.store.bulk_load("".join(self._parts).encode("utf-8"), format=pyoxigraph.RdfFormat.N_QUADS)
        self.loaded += self._quads
        self._parts, self._quads = [], 0
        self._pending.clear()

    def __enter__(self) -> BatchLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()
        self._added.clear()  # every entity line of the build: tens of MB at 30,000 reports


class OxigraphStore:
    """Embedded Oxigraph: on disk when given a folder, in memory otherwise."""

    allow_service = False  # SERVICE calls to other servers only when the user opts in (kg.queries.refuse_service)
    memory_limit: int | None = None  # bytes a query may take, in a child process (kg.limits); None: in this process

    def __init__(self, path: str | Path | None = None, read_only: bool = False) -> None:
        import pyoxigraph

        self.path = Path(path) if path else None
        self.read_only = read_only
        self.written: set[str] = set()  # the named graphs this object's methods wrote to (kg.dataset recounts them)
        if self.path is None:
            self.store = pyoxigraph.Store()
            return
        try:
            if read_only:
                self.store = pyoxigraph.Store.read_only(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                self.store = pyoxigraph.Store(str(self.path))
        except (OSError, RuntimeError) as e:  # RocksDB: a missing or truncated file, a lock, a full disk
            why = " ".join(str(e).split())[:300]
            if "orrupt" in why or "No such file" in why:
                raise StoreError(f"the store at {self.path} is damaged ({why}): delete that folder and run `kg build` again "
                                 "(the reports are read again; nothing else is lost)") from None
            raise StoreError(f"cannot open the store at {self.path}: {why}") from None

    def replace_graph(self, iri: str, graph: Graph | str | bytes) -> None:
        import pyoxigraph

        g = pyoxigraph.NamedNode(iri)
        self.written.add(iri)
        self.store.remove_graph(g) if self.store.contains_named_graph(g) else None
        self.store.bulk_load(_nt(graph), format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=g)

    def optimize(self) -> None:
        """Compact the database after loading: bulk loads leave overlapping files that every later
        lookup must search (at 3,000 reports a whole-corpus query ran twice as long before it)."""
        self.store.optimize()

    def batch(self, batch_quads: int = 200_000) -> BatchLoader:
        return BatchLoader(self, batch_quads)

    def add_to_graph(self, iri: str, graph: Graph | str | bytes) -> None:
        """Add triples to a named graph (a triple already there stays once)."""
        import pyoxigraph

        self.written.add(iri)
        self.store.bulk_load(_nt(graph), format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=pyoxigraph.NamedNode(iri))

    def remove_graph(self, iri: str) -> None:
        import pyoxigraph

        g = pyoxigraph.NamedNode(iri)
        if self.store.contains_named_graph(g):
            self.written.add(iri)
            self.store.remove_graph(g)

    def objects_in(self, graph: str) -> set[str]:
        """Every IRI a named graph holds as an object."""
        import pyoxigraph

        return {q.object.value for q in self.store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(graph))
                if isinstance(q.object, pyoxigraph.NamedNode)}

    def subjects_in(self, graph: str) -> set[str]:
        """Every IRI a named graph holds as a subject."""
        import pyoxigraph

        return {q.subject.value for q in self.store.quads_for_pattern(None, None, None, pyoxigraph.NamedNode(graph))
                if isinstance(q.subject, pyoxigraph.NamedNode)}

    def drop_unreferenced(self, graph: str, candidates: set[str], entity: Callable[[str], bool]) -> int:
        """Take out of ``graph`` the candidates whose IRI no other triple names (in any graph, or as the
        object of another subject), and then the entities (``entity``) those named, in turn; each is
        looked up by itself, never the whole graph. Returns how many went."""
        import pyoxigraph

        g, todo, dropped = pyoxigraph.NamedNode(graph), set(candidates), 0
        self.written.add(graph)
        while todo:
            node = pyoxigraph.NamedNode(todo.pop())
            if any(q.graph_name != g or q.subject != node for q in self.store.quads_for_pattern(None, None, node, None)):
                continue
            own = list(self.store.quads_for_pattern(node, None, None, g))
            if not own:
                continue
            for q in own:
                self.store.remove(q)
            todo.update(q.object.value for q in own if isinstance(q.object, pyoxigraph.NamedNode) and entity(q.object.value))
            dropped += 1
        return dropped

    def query(self, sparql: str, timeout: float | None = None) -> Rows:
        refuse_service(sparql, self.allow_service)
        return self._bounded(lambda: self._query(sparql), timeout)

    def _bounded(self, work: Callable[[], Any], timeout: float | None) -> Any:
        """A user's query: in a child process within memory and time when ``memory_limit`` is set
        (kg.limits), else in this process within ``timeout``."""
        if self.memory_limit:
            from kg.limits import LimitExceeded, run_bounded

            try:
                return run_bounded(work, self.memory_limit, timeout)
            except LimitExceeded as e:
                raise QueryTimeout(str(e)) if "time limit" in str(e) else StoreError(str(e)) from None
        return with_timeout(work, timeout)

    def update(self, sparql: str) -> None:
        """SPARQL UPDATE; only on a store opened for writing (``kg query --allow-update``)."""
        try:
            self.store.update(sparql)
        except SyntaxError as e:
            raise QuerySyntaxError(f"malformed SPARQL update: {e}") from e
        except OSError as e:
            raise StoreError(f"cannot update: {e}") from e

    def results(self, sparql: str, fmt: str, timeout: float | None = None) -> bytes:
        """The answer written in a W3C format (kg.stores.base.RESULT_TYPES, GRAPH_TYPES) by Oxigraph's
        own serialisers; bounded like ``query``."""
        refuse_service(sparql, self.allow_service)
        return self._bounded(lambda: self._results(sparql, fmt), timeout)

    def _results(self, sparql: str, fmt: str) -> bytes:
        import pyoxigraph

        res = self._run(sparql)
        if isinstance(res, pyoxigraph.QueryTriples):
            rdf = {"ttl": pyoxigraph.RdfFormat.TURTLE, "nt": pyoxigraph.RdfFormat.N_TRIPLES, "jsonld": pyoxigraph.RdfFormat.JSON_LD,
                   "rdfxml": pyoxigraph.RdfFormat.RDF_XML}
            return res.serialize(format=rdf[result_format(fmt, graph=True)])
        table = {"json": pyoxigraph.QueryResultsFormat.JSON, "xml": pyoxigraph.QueryResultsFormat.XML,
                 "csv": pyoxigraph.QueryResultsFormat.CSV, "tsv": pyoxigraph.QueryResultsFormat.TSV}
        return res.serialize(format=table[result_format(fmt, graph=False)])

    def _run(self, sparql: str) -> Any:
        try:
            return self.store.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as e:
            if re.search(r"\b(INSERT|DELETE|DROP|CLEAR|LOAD|CREATE|ADD|MOVE|COPY)\b", sparql, re.IGNORECASE):
                raise QuerySyntaxError(f"not a read-only query (updates need --allow-update): {e}") from e
            raise QuerySyntaxError(f"malformed SPARQL: {e}") from e

    def _query(self, sparql: str) -> Rows:
        import pyoxigraph

        res = self._run(sparql)
        if isinstance(res, bool) or isinstance(res, pyoxigraph.QueryBoolean):
            return Rows(["result"], [(bool(res),)])
        if not isinstance(res, pyoxigraph.QuerySolutions):
            raise StoreError("only SELECT and ASK queries return rows (a CONSTRUCT or DESCRIBE answers a graph: -f ttl, nt, jsonld or rdfxml)")
        names = [v.value for v in res.variables]
        literal = pyoxigraph.Literal

        def value(t: Any) -> Any:
            if t is None:
                return None
            if isinstance(t, literal):
                return python_value(t.value, t.datatype.value if t.datatype else None)
            return t.value

        return Rows(names, [tuple(value(sol[n]) for n in names) for sol in res])

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs())

    def has_graph(self, iri: str) -> bool:
        """Whether the named graph is there, without listing every graph (tens of thousands at scale)."""
        import pyoxigraph

        return self.store.contains_named_graph(pyoxigraph.NamedNode(iri))

    def triple_count(self, graph_iri: str | None = None) -> int:
        """Triples in one named graph, or in all of them, counted by the store itself: a report's
        graph in a few hundred microseconds (through ``query`` and its checks a count took 3 ms, and
        a build counts every graph it wrote)."""
        import pyoxigraph

        where = f"GRAPH {pyoxigraph.NamedNode(graph_iri)} {{ ?s ?p ?o }}" if graph_iri else "GRAPH ?g { ?s ?p ?o }"
        return int(next(iter(self.store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}")))[0].value)

    def dump(self, fmt: str) -> bytes:
        import pyoxigraph

        formats = {"nq": pyoxigraph.RdfFormat.N_QUADS, "trig": pyoxigraph.RdfFormat.TRIG}
        return self.store.dump(format=formats[fmt])

    def dump_graph(self, iri: str) -> bytes:
        """One named graph as N-Triples (for a push, a notebook, a check)."""
        import pyoxigraph

        return self.store.dump(format=pyoxigraph.RdfFormat.N_TRIPLES, from_graph=pyoxigraph.NamedNode(iri))

    def quads(self) -> list[tuple[str, str]]:
        """Every quad as (its triple, the whole quad) in N-Triples / N-Quads syntax, without the final " ."."""
        return [(str(q.triple), str(q)) for q in self.store]

    def flush(self) -> None:
        self.store.flush()

    def close(self) -> None:
        """Release the on-disk store's lock (Oxigraph holds it for the object's lifetime)."""
        import gc

        if getattr(self, "store", None) is not None:
            if self.path is not None and not self.read_only:
                self.store.flush()
            self.store = None
            gc.collect()

    def __enter__(self) -> OxigraphStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
