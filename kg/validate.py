"""SHACL validation of report graphs against ``shapes/``, with the ontology's schemes mixed in.

Four engines read the same shapes: ``native`` (pyshacl-turbo, a Rust engine with pySHACL's API,
reading N-Triples through Oxigraph; ``kg validate``'s default), ``turbo`` (the same engine over an
rdflib graph), ``pyshacl`` (the reference implementation) and ``core`` (kg.shacl, the build's check of
each report: the shapes compiled into Python checks over the report's N-Triples). The test suite
checks that all four report the same results.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH, SKOS

from kg import lexicon, names, rows
from kg.paths import SHAPES

if TYPE_CHECKING:
    from kg import shacl

ENGINES = names.SHACL_ENGINES
DEFAULT_ENGINE = "native"


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown SHACL engine {engine!r}: one of {', '.join(ENGINES)}")


@cache
def shapes_graph(folder: Path = SHAPES) -> Graph:
    return lexicon.turtle_folder(folder)


@cache
def _compiled_shapes(folder: Path = SHAPES):
    """Shapes compiled once per process: compiling costs more than validating one report."""
    import pyshacl_turbo

    return pyshacl_turbo.compile_shapes(shapes_graph(folder), advanced=True)


@cache
def _native_shapes(folder: Path = SHAPES):
    """The shapes compiled from Oxigraph, as the data is read: the engine then compares literals
    alike on both sides (shapes read through rdflib keep "exact" apart from "exact"^^xsd:string)."""
    import pyoxigraph
    import pyshacl_turbo

    store = pyoxigraph.Store()
    store.bulk_load(shapes_graph(folder).serialize(format="nt", encoding="utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    return pyshacl_turbo.compile_shapes(store, advanced=True)


@cache
def _memberships_nt() -> str:
    lent = Graph()
    for t in _memberships():
        lent.add(t)
    return lent.serialize(format="nt")


@cache
def _core_shapes() -> shacl.Shapes | None:
    """The shapes compiled for kg.shacl, or None when they use what it does not implement."""
    from kg import shacl

    return shacl.compile_shapes(shapes_graph(), [t for t in _memberships() if t[1] == RDFS.subClassOf], _shape_name)


@cache
def _core_base() -> rows.Graph:
    from kg import shacl

    return shacl.memberships_graph(_memberships())


def validate_nt(text: str, engine: str = "core", parsed: rows.Graph | None = None) -> ValidationReport:
    """Validate one graph given as N-Triples (the build's report graphs): with kg.shacl by default,
    else (or when the shapes need more than kg.shacl implements) with the native engine.
    ``parsed``: the text read already into a ``kg.rows.Graph`` of every triple."""
    import pyoxigraph

    shapes = _core_shapes() if engine == "core" else None
    if shapes is not None:
        g = parsed.over(_core_base()) if parsed is not None else rows.Graph(text, _core_base(), read=None)
        results = shapes.validate(g)
        return ValidationReport(sorted((Violation(*r) for r in results), key=lambda v: (v.focus, v.path or "", v.message)))

    data = pyoxigraph.Store()
    data.bulk_load((text + _memberships_nt()).encode("utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    _, results, _ = _native_shapes().validate(data, inference="none", allow_warnings=True)
    return _report(results)


@cache
def _memberships() -> tuple:
    """The only ontology triples the shapes look at: scheme membership and the class tree."""
    onto = lexicon.ontology_graph()
    return (*onto.triples((None, SKOS.inScheme, None)), *onto.triples((None, RDFS.subClassOf, None)))


@cache
def _named_shapes() -> dict[str, str]:
    """Each property shape (a blank node, known by its message) → the node shape it belongs to, so
    a result names a shape a reader can find in shapes/ (npcsh:Count), not a blank node id that
    differs between engines and runs."""
    g = shapes_graph()
    return {str(g.value(prop, SH.message)): str(node) for node, prop in g.subject_objects(SH.property)
            if isinstance(node, URIRef) and g.value(prop, SH.message) is not None}


def _shape_name(shape: object, message: str) -> str:
    return str(shape) if isinstance(shape, URIRef) else _named_shapes().get(message, str(shape))


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    message: str
    severity: str
    shape: str

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        return f"{self.severity}: <{self.focus}>{where}: {self.message}"


@dataclass
class ValidationReport:
    """A validation's results. ``conforms`` has SHACL's meaning: no result of any severity (a warning
    too makes a graph not conform); ``violated`` says whether a result has severity Violation, which
    is what keeps a fact out of the graph and makes ``kg validate`` exit 1."""

    violations: list[Violation]  # every result, warnings and infos included

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def violated(self) -> bool:
        return any(v.severity == "Violation" for v in self.violations)

    @classmethod
    def of(cls, results: list[Violation]) -> ValidationReport:
        return cls(results)

    def text(self) -> str:
        errors = [v for v in self.violations if v.severity == "Violation"]
        others = [v for v in self.violations if v.severity != "Violation"]
        if self.conforms:
            return "conforms: true (every shape in shapes/ is satisfied, no result of any severity)"
        lines = [f"conforms: false ({len(errors)} violation(s), {len(others)} warning(s) or info(s))"]
        if errors:
            lines += [f"{len(errors)} violation(s):"] + [f"  {v}" for v in errors]
        if others:
            lines += [f"{len(others)} warning(s) or info(s):"] + [f"  {v}" for v in others]
        return "\n".join(lines)


def validate(data: Graph, engine: str = DEFAULT_ENGINE) -> ValidationReport:
    """Validate one graph; the result lists every violation, sorted, with its focus node and message.
    ``data`` is left as it was."""
    check_engine(engine)
    if engine in ("native", "core"):
        return validate_nt(data.serialize(format="nt"), engine)
    if engine == "pyshacl" and not data.store.context_aware:  # pyshacl wraps it in a ConjunctiveGraph
        copy = Graph()
        copy += data
        data = copy
    # Scheme membership is lent to the data graph for the run (cheaper than copying the graph);
    # pyshacl mixes an ont_graph in only when it infers.
    lent = [t for t in _memberships() if t not in data]
    for t in lent:
        data.add(t)
    try:
        if engine == "turbo":
            _, results, _ = _compiled_shapes().validate(data, inference="none", allow_warnings=True)
        else:
            from pyshacl import validate as shacl

            _, results, _ = shacl(data, shacl_graph=shapes_graph(), inference="none", advanced=True,
                                         allow_warnings=True, inplace=True)
    finally:
        for t in lent:
            data.remove(t)
    return _report(results)


def _report(results: Graph) -> ValidationReport:
    """The engine's results graph read into Violations (the engine's own sh:conforms is not read:
    asked to allow warnings, it says true where SHACL says false)."""
    out = []
    for r in results.subjects(SH.resultSeverity, None):
        path = results.value(r, SH.resultPath)
        out.append(Violation(
            focus=str(results.value(r, SH.focusNode)),
            path=str(path) if isinstance(path, URIRef) else None,
            message=str(results.value(r, SH.resultMessage) or ""),
            severity=str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            shape=_shape_name(results.value(r, SH.sourceShape), str(results.value(r, SH.resultMessage) or "")),
        ))
    out.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return ValidationReport(out)


FACT_CLASSES = ("Count", "MechanismPractice", "Activity")


@dataclass(frozen=True)
class Rejected:
    """A fact kept out of the graph (severity Violation) or stored with a warning, and why."""

    report: str
    fact: str
    shape: str
    severity: str
    message: str
    quote: str

    def __str__(self) -> str:
        return f"{self.severity}: <{self.fact}>: {self.message} «{self.quote[:60]}»"


def _facts_behind(g: Graph, focus: URIRef) -> set[URIRef]:
    """The facts a focus node belongs to: the fact itself, or the fact whose evidence, selector or
    sentence it is."""
    from kg.lexicon import NPC
    from kg.rdf import OA, PROV

    facts = {f for cls in FACT_CLASSES for f in [focus] if (f, RDF.type, NPC[cls]) in g}
    for evi in {focus, *g.subjects(OA.hasSelector, focus)}:
        facts.update(g.subjects(PROV.wasDerivedFrom, evi))
    facts.update(g.subjects(NPC.sentence, focus))
    return {f for f in facts if any((f, RDF.type, NPC[c]) in g for c in FACT_CLASSES)}


def _quote(g: Graph, fact: URIRef) -> str:
    from kg.lexicon import NPC

    sent = g.value(fact, NPC.sentence)
    return str(g.value(sent, RDF.value) or "") if sent is not None else ""


def _drop(g: Graph, fact: URIRef) -> None:
    """A fact with its evidence and selectors; its sentence too when no other fact cites it."""
    from kg.lexicon import NPC
    from kg.rdf import OA, PROV

    sent = g.value(fact, NPC.sentence)
    for evi in list(g.objects(fact, PROV.wasDerivedFrom)):
        for sel in list(g.objects(evi, OA.hasSelector)):
            g.remove((sel, None, None))
        g.remove((evi, None, None))
    g.remove((fact, None, None))
    if sent is not None and next(g.subjects(NPC.sentence, sent), None) is None:
        g.remove((sent, None, None))


def keep_conforming_nt(text: str, report: str, parsed: rows.Graph | None = None) -> tuple[ValidationReport, list[Rejected], str]:
    """``keep_conforming`` for a report graph as N-Triples (``parsed``: read already, as for
    ``validate_nt``); the text comes back as it was when every fact conforms (nearly always), else
    without the facts taken out."""
    result = validate_nt(text, parsed=parsed)
    if result.conforms:
        return result, [], text
    from rdflib.plugins.stores.memory import SimpleMemory

    g = Graph(store=SimpleMemory()).parse(data=text, format="nt")
    left, notes = keep_conforming(g, report, result=result)
    return left, notes, g.serialize(format="nt", encoding="utf-8").decode("utf-8") if any(
        n.severity == "Violation" for n in notes) else text


def keep_conforming(g: Graph, report: str, engine: str = DEFAULT_ENGINE,
                    result: ValidationReport | None = None) -> tuple[ValidationReport, list[Rejected]]:
    """Validate a report graph and take out every fact that breaks a shape, so that one bad fact
    never costs the report its other facts. Returns what is left to report (violations not owed
    to any fact: the report's own, which keep it out) and every fact taken out or warned about.
    ``g`` is changed in place; ``result`` is its validation when already done."""
    result = result or validate(g, engine)
    if result.conforms:
        return result, []
    notes: list[Rejected] = []
    dropped: set[URIRef] = set()
    left: list[Violation] = []
    for v in result.violations:
        facts = _facts_behind(g, URIRef(v.focus)) or (dropped & {URIRef(v.focus)})
        if not facts:
            if v.severity == "Violation":
                left.append(v)
            continue
        for f in sorted(facts):
            notes.append(Rejected(report, str(f), v.shape, v.severity, v.message, _quote(g, f)))
            if v.severity == "Violation":
                dropped.add(f)
    for f in dropped:
        _drop(g, f)
    if dropped:  # what is left must conform by itself
        again = validate(g, engine)
        left = [v for v in again.violations if v.severity == "Violation"]
    return ValidationReport.of(left), notes


def validate_files(paths: list[Path], engine: str = DEFAULT_ENGINE) -> ValidationReport:
    """Turtle or TriG files (all their graphs merged); ValueError with the parser's line when one
    does not parse."""
    from rdflib import Dataset

    violations: list[Violation] = []
    for path in paths:
        ds = Dataset()
        try:
            ds.parse(path, format="trig" if Path(path).suffix == ".trig" else "turtle")
        except Exception as e:  # rdflib raises several types; its message carries the line
            raise ValueError(f"{path}: does not parse: {e}") from e
        merged = Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            merged.add((s, p, o))
        violations.extend(validate(merged, engine).violations)
    return ValidationReport.of(violations)
