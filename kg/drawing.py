"""Networks as pictures (PNG, SVG, PDF, a self-contained HTML page) and as files for Gephi, igraph
and networkx (GraphML, GEXF).

Pictures use a real CJK font (Noto Sans CJK SC from the ``mplfonts`` package) so Chinese labels
render instead of empty boxes; the HTML page embeds the subset of it that its labels need.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import networkx as nx

from kg import lexicon, names

FORMATS = names.NETWORK_FORMATS
STAGE_COLOURS = {"pilot": "#d62728", "adopt": "#ff7f0e", "expand": "#2ca02c", "implement": "#7f7f7f", "plan": "#9467bd"}
LEVEL_COLOURS = {"province": "#08306b", "prefecture": "#2171b5", "county": "#6baed6", "township": "#c6dbef", "national": "#000000"}


@cache
def cjk_font_path() -> Path:
    """Noto Sans CJK SC, as the PyPI package mplfonts ships it."""
    import mplfonts

    return Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"


def cjk_font() -> str:
    """Register Noto Sans CJK SC with matplotlib and return its family name."""
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def layout(g: nx.Graph) -> dict:
    """Seeded, so the same graph is drawn the same way every time. Large bipartite graphs put the
    mechanisms on a circle and each body near the mechanisms it practises (a spring layout collapses
    hundreds of bodies into a ball)."""
    mechs = sorted((n for n, d in g.nodes(data=True) if d.get("kind") == "mechanism"), key=lambda n: (-g.degree(n), n))
    if g.number_of_nodes() <= 120 or not mechs:
        return nx.spring_layout(g, seed=7, k=1.6 / max(1, g.number_of_nodes()) ** 0.5, weight="weight")
    import math
    import random

    rnd = random.Random(7)
    pos = {m: (math.cos(2 * math.pi * i / len(mechs)), math.sin(2 * math.pi * i / len(mechs))) for i, m in enumerate(mechs)}
    for n in sorted(g):
        if n in pos:
            continue
        around = [pos[m] for m in g.neighbors(n) if m in pos] or [(0.0, 0.0)]
        x = sum(p[0] for p in around) / len(around)
        y = sum(p[1] for p in around) / len(around)
        pos[n] = (0.8 * x + rnd.gauss(0, 0.06), 0.8 * y + rnd.gauss(0, 0.06))
    return pos


def _title(g: nx.Graph) -> str:
    return {"bipartite": "机构—机制网络 Body–mechanism network", "mechanisms": "机制共现网络 Mechanism co-adoption",
            "bodies": "机构相似网络 Body similarity",
            "diffusion": _diffusion_title(g.graph.get("mechanism", ""))}.get(g.graph.get("kind", ""), "network")


def _diffusion_title(mechanism: str) -> str:
    """The mechanism by its labels (民生实事项目人大代表票决制), not its slug."""
    concept = next((c for c in lexicon.concepts("mechanism") if c.id == mechanism), None)
    zh, en = (concept.label_zh, concept.label_en) if concept else (mechanism, mechanism)
    return f"{zh}的扩散 Diffusion of {en}"


def pyplot():
    """matplotlib's pyplot off-screen, with the CJK font first and text kept as text in SVG and PDF."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = [cjk_font(), "DejaVu Sans"]
    plt.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, editable, selectable
    plt.rcParams["pdf.fonttype"] = 42  # PDF embeds the font as TrueType/CID: text can be copied
    return plt


def node_styles(g: nx.Graph) -> dict[str, tuple[str, float]]:
    """Each node's colour and size (matplotlib's area in points²) as the pictures draw it: bodies by
    level (in a diffusion network by stage), mechanisms orange, regions grey; the area grows with the
    square root of the degree. GEXF files carry the same."""
    deg = dict(g.degree(weight="weight"))
    top = max(deg.values(), default=0) or 1
    big = g.number_of_nodes() > 120
    by_stage = g.graph.get("kind") == "diffusion"
    out = {}
    for n, d in g.nodes(data=True):
        grow = (deg[n] / top) ** 0.5
        if d.get("kind") == "mechanism":
            out[n] = ("#fdae6b", 80 + 900 * grow)
        elif d.get("kind") == "place":
            out[n] = ("#d9d9d9", 220.0)
        else:
            colour = STAGE_COLOURS.get(d.get("stage"), "#6baed6") if by_stage else LEVEL_COLOURS.get(d.get("level"), "#6baed6")
            out[n] = (colour, (12 if big else 250) + (60 if big else 900) * grow)
    return out


def edge_colour(data: dict) -> str:
    return STAGE_COLOURS.get(data.get("stage"), "#bbbbbb")


def draw(g: nx.Graph, out: str | Path, title: str | None = None, label_top: int = 40, fmt: str | None = None) -> Path:
    """PNG, SVG or PDF (by suffix unless ``fmt`` is given). Colour by kind, level and stage, size by degree; only the
    best-connected ``label_top`` nodes are labelled so that large networks stay legible."""
    from matplotlib.lines import Line2D

    plt = pyplot()
    family = cjk_font()
    out = Path(out)
    fig, ax = plt.subplots(figsize=(12, 9), dpi=110)
    if g.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "图为空 (empty graph)", ha="center", va="center", fontsize=16)
    else:
        pos = layout(g)
        deg = dict(g.degree(weight="weight"))
        big = g.number_of_nodes() > 120
        style = node_styles(g)
        by_kind = {k: [n for n, d in g.nodes(data=True) if d.get("kind") == k] for k in ("body", "mechanism", "place")}
        widths = [0.5 + 0.6 * d.get("weight", 1) for _, _, d in g.edges(data=True)]
        nx.draw_networkx_edges(g, pos, ax=ax, width=[0.3] * len(widths) if big else widths,
                               edge_color=[edge_colour(d) for _, _, d in g.edges(data=True)], alpha=0.08 if big else 0.6)
        stage_fill = g.graph.get("kind") == "diffusion"
        for kind, shape, edge in (("body", "s", "white"), ("mechanism", "o", "white"), ("place", "D", "#969696")):
            nx.draw_networkx_nodes(g, pos, nodelist=by_kind[kind], ax=ax, node_shape=shape, edgecolors=edge,
                                   node_color=[style[n][0] for n in by_kind[kind]], node_size=[style[n][1] for n in by_kind[kind]])
        ranked = sorted(g.nodes, key=lambda n: (g.nodes[n].get("kind") != "mechanism", -deg[n], n))
        # in a large graph the bodies cluster in the middle: only the mechanisms on the rim are named
        top = ranked[:label_top] if not big else [n for n in ranked if g.nodes[n].get("kind") == "mechanism"][:label_top]
        labels = {n: g.nodes[n]["label"] + (f"\n{g.nodes[n]['first_year']} {g.nodes[n]['stage_path']}"
                                            if stage_fill and g.nodes[n].get("kind") == "body" else "") for n in top}
        backing = {"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75}
        for n, text in labels.items():  # beside the node, not on it, on white over the edges it crosses (a path
            ax.annotate(text, pos[n], xytext=(9, 4), textcoords="offset points", fontsize=9, family=family,  # effect
                        va="bottom", ha="left", bbox=backing, zorder=5)  # would turn SVG text into outlines)
        handles = [Line2D([], [], marker="o", ls="", color="#fdae6b", markersize=10, label="机制 mechanism")] if by_kind["mechanism"] else []
        if not stage_fill:
            handles += [Line2D([], [], marker="s", ls="", color=LEVEL_COLOURS[lv], markersize=10, label=f"机构 body ({lv})")
                        for lv in ("province", "prefecture", "county") if any(g.nodes[n].get("level") == lv for n in by_kind["body"])]
        if by_kind["place"]:
            handles.append(Line2D([], [], marker="D", ls="", color="#d9d9d9", markersize=9, label="行政区 region"))
        if g.graph.get("kind") in ("bipartite", "diffusion"):
            handles += [Line2D([], [], color=c, lw=2, label=f"阶段 stage: {s}") for s, c in STAGE_COLOURS.items()]
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
    ax.set_title(title or _title(g), fontsize=14)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, format=fmt)
    plt.close(fig)
    return out


def write_html(g: nx.Graph, out: str | Path, title: str | None = None) -> Path:
    """A self-contained interactive page (inline SVG and script, nothing loaded from elsewhere):
    search by name, hover a node or an edge for its evidence sentence, drag to pan."""
    import json

    pos = layout(g) if g.number_of_nodes() else {}
    nodes = [{"id": n, "x": round(float(pos[n][0]), 4), "y": round(float(pos[n][1]), 4), "label": d.get("label", n),
              "kind": d.get("kind", ""), "info": " · ".join(f"{k}: {v}" for k, v in sorted(d.items()) if k not in ("label", "iri") and v != "")}
             for n, d in g.nodes(data=True)]
    edges = [{"s": u, "t": v, "stage": d.get("stage", ""), "w": d.get("weight", 1),
              "info": d.get("evidence", "") or " · ".join(f"{k}: {v}" for k, v in sorted(d.items()))}
             for u, v, d in g.edges(data=True)]
    data = json.dumps({"nodes": nodes, "edges": edges, "stage": STAGE_COLOURS, "level": LEVEL_COLOURS},
                      ensure_ascii=False).replace("</", "<\\/")
    title = title or _title(g)
    legend = "".join(f'<span><i style="background:{c}"></i>{_STAGE_ZH.get(k, k)} {k}</span>' for k, c in STAGE_COLOURS.items())
    legend += "".join(f'<span><b style="background:{c}"></b>{_LEVEL_ZH.get(k, k)}</span>' for k, c in LEVEL_COLOURS.items()
                      if k != "national")
    legend += '<span><b style="background:#fdae6b"></b>机制 mechanism</span>'
    font = _font_subset(_HTML + title + legend + "".join(n["label"] + n["info"] for n in nodes) + "".join(e["info"] for e in edges))
    page = (_HTML.replace("__FONT__", font).replace("__TITLE__", title).replace("__LEGEND__", legend)
            .replace("__DATA__", data))
    out = Path(out)
    out.write_text(page, encoding="utf-8")
    return out


_STAGE_ZH = {"pilot": "试点", "adopt": "推行", "expand": "推广", "implement": "实施", "plan": "计划"}
_LEVEL_ZH = {"province": "省级", "prefecture": "市级", "county": "县级", "township": "乡镇"}


def _font_subset(text: str) -> str:
    """The CJK font's glyphs for the characters a page shows, as a base64 OpenType font: the page
    reads right on a machine without any Chinese font, and weighs tens of KB, not the 16 MB font."""
    import base64
    import io

    from fontTools import subset

    options = subset.Options()
    options.layout_features, options.name_IDs, options.notdef_outline = [], [], True
    font = subset.load_font(str(cjk_font_path()), options)
    sub = subset.Subsetter(options)
    sub.populate(text=text + "0123456789—·: ")
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


_HTML = """<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>@font-face{font-family:npcCJK;src:url(data:font/otf;base64,__FONT__) format("opentype")}
body{margin:0;font-family:npcCJK,'Noto Sans CJK SC',sans-serif}header{padding:8px 12px;background:#f3f3f3}
input{font-family:inherit}#legend{font-size:12px;margin-left:12px}#legend span{margin-right:10px}
#legend i,#legend b{display:inline-block;width:14px;height:4px;margin-right:3px;vertical-align:middle}
#legend b{height:10px;width:10px;border-radius:5px}
#tip{position:fixed;max-width:420px;background:#fff;border:1px solid #999;padding:6px;font-size:13px;display:none}
svg{width:100vw;height:calc(100vh - 48px)}text{pointer-events:none}.dim{opacity:.15}</style></head>
<body><header><b>__TITLE__</b> <input id="q" placeholder="搜索 search…" size="24"><span id="legend">__LEGEND__</span>
<small>滚轮缩放 wheel to zoom · 拖动平移 drag to pan</small></header>
<svg id="svg" viewBox="-1.2 -1.2 2.4 2.4"></svg><div id="tip"></div>
<script>
const D=__DATA__, NS="http://www.w3.org/2000/svg", svg=document.getElementById("svg"), tip=document.getElementById("tip");
const P={}; D.nodes.forEach(n=>P[n.id]=n);
function el(t,a){const e=document.createElementNS(NS,t);for(const k in a)e.setAttribute(k,a[k]);svg.appendChild(e);return e}
function show(ev,txt){tip.textContent=txt;tip.style.display="block";tip.style.left=(ev.clientX+12)+"px";tip.style.top=(ev.clientY+12)+"px"}
function hide(){tip.style.display="none"}
D.edges.forEach(e=>{const a=P[e.s],b=P[e.t];const l=el("line",{x1:a.x,y1:a.y,x2:b.x,y2:b.y,stroke:D.stage[e.stage]||"#bbb",
 "stroke-width":0.004*(1+e.w),opacity:0.7});l.dataset.ends=e.s+"|"+e.t;l.onmousemove=ev=>show(ev,e.info);l.onmouseout=hide});
D.nodes.forEach(n=>{const c=n.kind=="mechanism"?"#fdae6b":n.kind=="place"?"#d9d9d9":(D.level[(n.info.match(/level: (\\w+)/)||[])[1]]||"#6baed6");
 const s=el("circle",{cx:n.x,cy:n.y,r:n.kind=="body"?0.03:0.022,fill:c,stroke:"#fff","stroke-width":0.004});s.dataset.id=n.id;
 s.onmousemove=ev=>show(ev,n.label+" — "+n.info);s.onmouseout=hide;
 const t=el("text",{x:n.x+0.03,y:n.y+0.01,"font-size":0.035});t.textContent=n.label;t.dataset.id=n.id});
document.getElementById("q").oninput=ev=>{const q=ev.target.value.trim();svg.querySelectorAll("[data-id]").forEach(x=>
 x.classList.toggle("dim",q!==""&&!P[x.dataset.id].label.includes(q)))};
let drag=null;svg.onmousedown=e=>drag=[e.clientX,e.clientY,...svg.getAttribute("viewBox").split(" ").map(Number)];
svg.onmouseup=()=>drag=null;svg.onwheel=e=>{e.preventDefault();const v=svg.getAttribute("viewBox").split(" ").map(Number);
 const r=svg.getBoundingClientRect(),f=e.deltaY>0?1.2:1/1.2,mx=v[0]+(e.clientX-r.left)/r.width*v[2],my=v[1]+(e.clientY-r.top)/r.height*v[3];
 svg.setAttribute("viewBox",[mx-(mx-v[0])*f,my-(my-v[1])*f,v[2]*f,v[3]*f].join(" "))};svg.onmousemove=e=>{if(!drag)return;const k=drag[4]/svg.clientWidth;
 svg.setAttribute("viewBox",[drag[2]-(e.clientX-drag[0])*k,drag[3]-(e.clientY-drag[1])*k,drag[4],drag[5]].join(" "))};
</script></body></html>
"""


def write(g: nx.Graph, out: str | Path, fmt: str | None = None) -> Path:
    """Write a network as png, svg, pdf, html, graphml or gexf (from the suffix unless ``fmt`` is given)."""
    out = Path(out)
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown network format {fmt!r}: {', '.join(FORMATS)}")
    if fmt in ("png", "svg", "pdf"):
        return draw(g, out, fmt=fmt)
    if fmt == "html":
        return write_html(g, out)
    if fmt == "graphml":
        nx.write_graphml(g, out)
    elif fmt == "gexf":
        write_gexf(g, out)
    return out


GEXF = "http://gexf.net/1.3"
GEXF_VIZ = "http://gexf.net/1.3/viz"


def write_gexf(g: nx.Graph, out: str | Path, title: str | None = None) -> Path:
    """GEXF 1.3 for Gephi with the picture's layout, sizes and colours (viz:position, viz:size,
    viz:color), so that it opens as drawn; every node and edge attribute typed, no date stamp (the same
    graph gives the same bytes)."""
    import math
    import xml.etree.ElementTree as ET

    ET.register_namespace("", GEXF)
    ET.register_namespace("viz", GEXF_VIZ)
    pos, style = layout(g), node_styles(g)
    root = ET.Element(f"{{{GEXF}}}gexf", {"version": "1.3"})
    meta = ET.SubElement(root, f"{{{GEXF}}}meta")
    ET.SubElement(meta, f"{{{GEXF}}}creator").text = "npc-kg"
    ET.SubElement(meta, f"{{{GEXF}}}description").text = title or _title(g)
    graph = ET.SubElement(root, f"{{{GEXF}}}graph", {"defaultedgetype": "directed" if g.is_directed() else "undirected", "mode": "static"})
    node_keys = _gexf_attributes(graph, "node", [d for _, d in g.nodes(data=True)], skip={"label"})
    edge_keys = _gexf_attributes(graph, "edge", [d for _, _, d in g.edges(data=True)], skip={"weight"})
    nodes = ET.SubElement(graph, f"{{{GEXF}}}nodes")
    for n, d in sorted(g.nodes(data=True)):
        node = ET.SubElement(nodes, f"{{{GEXF}}}node", {"id": str(n), "label": str(d.get("label", n))})
        _gexf_values(node, node_keys, d)
        colour, area = style[n]
        ET.SubElement(node, f"{{{GEXF_VIZ}}}color", _rgb(colour))
        ET.SubElement(node, f"{{{GEXF_VIZ}}}position", {"x": f"{1000 * pos[n][0]:.2f}", "y": f"{1000 * pos[n][1]:.2f}", "z": "0.0"})
        ET.SubElement(node, f"{{{GEXF_VIZ}}}size", {"value": f"{math.sqrt(area):.2f}"})
    edges = ET.SubElement(graph, f"{{{GEXF}}}edges")
    for i, (u, v, d) in enumerate(sorted(g.edges(data=True), key=lambda e: (str(e[0]), str(e[1])))):
        edge = ET.SubElement(edges, f"{{{GEXF}}}edge", {"id": str(i), "source": str(u), "target": str(v), "weight": str(d.get("weight", 1))})
        _gexf_values(edge, edge_keys, d)
        ET.SubElement(edge, f"{{{GEXF_VIZ}}}color", _rgb(edge_colour(d)))
    ET.indent(root)
    Path(out).write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n")
    return Path(out)


def _rgb(hex_colour: str) -> dict[str, str]:
    return dict(zip("rgb", (str(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5))))


def _gexf_attributes(graph, of: str, data: list[dict], skip: set[str]) -> dict[str, str]:
    """Declare the attributes ``data`` holds, each with the GEXF type of its values; their ids by name."""
    import xml.etree.ElementTree as ET

    names_ = sorted({k for d in data for k in d if k not in skip})
    if not names_:
        return {}
    block = ET.SubElement(graph, f"{{{GEXF}}}attributes", {"class": of})
    for i, name in enumerate(names_):
        values = [d[name] for d in data if name in d]
        kind = ("boolean" if all(isinstance(v, bool) for v in values) else "integer" if all(isinstance(v, int) for v in values)
                else "double" if all(isinstance(v, int | float) for v in values) else "string")
        ET.SubElement(block, f"{{{GEXF}}}attribute", {"id": str(i), "title": name, "type": kind})
    return {name: str(i) for i, name in enumerate(names_)}


def _gexf_values(element, keys: dict[str, str], data: dict) -> None:
    import xml.etree.ElementTree as ET

    present = [(keys[k], v) for k, v in sorted(data.items()) if k in keys and v is not None]
    if present:
        values = ET.SubElement(element, f"{{{GEXF}}}attvalues")
        for key, v in present:
            ET.SubElement(values, f"{{{GEXF}}}attvalue", {"for": key, "value": str(v).lower() if isinstance(v, bool) else str(v)})
