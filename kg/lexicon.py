"""The SKOS schemes in ``ontology/`` read as the extractor's lexicon.

The schemes are the single source of truth: the matchers below are compiled from their
labels, so teaching the extractor a new alias is a Turtle edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from kg.paths import ONTOLOGY, require

BASE = "https://w3id.org/npc-kg/"
NPC = Namespace(BASE + "ontology#")
SCHEMES = {
    name: Namespace(f"{BASE}{name}/")
    for name in ("mechanism", "measure", "unit", "level", "stage", "modality", "genre", "activity", "formula", "linking")
}


def turtle_folder(folder: Path) -> Graph:
    """All Turtle files of a folder in one graph."""
    g = Graph()
    for path in require(folder, "*.ttl"):
        g.parse(path, format="turtle")
    return g


@cache
def ontology_graph(folder: Path = ONTOLOGY) -> Graph:
    """The Turtle files of ``folder`` as one graph, with each scheme's skos:hasTopConcept written out
    from its concepts' skos:topConceptOf (a concept says once which scheme it heads)."""
    g = turtle_folder(folder)
    for concept, scheme in list(g.subject_objects(SKOS.topConceptOf)):
        g.add((scheme, SKOS.hasTopConcept, concept))
    return g


@cache
def digest(folder: Path = ONTOLOGY) -> str:
    """The lexicon's Turtle files, hashed: an edit to them (a new alias) makes the next build extract again."""
    import hashlib

    h = hashlib.sha256()
    for path in require(folder, "*.ttl"):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class Concept:
    scheme: str
    id: str  # local name, e.g. "livelihood-project-voting"
    label_zh: str
    label_en: str
    aliases: tuple[str, ...]  # prefLabel@zh and every altLabel@zh, longest first
    gapped: tuple[str, ...] = ()  # npc:gappedLabel@zh: parts joined by "…", found in order within one clause
    units: frozenset[str] = frozenset()  # npc:countedIn: the zh labels of the only units it is counted in (none: any)

    @property
    def iri(self) -> URIRef:
        return SCHEMES[self.scheme][self.id]


def _zh(lit: object) -> bool:
    return isinstance(lit, Literal) and (lit.language or "").startswith("zh")


@cache
def concepts(scheme: str) -> tuple[Concept, ...]:
    """The concepts of one scheme, in IRI order so that output is deterministic."""
    g = ontology_graph()
    ns = str(SCHEMES[scheme])
    out = []
    for c in sorted(set(g.subjects(RDF.type, SKOS.Concept))):
        if not str(c).startswith(ns):
            continue
        pref = {lit.language: str(lit) for lit in g.objects(c, SKOS.prefLabel) if isinstance(lit, Literal)}
        zh = pref.get("zh", "")
        alts = {str(lit) for lit in g.objects(c, SKOS.altLabel) if _zh(lit)} | ({zh} if zh else set())
        gapped = tuple(sorted(str(lit) for lit in g.objects(c, NPC.gappedLabel) if _zh(lit)))
        units = frozenset(str(lit) for u in g.objects(c, NPC.countedIn) for p in (SKOS.prefLabel, SKOS.altLabel)
                          for lit in g.objects(u, p) if _zh(lit))
        out.append(Concept(scheme, str(c)[len(ns):], zh, pref.get("en", ""),
                           tuple(sorted(alts, key=lambda a: (-len(a), a))), gapped, units))
    return tuple(out)


@cache
def labels(scheme: str) -> frozenset[str]:
    """Every zh label of a scheme (level: 县, 乡镇, 街道 …), for telling a level word from a name."""
    return frozenset(a for c in concepts(scheme) for a in c.aliases)


def concept(scheme: str, local: str) -> Concept:
    for c in concepts(scheme):
        if c.id == local:
            return c
    raise KeyError(f"{local!r} is not a concept of the {scheme} scheme; one of: {', '.join(c.id for c in concepts(scheme))}")


# what "…" in a gapped label stands for: a few characters of the same clause, a title in 《》 counting as one
# (检查《中华人民共和国企业国有资产法》实施情况)
GAP = r"(?:《[^《》\n]{1,60}》|[^，,。；;：:！？!?\n《]){0,12}?"


@dataclass(frozen=True)
class AliasMatcher:
    """Longest-leftmost matching of every alias of a scheme over a text."""

    pattern: re.Pattern[str]
    by_alias: dict[str, Concept]
    gapped: tuple[tuple[re.Pattern[str], Concept], ...] = ()

    def finditer(self, text: str):
        """Aliases, longest-leftmost; then gapped labels (检查…法律…实施情况) where no alias was found."""
        found = [(m.start(), m.end(), self.by_alias[m.group(0)]) for m in self.pattern.finditer(text)]
        for pattern, c in self.gapped:
            for m in pattern.finditer(text):
                if not any(s < m.end() and m.start() < e for s, e, _ in found):
                    found.append((m.start(), m.end(), c))
        yield from sorted(found, key=lambda f: (f[0], f[1], f[2].id))

    def best(self, phrase: str) -> Concept | None:
        """The concept whose alias ends last in ``phrase`` (the head of a Chinese noun phrase
        comes last), the longest alias on a tie."""
        hits = [(e, e - s, c) for s, e, c in self.finditer_overlapping(phrase)]
        return max(hits, key=lambda h: (h[0], h[1]))[2] if hits else None

    def finditer_overlapping(self, text: str):
        """Every alias at every place, overlaps included, by position (a look-up per length an alias
        has at each place: the phrases asked about are short, the aliases many)."""
        lengths = self.lengths
        for start in range(len(text)):
            for n in lengths:
                c = self.by_alias.get(text[start: start + n])
                if c is not None and start + n <= len(text):
                    yield start, start + n, c

    @cached_property
    def lengths(self) -> tuple[int, ...]:
        return tuple(sorted({len(a) for a in self.by_alias}))


@cache
def matcher(scheme: str) -> AliasMatcher:
    by_alias: dict[str, Concept] = {}
    for c in concepts(scheme):
        for a in c.aliases:
            by_alias.setdefault(a, c)
    alts = sorted(by_alias, key=lambda a: (-len(a), a))
    gapped = tuple((re.compile(GAP.join(map(re.escape, label.split("…")))), c) for c in concepts(scheme) for label in c.gapped)
    return AliasMatcher(re.compile("|".join(map(re.escape, alts))), by_alias, gapped)


@cache
def unit_scales() -> dict[str, int]:
    """Money units whose values are kept as written, with their scale in yuan."""
    g = ontology_graph()
    return {c.label_zh: int(g.value(c.iri, NPC.scale)) for c in concepts("unit") if g.value(c.iri, NPC.scale) is not None}
