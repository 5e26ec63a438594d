"""rdflib in memory: for notebooks and small graphs, and as a second engine the stored queries are
checked against."""

from __future__ import annotations

from typing import Any

from rdflib import Dataset, Graph, URIRef

from kg.queries import refuse_service
from kg.stores.base import Rows, _check_syntax, python_value, result_format, with_timeout


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

    def results(self, sparql: str, fmt: str, timeout: float | None = None) -> bytes:
        """The answer written by rdflib's serialisers (TSV through rdflib's CSV writer's rules is not
        one of them: it is written here as the W3C's TSV)."""
        refuse_service(sparql, self.allow_service)
        _check_syntax(sparql)

        def run() -> bytes:
            res = self.ds.query(sparql)
            if res.type in ("CONSTRUCT", "DESCRIBE"):
                rdf = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdfxml": "xml"}[result_format(fmt, graph=True)]
                return res.graph.serialize(format=rdf, encoding="utf-8")
            fmt_ = result_format(fmt, graph=False)
            if res.type == "ASK" and fmt_ in ("csv", "tsv"):
                return f"{str(bool(res.askAnswer)).lower()}\n".encode()
            if fmt_ == "tsv":
                lines = ["\t".join(f"?{v}" for v in res.vars)]
                lines += ["\t".join(t.n3() if t is not None else "" for t in row) for row in res]
                return ("\n".join(lines) + "\n").encode("utf-8")
            return res.serialize(format=fmt_, encoding="utf-8")

        return with_timeout(run, timeout)

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
