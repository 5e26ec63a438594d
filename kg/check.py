"""What does not add up: numbers the reports give for one thing that disagree.

Each finding names the body, year and measure, the two values and both evidence sentences, so that
a reader can decide which is right (often neither is wrong: a cumulative and a yearly figure, a
summary rounding the work report). Only exact counts of a known measure in one unit are compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# one report gives one body's count for a year twice, with two values; two reports give it with different
# values; what a report planned for a year next to what another says was done that year
KINDS = ("two-values-in-one-report", "reports-disagree", "plan-and-result")


@dataclass(frozen=True)
class Evidence:
    report: str
    value: float
    quote: str
    start: int


@dataclass(frozen=True)
class Finding:
    kind: str
    body_zh: str
    year: int
    measure: str
    unit: str
    first: Evidence
    second: Evidence

    def text(self) -> str:
        return (f"{self.kind}: {self.body_zh} {self.year} {self.measure} ({self.unit}): "
                f"{_number(self.first.value)} vs {_number(self.second.value)}\n"
                f"    {self.first.report}@{self.first.start}: {_one_line(self.first.quote)}\n"
                f"    {self.second.report}@{self.second.start}: {_one_line(self.second.quote)}")


def _one_line(quote: str) -> str:
    return " ".join(quote.split())


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def check(counts: pd.DataFrame) -> list[Finding]:
    """The findings over the counts table (kg.tables), in a stable order. Counts are "the same" when
    they share body, year, measure and unit and either are the only such count on each side or have
    the same measure phrase: a sentence that lists 29个乡级代表站和114个村级联络室 gives two counts of
    one measure that do not contradict each other."""
    c = counts[(counts.bound == "exact") & counts.measure.notna() & counts.year.notna()]
    c = c.sort_values(["report", "start", "id"])
    key = ["body_zh", "year", "measure", "unit"]
    out: list[Finding] = []
    for k, group in c.groupby(key, sort=True):
        reported, planned = group[group.modality == "reported"], group[group.modality == "planned"]
        for _, same in reported.groupby(["report", "measure_zh"], sort=True):
            sentences = same.drop_duplicates("start")
            if sentences.value.nunique() > 1:
                a = sentences.iloc[0]
                out.append(_finding("two-values-in-one-report", k, a, sentences[sentences.value != a.value].iloc[0]))
        reports = sorted(set(reported.report))
        for i, ra in enumerate(reports):
            for rb in reports[i + 1:]:
                out.extend(_finding("reports-disagree", k, a, b)
                           for a, b in _pairs(reported[reported.report == ra], reported[reported.report == rb]))
        for rp in sorted(set(planned.report)):
            done = reported[reported.report != rp]
            out.extend(_finding("plan-and-result", k, a, b) for a, b in _pairs(planned[planned.report == rp], done))
    return out


def _pairs(left: pd.DataFrame, right: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """Counts of one thing on two sides whose values differ (a value the other side also gives for
    that phrase is no disagreement)."""
    if left.empty or right.empty:
        return []
    if len(left.drop_duplicates("value")) == 1 and len(right.drop_duplicates("value")) == 1:
        a, b = left.iloc[0], right.iloc[0]
        return [(a, b)] if a.value != b.value else []
    out = []
    for phrase, lg in left.groupby("measure_zh", sort=True):
        rg = right[right.measure_zh == phrase]
        if not rg.empty and not set(lg.value) & set(rg.value):
            out.append((lg.iloc[0], rg.iloc[0]))
    return out


def _finding(kind: str, k: tuple, a: pd.Series, b: pd.Series) -> Finding:
    body, year, measure, unit = k
    return Finding(kind, str(body), int(year), str(measure), str(unit),
                   Evidence(str(a.report), float(a.value), str(a.quote), int(a.start)),
                   Evidence(str(b.report), float(b.value), str(b.quote), int(b.start)))
