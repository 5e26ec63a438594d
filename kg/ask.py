"""Questions in people's own words, mapped by rules to one stored query and its parameters.

The names a question gives are read with the lexicon the extractor uses (mechanism and measure
labels, levels) and the gazetteer (places; a place with 人大 after it, or any place below a
province, is a body); years as digits or as 今年/去年/前年 against the newest year the graph covers.
The kinds of question, their cue words and what each needs are data (``ontology/questions.ttl``):
among the kinds that apply, the lowest rank wins. Nothing is guessed by a model and nothing is
fetched; a question no kind applies to is refused, with the closest kinds named.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from kg import lexicon, queries
from kg.places import gazetteer
from kg.report import simplify
from kg.stores import Rows, Store

QUESTION = lexicon.BASE + "question/"
NPC = lexicon.NPC
SLOTS = ("body", "province", "prefecture", "level", "year", "measure", "mechanism")
_BODY_AFTER = re.compile(r"^(?:人民代表大会常务委员会|人大常委会|人大|常委会)")
_BODY_WORD = re.compile(r"(?:人民代表大会常务委员会|人大常委会|人民代表大会|人大)(?!会议|代表|干部)")  # a body, not a measure
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


class Unanswerable(ValueError):
    """A question no kind applies to; ``closest`` names the kinds nearest to it."""

    def __init__(self, message: str, closest: list[Kind]) -> None:
        super().__init__(message)
        self.closest = closest


@dataclass(frozen=True)
class Kind:
    """A kind of question: the stored query that answers it and when it applies."""

    id: str
    query: str
    rank: int
    label_zh: str
    label_en: str
    cues: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # slot names, or slot=value
    takes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()

    def applies(self, found: dict[str, Any], text: str) -> bool:
        if self.cues and not any(_has(text, c) for c in self.cues):
            return False
        for need in self.requires:
            slot, _, value = need.partition("=")
            if slot not in found or (value and str(found[slot]) != value):
                return False
        return not any(slot in found for slot in self.excludes)


@dataclass
class Reading:
    """What a question names, as stored-query parameter values."""

    text: str
    found: dict[str, Any] = field(default_factory=dict)


@dataclass
class Interpretation:
    question: str
    kind: Kind
    params: dict[str, Any]
    ignored: dict[str, Any]  # what the question named that the chosen query does not take


@dataclass
class Answer:
    interpretation: Interpretation
    rows: Rows


def _has(text: str, cue: str) -> bool:
    """A cue in the question; an English one as whole words ("count" is not in "county")."""
    if cue.isascii():
        return re.search(rf"(?<![a-z]){re.escape(cue.lower().replace('-', ' '))}(?![a-z])", text) is not None
    return cue in text


@cache
def kinds() -> tuple[Kind, ...]:
    g = lexicon.ontology_graph()

    def strs(c: URIRef, p: URIRef) -> tuple[str, ...]:
        return tuple(sorted(str(o) for o in g.objects(c, p)))

    def label(c: URIRef, lang: str) -> str:
        return next((str(o) for o in g.objects(c, SKOS.prefLabel) if isinstance(o, Literal) and o.language == lang), "")

    out = []
    for c in set(g.subjects(NPC.answeredBy, None)):
        out.append(Kind(str(c).removeprefix(QUESTION), str(g.value(c, NPC.answeredBy)), int(g.value(c, NPC.rank)),
                        label(c, "zh"), label(c, "en"), strs(c, NPC.cue), strs(c, NPC.requires), strs(c, NPC.takes),
                        strs(c, NPC.excludes)))
    return tuple(sorted(out, key=lambda k: (k.rank, k.id)))


@cache
def _relative_years() -> tuple[tuple[str, int], ...]:
    g = lexicon.ontology_graph()
    words = [(str(w).lower(), int(off)) for c, off in g.subject_objects(NPC.yearOffset)
             for p in (SKOS.prefLabel, SKOS.altLabel) for w in g.objects(c, p)]
    return tuple(sorted(words, key=lambda w: -len(w[0])))


@cache
def _names() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Every mechanism, measure and level name a question may give, longest first, each with the
    (slot, value) pairs it stands for (执法检查 is a mechanism and a measure)."""
    names: dict[str, set[tuple[str, str]]] = {}

    def add(name: str, slot: str, value: str) -> None:
        names.setdefault(name.lower().replace("-", " "), set()).add((slot, value))

    g = lexicon.ontology_graph()
    for slot in ("mechanism", "measure"):
        for c in lexicon.concepts(slot):
            for a in c.aliases:
                if len(a) >= 2:
                    add(a, slot, c.id)
            for en in {c.label_en, *(str(o) for o in g.objects(c.iri, SKOS.altLabel) if isinstance(o, Literal) and o.language == "en")}:
                add(en, slot, c.id)
                add(re.sub(r"s\b", "", en), slot, c.id)  # enforcement inspection(s)
    for c in lexicon.concepts("level"):
        for name in (c.label_zh, f"{c.label_en}-level", f"{c.label_en} level", *(f"{a}级" for a in c.aliases if len(a) == 1)):
            add(name, "level", c.id)
    return tuple(sorted(((n, tuple(sorted(v))) for n, v in names.items()), key=lambda n: (-len(n[0]), n[0])))


def read(question: str, newest_year: int | None = None) -> Reading:
    """The names a question gives, as parameter values (body label, province, level id, year, …)."""
    text = simplify(unicodedata.normalize("NFKC", question)).lower().replace("-", " ")
    found: dict[str, Any] = {}
    taken = [False] * len(text)

    def claim(start: int, end: int) -> bool:
        if any(taken[start:end]):
            return False
        taken[start:end] = [True] * (end - start)
        return True

    for m in _BODY_WORD.finditer(text):
        claim(m.start(), m.end())
    for name, meanings in _names():
        for m in re.finditer(re.escape(name), text):
            whole = not name.isascii() or _has(text[max(0, m.start() - 1):m.end() + 1], name)
            if whole and claim(m.start(), m.end()):
                for slot, value in meanings:
                    found.setdefault(slot, value)
    for m in _YEAR.finditer(text):
        found.setdefault("year", int(m.group(1)))
    if newest_year is not None:
        for word, offset in _relative_years():
            if word in text:
                found.setdefault("year", newest_year + offset)
    _places(text, taken, found)
    return Reading(text, found)


def _places(text: str, taken: list[bool], found: dict[str, Any]) -> None:
    """Places by their gazetteer names, longest first: a body if 人大 follows or the place is below a
    prefecture without a level word; otherwise the province or prefecture the question is about."""
    gaz = gazetteer()
    i = 0
    while i < len(text):
        for j in range(min(len(text), i + 12), i + 1, -1):
            if any(taken[i:j]) or text[i:j] not in gaz.by_name:
                continue
            place = gaz.lookup(text[i:j], context=text)
            if place is None:
                continue
            body = _BODY_AFTER.match(text[j:])
            if body or place.level not in ("province", "prefecture"):
                found.setdefault("body", f"{place.name}人大常委会")
            else:
                found.setdefault(place.level, place.name)
            i = j + (body.end() if body else 0) - 1
            break
        i += 1


def interpret(question: str, newest_year: int | None = None) -> Interpretation:
    """The stored query and parameters that answer a question, or Unanswerable with the closest kinds."""
    if not question.strip():
        raise Unanswerable("an empty question", list(kinds()[:3]))
    reading = read(question, newest_year)
    for kind in kinds():
        if kind.applies(reading.found, reading.text):
            accepted = {p.name for p in queries.get(kind.query).params}
            wanted = {s.partition("=")[0] for s in (*kind.requires, *kind.takes)} & accepted
            params = {k: v for k, v in reading.found.items() if k in wanted}
            ignored = {k: v for k, v in reading.found.items() if k not in params and v not in params.values()
                       and not any(r.partition("=")[0] == k for r in kind.requires)}
            return Interpretation(question, kind, params, ignored)
    raise Unanswerable(f"no stored question matches {question!r}" + (f" (it names {_shown(reading.found)})" if reading.found else ""),
                       closest(reading))


def closest(reading: Reading, n: int = 3) -> list[Kind]:
    """The kinds whose labels share the most with the question (character pairs, English words)."""
    def grams(s: str) -> set[str]:
        s = s.lower()
        return {s[i:i + 2] for i in range(len(s) - 1) if not s[i:i + 2].isascii()} | set(re.findall(r"[a-z]{3,}", s))

    q = grams(reading.text)
    score = {k: len(q & grams(k.label_zh + " " + k.label_en + " " + " ".join(k.cues))) for k in kinds()}
    return sorted(kinds(), key=lambda k: (-score[k], k.rank))[:n]


def _shown(found: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in found.items())


def newest_year(store: Store) -> int | None:
    """The newest year the graph's reports cover: what 今年 means."""
    rows = store.query(f"SELECT (MAX(?y) AS ?n) WHERE {{ ?r <{NPC.yearCovered}> ?y }}").rows
    return rows[0]["n"] if rows and rows[0]["n"] is not None else None


def ask(store: Store, question: str, timeout: float | None = None) -> Answer:
    """Map the question (``interpret``) and run the stored query it maps to."""
    it = interpret(question, newest_year(store))
    return Answer(it, store.query(queries.get(it.kind.query).bind(it.params), timeout=timeout))


EVIDENCE = ("example", "quote", "evidence")  # the column that holds a row's sentence, where a query has one


def render(answer: Answer, limit: int = 50) -> str:
    """Each row on a line, its evidence sentence on the next: the number and what it stands on."""
    lines = []
    for r in answer.rows.rows[:limit]:
        lines.append("  ".join(str(v) for k, v in r.items() if k not in EVIDENCE and v is not None and not str(v).startswith("http")))
        lines += [f"    「{r[k]}」" for k in EVIDENCE if r.get(k)]
    more = len(answer.rows) - limit
    lines.append(f"({len(answer.rows)} rows" + (f", the first {limit} shown: `kg query {answer.interpretation.kind.query}` gives all)"
                                                 if more > 0 else ")"))
    return "\n".join(lines)


def describe(it: Interpretation) -> str:
    """One line: which stored query, with which parameters (and what the question named that it ignored)."""
    line = f"{it.kind.query}  ({it.kind.label_zh} / {it.kind.label_en})"
    line += "  " + (" ".join(f"{k}={v}" for k, v in it.params.items()) or "no parameters")
    if it.ignored:
        line += f"  [not used: {_shown(it.ignored)}]"
    return line
