"""How a mechanism spread: adoption data in the layout event-history (survival) models expect.

One row per body × mechanism × year over the years the corpus covers for that body, so that "this body
did not adopt" (observed, no event) is told from "no report of this body for that year" (not observed):
no silent zeros. The event is the first year a report says, as work done, that the body practises the
mechanism; a body is at risk up to and including that year. Each row also says whether the body's
parent in the gazetteer (the province over a prefecture, the prefecture over a county, the county over
a township) had reported the mechanism before, and how many of its siblings (same parent) had.

Built from the build's tables (kg.tables), so it answers for the store as they do.
"""

from __future__ import annotations

import pandas as pd

from kg.places import gazetteer

# strongest first: the stage a body × year row shows when a year's sentences give several
STAGES = ("pilot", "adopt", "expand", "implement")
COLUMNS = ["body", "body_zh", "mechanism", "year", "observed", "reported", "stage", "event", "at_risk", "first_year",
           "first_pilot_year", "first_adopt_year", "level", "province", "prefecture", "place_code", "parent_body",
           "parent_reported_before", "siblings_reported_before", "evidence"]


def adoption(practices: pd.DataFrame, reports: pd.DataFrame, bodies: pd.DataFrame, mechanism: str | None = None) -> pd.DataFrame:
    """The event-history table (see the module); ``mechanism``: one mechanism's rows only."""
    done = practices[(practices.modality == "reported") & practices.year.notna()]
    if mechanism is not None:
        done = done[done.mechanism == mechanism]
    observed = _observed_years(reports)
    info = bodies.drop_duplicates("body").set_index("body")
    parents = {b: parent_body(code) for b, code in info.place_code.items() if isinstance(code, str)}
    children: dict[str, list[str]] = {}
    for b, p in parents.items():
        if p is not None:
            children.setdefault(p, []).append(b)
    firsts = done.groupby(["body", "mechanism"], observed=True).year.min().astype(int).to_dict()
    years_of = {k: {int(y) for y in g} for k, g in done.groupby(["body", "mechanism"], observed=True).year}
    names = dict(zip(done.body, done.body_zh))
    cols = ("body_zh", "level", "province", "prefecture", "place_code")
    meta_of = info[list(cols)].astype(object).where(info[list(cols)].notna(), None).to_dict("index")
    ordered = done.sort_values(["report", "start"], kind="stable")
    per_year = {k: (set(g.stage), g.quote.iloc[0]) for k, g in ordered.groupby(["body", "mechanism", "year"], sort=False, observed=True)}
    pilot_first, adopt_first = (_firsts(done, stages) for stages in (("pilot",), ("adopt", "expand", "implement")))
    rows = []
    for mech in sorted(done.mechanism.unique()):
        # every body a report observes is at risk, whether or not any report of it names the mechanism
        for body in sorted({b for b, m in years_of if m == mech} | (set(observed) & set(meta_of))):
            years = observed.get(body, set()) | years_of.get((body, mech), set())
            parent = parents.get(body)
            siblings = [b for b in children.get(parent, ()) if b != body] if parent else []
            meta = meta_of.get(body) or {"body_zh": names.get(body)}
            first = firsts.get((body, mech))
            base = {"body": body, "mechanism": mech, "first_year": first, "first_pilot_year": pilot_first.get((body, mech)),
                    "first_adopt_year": adopt_first.get((body, mech)), "parent_body": parent,
                    **{k: meta.get(k) for k in cols}}
            for year in range(min(years), max(years) + 1):
                that = per_year.get((body, mech, year))
                rows.append({**base, "year": year, "observed": year in observed.get(body, set()) or that is not None,
                             "reported": that is not None,
                             "stage": next((s for s in STAGES if that is not None and s in that[0]), None),
                             "event": year == first, "at_risk": first is None or year <= first,
                             "parent_reported_before": parent is not None and firsts.get((parent, mech), 10**4) < year,
                             "siblings_reported_before": sum(firsts.get((s, mech), 10**4) < year for s in siblings),
                             "evidence": None if that is None else that[1]})
    out = pd.DataFrame(rows, columns=COLUMNS)
    out = out.sort_values(["mechanism", "body", "year"], kind="stable").reset_index(drop=True)
    for col in ("year", "first_year", "first_pilot_year", "first_adopt_year", "siblings_reported_before"):
        out[col] = out[col].astype("Int64")
    for col in ("observed", "reported", "event", "at_risk", "parent_reported_before"):
        out[col] = out[col].astype("boolean")
    for col in ("body", "body_zh", "mechanism", "stage", "level", "province", "prefecture", "place_code", "parent_body", "evidence"):
        out[col] = out[col].astype("string")
    return out


def _firsts(done: pd.DataFrame, stages: tuple[str, ...]) -> dict[tuple[str, str], int]:
    """(body, mechanism) → the first year its reports give one of these stages."""
    return done[done.stage.isin(stages)].groupby(["body", "mechanism"], observed=True).year.min().astype(int).to_dict()


def _observed_years(reports: pd.DataFrame) -> dict[str, set[int]]:
    """The years a report of each body covers."""
    out: dict[str, set[int]] = {}
    for body, years in zip(reports.body, reports.years):
        for y in str(years or "").split(","):
            if y.strip().isdigit():
                out.setdefault(body, set()).add(int(y))
    return out


def parent_body(code: str) -> str | None:
    """The body one level up in the gazetteer: a township's county, a county's prefecture (or, for a
    municipality's district, the municipality), a prefecture's province."""
    place = gazetteer().by_code.get(code)
    if place is None or not place.parent:
        return None
    return f"{place.parent}-standing-committee"


def curves(table: pd.DataFrame, mechanism: str, by: str = "level") -> pd.DataFrame:
    """Year × group: bodies that have reported the mechanism by that year (cumulative) and bodies
    observed that year, so that a curve of coverage is not read as a curve of adoption."""
    t = table[table.mechanism == mechanism]
    years = range(int(t.year.min()), int(t.year.max()) + 1) if len(t) else range(0)
    rows = []
    for group, g in t.groupby(by, dropna=False, sort=True, observed=True):
        firsts = g.drop_duplicates("body").first_year.dropna()
        for y in years:
            rows.append({by: group, "year": y, "adopted": int((firsts <= y).sum()),
                         "observed": int(g[(g.year == y) & g.observed].body.nunique())})
    return pd.DataFrame(rows, columns=[by, "year", "adopted", "observed"])


def province_shares(table: pd.DataFrame, mechanism: str, year: int) -> pd.DataFrame:
    """Per province: bodies observed in ``year``, how many of them had reported the mechanism by then,
    and the share."""
    t = table[(table.mechanism == mechanism) & (table.year == year) & table.observed.fillna(False)]
    g = t.groupby("province", sort=True, observed=True)
    out = pd.DataFrame({"observed": g.body.nunique(),
                        "adopted": g.apply(lambda x: x[x.first_year.notna() & (x.first_year <= year)].body.nunique())})
    out["share"] = out.adopted / out.observed
    return out.reset_index()
