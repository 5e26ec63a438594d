"""The project's spaCy components, registered by versioned name (config over code).

Each component reads the Report attached to the Doc and writes its results to a Doc extension,
so a pipeline can be assembled, reordered or extended from a config like any spaCy pipeline.
Components work on ``doc.text`` (the report's simplified twin) with regular expressions: the
blank ``zh`` char tokenizer keeps offsets exact, and patterns over raw text are the fast path.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from kg.extract.counts import extract_counts
from kg.extract.laws import extract_laws_and_activities
from kg.extract.mechanisms import extract_practices
from kg.extract.sentences import split

for _name in ("report", "sentences", "counts", "practices", "laws", "activities"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


def _spans(doc: Doc, key: str, items: list, label: str) -> None:
    spans = []
    for it in items:
        ev = it.evidence
        span = doc.char_span(ev.mention_start, ev.mention_end, label=label, alignment_mode="expand")
        if span is not None:
            spans.append(span)
    doc.spans[key] = spans


@Language.component("npc_sentences_v1")
def sentences_component(doc: Doc) -> Doc:
    """Sentence boundaries, section headings, modality and year of each sentence."""
    doc._.sentences = split(doc._.report)
    return doc


@Language.component("npc_counts_v1")
def counts_component(doc: Doc) -> Doc:
    doc._.counts = extract_counts(doc._.report, doc._.sentences)
    _spans(doc, "counts", doc._.counts, "COUNT")
    return doc


@Language.component("npc_mechanisms_v1")
def mechanisms_component(doc: Doc) -> Doc:
    doc._.practices = extract_practices(doc._.report, doc._.sentences)
    _spans(doc, "mechanisms", doc._.practices, "MECHANISM")
    return doc


@Language.component("npc_laws_v1")
def laws_component(doc: Doc) -> Doc:
    doc._.laws, doc._.activities = extract_laws_and_activities(doc._.report, doc._.sentences)
    _spans(doc, "laws", doc._.laws, "LAW")
    return doc
