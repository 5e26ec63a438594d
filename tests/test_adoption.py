"""How a mechanism spread (kg.adoption, kg.charts, the first-adopters query) on a corpus written for
it: a province, a prefecture and two of its counties over 2018–2020, with years no report covers."""

from __future__ import annotations

import pytest
from conftest import ROOT

import kg
from kg import adoption

CORPUS = ROOT / "tests" / "data" / "adoption"
MECH = "livelihood-project-voting"


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    graph = kg.build(CORPUS, out=tmp_path_factory.mktemp("adoption"))
    yield graph
    graph.close()


def test_the_event_history_table_row_by_row(g):
    t = g.adoption(MECH)
    cols = ["body_zh", "year", "observed", "reported", "stage", "event", "at_risk", "first_year", "parent_reported_before",
            "siblings_reported_before"]
    rows = [tuple(r) for r in t[cols].astype(object).where(t[cols].notna(), None).itertuples(index=False)]
    assert rows == [
        ("浙江省人大常委会", 2018, True, True, "pilot", True, True, 2018, False, 0),
        ("浙江省人大常委会", 2019, False, False, None, False, False, 2018, False, 0),  # no report covers 2019: not a zero
        ("浙江省人大常委会", 2020, True, False, None, False, False, 2018, False, 0),
        ("宁波市人大常委会", 2018, True, False, None, False, True, 2020, False, 0),
        ("宁波市人大常委会", 2019, False, False, None, False, True, 2020, True, 0),
        ("宁波市人大常委会", 2020, True, True, "expand", True, True, 2020, True, 0),
        ("象山县人大常委会", 2019, True, True, "adopt", True, True, 2019, False, 1),  # 宁海 reported in 2018
        ("宁海县人大常委会", 2018, True, True, "pilot", True, True, 2018, False, 0),
    ]
    assert set(t.parent_body.dropna()) == {"33-standing-committee", "3302-standing-committee"}
    assert t.evidence.iloc[0].startswith("2018年，省人大常委会在部分县开展民生实事项目人大代表票决制试点")


def test_a_body_observed_that_never_reports_the_mechanism_is_at_risk_every_year(g):
    t = g.adoption("enforcement-inspection")  # only the province reports it (2020)
    assert t[["body_zh", "year", "observed", "event", "at_risk"]].values.tolist() == [
        ["浙江省人大常委会", 2018, True, False, True], ["浙江省人大常委会", 2019, False, False, True],
        ["浙江省人大常委会", 2020, True, True, True],
        ["宁波市人大常委会", 2018, True, False, True], ["宁波市人大常委会", 2019, False, False, True],
        ["宁波市人大常委会", 2020, True, False, True],
        ["象山县人大常委会", 2019, True, False, True], ["宁海县人大常委会", 2018, True, False, True]]


def test_adoption_curves_count_adopters_and_observed_bodies_apart(g):
    c = adoption.curves(g.adoption(MECH), MECH, "level")
    assert c.values.tolist() == [
        ["county", 2018, 1, 1], ["county", 2019, 2, 1], ["county", 2020, 2, 0],
        ["prefecture", 2018, 0, 1], ["prefecture", 2019, 0, 0], ["prefecture", 2020, 1, 1],
        ["province", 2018, 1, 1], ["province", 2019, 1, 0], ["province", 2020, 1, 1]]


def test_the_province_share_counts_only_bodies_observed_that_year(g):
    s = adoption.province_shares(g.adoption(MECH), MECH, 2019)
    assert s.values.tolist() == [["浙江省", 1, 1, 1.0]]  # 象山 alone is observed in 2019, and had adopted


def test_who_came_first_per_province_and_level(g):
    rows = g.rows("first-adopters", mechanism=MECH).rows
    assert [(r["province"], r["level"], r["year"], r["body_zh"], r["stage"]) for r in rows] == [
        ("浙江省", "county", "2018", "宁海县人大常委会", "pilot"),
        ("浙江省", "prefecture", "2020", "宁波市人大常委会", "expand"),
        ("浙江省", "province", "2018", "浙江省人大常委会", "pilot")]
    assert rows[0]["example"] == "2018年，县人大常委会试点民生实事项目人大代表票决制。"


def test_the_diffusion_network_runs_from_a_body_to_those_below_it_that_came_later(g):
    net = g.network("diffusion", mechanism=(MECH,))
    top_down = sorted((a, b) for a, b, d in net.edges(data=True) if d["kind"] == "parent-child")
    assert top_down == [("body:浙江省人大常委会", "body:宁波市人大常委会")]


@pytest.mark.parametrize(("kind", "suffix"), [("adoption", "png"), ("adoption", "svg"), ("grid", "png"), ("grid", "html")])
def test_the_pictures_are_written(g, tmp_path, kind, suffix):
    out = g.plot(kind, MECH, tmp_path / f"x.{suffix}", year=2020)
    data = out.read_bytes()
    assert {"png": data[:8] == b"\x89PNG\r\n\x1a\n", "svg": b"<svg" in data[:2000],
            "html": b"data:image/png;base64," in data and "浙江".encode() in data}[suffix]
