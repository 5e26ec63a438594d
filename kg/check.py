"""What does not add up: numbers the reports give for one thing that disagree, totals that do not
match the items they list, and percentages that cannot be.

Each finding names the body, year and measure, the two values and both evidence sentences, so that
a reader can decide which is right (often neither is wrong: a cumulative and a yearly figure, a
summary rounding the work report). Only exact counts of a known measure in one unit are compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# one report gives one body's count for a year twice, with two values; two reports give it with different
# values; what a report planned for a year next to what another says was done that year
# a stated total next to the laws the same sentence names (more named than the total, or fewer without 等);
# a percentage above 100 (kept out of the graph by its shape, listed here from the build's rejected facts);
# shares of one whole, in one sentence, that add up past 100 %
# a report whose body nothing in its text decided (kg.linking abstained): its facts hang on no body
KINDS = ("two-values-in-one-report", "reports-disagree", "plan-and-result", "total-and-items", "rate-over-100",
         "shares-over-100", "no-body")
PERCENT_SHAPE = "https://w3id.org/npc-kg/shapes#Percentage"
SHARE_CUE = "占"  # 占…的比例: a part of one whole


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
    second: Evidence | None = None  # a finding about one sentence has one

    def text(self) -> str:
        if self.kind == "no-body":
            return f"no-body: {self.first.report}: nothing in its text decided its body ({_one_line(self.first.quote)})"
        what = " ".join(str(x) for x in (self.body_zh, self.year or "", self.measure) if x)
        values = _number(self.first.value) + ("" if self.second is None else f" vs {_number(self.second.value)}")
        lines = [f"{self.kind}: {what} ({self.unit}): {values}", f"    {self.first.report}@{self.first.start}: {_one_line(self.first.quote)}"]
        if self.second is not None and (self.second.report, self.second.start) != (self.first.report, self.first.start):
            lines.append(f"    {self.second.report}@{self.second.start}: {_one_line(self.second.quote)}")
        return "\n".join(lines)


def _one_line(quote: str) -> str:
    return " ".join(quote.split())


def _number(v: float) -> str:
    if v != v:  # not known (a fact kept out of the graph keeps only its sentence)
        return "?"
    return str(int(v)) if float(v).is_integer() else str(v)


def check(counts: pd.DataFrame, laws: pd.DataFrame | None = None, rejected: list[dict] | None = None,
          reports: pd.DataFrame | None = None) -> list[Finding]:
    """The findings over the counts, laws and reports tables (kg.tables) and the build's rejected facts,
    in a stable order."""
    out = _disagreements(counts)
    if laws is not None:
        out += _totals(counts, laws)
    out += _shares(counts)
    out += [Finding("rate-over-100", "", 0, r.get("source", ""), "%", Evidence(r["report"].rsplit("/", 1)[-1], float("nan"), r["quote"], 0))
            for r in rejected or [] if r.get("shape") == PERCENT_SHAPE]
    if reports is not None:
        unnamed = reports[reports.body_zh.isna() | (reports.body_zh == "")].sort_values(["source", "report"])
        out += [Finding("no-body", "", 0, "", "", Evidence(str(r.source), float("nan"), str(r.title), 0)) for r in unnamed.itertuples()]
    return out


def _disagreements(counts: pd.DataFrame) -> list[Finding]:
    """Counts are "the same" when they share body, year, measure and unit and either are the only
    such count on each side or have the same measure phrase: a sentence that lists 29个乡级代表站和
    114个村级联络室 gives two counts of one measure that do not contradict each other."""
    c = counts[(counts.bound == "exact") & counts.measure.notna() & counts.year.notna()]
    c = c.sort_values(["report", "start", "id"])
    key = ["body_zh", "year", "measure", "unit"]
    out: list[Finding] = []
    for k, group in c.groupby(key, sort=True, observed=True):
        reported, planned = group[group.modality == "reported"], group[group.modality == "planned"]
        for _, same in reported.groupby(["report", "measure_zh"], sort=True, observed=True):
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


def _totals(counts: pd.DataFrame, laws: pd.DataFrame) -> list[Finding]:
    """A count of enforcement inspections next to the laws its sentence names for inspection: more
    laws named than the total, or fewer with no 等 (and others) to say the list is cut short."""
    inspected = laws[laws.action == "enforcement-inspection"].groupby(["report", "quote"], observed=True).law.nunique()
    c = counts[(counts.measure == "enforcement-inspection") & counts.unit.isin(["部", "项"]) & (counts.bound == "exact")]
    out = []
    for _, r in c.sort_values(["report", "start", "id"]).iterrows():
        named = int(inspected.get((r.report, r.quote), 0))
        if named and (named > r.value or (named < r.value and "等" not in r.quote)):
            out.append(Finding("total-and-items", str(r.body_zh), _year(r.year), str(r.measure), str(r.unit),
                               Evidence(str(r.report), float(r.value), str(r.quote), int(r.start)),
                               Evidence(str(r.report), float(named), str(r.quote), int(r.start))))
    return out


def _shares(counts: pd.DataFrame) -> list[Finding]:
    """Percentages in one sentence, each a share (占) of something, that add up past 100."""
    c = counts[(counts.unit == "%") & counts.measure_zh.astype(str).str.contains(SHARE_CUE, regex=False)]
    out = []
    for (report, start), group in c.groupby(["report", "start"], sort=True, observed=True):
        if len(group) > 1 and group.value.sum() > 100:
            r = group.iloc[0]
            out.append(Finding("shares-over-100", str(r.body_zh), _year(r.year), "shares", "%",
                               Evidence(str(report), float(group.value.sum()), str(r.quote), int(start))))
    return out


def _year(y: object) -> int:
    return 0 if pd.isna(y) else int(y)


def _pairs(left: pd.DataFrame, right: pd.DataFrame) -> list[tuple[pd.Series, pd.Series]]:
    """Counts of one thing on two sides whose values differ (a value the other side also gives for
    that phrase is no disagreement)."""
    if left.empty or right.empty:
        return []
    if len(left.drop_duplicates("value")) == 1 and len(right.drop_duplicates("value")) == 1:
        a, b = left.iloc[0], right.iloc[0]
        return [(a, b)] if a.value != b.value else []
    out = []
    for phrase, lg in left.groupby("measure_zh", sort=True, observed=True):
        rg = right[right.measure_zh == phrase]
        if not rg.empty and not set(lg.value) & set(rg.value):
            out.append((lg.iloc[0], rg.iloc[0]))
    return out


def _finding(kind: str, k: tuple, a: pd.Series, b: pd.Series) -> Finding:
    body, year, measure, unit = k
    return Finding(kind, str(body), int(year), str(measure), str(unit),
                   Evidence(str(a.report), float(a.value), str(a.quote), int(a.start)),
                   Evidence(str(b.report), float(b.value), str(b.quote), int(b.start)))
