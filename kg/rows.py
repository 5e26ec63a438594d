"""A report's rows of the five tables, read from its N-Triples in one pass over its lines.

They are what the stored ``table-*`` queries answer for the report alone — the queries stay the
definition, and ``kg.tables.answer_sparql`` asks them of a scratch store as the reference the tests
hold these rows equal to. Loading every report into a store to ask five queries took a third of a
build worker's time (22 ms a report); the walk below takes a few. Each function
follows its query pattern by pattern: a required pattern with no match yields no row, an OPTIONAL
one yields its matches or one unbound value, and matches multiply as joins do."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import product
from typing import Any

from kg import lexicon, rdf
from kg.stores.base import python_value

NPC, RDF, SKOS, DCT, OA, SCHEMA = map(str, (rdf.NPC, rdf.RDF, rdf.SKOS, rdf.DCTERMS, rdf.OA, rdf.SCHEMA))
DIM, MEASURE, ATTR = map(str, (rdf.SDMX_DIM, rdf.SDMX_MEASURE, rdf.SDMX_ATTR))
TYPE, LABEL = RDF + "type", SKOS + "prefLabel"
PROVINCE, PREFECTURE = (str(lexicon.SCHEMES["level"][x]) for x in ("province", "prefecture"))

_LITERAL = re.compile(r'"(.*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?$', re.DOTALL)
_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))', re.DOTALL)
_CHARS = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class Term(str):
    """An object of a triple as N-Triples writes it: ``<iri>`` or a literal with its escapes."""

    __slots__ = ()

    @property
    def is_iri(self) -> bool:
        return self.startswith("<")

    def str(self) -> str:
        """SPARQL's STR(): an IRI's text, a literal's lexical form."""
        return self[1:-1] if self.is_iri else _literal(self)[0]

    def value(self) -> Any:
        """The term as rows give it (``kg.stores.base.python_value``): numbers as numbers."""
        if self.is_iri:
            return self[1:-1]
        lexical, _, datatype = _literal(self)
        return python_value(lexical, datatype)

    def lang(self) -> str:
        return "" if self.is_iri else _literal(self)[1]


def _literal(term: str) -> tuple[str, str, str | None]:
    m = _LITERAL.match(term)
    if m is None:
        return term, "", None
    lexical = _ESCAPE.sub(lambda e: chr(int(e[1] or e[2], 16)) if e[1] or e[2] else _CHARS.get(e[3], e[3]), m[1]) \
        if "\\" in m[1] else m[1]
    return lexical, (m[2] or "").lower(), m[3]


_READ = {f"<{p}>" for p in (  # the predicates the table queries read; the evidence selectors are most of a report's lines
    TYPE, LABEL, RDF + "value", SKOS + "notation", DCT + "spatial", DCT + "isPartOf", DCT + "title", DCT + "date",
    OA + "start", OA + "end", SCHEMA + "containedInPlace", MEASURE + "obsValue", ATTR + "unitMeasure",
    DIM + "refPeriod", *(NPC + n for n in (
        "body", "measurePhrase", "bound", "modality", "sentence", "checksum", "periodStart", "periodEnd", "measure",
        "lowerBound", "upperBound", "level", "mechanism", "stage", "year", "scope", "law", "activityType", "reportingBody",
        "yearCovered", "genre", "sourceFile")))}


class Graph:
    """Subject → predicate → objects, each triple once; subjects by rdf:type. A pattern matches in
    the graph or in ``base`` (the ontology), as in a store's union of both."""

    def __init__(self, text: str, base: Graph | None = None, read: set[str] | None = _READ) -> None:
        """``read``: the predicates to keep (as ``<iri>``), by default those the table queries read;
        None keeps every triple."""
        self.index: dict[str, dict[str, list[Term]]] = {}
        self.typed: dict[str, list[str]] = defaultdict(list)
        self.base = base
        for line in text.split("\n"):  # not splitlines(): a form feed or U+2028 inside a literal is no line end
            parts = line.split(" ", 2)  # an IRI holds no space; the object runs to the final " ."
            if len(parts) < 3 or (read is not None and parts[1] not in read) or not line.endswith(" ."):
                continue
            s, p, o = parts[0][1:-1] if parts[0].startswith("<") else parts[0], parts[1][1:-1], parts[2][:-2]
            objects = self.index.setdefault(s, {}).setdefault(p, [])
            if o not in objects:
                objects.append(Term(o))
                if p == TYPE:
                    self.typed[o[1:-1]].append(s)  # a blank node is known by its label, _:b0

    def over(self, base: Graph | None) -> Graph:
        """The same triples over another base (one parse serves the SHACL check and the rows)."""
        view = object.__new__(Graph)
        view.index, view.typed, view.base = self.index, self.typed, base
        return view

    def objects(self, s: str, p: str) -> list[Term]:
        own = self.index.get(s)
        found = own.get(p, _NONE) if own else _NONE
        if self.base is None:
            return found
        more = self.base.objects(s, p)
        return found + more if more else found

    def of_type(self, cls: str) -> list[str]:
        return self.typed.get(cls, [])


_NONE: list[Term] = []
def _opt(values: list) -> list:
    """An OPTIONAL's matches, or one unbound."""
    return values or [None]


def _str(t: Term | None) -> str | None:
    return None if t is None else t.str()


def _after(t: Term | str | None, sep: str) -> str | None:
    """SPARQL's STRAFTER(STR(?t), sep) of a term or an IRI's text: "" when sep is not in it."""
    if t is None:
        return None
    return (t.str() if isinstance(t, Term) else t).partition(sep)[2]


def _value(t: Term | None) -> Any:
    return None if t is None else t.value()


def _labels(g: Graph, s: str, lang: str | None = None) -> list[Term]:
    return [x for x in g.objects(s, LABEL) if lang is None or x.lang() == lang]


def _within(g: Graph, place: str) -> list[str]:
    """schema:containedInPlace*: the place and every place it lies in."""
    seen, todo = [place], [place]
    while todo:
        for up in g.objects(todo.pop(), SCHEMA + "containedInPlace"):
            if up.is_iri and up.str() not in seen:
                seen.append(up.str())
                todo.append(up.str())
    return seen


def _at_level(g: Graph, place: str, level: str) -> list[Term | None]:
    return _opt([lab for p in _within(g, place) if f"<{level}>" in g.objects(p, NPC + "level") for lab in _labels(g, p)])


def _places(g: Graph, body: str, code: bool = False) -> list[dict]:
    """The body's place, level, province and prefecture (OPTIONAL as a whole)."""
    out = []
    for pl in g.objects(body, DCT + "spatial"):
        if not pl.is_iri:
            continue
        p = pl.str()
        for pz, notation, lv in product(_labels(g, p), g.objects(p, SKOS + "notation") if code else [None], g.objects(p, NPC + "level")):
            for prov, pref in product(_at_level(g, p, PROVINCE), _at_level(g, p, PREFECTURE)):
                out.append({"place": _str(pz), "place_code": _str(notation), "level": _after(lv, "/level/"),
                            "province": _str(prov), "prefecture": _str(pref)})
    return out or [{"place": None, "place_code": None, "level": None, "province": None, "prefecture": None}]


def _sentence(g: Graph, s: Term, checksum: bool = False) -> list[dict]:
    """A sentence's quote, offsets and report (whose checksum the counts require)."""
    if not s.is_iri:
        return []
    si = s.str()
    return [{"report": _after(r, "/report/"), "quote": q.str(), "start": start.value(), "end": end.value()}
            for q, start, end, r in product(g.objects(si, RDF + "value"), g.objects(si, OA + "start"), g.objects(si, OA + "end"),
                                            g.objects(si, DCT + "isPartOf"))
            if r.is_iri and (not checksum or g.objects(r.str(), NPC + "checksum"))]


def _period(g: Graph, fact: str) -> list[tuple[Term | None, Term | None]]:
    """OPTIONAL { ?f npc:periodStart ?ps ; npc:periodEnd ?pe }: both or neither."""
    return list(product(g.objects(fact, NPC + "periodStart"), g.objects(fact, NPC + "periodEnd"))) or [(None, None)]


def _body(g: Graph, b: Term) -> list[dict]:
    return [{"body": _after(b, "/body/"), "body_zh": _str(bz)} for bz in _opt(_labels(g, b.str()))]


def counts(g: Graph) -> Iterator[dict]:
    for c in g.of_type(NPC + "Count"):
        o = partial(g.objects, c)
        for b, value, u, mp, bound, mo, s in product(o(NPC + "body"), o(MEASURE + "obsValue"), o(ATTR + "unitMeasure"),
                                                     o(NPC + "measurePhrase"), o(NPC + "bound"), o(NPC + "modality"), o(NPC + "sentence")):
            if not (b.is_iri and u.is_iri):
                continue
            for unit, sent, year, (ps, pe), m, low, high, body, place in product(
                    _labels(g, u.str(), "zh"), _sentence(g, s, checksum=True), _opt(o(DIM + "refPeriod")), _period(g, c),
                    _opt(o(NPC + "measure")), _opt(o(NPC + "lowerBound")), _opt(o(NPC + "upperBound")), _body(g, b),
                    _places(g, b.str())):
                yield {"id": _after(c, "/id/"), **body, **place, "year": _value(year), "period_start": _str(ps), "period_end": _str(pe),
                       "measure": _after(m, "/measure/"), "measure_zh": mp.str(), "value": value.value(), "unit": unit.str(),
                       "bound": bound.value(), "low": _value(low), "high": _value(high), "modality": _after(mo, "/modality/"), **sent}


def practices(g: Graph) -> Iterator[dict]:
    for p in g.of_type(NPC + "MechanismPractice"):
        o = partial(g.objects, p)
        scopes = sorted({s.str() for s in o(NPC + "scope")})
        scope = "\t".join(scopes).replace("\t", "、") if scopes else None
        for b, m, st, mo, s, year, (ps, pe) in dict.fromkeys(product(o(NPC + "body"), o(NPC + "mechanism"), o(NPC + "stage"),
                                                                     o(NPC + "modality"), o(NPC + "sentence"), _opt(o(NPC + "year")),
                                                                     _period(g, p))):
            if not (b.is_iri and m.is_iri):
                continue
            for mz, sent, body, place in product(_labels(g, m.str(), "zh"), _sentence(g, s), _body(g, b), _places(g, b.str())):
                yield {"id": _after(p, "/id/"), **body, **place, "year": _value(year), "period_start": _str(ps), "period_end": _str(pe),
                       "mechanism": _after(m, "/mechanism/"), "mechanism_zh": mz.str(), "stage": _after(st, "/stage/"),
                       "scope": scope, "modality": _after(mo, "/modality/"), **sent}


def laws(g: Graph) -> Iterator[dict]:
    for a in g.of_type(NPC + "Activity"):
        o = partial(g.objects, a)
        for law, b, mo, s in product(o(NPC + "law"), o(NPC + "body"), o(NPC + "modality"), o(NPC + "sentence")):
            if not (law.is_iri and b.is_iri):
                continue
            for t, sent, at, year, body in product(g.objects(law.str(), DCT + "title"), _sentence(g, s), _opt(o(NPC + "activityType")),
                                                   _opt(o(NPC + "year")), _body(g, b)):
                yield {"id": _after(a, "/id/"), **body, "year": _value(year), "law": t.str(), "action": _after(at, "/activity/"),
                       "modality": _after(mo, "/modality/"), **sent}


def bodies(g: Graph) -> Iterator[dict]:
    for s in list(g.index):
        for b in g.objects(s, NPC + "reportingBody"):
            if b.is_iri:
                for body, place in product(_body(g, b), _places(g, b.str(), code=True)):
                    yield {**body, **place}


def reports(g: Graph) -> Iterator[dict]:
    for r in g.of_type(NPC + "Report"):
        o = partial(g.objects, r)
        years = ",".join(sorted({y.str() for y in o(NPC + "yearCovered")}))
        for b, t, genre, source, checksum in product(o(NPC + "reportingBody"), o(DCT + "title"), o(NPC + "genre"), o(NPC + "sourceFile"),
                                                     o(NPC + "checksum")):
            if not b.is_iri:
                continue
            for d, body in product(_opt(o(DCT + "date")), _body(g, b)):
                yield {"report": _after(r, "/report/"), **body, "title": t.str(), "years": years, "date": _str(d),
                       "genre": _after(genre, "/genre/"), "source": source.value(), "checksum": checksum.value()}


TABLES = {"counts": (counts, True), "practices": (practices, False), "bodies": (bodies, True), "laws": (laws, True),
          "reports": (reports, False)}  # each table's rows, and whether its query is SELECT DISTINCT


def answer(report: str | Graph, base: Graph, columns: dict[str, list[str]]) -> dict[str, list[list]]:
    """Each table's rows for one report graph (N-Triples, or read already; with ``base``, the
    ontology, beside it), as lists in the order of ``columns`` (its query's variables); tables with
    no row are left out."""
    g = Graph(report, base) if isinstance(report, str) else report.over(base)
    out = {}
    for name, (rows, distinct) in TABLES.items():
        found: Iterable[tuple] = (tuple(r[c] for c in columns[name]) for r in rows(g))
        if distinct:
            found = dict.fromkeys(found)
        lists = [list(r) for r in found]
        if lists:
            out[name] = lists
    return out
