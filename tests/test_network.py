"""Mechanism networks as graphs (kg.network): edges, projections, diffusion, filters, statistics."""

from __future__ import annotations

from kg import network


def test_bipartite_edges(built):
    g = built.network("bipartite")
    bodies = {d["label"] for n, d in g.nodes(data=True) if d["kind"] == "body"}
    assert bodies == {"会东县人大常委会", "大足区人大常委会", "大方县人大常委会", "巴彦淖尔市人大常委会", "绛县人大常委会"}
    e = g.edges["body:会东县人大常委会", "mechanism:livelihood-project-voting"]
    assert (e["stage"], e["years"], e["weight"]) == ("pilot", "2020", 2)
    assert g.edges["body:大足区人大常委会", "mechanism:livelihood-project-voting"]["stage"] == "adopt"
    assert not g.has_edge("body:会东县人大常委会", "mechanism:first-topic")


def test_projections(built):
    m = built.network("mechanisms")
    b = built.network("bipartite")
    both = {n for n in b.neighbors("mechanism:enforcement-inspection")} & {n for n in b.neighbors("mechanism:special-inquiry")}
    assert m.edges["mechanism:enforcement-inspection", "mechanism:special-inquiry"]["weight"] == len(both) > 0
    bodies = built.network("bodies")
    shared = set(b.neighbors("body:绛县人大常委会")) & set(b.neighbors("body:巴彦淖尔市人大常委会"))
    assert bodies.edges["body:绛县人大常委会", "body:巴彦淖尔市人大常委会"]["weight"] == len(shared)


def test_diffusion(built):
    d = built.network("diffusion", mechanism=("livelihood-project-voting",))
    got = {d.nodes[n]["label"]: (d.nodes[n]["first_year"], d.nodes[n]["stage_path"]) for n in d if d.nodes[n]["kind"] == "body"}
    assert got == {"会东县人大常委会": (2020, "pilot"), "大足区人大常委会": (2022, "adopt"), "大方县人大常委会": (2022, "implement"),
                   "巴彦淖尔市人大常委会": (2020, "implement→pilot")}
    assert sorted(d.edges) == [("place:内蒙古自治区", "body:巴彦淖尔市人大常委会"), ("place:四川省", "body:会东县人大常委会"),
                               ("place:贵州省", "body:大方县人大常委会"), ("place:重庆市", "body:大足区人大常委会")]


def test_hierarchy_filters_and_stats(built):
    h = built.network("bipartite", hierarchy=True)
    assert h.has_edge("place:四川省", "place:凉山彝族自治州") and h.has_edge("place:凉山彝族自治州", "body:会东县人大常委会")
    assert h.has_edge("place:内蒙古自治区", "body:巴彦淖尔市人大常委会")  # a prefecture body hangs under its province
    sc = built.network("bipartite", province="四川省")
    assert {d["label"] for _, d in sc.nodes(data=True) if d["kind"] == "body"} == {"会东县人大常委会"}
    one = built.network("bipartite", mechanism=("first-topic",))
    assert sorted(one.nodes) == ["body:绛县人大常委会", "mechanism:first-topic"]
    st = network.stats(built.network("bipartite"))
    top = st["nodes"].iloc[0]
    assert top["degree"] == max(dict(built.network("bipartite").degree()).values())
    co = st["co_adoption"]
    first = co.iloc[0]
    assert (first["mechanism_a"], first["mechanism_b"], first["bodies"]) == ("人大代表联络站", "代表培训", co["bodies"].max())
    assert first["bodies"] == 4
