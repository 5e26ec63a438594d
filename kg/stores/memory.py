"""rdflib in memory: for notebooks and small graphs, and as a second engine the stored queries are
checked against."""

from __future__ import annotations

from typing import Any

from rdflib import Dataset, Graph, URIRef

from kg.queries import refuse_service
from kg.stores.base import Rows, _check_syntax, python_value, with_timeout


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
