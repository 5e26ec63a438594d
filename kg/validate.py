"""SHACL validation of report graphs against ``shapes/``, with the ontology's schemes mixed in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDFS, SH, SKOS

from kg import lexicon
from kg.paths import SHAPES


@cache
def shapes_graph(folder: Path = SHAPES) -> Graph:
    return lexicon.turtle_folder(folder)


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


def validate(data: Graph) -> ValidationReport:
    """Validate one graph; the result lists every violation, sorted, with its focus node and message."""
    from pyshacl import validate as shacl

    mixed = Graph()  # scheme membership is mixed in by hand: pyshacl mixes ont_graph only when it infers
    for t in _memberships():
        mixed.add(t)
    for t in data:
        mixed.add(t)
    conforms, results, _ = shacl(mixed, shacl_graph=shapes_graph(), inference="none", advanced=True, allow_warnings=True)
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


def validate_files(paths: list[Path]) -> ValidationReport:
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
        violations.extend(validate(merged).violations)
    return ValidationReport(not violations, violations)
