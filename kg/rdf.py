"""Facts → RDF: one named graph per report, deterministic IRIs, W3C vocabularies first.

IRIs depend only on content: bodies and places on division codes, facts on a hash of the
report's checksum, the fact kind and its span, so the same input always gives the same graph.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS, XSD
from rdflib.plugins.stores.memory import SimpleMemory

from kg import lexicon, sessions
from kg.extract import VERSION, Extraction
from kg.facts import Activity, Count, Evidence, Law, Practice
from kg.linking import NATIONAL
from kg.places import Place, gazetteer
from kg.readers import shown
from kg.report import Report, simplify
from kg.sessions import SessionRef

NPC = lexicon.NPC
ID = Namespace(lexicon.BASE + "id/")
QB = Namespace("http://purl.org/linked-data/cube#")
OA = Namespace("http://www.w3.org/ns/oa#")
SCHEMA = Namespace("https://schema.org/")
SDMX_DIM = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_MEASURE = Namespace("http://purl.org/linked-data/sdmx/2009/measure#")
SDMX_ATTR = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
PREFIXES = {"npc": NPC, "id": ID, "qb": QB, "oa": OA, "schema": SCHEMA, "prov": PROV, "org": ORG, "skos": SKOS,
            "dcterms": DCTERMS, "sdmx-dimension": SDMX_DIM, "sdmx-measure": SDMX_MEASURE, "sdmx-attribute": SDMX_ATTR,
            **{k: v for k, v in lexicon.SCHEMES.items()}}
QUOTE_CONTEXT = 16
CLAUSE_END = re.compile(r"[，,；;。！？!?\n]")
PDF_FRAGMENT = URIRef("http://tools.ietf.org/rfc/rfc3778")  # the PDF fragment syntax (page=N), as the Web Annotation model lists it
COUNTS_DATASET = ID["dataset/counts"]


ONTOLOGY_GRAPH = str(ID["graph/ontology"])
ENTITIES_GRAPH = str(ID["graph/entities"])
GRAPHS = str(ID["graph/"])


def is_report_graph(iri: str) -> bool:
    """A report's own graph (not the ontology, the entities, or a derived graph)."""
    rest = iri.removeprefix(GRAPHS)
    return rest != iri and "/" not in rest and iri not in (ONTOLOGY_GRAPH, ENTITIES_GRAPH)


_ENTITY_SUBJECTS = tuple(f"<{ID}{kind}/" for kind in ("place", "body", "law", "term", "session"))


def split_entities(nt: str) -> tuple[str, str]:
    """(facts, entities) of a report's N-Triples. Places, bodies and laws are shared by many
    reports: in the store they live once, in the entities graph, so that a union of the report
    graphs does not repeat a body's label once per report (Oxigraph's union keeps duplicates)."""
    facts, entities = [], []
    for line in nt.split("\n"):  # not splitlines(): a form feed or U+2028 inside a literal is no line end
        if line:
            (entities if line.startswith(_ENTITY_SUBJECTS) else facts).append(line + "\n")
    return "".join(facts), "".join(entities)


def unused_entities(entities_graph: str = ENTITIES_GRAPH) -> str:
    """SPARQL UPDATE that drops the entities nothing refers to any more (their report was deleted):
    no report graph and no other entity names them. Run until nothing changes, since dropping a
    body can leave its place unused."""
    return f"""DELETE {{ GRAPH <{entities_graph}> {{ ?e ?p ?o }} }}
WHERE {{
  GRAPH <{entities_graph}> {{ ?e ?p ?o }}
  FILTER NOT EXISTS {{ GRAPH ?g {{ ?x ?q ?e }} FILTER (?g != <{entities_graph}> || ?x != ?e) }}
}}"""


def bind_prefixes(g: Graph) -> Graph:
    for p, ns in PREFIXES.items():
        g.bind(p, ns, override=True)
    return g


def graph_iri(report: Report) -> URIRef:
    return ID[f"graph/{report.id}"]


def report_iri(report: Report) -> URIRef:
    return ID[f"report/{report.id}"]


def sentence_iri(report_id: str, start: int, end: int) -> URIRef:
    """A sentence by its report and its offsets in the text the report was read as."""
    return ID[f"sentence/{report_id}-{start}-{end}"]


def place_iri(place: Place) -> URIRef:
    return ID[f"place/{place.code}"]


_SUFFIX = {"TownshipPresidium": "presidium", "WorkingBody": "working-committee", "Delegation": "delegation"}


def body_iri(report: Report) -> URIRef:
    """A body with a place is shared by every report that names it; one without is the report's own."""
    if report.place is None:
        return ID[f"body/{'unplaced' if report.body else 'unnamed'}-{report.id}"]
    return ID[f"body/{report.place.code}-{_SUFFIX.get(report.body_type, 'standing-committee')}"]


def _hash(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


def decimal_literal(d: object) -> Literal:
    """xsd:decimal in canonical form (300.0, 98.6), so every serializer writes it back identically."""
    text = format(d, "f")
    return Literal(text if "." in text else text + ".0", datatype=XSD.decimal)


def year_literal(y: int) -> Literal:
    return Literal(f"{y:04d}", datatype=XSD.gYear)


def add_place(g: Graph, place: Place) -> URIRef:
    gaz = gazetteer()
    chain = [place] if place.level == "national" else gaz.chain(place)
    for p in chain:
        iri = place_iri(p)
        g.add((iri, RDF.type, NPC.Place))
        g.add((iri, SKOS.prefLabel, Literal(p.name, lang="zh")))
        g.add((iri, SKOS.notation, Literal(p.code)))
        g.add((iri, NPC.level, lexicon.SCHEMES["level"][p.level]))
        if p.parent:
            g.add((iri, SCHEMA.containedInPlace, place_iri(gaz.by_code[p.parent])))
    return place_iri(place)


def add_body(g: Graph, body: URIRef, place: Place, body_type: str, label: str) -> URIRef:
    """A body with its place, level and the congress it belongs to."""
    at = add_place(g, place)
    g.add((body, RDF.type, NPC[body_type]))
    g.add((body, SKOS.prefLabel, Literal(label, lang="zh")))
    g.add((body, DCTERMS.spatial, at))
    g.add((body, NPC.level, lexicon.SCHEMES["level"][place.level]))
    congress = ID[f"body/{place.code}-congress"]
    g.add((congress, RDF.type, NPC.PeoplesCongress))
    g.add((congress, SKOS.prefLabel, Literal(f"{place.name}人民代表大会", lang="zh")))
    g.add((congress, DCTERMS.spatial, at))
    g.add((congress, NPC.level, lexicon.SCHEMES["level"][place.level]))
    if body_type == "WorkingBody" and place.parent:  # a street's committee works for the district's standing committee
        g.add((body, ORG.subOrganizationOf, ID[f"body/{place.parent}-standing-committee"]))
    elif body_type == "Delegation":  # the place's deputies to the congress above it
        above = gazetteer().by_code[place.parent] if place.parent else None
        g.add((body, ORG.subOrganizationOf, ID[f"body/{above.code if above else NATIONAL.code}-congress"]))
    else:
        g.add((body, ORG.subOrganizationOf, congress))
    return body


def add_session(g: Graph, place: Place, ref: SessionRef, date: str | None = None) -> URIRef:
    """A session of a place's congress or standing committee, with its term (shared by every report
    that names it: its IRI is the place, the body, the term and the number)."""
    import cn2an

    owner = ID[f"body/{place.code}-{ref.key.rsplit('-', 1)[0]}"]
    term, session = ID[f"term/{place.code}-{ref.key}"], ID[f"session/{place.code}-{ref.key}-{ref.number}"]
    of = "人大常委会" if ref.standing else "人民代表大会"
    g.add((term, RDF.type, NPC.Term))
    g.add((term, NPC.termOf, owner))
    g.add((term, NPC.termNumber, Literal(ref.term)))
    g.add((term, SKOS.prefLabel, Literal(f"{place.name}第{cn2an.an2cn(ref.term)}届{of}", lang="zh")))
    g.add((session, RDF.type, NPC.Session))
    g.add((session, NPC["term"], term))  # Namespace.term is a method
    g.add((session, NPC.sessionNumber, Literal(ref.number)))
    g.add((session, SKOS.prefLabel, Literal(f"{place.name}第{cn2an.an2cn(ref.term)}届{of}第{cn2an.an2cn(ref.number)}次会议", lang="zh")))
    if date:
        g.add((session, DCTERMS.date, Literal(date, datatype=XSD.date)))
    return session


def unit_iri(label: str) -> URIRef:
    for c in lexicon.concepts("unit"):
        if label in c.aliases:
            return c.iri
    raise KeyError(label)


def _reporting_body(g: Graph, r: Report, rep: URIRef, body: URIRef) -> None:
    """The body with its place; a body whose name is known and place is not (城关镇: 88 places) keeps
    its name and no place; a report that never names its body says so."""
    if r.place is not None:
        g.add((rep, DCTERMS.spatial, add_place(g, r.place)))
        add_body(g, body, r.place, r.body_type, r.body or "")
    elif r.body:
        g.add((body, RDF.type, NPC.Body))
        g.add((body, SKOS.prefLabel, Literal(r.body, lang="zh")))
        g.add((body, RDFS.comment, Literal("The report names this body, but its place is shared by several divisions "
                                           "or unknown to the gazetteer: no division is guessed.", lang="en")))
    else:
        g.add((body, RDF.type, NPC.Body))
        g.add((body, RDFS.label, Literal("报告未具名的机构", lang="zh")))
        g.add((body, RDFS.comment, Literal("The report never names the body whose work it presents.", lang="en")))


def report_graph(x: Extraction) -> Graph:
    """The named graph of one report (returned as a plain rdflib Graph). Held in rdflib's context-free
    store: the default one sends an event per added triple and indexes contexts a single graph never
    has (building, serialising and validating a report's graph took 10–20 % longer with it)."""
    r = x.report
    g = bind_prefixes(Graph(store=SimpleMemory(), identifier=graph_iri(r)))
    rep, body = report_iri(r), body_iri(r)
    g.add((rep, RDF.type, NPC.Report))
    g.add((rep, RDF.type, PROV.Entity))
    g.add((rep, DCTERMS.title, Literal(r.title, lang="zh")))
    g.add((rep, NPC.sourceFile, Literal(shown(Path(r.path).name))))  # a name that is not UTF-8 stays printable
    g.add((rep, NPC.checksum, Literal(r.checksum)))
    g.add((rep, NPC.genre, lexicon.SCHEMES["genre"][r.genre]))
    g.add((rep, NPC.extractor, Literal(VERSION)))
    g.add((rep, DCTERMS["format"], Literal(r.media_type)))
    if r.url:
        g.add((rep, DCTERMS.source, URIRef(r.url)))
    for page in r.ocr_pages:
        g.add((rep, NPC.ocrPage, Literal(page)))
    for y in r.years:
        g.add((rep, NPC.yearCovered, year_literal(y)))
    if r.date:
        g.add((rep, DCTERMS.date, Literal(r.date, datatype=XSD.date)))
    g.add((rep, NPC.reportingBody, body))
    _reporting_body(g, r, rep, body)

    sentences: set[tuple[int, int, str]] = set()
    spans: list[tuple[URIRef, int, int]] = []  # each fact's mention: a session named in its clause is the fact's

    def evidence(kind: str, ev: Evidence, key: object) -> tuple[URIRef, URIRef]:
        h = _hash(r.checksum, kind, ev.mention_start, ev.mention_end, key)
        fact, evi = ID[f"{kind}/{h}"], ID[f"evidence/{h}"]
        sent = sentence_iri(r.id, ev.start, ev.end)
        sentences.add((ev.start, ev.end, ev.section))
        pos, quote = ID[f"evidence/{h}-position"], ID[f"evidence/{h}-quote"]
        g.add((evi, RDF.type, OA.SpecificResource))
        g.add((evi, OA.hasSource, rep))
        g.add((evi, OA.hasSelector, pos))
        g.add((evi, OA.hasSelector, quote))
        g.add((evi, NPC.sentence, sent))
        g.add((pos, RDF.type, OA.TextPositionSelector))
        g.add((pos, OA.start, Literal(ev.mention_start)))
        g.add((pos, OA.end, Literal(ev.mention_end)))
        g.add((quote, RDF.type, OA.TextQuoteSelector))
        g.add((quote, OA.exact, Literal(ev.mention)))
        g.add((quote, OA.prefix, Literal(r.text[max(0, ev.mention_start - QUOTE_CONTEXT): ev.mention_start])))
        g.add((quote, OA.suffix, Literal(r.text[ev.mention_end: ev.mention_end + QUOTE_CONTEXT])))
        if ev.page is not None:  # the page of the PDF, as Web Annotation names a PDF fragment (RFC 3778)
            frag = ID[f"evidence/{h}-page"]
            g.add((evi, OA.hasSelector, frag))
            g.add((frag, RDF.type, OA.FragmentSelector))
            g.add((frag, DCTERMS.conformsTo, PDF_FRAGMENT))
            g.add((frag, RDF.value, Literal(f"page={ev.page}")))
        if ev.ocr:
            g.add((evi, NPC.readByOCR, Literal(True)))
        g.add((fact, PROV.wasDerivedFrom, evi))
        g.add((fact, NPC.body, body))
        spans.append((fact, ev.mention_start, ev.mention_end))
        return fact, sent

    def period(fact: URIRef, item: Count | Practice | Activity | Law) -> None:
        if item.period:
            g.add((fact, NPC.periodStart, year_literal(item.period[0])))
            g.add((fact, NPC.periodEnd, year_literal(item.period[1])))

    if r.body_link is not None:  # how the body was found: the rule and the sentence it read
        link = r.body_link
        node, sent = evidence("body-link", Evidence.around(r, link.start, link.end), link.rule)
        g.add((rep, NPC.bodyLink, node))
        g.add((node, RDF.type, NPC.BodyLink))
        g.add((node, NPC.linkingRule, lexicon.SCHEMES["linking"][link.rule]))
        g.add((node, NPC.sentence, sent))
    modality = lexicon.SCHEMES["modality"]
    for c in x.counts:
        fact, sent = evidence("count", c.evidence, (c.value, c.unit))
        g.add((fact, RDF.type, NPC.Count))
        g.add((fact, RDF.type, QB.Observation))
        g.add((fact, QB.dataSet, COUNTS_DATASET))
        if c.year:
            g.add((fact, SDMX_DIM.refPeriod, year_literal(c.year)))
        g.add((fact, SDMX_MEASURE.obsValue, decimal_literal(c.value)))
        g.add((fact, SDMX_ATTR.unitMeasure, unit_iri(c.unit)))
        g.add((fact, NPC.measurePhrase, Literal(c.measure, lang="zh")))
        if c.measure_id:
            g.add((fact, NPC.measure, lexicon.SCHEMES["measure"][c.measure_id]))
        g.add((fact, NPC.bound, Literal(c.bound)))
        if c.low is not None:
            g.add((fact, NPC.lowerBound, decimal_literal(c.low)))
        if c.high is not None:
            g.add((fact, NPC.upperBound, decimal_literal(c.high)))
        period(fact, c)
        g.add((fact, NPC.modality, modality[c.modality]))
        g.add((fact, NPC.sentence, sent))
    for p in x.practices:
        fact, sent = evidence("practice", p.evidence, p.mechanism)
        if p.body_place:  # a body named in the report practises it (a county in a provincial report)
            place = gazetteer().by_code[p.body_place]
            kind = "TownshipPresidium" if place.level == "township" else "StandingCommittee"
            actor = ID[f"body/{place.code}-{'presidium' if kind == 'TownshipPresidium' else 'standing-committee'}"]
            g.set((fact, NPC.body, add_body(g, actor, place, kind, p.body or "")))
        g.add((fact, RDF.type, NPC.MechanismPractice))
        g.add((fact, NPC.mechanism, lexicon.SCHEMES["mechanism"][p.mechanism]))
        g.add((fact, NPC.stage, lexicon.SCHEMES["stage"][p.stage]))
        if p.year:
            g.add((fact, NPC.year, year_literal(p.year)))
        period(fact, p)
        for s in p.scope:
            g.add((fact, NPC.scope, Literal(s, lang="zh")))
        for code in p.scope_places:
            g.add((fact, NPC.scopePlace, add_place(g, gazetteer().by_code[code])))
        g.add((fact, NPC.modality, modality[p.modality]))
        g.add((fact, NPC.sentence, sent))
    covered = {(a.activity, a.law, a.evidence.start) for a in x.activities if a.law}
    laws = [w for w in x.laws if (w.action, w.law, w.evidence.start) not in covered]  # one node per inspected law
    for item in [*x.activities, *laws]:
        kind = "activity" if isinstance(item, Activity) else "law-action"
        act = item.activity if isinstance(item, Activity) else item.action
        fact, sent = evidence(kind, item.evidence, act)
        g.add((fact, RDF.type, NPC.Activity))
        if act:
            g.add((fact, NPC.activityType, lexicon.SCHEMES["activity"][act]))
        if item.law:
            law = ID[f"law/{_hash(item.law)}"]
            g.add((law, RDF.type, NPC.Law))
            g.add((law, DCTERMS.title, Literal(item.law, lang="zh")))
            g.add((fact, NPC.law, law))
        if item.year:
            g.add((fact, NPC.year, year_literal(item.year)))
        period(fact, item)
        g.add((fact, NPC.modality, modality[item.modality]))
        g.add((fact, NPC.sentence, sent))
    if r.place is not None:
        text = simplify(r.text)  # 屆 and 會議 too; the length is kept, so offsets hold
        delivered = sessions.delivered_at(text, r.place)
        if delivered is not None:
            g.add((rep, NPC.deliveredAt, add_session(g, r.place, delivered, r.date)))
        mentioned = sessions.find(text, r.place)
        for ref in mentioned:
            g.add((rep, DCTERMS.references, add_session(g, r.place, ref)))
        for fact, start, end in spans:
            for ref in mentioned:
                between = text[min(end, ref.end):max(start, ref.start)]
                if not CLAUSE_END.search(between):  # 十七届人大四次会议交办的50件建议: one clause
                    g.add((fact, NPC.session, add_session(g, r.place, ref)))
    for start, end, section in sentences:
        sent = sentence_iri(r.id, start, end)
        g.add((sent, RDF.type, NPC.Sentence))
        g.add((sent, RDF.value, Literal(r.text[start:end], lang="zh")))
        g.add((sent, DCTERMS.isPartOf, rep))
        g.add((sent, OA.start, Literal(start)))
        g.add((sent, OA.end, Literal(end)))
        if section:
            g.add((sent, NPC.section, Literal(section, lang="zh")))
    return g


