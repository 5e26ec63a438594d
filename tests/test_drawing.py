"""Networks as pictures and files (kg.drawing): fonts, the HTML page, files other tools read."""

from __future__ import annotations

import networkx as nx
import pytest

from kg import drawing


def test_graphml_round_trip_and_png(built, tmp_path):
    g = built.network("bipartite")
    drawing.write(g, tmp_path / "n.graphml")
    back = nx.read_graphml(tmp_path / "n.graphml")
    assert set(back.nodes) == set(g.nodes) and back.number_of_edges() == g.number_of_edges()
    assert back.nodes["mechanism:dual-contact"]["label_en"] == "dual contact"
    png = drawing.write(g, tmp_path / "n.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000
    assert drawing.cjk_font() == "Noto Sans CJK SC"


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
    root = ET.parse(tmp_path / "n.gexf").getroot()
    assert root.tag == "{http://gexf.net/1.3}gexf" and root.get("version") == "1.3"
    assert root.find("{http://gexf.net/1.3}meta/{http://gexf.net/1.3}lastmodifieddate") is None  # no date: same graph, same bytes
    nodes = root.findall("{http://gexf.net/1.3}graph/{http://gexf.net/1.3}nodes/{http://gexf.net/1.3}node")
    assert sorted(n.get("id") for n in nodes) == sorted(g.nodes) and "绛县人大常委会" in {n.get("label") for n in nodes}
    viz = "{http://gexf.net/1.3/viz}"
    pos, style = drawing.layout(g), drawing.node_styles(g)
    for n in nodes:  # as drawn: the picture's layout, colour and size
        x, y = float(n.find(viz + "position").get("x")), float(n.find(viz + "position").get("y"))
        assert (round(x), round(y)) == (round(1000 * pos[n.get("id")][0]), round(1000 * pos[n.get("id")][1]))
        colour = n.find(viz + "color")
        assert "#" + "".join(f"{int(colour.get(c)):02x}" for c in "rgb") == style[n.get("id")][0]
        assert float(n.find(viz + "size").get("value")) ** 2 == pytest.approx(style[n.get("id")][1], rel=0.01)
    first = (tmp_path / "n.gexf").read_bytes()
    drawing.write(g, tmp_path / "n.gexf")
    assert (tmp_path / "n.gexf").read_bytes() == first
    drawing.write(g, tmp_path / "n.svg")
    svg = (tmp_path / "n.svg").read_text(encoding="utf-8")
    assert "<text" in svg and "绛县人大常委会" in svg  # searchable text, not glyph paths
    values = {fmt: set(re.findall(r'obsValue>? "?(\d+(?:\.\d+)?)', built.export(fmt).decode("utf-8"))) for fmt in ("nt", "ttl", "nq", "trig")}
    assert values["nt"] == values["ttl"] == values["nq"] == values["trig"] and "14.0" in values["nt"]
