"""SHACL validation of report graphs against ``shapes/``, with the ontology's schemes mixed in.

Two engines read the same shapes: ``turbo`` (pyshacl-turbo, a Rust engine with pySHACL's API,
about ten times faster per report graph, so the default for builds) and ``pyshacl`` (the
reference implementation). The test suite checks that both report the same violations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SH, SKOS

from kg import lexicon
from kg.paths import SHAPES

ENGINES = ("turbo", "pyshacl")
DEFAULT_ENGINE = "turbo"


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
def _memberships() -> tuple:
    """The only ontology triples the shapes look at: scheme membership and the class tree."""
    onto = lexicon.ontology_graph()
    return (*onto.triples((None, SKOS.inScheme, None)), *onto.triples((None, RDFS.subClassOf, None)))


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
    conforms: bool
    violations: list[Violation]

    def text(self) -> str:
        if self.conforms:
            return "conforms: every shape in shapes/ is satisfied"
        lines = [f"{len(self.violations)} violation(s):"] + [f"  {v}" for v in self.violations]
        return "\n".join(lines)


def validate(data: Graph, engine: str = DEFAULT_ENGINE) -> ValidationReport:
    """Validate one graph; the result lists every violation, sorted, with its focus node and message.
    ``data`` is left as it was."""
    check_engine(engine)
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
            conforms, results, _ = _compiled_shapes().validate(data, inference="none", allow_warnings=True)
        else:
            from pyshacl import validate as shacl

            conforms, results, _ = shacl(data, shacl_graph=shapes_graph(), inference="none", advanced=True,
                                         allow_warnings=True, inplace=True)
    finally:
        for t in lent:
            data.remove(t)
    out = []
    for r in results.subjects(SH.resultSeverity, None):
        path = results.value(r, SH.resultPath)
        out.append(Violation(
            focus=str(results.value(r, SH.focusNode)),
            path=str(path) if isinstance(path, URIRef) else None,
            message=str(results.value(r, SH.resultMessage) or ""),
            severity=str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            shape=str(results.value(r, SH.sourceShape)),
        ))
    out.sort(key=lambda v: (v.focus, v.path or "", v.message))
    return ValidationReport(bool(conforms), out)


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
    return ValidationReport(not violations, violations)
