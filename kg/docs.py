"""HTML documentation of the ontology and its SKOS schemes, zh and en side by side.

pyLODE 3.4.1 (the newest on PyPI here) fails on import, so the page is rendered from the
ontology graph directly: one self-contained file, no scripts, no external links to load.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg import lexicon

CSS = """body{font-family:'Noto Sans CJK SC','Noto Sans',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f3f3f3}code{font-size:90%}h2{border-bottom:2px solid #2171b5;padding-bottom:4px}nav a{margin-right:1em}"""


def _lang(g, s, p, lang: str) -> str:
    return "; ".join(sorted(str(o) for o in g.objects(s, p) if isinstance(o, Literal) and (o.language or "").startswith(lang)))


def _local(iri: URIRef) -> str:
    s = str(iri)
    return s.rsplit("#", 1)[-1] if "#" in s else s.rstrip("/").rsplit("/", 1)[-1]


def render() -> str:
    g = lexicon.ontology_graph()
    ont = next(g.subjects(RDF.type, OWL.Ontology))
    parts = [f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>npc-kg ontology</title><style>{CSS}</style></head><body>",
             f"<h1>{escape(_lang(g, ont, DCTERMS.title, 'zh'))}<br><small>{escape(_lang(g, ont, DCTERMS.title, 'en'))}</small></h1>",
             f"<p>{escape(_lang(g, ont, DCTERMS.description, 'zh'))}<br>{escape(_lang(g, ont, DCTERMS.description, 'en'))}</p>",
             f"<p>IRI <code>{escape(str(ont))}</code>, version {escape(str(g.value(ont, OWL.versionInfo)))}</p>",
             "<nav><a href='#classes'>Classes 类</a><a href='#properties'>Properties 属性</a>"
             + "".join(f"<a href='#scheme-{n}'>{n}</a>" for n in lexicon.SCHEMES) + "</nav>"]
    parts.append("<h2 id='classes'>Classes 类</h2><table><tr><th>term</th><th>中文</th><th>English</th><th>subclass of</th></tr>")
    for c in sorted(g.subjects(RDF.type, OWL.Class)):
        sup = ", ".join(f"<code>{escape(g.namespace_manager.normalizeUri(o))}</code>" for o in sorted(g.objects(c, RDFS.subClassOf)))
        parts.append(f"<tr id='{_local(c)}'><td><a href='#{_local(c)}'><code>npc:{_local(c)}</code></a></td>"
                     f"<td><b>{escape(_lang(g, c, RDFS.label, 'zh'))}</b><br>{escape(_lang(g, c, RDFS.comment, 'zh'))}</td>"
                     f"<td><b>{escape(_lang(g, c, RDFS.label, 'en'))}</b><br>{escape(_lang(g, c, RDFS.comment, 'en'))}</td><td>{sup}</td></tr>")
    parts.append("</table><h2 id='properties'>Properties 属性</h2><table><tr><th>term</th><th>中文</th><th>English</th><th>domain → range</th></tr>")
    props = sorted(set(g.subjects(RDF.type, OWL.ObjectProperty)) | set(g.subjects(RDF.type, OWL.DatatypeProperty)))
    for p in props:
        dom = ", ".join(g.namespace_manager.normalizeUri(o) for o in g.objects(p, RDFS.domain)) or "—"
        rng = ", ".join(g.namespace_manager.normalizeUri(o) for o in g.objects(p, RDFS.range)) or "—"
        parts.append(f"<tr id='{_local(p)}'><td><a href='#{_local(p)}'><code>npc:{_local(p)}</code></a></td>"
                     f"<td><b>{escape(_lang(g, p, RDFS.label, 'zh'))}</b><br>{escape(_lang(g, p, RDFS.comment, 'zh'))}</td>"
                     f"<td><b>{escape(_lang(g, p, RDFS.label, 'en'))}</b><br>{escape(_lang(g, p, RDFS.comment, 'en'))}</td>"
                     f"<td><code>{escape(dom)}</code> → <code>{escape(rng)}</code></td></tr>")
    parts.append("</table>")
    for name, ns in lexicon.SCHEMES.items():
        scheme = URIRef(str(ns))
        parts.append(f"<h2 id='scheme-{name}'>{escape(_lang(g, scheme, SKOS.prefLabel, 'zh'))} · "
                     f"{escape(_lang(g, scheme, SKOS.prefLabel, 'en'))} <small><code>{escape(str(ns))}</code></small></h2>")
        parts.append("<table><tr><th>local name</th><th>中文 / English</th><th>aliases (skos:altLabel@zh)</th><th>definition</th></tr>")
        for c in lexicon.concepts(name):
            alts = "、".join(a for a in c.aliases if a != c.label_zh)
            anchor = f"{name}-{escape(c.id)}"
            parts.append(f"<tr id='{anchor}'><td><a href='#{anchor}'><code>{escape(c.id)}</code></a></td>"
                         f"<td><b>{escape(c.label_zh)}</b><br>{escape(c.label_en)}</td>"
                         f"<td>{escape(alts)}</td><td>{escape(_lang(g, c.iri, SKOS.definition, 'zh'))}<br>"
                         f"{escape(_lang(g, c.iri, SKOS.definition, 'en'))}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write(out: str | Path = "site") -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    page = out / "index.html"
    page.write_text(render(), encoding="utf-8")
    return page
