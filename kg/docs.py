"""HTML documentation of the ontology, its SKOS schemes and the SHACL shapes, zh and en side by side.

pyLODE 3.4.1 (the newest on PyPI here) fails on import, so the page is rendered from the graphs
directly, with what pyLODE and Widoco give: the ontology's metadata, a namespaces table, each class
with its super- and subclasses and the properties whose domain or range it is, each property with its
domain and range, the schemes, the shapes, and the files themselves to download. One self-contained
page, no scripts, nothing loaded from elsewhere.
"""

from __future__ import annotations

import shutil
from html import escape
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from kg import lexicon
from kg.paths import ONTOLOGY, SHAPES

CSS = """body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f3f3f3}code{font-size:90%}h2{border-bottom:2px solid #2171b5;padding-bottom:4px}nav a{margin-right:1em}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 1em}dt{font-weight:bold}"""
VANN = "http://purl.org/vocab/vann/"


def _lang(g: Graph, s: object, p: URIRef, lang: str) -> str:
    return "; ".join(sorted(str(o) for o in g.objects(s, p) if isinstance(o, Literal) and (o.language or "").startswith(lang)))


def _local(iri: object) -> str:
    s = str(iri)
    return s.rsplit("#", 1)[-1] if "#" in s else s.rstrip("/").rsplit("/", 1)[-1]


def _term(g: Graph, node: object) -> str:
    """A term as a reader finds it: a link for the ontology's own, a union as A ∪ B, a prefixed name else."""
    if isinstance(node, BNode):
        union = g.value(node, OWL.unionOf)
        return " ∪ ".join(_term(g, m) for m in Collection(g, union)) if union is not None else "…"
    text = escape(g.namespace_manager.normalizeUri(node))
    return f"<a href='#{escape(_local(node))}'><code>{text}</code></a>" if str(node).startswith(str(lexicon.NPC)) else f"<code>{text}</code>"


def _members(g: Graph, node: object) -> set[object]:
    """The classes a domain or range names: itself, or the members of its union."""
    union = g.value(node, OWL.unionOf) if isinstance(node, BNode) else None
    return set(Collection(g, union)) if union is not None else {node}


def render(files: tuple[str, ...] = ()) -> str:
    g = lexicon.ontology_graph()
    shapes = Graph().parse(data=_shapes_text(), format="turtle")
    parts = [f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>npc-kg ontology</title><style>{CSS}</style></head><body>",
             *_header(g, files),
             "<nav><a href='#metadata'>Metadata 元数据</a><a href='#namespaces'>Namespaces 命名空间</a><a href='#classes'>Classes 类</a>"
             "<a href='#properties'>Properties 属性</a><a href='#shapes'>Shapes 约束</a>"
             + "".join(f"<a href='#scheme-{n}'>{n}</a>" for n in lexicon.SCHEMES) + "</nav>",
             *_namespaces(g), *_classes(g), *_properties(g), *_shapes(shapes), *_schemes(g), "</body></html>\n"]
    return "\n".join(parts)


def _header(g: Graph, files: tuple[str, ...]) -> list[str]:
    ont = next(g.subjects(RDF.type, OWL.Ontology))
    rows = [("IRI", f"<code>{escape(str(ont))}</code>"), ("version", escape(str(g.value(ont, OWL.versionInfo) or ""))),
            ("version IRI", f"<code>{escape(str(g.value(ont, OWL.versionIRI) or ''))}</code>"),
            ("licence", f"<a href='{escape(str(g.value(ont, DCTERMS.license) or ''))}'>{escape(str(g.value(ont, DCTERMS.license) or ''))}</a>"),
            ("creator", escape(str(g.value(ont, DCTERMS.creator) or ""))),
            ("created / modified", f"{escape(str(g.value(ont, DCTERMS.created) or ''))} / {escape(str(g.value(ont, DCTERMS.modified) or ''))}"),
            ("preferred prefix", f"<code>{escape(str(g.value(ont, URIRef(VANN + 'preferredNamespacePrefix')) or ''))}:</code> "
                                 f"<code>{escape(str(g.value(ont, URIRef(VANN + 'preferredNamespaceUri')) or ''))}</code>"),
            ("download", " ".join(f"<a href='{escape(f)}'>{escape(f)}</a>" for f in files) or "—")]
    return [f"<h1>{escape(_lang(g, ont, DCTERMS.title, 'zh'))}<br><small>{escape(_lang(g, ont, DCTERMS.title, 'en'))}</small></h1>",
            f"<p>{escape(_lang(g, ont, DCTERMS.description, 'zh'))}<br>{escape(_lang(g, ont, DCTERMS.description, 'en'))}</p>",
            "<h2 id='metadata'>Metadata 元数据</h2><dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"]


def _namespaces(g: Graph) -> list[str]:
    used = {str(t) for triple in g for t in triple if isinstance(t, URIRef)}
    rows = [(p, str(ns)) for p, ns in sorted(g.namespace_manager.namespaces()) if any(u.startswith(str(ns)) for u in used)]
    return ["<h2 id='namespaces'>Namespaces 命名空间</h2><table><tr><th>prefix</th><th>namespace</th></tr>",
            *(f"<tr><td><code>{escape(p)}</code></td><td><code>{escape(ns)}</code></td></tr>" for p, ns in rows), "</table>"]


def _classes(g: Graph) -> list[str]:
    out = ["<h2 id='classes'>Classes 类</h2><table><tr><th>term</th><th>中文</th><th>English</th>"
           "<th>superclasses · subclasses</th><th>in domain of · in range of</th></tr>"]
    props = sorted(set(g.subjects(RDF.type, OWL.ObjectProperty)) | set(g.subjects(RDF.type, OWL.DatatypeProperty)))
    for c in sorted(s for s in g.subjects(RDF.type, OWL.Class) if isinstance(s, URIRef)):
        sup = ", ".join(_term(g, o) for o in sorted(g.objects(c, RDFS.subClassOf)))
        sub = ", ".join(_term(g, s) for s in sorted(g.subjects(RDFS.subClassOf, c)))
        dom = ", ".join(_term(g, p) for p in props if any(c in _members(g, d) for d in g.objects(p, RDFS.domain)))
        rng = ", ".join(_term(g, p) for p in props if any(c in _members(g, r) for r in g.objects(p, RDFS.range)))
        out.append(f"<tr id='{_local(c)}'><td><a href='#{_local(c)}'><code>npc:{_local(c)}</code></a></td>"
                   f"<td><b>{escape(_lang(g, c, RDFS.label, 'zh'))}</b><br>{escape(_lang(g, c, RDFS.comment, 'zh'))}</td>"
                   f"<td><b>{escape(_lang(g, c, RDFS.label, 'en'))}</b><br>{escape(_lang(g, c, RDFS.comment, 'en'))}</td>"
                   f"<td>{sup or '—'} · {sub or '—'}</td><td>{dom or '—'} · {rng or '—'}</td></tr>")
    return [*out, "</table>"]


def _properties(g: Graph) -> list[str]:
    out = ["<h2 id='properties'>Properties 属性</h2><table><tr><th>term</th><th>中文</th><th>English</th><th>domain → range</th></tr>"]
    for p in sorted(set(g.subjects(RDF.type, OWL.ObjectProperty)) | set(g.subjects(RDF.type, OWL.DatatypeProperty))):
        dom = ", ".join(_term(g, o) for o in g.objects(p, RDFS.domain)) or "—"
        rng = ", ".join(_term(g, o) for o in g.objects(p, RDFS.range)) or "—"
        out.append(f"<tr id='{_local(p)}'><td><a href='#{_local(p)}'><code>npc:{_local(p)}</code></a></td>"
                   f"<td><b>{escape(_lang(g, p, RDFS.label, 'zh'))}</b><br>{escape(_lang(g, p, RDFS.comment, 'zh'))}</td>"
                   f"<td><b>{escape(_lang(g, p, RDFS.label, 'en'))}</b><br>{escape(_lang(g, p, RDFS.comment, 'en'))}</td>"
                   f"<td>{dom} → {rng}</td></tr>")
    return [*out, "</table>"]


_CONSTRAINTS = (("minCount", SH.minCount), ("maxCount", SH.maxCount), ("datatype", SH.datatype), ("class", SH["class"]),
                ("node", SH.node), ("pattern", SH.pattern), ("minInclusive", SH.minInclusive), ("maxInclusive", SH.maxInclusive),
                ("minLength", SH.minLength), ("maxLength", SH.maxLength), ("hasValue", SH.hasValue), ("lessThan", SH.lessThan))


def _shapes(s: Graph) -> list[str]:
    """Each node shape: what it targets and each property's constraints, message and severity."""
    out = ["<h2 id='shapes'>Shapes 约束 (SHACL)</h2><p>Every built report graph is validated against these (shapes/). "
           "A Violation keeps the fact out of the graph and names it; a Warning stores it and says why.</p>",
           "<table><tr><th>shape</th><th>targets</th><th>path</th><th>constraints</th><th>message · severity</th></tr>"]
    for shape in sorted(x for x in s.subjects(RDF.type, SH.NodeShape) if isinstance(x, URIRef)):
        targets = ", ".join(_term(s, t) for t in sorted(s.objects(shape, SH.targetClass))) or "—"
        props = sorted(s.objects(shape, SH.property), key=lambda p: str(s.value(p, SH.path)))
        rows = [(_term(s, s.value(p, SH.path)), p) for p in props] or [("—", None)]
        for i, (path, p) in enumerate(rows):
            cells = "; ".join(f"{name} {_value(s, s.value(p, prop))}" for name, prop in _CONSTRAINTS
                              if p is not None and s.value(p, prop) is not None)
            if p is not None and s.value(p, SH["in"]) is not None:
                cells += "; in (" + ", ".join(escape(str(v)) for v in Collection(s, s.value(p, SH["in"]))) + ")"
            message = escape(str(s.value(p, SH.message) or "")) if p is not None else ""
            severity = _local(s.value(p, SH.severity) or SH.Violation) if p is not None else ""
            head = (f"<td id='shape-{_local(shape)}' rowspan='{len(rows)}'><code>npcsh:{_local(shape)}</code></td>"
                    f"<td rowspan='{len(rows)}'>{targets}</td>") if i == 0 else ""
            out.append(f"<tr>{head}<td>{path}</td><td>{cells or '—'}</td><td>{message}{' · ' + severity if severity else ''}</td></tr>")
    return [*out, "</table>"]


def _value(g: Graph, v: object) -> str:
    return _term(g, v) if isinstance(v, URIRef) else escape(str(v))


def _schemes(g: Graph) -> list[str]:
    out = []
    for name, ns in lexicon.SCHEMES.items():
        scheme = URIRef(str(ns))
        out.append(f"<h2 id='scheme-{name}'>{escape(_lang(g, scheme, SKOS.prefLabel, 'zh'))} · "
                   f"{escape(_lang(g, scheme, SKOS.prefLabel, 'en'))} <small><code>{escape(str(ns))}</code></small></h2>")
        out.append("<table><tr><th>local name</th><th>中文 / English</th><th>aliases (skos:altLabel@zh)</th><th>definition</th></tr>")
        for c in lexicon.concepts(name):
            alts = "、".join(a for a in c.aliases if a != c.label_zh)
            anchor = f"{name}-{escape(c.id)}"
            out.append(f"<tr id='{anchor}'><td><a href='#{anchor}'><code>{escape(c.id)}</code></a></td>"
                       f"<td><b>{escape(c.label_zh)}</b><br>{escape(c.label_en)}</td>"
                       f"<td>{escape(alts)}</td><td>{escape(_lang(g, c.iri, SKOS.definition, 'zh'))}<br>"
                       f"{escape(_lang(g, c.iri, SKOS.definition, 'en'))}</td></tr>")
        out.append("</table>")
    return out


def _shapes_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(SHAPES.glob("*.ttl")))


def write(out: str | Path = "site") -> Path:
    """The page and, beside it, the files it documents (ontology/*.ttl, the JSON-LD context, shapes/*.ttl)."""
    out = Path(out)
    (out / "ontology").mkdir(parents=True, exist_ok=True)
    (out / "shapes").mkdir(exist_ok=True)
    files = []
    for folder, pattern in ((ONTOLOGY, "*.ttl"), (ONTOLOGY, "*.jsonld"), (SHAPES, "*.ttl")):
        for f in sorted(folder.glob(pattern)):
            target = out / folder.name / f.name
            shutil.copyfile(f, target)
            files.append(f"{folder.name}/{f.name}")
    page = out / "index.html"
    page.write_text(render(tuple(files)), encoding="utf-8")
    return page
