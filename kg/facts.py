"""The facts the extractor produces: plain dataclasses, each with its evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.report import Report


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    section: str  # the heading the sentence lies under ("" before the first one)
    modality: str  # reported | planned
    year: int | None  # the year the sentence is about, before any year it names itself
    period: tuple[int, int] | None = None  # several years (五年来, 2018—2022年): then year is None


@dataclass(frozen=True)
class Evidence:
    """Where a fact comes from: the whole sentence (start, end, quote) and the mention inside it."""

    start: int
    end: int
    quote: str
    mention_start: int
    mention_end: int
    mention: str
    section: str = ""
    page: int | None = None  # of a PDF, from 1: the page the mention is on
    ocr: bool = False  # that page was read by OCR: check the quote against the page image

    @classmethod
    def of(cls, report: Report, sent: Sentence, start: int, end: int) -> Evidence:
        """Evidence for the mention ``start:end`` (offsets inside ``sent``, in the clean text the
        extractor reads), with offsets and quotes in the report's text as given."""
        s0, s1 = report.given(sent.start, sent.end)
        m0, m1 = report.given(sent.start + start, sent.start + end)
        page = report.page(m0)
        return cls(s0, s1, report.text[s0:s1], m0, m1, report.text[m0:m1], sent.section, page, page in report.ocr_pages)

    @classmethod
    def around(cls, report: Report, start: int, end: int) -> Evidence:
        """Evidence for a span of the clean text outside any extracted sentence (the mention that
        decided a report's body): its sentence is the text between the sentence ends around it."""
        norm = report.norm
        s0 = max(norm.rfind(c, 0, start) for c in "。！？!?\n") + 1
        ends = [i for i in (norm.find(c, end) for c in "。！？!?\n") if i >= 0]
        s1 = min(ends) + 1 if ends else len(norm)
        while s1 > s0 and norm[s1 - 1] == "\n":
            s1 -= 1
        return cls.of(report, Sentence(s0, s1, "", "reported", None), start - s0, end - s0)


@dataclass(frozen=True)
class Count:
    body: str | None
    year: int | None
    measure: str
    measure_id: str | None
    value: Decimal
    unit: str
    bound: str
    low: Decimal | None
    high: Decimal | None
    modality: str
    evidence: Evidence
    period: tuple[int, int] | None = None
    kind: str = field(default="count", init=False)


@dataclass(frozen=True)
class Practice:
    body: str | None
    year: int | None
    mechanism: str
    label: str
    stage: str
    scope: tuple[str, ...]
    modality: str
    evidence: Evidence
    scope_places: tuple[str, ...] = ()  # division codes of the named places in scope
    period: tuple[int, int] | None = None
    body_place: str | None = None  # division code of the body that practises, when not the reporting body
    kind: str = field(default="mechanism", init=False)


@dataclass(frozen=True)
class Activity:
    body: str | None
    year: int | None
    activity: str
    label: str
    law: str | None
    modality: str
    evidence: Evidence
    period: tuple[int, int] | None = None
    kind: str = field(default="activity", init=False)


@dataclass(frozen=True)
class Law:
    body: str | None
    year: int | None
    law: str
    action: str | None
    modality: str
    evidence: Evidence
    period: tuple[int, int] | None = None
    kind: str = field(default="law", init=False)


Fact = Count | Practice | Activity | Law


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, tuple):
        return list(v)
    return v


def fact_to_json(f: Fact) -> dict[str, Any]:
    """The flat JSON object of the ``kg extract`` contract (field names are fixed)."""
    d = asdict(f)
    ev = d.pop("evidence")
    out = {"kind": f.kind, **{k: _plain(v) for k, v in d.items() if k != "kind"}}
    out.update(quote=ev["quote"], start=ev["start"], end=ev["end"],
               mention=ev["mention"], mention_start=ev["mention_start"], mention_end=ev["mention_end"],
               section=ev["section"], page=ev["page"], ocr=ev["ocr"])
    return out
