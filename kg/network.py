"""Mechanism networks as networkx graphs, built from the stored query ``body-mechanism-edges``
(which reads the build's practice summaries), and their statistics. Pictures and files: kg.drawing."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import networkx as nx
import pandas as pd

from kg import names, queries
from kg.adoption import parent_body
from kg.places import gazetteer
from kg.stores import Store

KINDS = names.NETWORK_KINDS
STAGES = ("pilot", "adopt", "expand", "implement", "plan")


def _regions(place_code: str) -> dict[str, str]:
    """Province and prefecture names of a division code, from the gazetteer."""
    gaz = gazetteer()
    place = gaz.by_code.get(place_code)
    chain = gaz.chain(place) if place else []
    return {lvl: next((p.name for p in chain if p.level == lvl), "") for lvl in ("province", "prefecture")}


def bipartite(store: Store, modality: str = "reported", mechanisms: tuple[str, ...] = (), province: str | None = None,
              hierarchy: bool = False) -> nx.Graph:
    """Bodies and mechanisms; an edge when a body reports practising a mechanism. ``mechanisms`` and
    ``province`` filter; ``hierarchy`` adds province and prefecture nodes that contain the bodies."""
    rows = store.query(queries.get("body-mechanism-edges").bind({"modality": modality})).rows
    g = nx.Graph(kind="bipartite")
    for r in rows:
        regions = _regions(str(r["place_code"]))
        if (mechanisms and r["mechanism"] not in mechanisms) or (province and province not in (regions["province"],)):
            continue
        b, m = f"body:{r['body_zh']}", f"mechanism:{r['mechanism']}"
        g.add_node(b, kind="body", label=r["body_zh"], label_zh=r["body_zh"], level=r["level"] or "",
                   place_code=str(r["place_code"]), iri=r["body"], **regions)
        g.add_node(m, kind="mechanism", label=r["label_zh"], label_zh=r["label_zh"], label_en=r["label_en"],
                   mechanism=r["mechanism"])  # not "id": GraphML readers take that for the node id
        stages = sorted(s for s in (r["stages"] or "").split(",") if s)
        g.add_edge(b, m, kind="practice", stages=",".join(stages), stage=_strongest(stages), years=r["years"] or "",
                   weight=int(r["evidence_count"]), evidence=r["example"] or "")
    if hierarchy:
        add_hierarchy(g)
    return g


def add_hierarchy(g: nx.Graph) -> nx.Graph:
    """Province → prefecture → body edges (kind "contains") so that bodies group by region."""
    for n, d in list(g.nodes(data=True)):
        if d.get("kind") != "body":
            continue
        child = n
        for lvl in ("prefecture", "province"):
            name = d.get(lvl)
            if not name or name == d.get("label", "").removesuffix("人大常委会"):
                continue
            node = f"place:{name}"
            g.add_node(node, kind="place", label=name, label_zh=name, level=lvl)
            g.add_edge(node, child, kind="contains", weight=1)
            child = node
    return g


def diffusion(store: Store, mechanism: str = "livelihood-project-voting") -> nx.DiGraph:
    """For one mechanism: each body with the first year it reports the mechanism and its stage path
    (pilot → adopt → expand …), linked from its province in the order bodies took it up."""
    from kg.tables import table

    t = table(store, "practices")
    t = t[(t.mechanism == mechanism) & (t.modality == "reported")]
    g = nx.DiGraph(kind="diffusion", mechanism=mechanism)
    for body, rows in t.groupby("body_zh", observed=True):
        rows = rows.sort_values(["year", "start"])
        path = list(dict.fromkeys(rows.stage))
        first = int(rows.year.min()) if rows.year.notna().any() else None
        regions = {k: "" if pd.isna(rows[k].iloc[0]) else str(rows[k].iloc[0]) for k in ("province", "prefecture")}
        g.add_node(f"body:{body}", kind="body", label=str(body), first_year=first or 0, stage_path="→".join(path),
                   stage=_strongest(path), level=str(rows.level.iloc[0]), evidence=str(rows.quote.iloc[0]), **regions)
    for prov, nodes in sorted(_by(g, "province").items()):
        root = f"place:{prov}" if prov else "place:?"
        g.add_node(root, kind="place", label=prov or "?", level="province", first_year=0, stage_path="", stage="")
        for n in sorted(nodes, key=lambda n: (g.nodes[n]["first_year"], n)):
            g.add_edge(root, n, year=g.nodes[n]["first_year"], weight=1, kind="province")
    # top-down spread: a body to the bodies below it in the gazetteer that reported the mechanism later
    node_of = {str(b): f"body:{z}" for b, z in zip(t.body, t.body_zh)}
    for local, child in sorted(node_of.items()):
        parent = node_of.get(parent_body(local.split("-", 1)[0]) or "")
        if parent and 0 < g.nodes[parent]["first_year"] < g.nodes[child]["first_year"]:
            g.add_edge(parent, child, year=g.nodes[child]["first_year"], weight=1, kind="parent-child")
    return g


def _by(g: nx.Graph, attr: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for n, d in g.nodes(data=True):
        if d.get("kind") == "body":
            out.setdefault(d.get(attr, ""), []).append(n)
    return out


def _strongest(stages: list[str]) -> str:
    return next((s for s in STAGES if s in stages), "implement")


def mechanisms(store: Store, modality: str = "reported", **filters) -> nx.Graph:
    """Mechanism co-adoption: weight = number of bodies that practise both."""
    return _project(bipartite(store, modality, **filters), "mechanism")


def bodies(store: Store, modality: str = "reported", **filters) -> nx.Graph:
    """Body similarity: weight = number of mechanisms both practise."""
    return _project(bipartite(store, modality, **filters), "body")


def _project(b: nx.Graph, kind: str) -> nx.Graph:
    g = nx.Graph(kind={"mechanism": "mechanisms", "body": "bodies"}[kind])
    keep = sorted(n for n, d in b.nodes(data=True) if d["kind"] == kind)
    g.add_nodes_from((n, b.nodes[n]) for n in keep)
    weights: Counter[tuple[str, str]] = Counter()
    for other in (n for n, d in b.nodes(data=True) if d["kind"] not in (kind, "place")):
        for u, v in combinations(sorted(x for x in b.neighbors(other) if b.nodes[x]["kind"] == kind), 2):
            weights[(u, v)] += 1
    for (u, v), w in sorted(weights.items()):
        g.add_edge(u, v, weight=w)
    return g


def build_graph(store: Store, kind: str = "bipartite", modality: str = "reported", mechanism: tuple[str, ...] = (),
                province: str | None = None, hierarchy: bool = False) -> nx.Graph:
    if kind not in KINDS:
        raise ValueError(f"unknown network kind {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "diffusion":
        return diffusion(store, mechanism[0] if mechanism else "livelihood-project-voting")
    filters = {"mechanisms": tuple(mechanism), "province": province}
    if kind == "bipartite":
        return bipartite(store, modality, hierarchy=hierarchy, **filters)
    return {"mechanisms": mechanisms, "bodies": bodies}[kind](store, modality, **filters)


def stats(g: nx.Graph) -> dict[str, pd.DataFrame]:
    """Centralities, Louvain communities (fixed seed) and, for the bipartite graph, the mechanisms
    most often practised together."""
    und = g.to_undirected() if g.is_directed() else g
    deg = nx.degree_centrality(und)
    btw = nx.betweenness_centrality(und)
    comms = nx.community.louvain_communities(und, weight="weight", seed=7) if und.number_of_edges() else [set(und)]
    community = {n: i for i, c in enumerate(sorted(comms, key=lambda c: (-len(c), sorted(c)))) for n in c}
    nodes = pd.DataFrame([{"node": n, "label": d.get("label", n), "kind": d.get("kind", ""), "degree": und.degree(n),
                           "degree_centrality": round(deg[n], 4), "betweenness": round(btw[n], 4), "community": community[n]}
                          for n, d in und.nodes(data=True)])
    out = {"nodes": nodes.sort_values(["degree", "node"], ascending=[False, True]).reset_index(drop=True)}
    if g.graph.get("kind") == "bipartite":
        co = _project(g, "mechanism")
        pairs = [{"mechanism_a": co.nodes[u]["label"], "mechanism_b": co.nodes[v]["label"], "bodies": d["weight"]}
                 for u, v, d in co.edges(data=True)]
        out["co_adoption"] = (pd.DataFrame(pairs, columns=["mechanism_a", "mechanism_b", "bodies"])
                              .sort_values(["bodies", "mechanism_a", "mechanism_b"], ascending=[False, True, True])
                              .reset_index(drop=True))
    return out
