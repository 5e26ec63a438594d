from __future__ import annotations

import json

import networkx as nx
from conftest import SEED
from typer.testing import CliRunner

from kg import drawing, network
from kg.cli import app


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


def test_graphml_round_trip_and_png(built, tmp_path):
    g = built.network("bipartite")
    drawing.write(g, tmp_path / "n.graphml")
    back = nx.read_graphml(tmp_path / "n.graphml")
    assert set(back.nodes) == set(g.nodes) and back.number_of_edges() == g.number_of_edges()
    assert back.nodes["mechanism:dual-contact"]["label_en"] == "dual contact"
    png = drawing.write(g, tmp_path / "n.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    assert drawing.cjk_font() == "Noto Sans CJK SC"


def test_cli_extract_jsonl():
    res = CliRunner().invoke(app, ["extract", str(SEED["jiangxian"])])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert lines[0]["kind"] == "report" and lines[0]["body"] == "绛县人大常委会" and lines[0]["years"] == [2023]
    assert "绛县" in res.output  # UTF-8, not ASCII-escaped
    c = next(x for x in lines if x["kind"] == "count" and x["measure"] == "主任会议")
    assert (c["value"], c["unit"], c["bound"], c["modality"], c["year"]) == (14, "次", "exact", "reported", 2023)
    text = SEED["jiangxian"].read_text(encoding="utf-8")
    assert text[c["start"]:c["end"]] == c["quote"]
    kinds = {x["kind"] for x in lines}
    assert kinds == {"report", "count", "mechanism", "activity", "law"}


def test_cli_query_and_bad_param(built, tmp_path):
    store = str(built.store.path.parent)
    runner = CliRunner()
    ok = runner.invoke(app, ["query", "suggestion-satisfaction", "--store", store, "--format", "json"])
    assert ok.exit_code == 0, ok.output
    rows = json.loads(ok.output)
    assert [r["suggestions"] for r in rows] == [50, 492, 330, 140, 154]
    bad = runner.invoke(app, ["query", "bodies-by-mechanism", "-p", "mechanism=nope", "--store", store])
    assert bad.exit_code == 2 and "not a concept" in bad.output


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


def test_html_is_self_contained(built, tmp_path):
    import re

    page = drawing.write(built.network("bipartite"), tmp_path / "n.html").read_text(encoding="utf-8")
    assert "会东县人大常委会" in page and "在嘎吉镇、野租乡试点开展" in page  # labels and evidence for hover
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?https?:", page) and "<link" not in page
    assert "<script>" in page and 'id="q"' in page
    assert "svg.onwheel" in page and "试点 pilot" in page and "县级" in page  # zoom and a legend


def test_html_carries_the_glyphs_its_chinese_needs(built, tmp_path):
    """Chinese must not show as boxes on a machine without a CJK font: the page embeds a subset of
    the font with a glyph for every Chinese character on it, and stays small."""
    import base64
    import io
    import re

    from fontTools.ttLib import TTFont

    page = drawing.write(built.network("bipartite"), tmp_path / "n.html").read_text(encoding="utf-8")
    font = TTFont(io.BytesIO(base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", page).group(1))))
    covered = set(map(chr, font.getBestCmap()))
    shown = set(re.findall(r"[\u4e00-\u9fff]", page))
    assert len(shown) > 200 and shown <= covered
    assert len(page) < 400_000  # the whole font is 16 MB


def test_outputs_other_tools_read_without_warnings(built, tmp_path):
    """igraph reads the GraphML with warnings as errors and keeps every node's id; the GEXF has no
    attribute GEXF 1.2 does not define; SVG text stays text; one decimal is one term in every export."""
    import re
    import warnings
    import xml.etree.ElementTree as ET

    import igraph

    g = built.network("bipartite")
    drawing.write(g, tmp_path / "n.graphml")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ig = igraph.Graph.Read_GraphML(str(tmp_path / "n.graphml"))
    assert sorted(ig.vs["id"]) == sorted(g.nodes) and ig.ecount() == g.number_of_edges()
    drawing.write(g, tmp_path / "n.gexf")
    graph = ET.parse(tmp_path / "n.gexf").getroot().find("{http://www.gexf.net/1.2draft}graph")
    assert set(graph.attrib) == {"defaultedgetype", "mode"}
    drawing.write(g, tmp_path / "n.svg")
    svg = (tmp_path / "n.svg").read_text(encoding="utf-8")
    assert "<text" in svg and "绛县人大常委会" in svg  # searchable text, not glyph paths
    values = {fmt: set(re.findall(r'obsValue>? "?(\d+(?:\.\d+)?)', built.export(fmt).decode("utf-8"))) for fmt in ("nt", "ttl", "nq", "trig")}
    assert values["nt"] == values["ttl"] == values["nq"] == values["trig"] and "14.0" in values["nt"]


def test_csv_for_excel_has_a_bom_only_when_asked(built, tmp_path):
    from kg import tables

    df = built.table("counts")
    assert tables.write(df, "csv", None, bom=True).startswith("\ufeffid,body,")
    assert tables.write(df, "csv", None).startswith("id,body,")
