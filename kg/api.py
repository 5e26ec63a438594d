"""The façade notebooks use: ``kg.build()``, ``kg.open()`` and the graph object they return."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph, URIRef

from kg import export as _export
from kg import network as _network
from kg import queries
from kg.build import BuildResult
from kg.build import build as _build
from kg.derived import is_derived
from kg.rdf import ENTITIES_GRAPH, is_report_graph
from kg.stores import OxigraphStore, RemoteStore, Rows, Store
from kg.validate import DEFAULT_ENGINE, ValidationReport, Violation, validate

if TYPE_CHECKING:
    import pandas as pd


def with_entities(report: Graph, entities: Graph) -> Graph:
    """A report graph with the descriptions of the places, bodies and laws it refers to (and
    their parents), as it was before the build moved them to the shared entities graph."""
    out = Graph()
    for t in report:
        out.add(t)
    todo = {o for o in report.objects() if isinstance(o, URIRef)}
    seen: set[URIRef] = set()
    while todo:
        node = todo.pop()
        seen.add(node)
        for p, o in entities.predicate_objects(node):
            out.add((node, p, o))
            if isinstance(o, URIRef) and o not in seen:
                todo.add(o)
    return out


class KnowledgeGraph:
    """A built knowledge graph in a store, with the questions users ask of it.

    >>> import kg
    >>> g = kg.build("seeds/", out="build/doctest")
    >>> g.query("piloted-livelihood-voting").columns.tolist()
    ['body', 'body_zh', 'place', 'year', 'scope', 'quote']
    >>> g.close()
    """

    def __init__(self, store: Store, build_result: BuildResult | None = None) -> None:
        from kg.limits import DEFAULT_MEMORY

        self.store = store
        self.build_result = build_result
        if hasattr(store, "memory_limit"):  # users' queries are bounded in memory (set store.memory_limit to change it)
            store.memory_limit = DEFAULT_MEMORY

    def rows(self, name_or_sparql: str, limit: int | None = None, offset: int = 0, **params: Any) -> Rows:
        """Plain rows of a stored query (by name) or of SPARQL text (read-only): ``vars``, ``data`` (a
        sequence of values per row, the cheapest form of a large answer) and ``rows`` (a dict per row).
        ``limit``/``offset``: one page of them (``total()`` says how many there are in all)."""
        return self.store.query(queries.page(self._sparql(name_or_sparql, params), limit, offset))

    def total(self, name_or_sparql: str, **params: Any) -> int:
        """How many rows ``rows()`` gives without a limit: the total that goes with a page."""
        return int(self.store.query(queries.total(self._sparql(name_or_sparql, params))).data[0][0])

    def _sparql(self, name_or_sparql: str, params: dict[str, Any]) -> str:
        if name_or_sparql in queries.stored():
            return queries.get(name_or_sparql).bind(params)
        if params:
            raise ValueError("parameters are bound only in stored queries")
        return name_or_sparql

    def query(self, name_or_sparql: str, **params: Any):
        """A pandas DataFrame of a stored query or SPARQL text."""
        import pandas as pd

        r = self.rows(name_or_sparql, **params)
        return pd.DataFrame(r.data, columns=r.vars)

    def table(self, name: str):
        """A tidy table (counts, practices, bodies, laws, reports) as a typed DataFrame."""
        from kg.tables import table

        return table(self.store, name)

    def ask(self, question: str):
        """A question in people's own words, answered by the stored query it maps to (kg.ask): the
        answer's ``interpretation`` says which query and parameters, its ``rows`` carry the evidence."""
        from kg.ask import ask

        return ask(self.store, question)

    def check(self) -> list:
        """What does not add up (kg.check): counts of one thing given with different values, totals
        against the laws they list, percentages past 100 (from the build's rejected facts), reports
        whose body their text did not decide."""
        import json

        from kg.check import check

        path = getattr(self.store, "path", None)
        rejected_file = path.parent / "rejected.jsonl" if path is not None else None
        rejected = ([json.loads(line) for line in rejected_file.read_text(encoding="utf-8").splitlines() if line.strip()]
                    if rejected_file is not None and rejected_file.exists() else [])
        return check(self.table("counts"), self.table("laws"), rejected, self.table("reports"))

    def validate(self, progress=None, engine: str = DEFAULT_ENGINE) -> ValidationReport:
        """SHACL over every report graph in the store (with the entities it names) and every derived
        graph; ``progress`` is called once per report graph."""
        violations: list[Violation] = []
        graphs = self.store.graphs()
        entities = self.graph(ENTITIES_GRAPH) if ENTITIES_GRAPH in graphs else Graph()
        for iri in graphs:
            if is_derived(iri):
                violations.extend(validate(self.graph(iri), engine).violations)
            elif is_report_graph(iri):
                violations.extend(validate(with_entities(self.graph(iri), entities), engine).violations)
                if progress:
                    progress(iri)
        # one pass over what reports share: a body must not get two places or two levels from two reports
        violations.extend(validate(entities, engine).violations)
        return ValidationReport.of(violations)

    def graph(self, iri: str) -> Graph:
        """One named graph as an rdflib Graph."""
        if not isinstance(self.store, OxigraphStore):
            raise TypeError("graph() needs the embedded store")
        g = Graph(identifier=iri)
        g.parse(data=self.store.dump_graph(iri), format="nt")
        return g

    def network(self, kind: str = "bipartite", modality: str = "reported", mechanism: tuple[str, ...] = (),
                province: str | None = None, hierarchy: bool = False):
        """A networkx graph: bipartite, mechanisms (co-adoption), bodies (similarity) or diffusion."""
        return _network.build_graph(self.store, kind, modality, mechanism, province, hierarchy)

    def adoption(self, mechanism: str | None = None) -> pd.DataFrame:
        """The event-history table (kg.adoption): body × mechanism × year, observed or not."""
        t = self.table("adoption")
        return t if mechanism is None else t[t.mechanism == mechanism].reset_index(drop=True)

    def plot(self, kind: str, mechanism: str, out: str | Path, by: str = "level", year: int | None = None) -> Path:
        """Pictures of a mechanism's spread (kg.charts): ``adoption`` curves by ``by`` (level or
        province), or the province ``grid`` of shares in ``year`` (default: the last year observed)."""
        from kg import adoption as _adoption
        from kg import charts, lexicon

        label = lexicon.concept("mechanism", mechanism).label_zh
        t = self.adoption(mechanism)
        if kind == "adoption":
            if by not in ("level", "province"):
                raise ValueError(f"--by {by!r}: level or province")
            return charts.adoption_curves(_adoption.curves(t, mechanism, by), out, label, by)
        if kind == "grid":
            observed = t[t.observed.fillna(False)].year
            year = year if year is not None else (int(observed.max()) if len(observed) else None)
            if year is None:
                raise ValueError(f"no body reports {mechanism} in the corpus: nothing to map")
            return charts.province_grid(_adoption.province_shares(t, mechanism, year), out, label, year)
        raise ValueError(f"unknown picture {kind!r}: adoption or grid")

    def export(self, fmt: str = "ttl", path: str | Path | None = None) -> bytes:
        if not isinstance(self.store, OxigraphStore):
            raise TypeError("export() needs the embedded store")
        data = _export.export(self.store, fmt)
        if path:
            Path(path).write_bytes(data)
        return data

    def close(self) -> None:
        if isinstance(self.store, OxigraphStore):
            self.store.close()


def build(paths: str | Path | list[str | Path] = "seeds", out: str | Path = "build", jobs: int = 1) -> KnowledgeGraph:
    """Build reports into ``out/store`` and open the result for reading."""
    paths = [paths] if isinstance(paths, (str, Path)) else paths
    result = _build(paths, out, jobs=jobs)
    return KnowledgeGraph(OxigraphStore(Path(out) / "store", read_only=True), result)


def open_graph(store: str | Path = "build", endpoint: str | None = None, read_only: bool = True) -> KnowledgeGraph:
    """Open a built store (a build folder or its store folder), or a remote SPARQL endpoint.
    Read-only by default, beside other readers and writers; ``read_only=False`` to write into it."""
    if endpoint:
        return KnowledgeGraph(RemoteStore(endpoint))
    p = Path(store)
    return KnowledgeGraph(OxigraphStore(p / "store" if (p / "store").is_dir() else p, read_only=read_only))
