"""Extraction: a blank spaCy ``zh`` pipeline with the project's registered components."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from kg.facts import Activity, Count, Fact, Law, Practice
from kg.report import Report

if TYPE_CHECKING:  # spaCy takes a second to import: a build with nothing to extract does without it
    from spacy.language import Language

PIPELINE = ("npc_sentences_v1", "npc_counts_v1", "npc_mechanisms_v1", "npc_laws_v1")
VERSION = "npc-extract/5"  # bump when facts or graph layout change: it invalidates build caches


@cache
def pipeline(components: tuple[str, ...] = PIPELINE) -> Language:
    import spacy

    import kg.extract.factories  # noqa: F401  (registers the components)

    nlp = spacy.blank("zh")  # the default char segmenter: no model download, exact offsets
    nlp.max_length = 10_000_000  # no parser or NER, so spaCy's 1 M guard does not apply; the read limit (8 MB) does
    for name in components:
        nlp.add_pipe(name)
    return nlp


@dataclass
class Extraction:
    report: Report
    counts: list[Count]
    practices: list[Practice]
    activities: list[Activity]
    laws: list[Law]

    @property
    def facts(self) -> list[Fact]:
        return [*self.counts, *self.practices, *self.activities, *self.laws]


def extract(report: Report, nlp: Language | None = None) -> Extraction:
    from spacy.tokens import Doc

    nlp = nlp or pipeline()
    # one token per character, as the blank zh char segmenter makes them, built directly: its
    # make_doc re-slices the text per token (28 s for 1 M characters here, quadratic)
    doc = Doc(nlp.vocab, words=list(report.norm), spaces=[False] * len(report.norm)) if report.norm else nlp.make_doc("")
    doc._.report = report
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return Extraction(report, doc._.counts or [], doc._.practices or [], doc._.activities or [], doc._.laws or [])
