"""Stores: embedded Oxigraph (default, on disk under build/), rdflib in memory, or a remote
SPARQL 1.1 endpoint (Protocol for queries, Graph Store HTTP Protocol for writes).

All three answer ``query()`` with the same plain rows, so stored queries run unchanged on each.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from rdflib import Dataset, Graph, URIRef

from kg.queries import refuse_service, strip_comments, uses_service

XSD = "http://www.w3.org/2001/XMLSchema#"


class StoreError(Exception):
    """A store or server failed; the message says which and why."""


class QuerySyntaxError(StoreError):
    """Malformed SPARQL; the message carries the line and column where the parser stopped."""


class QueryTimeout(StoreError):
    """A query ran longer than its timeout."""


class Rows:
    """A query's answer: its variables and one sequence of values per row, in order. Positional, because
    a large answer is read fastest that way (a dict per row cost more than reading the rows, and pandas
    takes the sequences directly); ``rows`` and iteration give dicts by variable name."""

    def __init__(self, vars: list[str], data: Sequence[Sequence[Any]] = ()) -> None:
        self.vars = list(vars)
        self.data = data

    @cached_property
    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(self.vars, r)) for r in self.data]

    def __len__(self) -> int:
        return len(self.data)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rows) and self.vars == other.vars and list(map(tuple, self.data)) == list(map(tuple, other.data))

    def __repr__(self) -> str:
        return f"Rows({self.vars!r}, {len(self.data)} rows)"


def python_value(value: str, datatype: str | None) -> Any:
    """An RDF literal's lexical form as the Python value analysts expect."""
    dt = (datatype or "").removeprefix(XSD)
    try:
        if dt in ("integer", "int", "long", "nonNegativeInteger", "gYear"):
            return int(value)
        if dt == "decimal":
            d = Decimal(value)
            return int(d) if d == d.to_integral_value() else float(d)
        if dt in ("double", "float"):
            return float(value)
        if dt == "boolean":
            return value == "true"
    except ValueError:
        pass
    return value


def json_rows(raw: bytes) -> Rows:
    """SPARQL 1.1 Query Results JSON as rows, values as ``python_value`` makes them (any engine's
    answer reads the same way). ValueError when it is not such a document."""
    try:
        data = json.loads(raw)
        if "boolean" in data:
            return Rows(["result"], [(bool(data["boolean"]),)])
        names, bindings = data["head"]["vars"], data["results"]["bindings"]
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError("not SPARQL JSON results") from e

    def value(t: dict | None) -> Any:
        if t is None:
            return None
        return python_value(t["value"], t.get("datatype")) if t["type"] in ("literal", "typed-literal") else t["value"]

    return Rows(names, [tuple(value(b.get(n)) for n in names) for b in bindings])


class Store(Protocol):
    def replace_graph(self, iri: str, graph: Graph) -> None: ...
    def query(self, sparql: str, timeout: float | None = None) -> Rows: ...
    def graphs(self) -> list[str]: ...
    def triple_count(self, graph_iri: str | None = None) -> int: ...


def with_timeout(fn, timeout: float | None, what: str = "query"):
    """Run ``fn`` and give up after ``timeout`` seconds with a clear error. Embedded engines have no
    cancel: the abandoned evaluation finishes in a daemon thread, which dies with the process."""
    if not timeout:
        return fn()
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:
            traceback.clear_frames(e.__traceback__)  # pyoxigraph's results must be dropped in the thread that made them
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise QueryTimeout(f"{what} stopped after the {timeout:g} s timeout")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]


def _check_syntax(sparql: str) -> None:
    """Parse the query with Oxigraph's parser (read-only: an UPDATE is not a query). Parsing means
    running it on an empty store, which would make a SERVICE call: such a query (allowed by the
    user) is left to the server to check."""
    import pyoxigraph

    if uses_service(sparql):
        return
    try:
        pyoxigraph.Store().query(sparql)
    except SyntaxError as e:
        raise QuerySyntaxError(f"malformed SPARQL: {e}") from e


def _nt(graph: Graph | str | bytes) -> bytes:
    """N-Triples of a graph; text that already is N-Triples passes through unparsed."""
    if isinstance(graph, str):
        return graph.encode("utf-8")
    if isinstance(graph, bytes):
        return graph
    return graph.serialize(format="nt", encoding="utf-8")


def nt_lines(nt: str) -> list[str]:
    """The triples of an N-Triples text. Lines end at "\n" only: str.splitlines() also breaks at a
    form feed, U+2028 and others that a literal may hold (pdftotext puts form feeds between pages)."""
    return [line for line in nt.split("\n") if line.strip()]


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
        self._append(iri, nt_lines(nt))

    def add_to_graph(self, iri: str, nt: str) -> None:
        """Add triples to a graph; a line seen before in this loader is not sent again."""
        new = [line for line in nt_lines(nt) if (iri, line) not in self._added]
        self._added.update((iri, line) for line in new)
        self._append(iri, new)

    def remove_graph(self, iri: str) -> None:
        self.flush()
        self.store.remove_graph(iri)

    def _append(self, iri: str, lines: list[str]) -> None:
        suffix = f" <{iri}> .\n"
        self._parts.append("".join(line.rstrip()[:-1].rstrip() + suffix for line in lines if line.strip()))
        self._quads += len(lines)
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


class OxigraphStore:
    """Embedded Oxigraph: on disk when given a folder, in memory otherwise."""

    allow_service = False  # SERVICE calls to other servers only when the user opts in (kg.queries.refuse_service)

    def __init__(self, path: str | Path | None = None, read_only: bool = False) -> None:
        import pyoxigraph

        self.path = Path(path) if path else None
        self.read_only = read_only
        if self.path is None:
            self.store = pyoxigraph.Store()
        elif read_only:
            self.store = pyoxigraph.Store.read_only(str(self.path))
        else:
            self.path.mkdir(parents=True, exist_ok=True)
            self.store = pyoxigraph.Store(str(self.path))

    def replace_graph(self, iri: str, graph: Graph | str | bytes) -> None:
        import pyoxigraph

        g = pyoxigraph.NamedNode(iri)
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

        self.store.bulk_load(_nt(graph), format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=pyoxigraph.NamedNode(iri))

    def remove_graph(self, iri: str) -> None:
        import pyoxigraph

        g = pyoxigraph.NamedNode(iri)
        if self.store.contains_named_graph(g):
                self.store.remove_graph(g)

    def add_default(self, graph: Graph) -> None:
        import pyoxigraph

        self.store.bulk_load(_nt(graph), format=pyoxigraph.RdfFormat.N_TRIPLES, to_graph=pyoxigraph.DefaultGraph())

    def query(self, sparql: str, timeout: float | None = None) -> Rows:
        refuse_service(sparql, self.allow_service)

        return with_timeout(lambda: self._query(sparql), timeout)

    def update(self, sparql: str) -> None:
        """SPARQL UPDATE; only on a store opened for writing (``kg query --allow-update``)."""
        try:
            self.store.update(sparql)
        except SyntaxError as e:
            raise QuerySyntaxError(f"malformed SPARQL update: {e}") from e
        except OSError as e:
            raise StoreError(f"cannot update: {e}") from e

    def _query(self, sparql: str) -> Rows:
        import pyoxigraph

        try:
            res = self.store.query(sparql, use_default_graph_as_union=True)
        except SyntaxError as e:
            if re.search(r"\b(INSERT|DELETE|DROP|CLEAR|LOAD|CREATE|ADD|MOVE|COPY)\b", sparql, re.IGNORECASE):
                raise QuerySyntaxError(f"not a read-only query (updates need --allow-update): {e}") from e
            raise QuerySyntaxError(f"malformed SPARQL: {e}") from e
        if isinstance(res, bool) or isinstance(res, pyoxigraph.QueryBoolean):
            return Rows(["result"], [(bool(res),)])
        if not isinstance(res, pyoxigraph.QuerySolutions):
            raise StoreError("only SELECT and ASK queries return rows")
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

    def triple_count(self, graph_iri: str | None = None) -> int:
        where = f"GRAPH <{graph_iri}> {{ ?s ?p ?o }}" if graph_iri else "GRAPH ?g { ?s ?p ?o }"
        return int(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}").rows[0]["n"])

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


class MemoryStore:
    """rdflib in memory: for notebooks and small graphs."""

    allow_service = False  # SERVICE calls to other servers only when the user opts in (kg.queries.refuse_service)

    def __init__(self) -> None:
        self.ds = Dataset(default_union=True)

    def replace_graph(self, iri: str, graph: Graph) -> None:
        ctx = self.ds.graph(URIRef(iri))
        ctx.remove((None, None, None))
        for t in graph:
            ctx.add(t)

    def query(self, sparql: str, timeout: float | None = None) -> Rows:
        refuse_service(sparql, self.allow_service)
        return with_timeout(lambda: self._query(sparql), timeout)

    def update(self, sparql: str) -> None:
        self.ds.update(sparql)

    def _query(self, sparql: str) -> Rows:
        from rdflib import Literal

        _check_syntax(sparql)
        res = self.ds.query(sparql)
        if res.type == "ASK":
            return Rows(["result"], [(bool(res.askAnswer),)])
        names = [str(v) for v in res.vars]

        def value(t: Any) -> Any:
            if t is None:
                return None
            if isinstance(t, Literal):
                return python_value(str(t), str(t.datatype) if t.datatype else None)
            return str(t)

        return Rows(names, [tuple(map(value, b)) for b in res])

    def graphs(self) -> list[str]:
        return sorted(str(g.identifier) for g in self.ds.graphs() if len(g) and str(g.identifier).startswith("http"))

    def triple_count(self, graph_iri: str | None = None) -> int:
        if graph_iri:
            return len(self.ds.graph(URIRef(graph_iri)))
        return sum(len(g) for g in self.ds.graphs())


class RemoteStore:
    """Any SPARQL 1.1 server. ``endpoint`` is the query URL; the Graph Store URL defaults to
    Oxigraph's layout (…/query → …/store). Credentials come from the environment only:
    NPC_KG_TOKEN (bearer) or NPC_KG_USER and NPC_KG_PASSWORD (basic), sent to the endpoint's own
    origin only (a redirect elsewhere goes without them)."""

    allow_service = False

    def __init__(self, endpoint: str, graph_store: str | None = None, update: str | None = None,
                 timeout: float = 60.0, retries: int = 4, backoff: float = 0.5, max_rows: int | None = None) -> None:
        for url in (endpoint, graph_store, update):
            if url is not None and not _is_http(url):
                raise StoreError(f"{url!r} is not an http(s) URL: endpoints are SPARQL servers, not files or data")
        self.endpoint = endpoint
        base = endpoint.rsplit("/", 1)[0] if endpoint.endswith(("/query", "/sparql")) else endpoint
        self.graph_store = graph_store or base + "/store"
        self.update_url = update or base + "/update"
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.max_rows = max_rows  # a row cap the server is known to apply without saying so

    def _headers(self) -> dict[str, str]:
        h = {"User-Agent": "npc-kg"}
        if tok := os.environ.get("NPC_KG_TOKEN"):
            h["Authorization"] = f"Bearer {tok}"
        elif (user := os.environ.get("NPC_KG_USER")) is not None:
            cred = f"{user}:{os.environ.get('NPC_KG_PASSWORD', '')}".encode()
            h["Authorization"] = "Basic " + base64.b64encode(cred).decode()
        return h

    def _request(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
                 timeout: float | None = None) -> tuple[bytes, Any]:
        """One HTTP call with bounded retries and exponential backoff on connection errors and 5xx:
        the body and the response headers."""
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(url, data=data, method=method, headers={**self._headers(), **headers})
            try:
                with _OPENER.open(req, timeout=timeout or self.timeout) as resp:
                    return resp.read(), resp.headers
            except urllib.error.HTTPError as e:
                body = e.read().decode("utf-8", "replace")[:500]
                if e.code < 500:
                    if e.code == 400 and "query" in url:
                        raise QuerySyntaxError(f"{url} refused the query: {body}") from e
                    raise StoreError(f"{method} {url}: HTTP {e.code}: {body}") from e
                last = StoreError(f"{method} {url}: HTTP {e.code}: {body}")
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
                last = StoreError(f"{method} {url}: {getattr(e, 'reason', e)}")
            if attempt < self.retries:
                time.sleep(self.backoff * 2**attempt)
        raise StoreError(f"{last} (gave up after {self.retries + 1} attempts)")

    def query(self, sparql: str, timeout: float | None = None) -> Rows:
        """The whole answer. A server that cuts answers at a row limit (Virtuoso says so in an
        X-SPARQL-MaxRows header; ``max_rows`` names a cap a server keeps quiet about) is asked again
        page by page with LIMIT and OFFSET when the query has an ORDER BY and no LIMIT of its own;
        otherwise the cut is an error, never partial rows given as whole."""
        refuse_service(sparql, self.allow_service)
        _check_syntax(sparql)
        rows, cap = self._select(sparql, timeout)
        if cap is None or len(rows) < cap:
            return rows
        tail = strip_comments(sparql)
        if not re.search(r"\bORDER\s+BY\b", tail, re.IGNORECASE) or re.search(r"\b(LIMIT|OFFSET)\b", tail, re.IGNORECASE):
            raise StoreError(f"{self.endpoint} cut the answer at {cap} rows (its row limit): the rows are not all there. "
                             "Give the query an ORDER BY (it is then fetched page by page) or raise the server's limit")
        data = list(rows.data)
        while True:
            page, _ = self._select(f"{sparql}\nLIMIT {cap} OFFSET {len(data)}", timeout)
            data.extend(page.data)
            if len(page) < cap:
                return Rows(rows.vars, data)

    def _select(self, sparql: str, timeout: float | None) -> tuple[Rows, int | None]:
        """One request's rows and the row cap it was answered under, if any."""
        body = urllib.parse.urlencode({"query": sparql}).encode()
        raw, headers = self._request("POST", self.endpoint, body, {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}, timeout)
        try:
            rows = json_rows(raw)
        except ValueError as e:
            what = "a web page" if raw.lstrip()[:1] == b"<" else f"{len(raw)} bytes of something else"
            raise StoreError(f"{self.endpoint} answered {what}, not SPARQL JSON results: is it a SPARQL query endpoint?") from e
        said = headers.get("X-SPARQL-MaxRows", "").strip()
        cap = int(said) if said.isdigit() and int(said) > 0 else self.max_rows
        return rows, cap

    def update(self, sparql: str) -> None:
        body = urllib.parse.urlencode({"update": sparql}).encode()
        self._request("POST", self.update_url, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def put_graph(self, iri: str, graph: Graph) -> None:
        """Graph Store PUT: the server swaps the whole graph, so a re-push replaces, never doubles."""
        url = f"{self.graph_store}?{urllib.parse.urlencode({'graph': iri})}"
        self._request("PUT", url, _nt(graph), {"Content-Type": "application/n-triples"})

    replace_graph = put_graph

    def graphs(self) -> list[str]:
        return sorted(r["g"] for r in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows)

    def triple_count(self, graph_iri: str | None = None) -> int:
        where = f"GRAPH <{graph_iri}> {{ ?s ?p ?o }}" if graph_iri else "GRAPH ?g { ?s ?p ?o }"
        return int(self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}").rows[0]["n"])


def _is_http(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect to http(s) only, and without the credentials when it leaves the origin
    they were given for (urllib would forward the Authorization header anywhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not _is_http(newurl):
            raise StoreError(f"{req.full_url} redirected to {newurl!r}: only http(s) is followed")
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        origin = lambda u: urllib.parse.urlsplit(u)[:2]  # noqa: E731
        if new is not None and origin(newurl) != origin(req.full_url):
            for h in ("Authorization", "Cookie"):
                new.headers.pop(h, None)
                new.unredirected_hdrs.pop(h, None)
        return new


_OPENER = urllib.request.build_opener(_SameOriginRedirects)


@dataclass
class PushResult:
    pushed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    not_tried: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_tried

    def summary(self) -> str:
        lines = [f"pushed {len(self.pushed)} graph(s), failed {len(self.failed)}, not tried {len(self.not_tried)}"]
        lines += [f"FAILED {g}: {why}" for g, why in sorted(self.failed.items())]
        lines += [f"NOT PUSHED {g}" for g in self.not_tried]
        return "\n".join(lines)


def push(src: OxigraphStore, dst: RemoteStore, progress=None) -> PushResult:
    """Upload every named graph with Graph Store PUT (atomic per graph on the server), then check
    that the server holds exactly the triple count that was sent. Stops at the first graph that
    still fails after the retries; a re-run finishes the job."""

    result = PushResult()
    graphs = src.graphs()
    for i, iri in enumerate(graphs):
        g = Graph()
        g.parse(data=src.dump_graph(iri), format="nt")
        try:
            dst.put_graph(iri, g)
            held = dst.triple_count(iri)
            if held != len(g):
                raise StoreError(f"the server holds {held} triples, {len(g)} were sent")
        except StoreError as e:
            result.failed[iri] = str(e)
            result.not_tried = graphs[i + 1:]
            break
        result.pushed.append(iri)
        if progress:
            progress(iri, i + 1, len(graphs))
    return result
