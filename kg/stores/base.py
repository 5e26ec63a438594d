"""What every store shares: the rows a query answers, the errors, and the helpers that keep the
answers of different engines the same (values as Python values, SPARQL JSON results read one way)."""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any, Protocol

from rdflib import Graph

from kg.errors import QuerySyntaxError, QueryTimeout, StoreError
from kg.queries import uses_service

XSD = "http://www.w3.org/2001/XMLSchema#"




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


# W3C's formats: SPARQL 1.1 Query Results (JSON, XML, CSV, TSV) for SELECT and ASK; RDF for CONSTRUCT and
# DESCRIBE, where json and xml mean JSON-LD and RDF/XML
RESULT_TYPES = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
                "tsv": "text/tab-separated-values"}
GRAPH_TYPES = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml"}
_GRAPH_ALIASES = {"json": "jsonld", "xml": "rdfxml"}


def result_format(fmt: str, graph: bool) -> str:
    """The format an answer is written in: ``fmt`` itself, or for a graph (CONSTRUCT, DESCRIBE) its RDF
    counterpart; a table format asked of a graph is an error that lists the right ones."""
    if not graph:
        if fmt not in RESULT_TYPES:
            raise StoreError(f"a SELECT or ASK answer is written as {', '.join(RESULT_TYPES)}, not {fmt}")
        return fmt
    fmt = _GRAPH_ALIASES.get(fmt, fmt)
    if fmt not in GRAPH_TYPES:
        raise StoreError(f"a CONSTRUCT or DESCRIBE answer is a graph: write it as {', '.join(GRAPH_TYPES)}, not {fmt}")
    return fmt


_PROLOGUE = re.compile(r"\s*(?:#[^\n]*\n\s*|(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*", re.IGNORECASE)


def is_graph_query(sparql: str) -> bool:
    """A CONSTRUCT or DESCRIBE (its answer is a graph, not rows)."""
    return re.match(r"(?:CONSTRUCT|DESCRIBE)\b", sparql[_PROLOGUE.match(sparql).end():], re.IGNORECASE) is not None


class Store(Protocol):
    def replace_graph(self, iri: str, graph: Graph) -> None: ...
    def query(self, sparql: str, timeout: float | None = None) -> Rows: ...
    def results(self, sparql: str, fmt: str, timeout: float | None = None) -> bytes: ...
    def graphs(self) -> list[str]: ...
    def triple_count(self, graph_iri: str | None = None) -> int: ...


def count_triples(store: Store, graph_iri: str | None = None) -> int:
    """Triples in one named graph, or in all of them (a store's ``triple_count``)."""
    where = f"GRAPH <{graph_iri}> {{ ?s ?p ?o }}" if graph_iri else "GRAPH ?g { ?s ?p ?o }"
    return int(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}").rows[0]["n"])


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
