"""SHACL Core in Python, for the constraint components ``shapes/`` uses, over a report's N-Triples.

Why: validating each report with pySHACL's Rust port cost the build's workers more than the
extraction did (20 ms a report, most of it loading the text into a store and compiling the
results graph), while the shapes need a few dictionary lookups a fact. The shapes stay the
definition: they are read from ``shapes/`` and compiled here into checks, and the reference
engines (``kg validate``, and the tests, which hold this engine's results equal to theirs on the
seeds and on thousands of broken graphs) read the same files. A shape using a component this
engine does not know compiles to None, and the build then uses a reference engine.

Results are reported as pySHACL reports them: one per value node a constraint fails, with the
results of a failed ``sh:node`` as its details (``kg.validate`` lists those too)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS, XSD

from kg.rows import Graph as Triples
from kg.rows import Term, _literal

Result = tuple[str, str | None, str, str, str]  # focus, path, message, severity, shape
Check = Callable[[Triples, str, list[Term]], list[list[Result]]]  # a result's details per failure

_STRING, _LANG_STRING, _TYPE, _YEAR, _DATE = map(str, (XSD.string, RDF.langString, RDF.type, XSD.gYear, XSD.date))
_NUMERIC = {str(XSD[t]) for t in ("decimal", "integer", "double", "float", "int", "long", "nonNegativeInteger",
                                  "positiveInteger")}
_LEXICAL = {  # the lexical forms the datatypes shapes/ names accept; others are ill-typed
    str(XSD.decimal): re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    str(XSD.integer): re.compile(r"[+-]?\d+"),
    str(XSD.gYear): re.compile(r"-?\d{4,}(Z|[+-]\d\d:\d\d)?"),
    str(XSD.date): re.compile(r"-?\d{4,}-\d\d-\d\d(Z|[+-]\d\d:\d\d)?"),
}


class Unsupported(ValueError):
    """A shape uses a SHACL component this engine does not implement."""


@lru_cache(maxsize=1 << 16)
def _parts(t: Term) -> tuple[str, str, str]:
    """A literal's lexical form, language and datatype (xsd:string or rdf:langString when unwritten)."""
    lexical, lang, datatype = _literal(t)
    return lexical, lang, datatype or (_LANG_STRING if lang else _STRING)


def _well_formed(lexical: str, datatype: str) -> bool:
    pattern = _LEXICAL.get(datatype)
    if pattern is None or not pattern.fullmatch(lexical):
        return pattern is None
    if datatype == _DATE:
        try:
            date.fromisoformat(lexical[:10])
        except ValueError:
            return False
    return True


def _comparable(t: Term) -> tuple[str, Any] | None:
    """A literal as SPARQL's < compares it: numbers with numbers, years with years, strings with
    strings; None for what compares with nothing (IRIs, blank nodes, ill-typed literals)."""
    if t.is_iri or t.startswith("_:"):
        return None
    lexical, lang, datatype = _parts(t)
    if not _well_formed(lexical, datatype):
        return None
    if datatype in _NUMERIC:
        try:
            return "number", Decimal(lexical)
        except InvalidOperation:
            return None
    if datatype == _YEAR:
        return "year", int(lexical[:-6] if lexical[-6:-5] in "+-" and ":" in lexical else lexical.rstrip("Z"))
    if datatype == _DATE:
        return "date", lexical
    if datatype == _STRING and not lang:
        return "string", lexical
    return None


def _less(a: Term, b: Term, equal: bool = False) -> bool:
    x, y = _comparable(a), _comparable(b)
    if x is None or y is None or x[0] != y[0]:
        return False
    return x[1] <= y[1] if equal else x[1] < y[1]


def _same(a: Term, b: Term) -> bool:
    """RDF term equality, with "x" and "x"^^xsd:string one term (RDF 1.1)."""
    if a == b:
        return True
    if a.is_iri or b.is_iri or a.startswith("_:") or b.startswith("_:"):
        return False
    return _parts(a) == _parts(b)


def _term(node: Any) -> Term:
    """An rdflib node of the shapes graph written as the data's N-Triples writes it."""
    if isinstance(node, Literal) and node.datatype is None and not node.language:
        node = Literal(str(node), datatype=XSD.string)
    return Term(node.n3())


@dataclass
class Shape:
    """A node shape (``path`` None: its value node is the focus node) or a property shape."""

    node: Any
    path: str | None = None
    message: str = ""
    severity: str = "Violation"
    name: str = ""
    checks: list[Check] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)

    def results(self, g: Triples, focus: str) -> list[Result]:
        values = g.objects(focus, self.path) if self.path is not None else [_node_term(focus)]
        out: list[Result] = []
        for check in self.checks:
            for details in check(g, focus, values):
                shown = Term(focus).str() if focus.startswith('"') else focus  # a literal as its lexical form, as str() gives it
                out.append((shown, self.path, self.message, self.severity, self.name))
                out.extend(details)
        for prop in self.properties:  # a property shape of a node shape reports for itself
            for v in values:
                out.extend(prop.results(g, _focus(v)))
        return out

    def conforms(self, g: Triples, node: str) -> bool:
        return not self.results(g, node)


@dataclass
class Shapes:
    """The compiled shapes: each node shape with the classes that target it."""

    targeted: list[tuple[Shape, tuple[str, ...]]]
    subclasses: dict[str, set[str]]  # a class → itself and every class below it

    def validate(self, g: Triples) -> list[Result]:
        out: list[Result] = []
        for shape, classes in self.targeted:
            focus = dict.fromkeys(s for c in classes for sub in self.subclasses.get(c, {c}) for s in g.of_type(sub))
            for f in focus:
                out.extend(shape.results(g, f))
        return out


def _focus(v: Term) -> str:
    """A value node as a focus node: an IRI's text, or the term itself (nothing has it as subject)."""
    return v[1:-1] if v.is_iri else v


def _node_term(focus: str) -> Term:
    return Term(focus if focus.startswith(("_:", '"')) else f"<{focus}>")


class _Compiler:
    """Reads shapes from an rdflib graph; a shape is compiled once, however often it is named."""

    def __init__(self, shapes: Graph, subclasses: dict[str, set[str]], names: Callable[[Any, str], str]) -> None:
        self.g, self.subclasses, self.names = shapes, subclasses, names
        self.done: dict[Any, Shape] = {}

    def shape(self, node: Any) -> Shape:
        if node in self.done:
            return self.done[node]
        g = self.g
        path = g.value(node, SH.path)
        if path is not None and not isinstance(path, URIRef):
            raise Unsupported(f"a complex sh:path in {node}")
        severity = g.value(node, SH.severity)
        shape = Shape(node, str(path) if path is not None else None, str(g.value(node, SH.message) or ""),
                      str(severity).rsplit("#", 1)[-1] if severity is not None else "Violation")
        shape.name = self.names(node, shape.message)
        self.done[node] = shape
        known = {SH.path, SH.message, SH.severity, RDF.type, SH.targetClass, SH.property, SH.name, SH.description,
                 RDFS.comment, RDFS.label, SH.qualifiedMinCount, SH.qualifiedMaxCount}
        for p, o in sorted(g.predicate_objects(node)):
            if p in known:
                continue
            make = getattr(self, "_" + str(p).rsplit("#", 1)[-1], None)
            if make is None or not str(p).startswith(str(SH)):
                raise Unsupported(f"{p} in {node}")
            shape.checks.append(make(o, node))
        shape.properties = [self.shape(prop) for prop in sorted(g.objects(node, SH.property))]
        return shape

    def _list(self, node: Any) -> list[Any]:
        return list(Collection(self.g, node))

    @staticmethod
    def _each(test: Callable[[Term], bool]) -> Check:
        return lambda g, focus, values: [[] for v in values if not test(v)]

    def _minCount(self, o: Literal, node: Any) -> Check:
        n = int(o)
        return lambda g, focus, values: [[]] if len(values) < n else []

    def _maxCount(self, o: Literal, node: Any) -> Check:
        n = int(o)
        return lambda g, focus, values: [[]] if len(values) > n else []

    def _datatype(self, o: URIRef, node: Any) -> Check:
        dt = str(o)

        def ok(v: Term) -> bool:
            if v.is_iri or v.startswith("_:"):
                return False
            lexical, _, datatype = _parts(v)
            return datatype == dt and _well_formed(lexical, datatype)
        return self._each(ok)

    def _pattern(self, o: Literal, node: Any) -> Check:
        rx = re.compile(str(o))
        return self._each(lambda v: not v.startswith("_:") and rx.search(v.str()) is not None)

    def _flags(self, o: Literal, node: Any) -> Check:  # a regular expression's flags: SPARQL's, not Python's
        raise Unsupported(f"sh:flags in {node}")

    def _hasValue(self, o: Any, node: Any) -> Check:
        want = _term(o)
        return lambda g, focus, values: [] if any(_same(v, want) for v in values) else [[]]

    def _in(self, o: Any, node: Any) -> Check:
        allowed = [_term(x) for x in self._list(o)]
        return self._each(lambda v: any(_same(v, a) for a in allowed))

    def _languageIn(self, o: Any, node: Any) -> Check:
        tags = [str(x).lower() for x in self._list(o)]

        def ok(v: Term) -> bool:
            lang = v.lang() if not v.is_iri and not v.startswith("_:") else ""
            return bool(lang) and any(lang == t or lang.startswith(t + "-") for t in tags)
        return self._each(ok)

    def _nodeKind(self, o: URIRef, node: Any) -> Check:
        kinds = {SH.IRI: ("iri",), SH.BlankNode: ("bnode",), SH.Literal: ("literal",), SH.BlankNodeOrIRI: ("iri", "bnode"),
                 SH.BlankNodeOrLiteral: ("bnode", "literal"), SH.IRIOrLiteral: ("iri", "literal")}[o]
        return self._each(lambda v: ("iri" if v.is_iri else "bnode" if v.startswith("_:") else "literal") in kinds)

    def _minLength(self, o: Literal, node: Any) -> Check:
        n = int(o)
        return self._each(lambda v: not v.startswith("_:") and len(v.str()) >= n)

    def _maxLength(self, o: Literal, node: Any) -> Check:
        n = int(o)
        return self._each(lambda v: not v.startswith("_:") and len(v.str()) <= n)

    def _minInclusive(self, o: Any, node: Any) -> Check:
        bound = _term(o)
        return self._each(lambda v: _less(bound, v, equal=True))

    def _maxInclusive(self, o: Any, node: Any) -> Check:
        bound = _term(o)
        return self._each(lambda v: _less(v, bound, equal=True))

    def _lessThan(self, o: URIRef, node: Any) -> Check:
        other = str(o)
        return lambda g, focus, values: [[] for v in values for w in g.objects(focus, other) if not _less(v, w)]

    def _class(self, o: URIRef, node: Any) -> Check:
        below = {f"<{c}>" for c in self.subclasses.get(str(o), {str(o)})}

        def ok(g: Triples, v: Term) -> bool:
            return not v.startswith('"') and any(t in below for t in g.objects(_focus(v), _TYPE))
        return lambda g, focus, values: [[] for v in values if not ok(g, v)]

    def _node(self, o: Any, node: Any) -> Check:
        inner = self.shape(o)

        def check(g: Triples, focus: str, values: list[Term]) -> list[list[Result]]:
            out = []
            for v in values:
                details = inner.results(g, _focus(v))
                if details:
                    out.append(details)
            return out
        return check

    def _not(self, o: Any, node: Any) -> Check:
        inner = self.shape(o)
        return self._nodes(lambda g, v: not inner.conforms(g, v))

    def _and(self, o: Any, node: Any) -> Check:
        members = [self.shape(m) for m in self._list(o)]
        return self._nodes(lambda g, v: all(m.conforms(g, v) for m in members))

    def _or(self, o: Any, node: Any) -> Check:
        members = [self.shape(m) for m in self._list(o)]
        return self._nodes(lambda g, v: any(m.conforms(g, v) for m in members))

    @staticmethod
    def _nodes(ok: Callable[[Triples, str], bool]) -> Check:
        return lambda g, focus, values: [[] for v in values if not ok(g, _focus(v))]

    def _qualifiedValueShape(self, o: Any, node: Any) -> Check:
        inner = self.shape(o)
        low, high = self.g.value(node, SH.qualifiedMinCount), self.g.value(node, SH.qualifiedMaxCount)

        def check(g: Triples, focus: str, values: list[Term]) -> list[list[Result]]:
            n = sum(1 for v in values if inner.conforms(g, _focus(v)))
            return [[] for bound, failed in ((low, lambda: n < int(low)), (high, lambda: n > int(high)))
                    if bound is not None and failed()]
        return check


def compile_shapes(shapes: Graph, ontology: Iterable[tuple], names: Callable[[Any, str], str]) -> Shapes | None:
    """The shapes' node shapes with targets, compiled; None when one uses what is not implemented."""
    subclasses: dict[str, set[str]] = {}
    for s, _, o in ontology:
        subclasses.setdefault(str(o), {str(o)}).add(str(s))
    changed = True
    while changed:  # the transitive closure of rdfs:subClassOf; the class tree is small
        changed = False
        for below in subclasses.values():
            more = set().union(*(subclasses.get(c, {c}) for c in below))
            if more - below:
                below |= more
                changed = True
    compiler = _Compiler(shapes, subclasses, names)
    try:
        if any((None, p, None) in shapes for p in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target,
                                                    SH.sparql, SH.rule)):
            return None
        targeted = [(compiler.shape(node), tuple(sorted(str(c) for c in shapes.objects(node, SH.targetClass))))
                    for node in sorted(set(shapes.subjects(SH.targetClass, None)))]
    except Unsupported:
        return None
    return Shapes(targeted, subclasses)


def memberships_graph(triples: Iterable[tuple]) -> Triples:
    """The ontology triples the shapes look at, as the base of every report's graph."""
    text = "".join(f"{s.n3()} {p.n3()} {o.n3()} .\n" for s, p, o in triples
                   if isinstance(s, URIRef | BNode) and p in (SKOS.inScheme, RDFS.subClassOf))
    return Triples(text, read=None)
