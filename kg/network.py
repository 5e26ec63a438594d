"""Mechanism networks with networkx, built from the stored query ``body-mechanism-edges``.

Pictures use a real CJK font (Noto Sans CJK SC from the ``mplfonts`` package) so Chinese
labels render instead of empty boxes.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from itertools import combinations
from pathlib import Path

import networkx as nx

from kg import queries
from kg.store import Store

KINDS = ("bipartite", "mechanisms", "bodies")
STAGE_COLOURS = {"pilot": "#d62728", "adopt": "#ff7f0e", "expand": "#2ca02c", "implement": "#7f7f7f", "plan": "#9467bd"}
LEVEL_COLOURS = {"province": "#08306b", "prefecture": "#2171b5", "county": "#6baed6", "township": "#c6dbef", "national": "#000000"}


def bipartite(store: Store, modality: str = "reported") -> nx.Graph:
    """Bodies and mechanisms; an edge when a body reports practising a mechanism."""
    rows = store.query(queries.get("body-mechanism-edges").bind({"modality": modality})).rows
    g = nx.Graph(kind="bipartite")
    for r in rows:
        b, m = f"body:{r['body_zh']}", f"mechanism:{r['mechanism']}"
        g.add_node(b, kind="body", label=r["body_zh"], label_zh=r["body_zh"], level=r["level"] or "",
                   place_code=str(r["place_code"]), iri=r["body"])
        g.add_node(m, kind="mechanism", label=r["label_zh"], label_zh=r["label_zh"], label_en=r["label_en"], id=r["mechanism"])
        stages = sorted(s for s in (r["stages"] or "").split(",") if s)
        g.add_edge(b, m, stages=",".join(stages), stage=_strongest(stages), years=r["years"] or "",
                   weight=int(r["evidence_count"]), evidence=r["example"] or "")
    return g


def _strongest(stages: list[str]) -> str:
    return next((s for s in ("pilot", "adopt", "expand", "implement", "plan") if s in stages), "implement")


def mechanisms(store: Store, modality: str = "reported") -> nx.Graph:
    """Mechanism co-adoption: weight = number of bodies that practise both."""
    return _project(bipartite(store, modality), "mechanism")


def bodies(store: Store, modality: str = "reported") -> nx.Graph:
    """Body similarity: weight = number of mechanisms both practise."""
    return _project(bipartite(store, modality), "body")


def _project(b: nx.Graph, kind: str) -> nx.Graph:
    g = nx.Graph(kind=f"{kind}s")
    keep = sorted(n for n, d in b.nodes(data=True) if d["kind"] == kind)
    g.add_nodes_from((n, b.nodes[n]) for n in keep)
    weights: Counter[tuple[str, str]] = Counter()
    for other in (n for n, d in b.nodes(data=True) if d["kind"] != kind):
        for u, v in combinations(sorted(b.neighbors(other)), 2):
            weights[(u, v)] += 1
    for (u, v), w in sorted(weights.items()):
        g.add_edge(u, v, weight=w)
    return g


def build_graph(store: Store, kind: str = "bipartite", modality: str = "reported") -> nx.Graph:
    if kind not in KINDS:
        raise ValueError(f"unknown network kind {kind!r}; choose one of {', '.join(KINDS)}")
    return {"bipartite": bipartite, "mechanisms": mechanisms, "bodies": bodies}[kind](store, modality)


@cache
def cjk_font() -> str:
    """Register Noto Sans CJK SC with matplotlib and return its family name."""
    import mplfonts
    from matplotlib import font_manager

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def draw(g: nx.Graph, out: str | Path, title: str | None = None, label_top: int = 40) -> Path:
    """PNG or SVG (by suffix). Colour by kind/stage/level, size by degree; only the best-connected
    ``label_top`` nodes are labelled so that large networks stay legible."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    family = cjk_font()
    plt.rcParams["font.family"] = [family, "DejaVu Sans"]
    out = Path(out)
    fig, ax = plt.subplots(figsize=(12, 9), dpi=110)
    if g.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "图为空 (empty graph)", ha="center", va="center", fontsize=16)
    else:
        pos = nx.spring_layout(g, seed=7, k=1.6 / max(1, g.number_of_nodes()) ** 0.5, weight="weight")
        deg = dict(g.degree(weight="weight"))
        bodies = [n for n, d in g.nodes(data=True) if d.get("kind") == "body"]
        mechs = [n for n, d in g.nodes(data=True) if d.get("kind") == "mechanism"]
        widths = [0.5 + 0.6 * d.get("weight", 1) for _, _, d in g.edges(data=True)]
        if g.graph.get("kind") == "bipartite":
            colours = [STAGE_COLOURS.get(d.get("stage"), "#bbbbbb") for _, _, d in g.edges(data=True)]
        else:
            colours = ["#999999"] * g.number_of_edges()
        nx.draw_networkx_edges(g, pos, ax=ax, width=widths, edge_color=colours, alpha=0.6)
        nx.draw_networkx_nodes(g, pos, nodelist=bodies, ax=ax, node_shape="s",
                               node_color=[LEVEL_COLOURS.get(g.nodes[n].get("level"), "#6baed6") for n in bodies],
                               node_size=[250 + 120 * deg[n] for n in bodies], edgecolors="white")
        nx.draw_networkx_nodes(g, pos, nodelist=mechs, ax=ax, node_color="#fdae6b",
                               node_size=[150 + 90 * deg[n] for n in mechs], edgecolors="white")
        top = sorted(g.nodes, key=lambda n: (-deg[n], n))[:label_top]
        nx.draw_networkx_labels(g, pos, labels={n: g.nodes[n]["label"] for n in top}, ax=ax, font_size=9, font_family=family)
        handles = [Line2D([], [], marker="s", ls="", color=LEVEL_COLOURS["county"], markersize=10, label="机构 body (县级 county)"),
                   Line2D([], [], marker="s", ls="", color=LEVEL_COLOURS["prefecture"], markersize=10, label="机构 body (地级 prefecture)"),
                   Line2D([], [], marker="o", ls="", color="#fdae6b", markersize=10, label="机制 mechanism")]
        if g.graph.get("kind") == "bipartite":
            handles += [Line2D([], [], color=c, lw=2, label=f"阶段 stage: {s}") for s, c in STAGE_COLOURS.items()]
        ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
    ax.set_title(title or {"bipartite": "机构—机制网络 Body–mechanism network",
                           "mechanisms": "机制共现网络 Mechanism co-adoption",
                           "bodies": "机构相似网络 Body similarity"}.get(g.graph.get("kind", ""), "network"), fontsize=14)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def write(g: nx.Graph, out: str | Path, fmt: str | None = None) -> Path:
    """Write a network as png, svg, graphml or gexf (from the suffix unless ``fmt`` is given)."""
    out = Path(out)
    fmt = fmt or out.suffix.lstrip(".").lower()
    if fmt in ("png", "svg"):
        return draw(g, out)
    if fmt == "graphml":
        nx.write_graphml(g, out)
    elif fmt == "gexf":
        nx.write_gexf(g, out)
    else:
        raise ValueError(f"unknown network format {fmt!r}: png, svg, graphml or gexf")
    return out
