"""Facts → RDF: one named graph per report, deterministic IRIs, W3C vocabularies first.

IRIs depend only on content: bodies and places on division codes, facts on a hash of the
report's checksum, the fact kind and its span, so the same input always gives the same graph.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, ORG, PROV, RDF, RDFS, SKOS
from rdflib.plugins.stores.memory import SimpleMemory

from kg import lexicon, sessions
from kg import ntriples as nt
from kg.extract import VERSION, Extraction
from kg.facts import Activity, Count, Evidence, Law, Practice
from kg.linking import NATIONAL
from kg.ntriples import Terms, Triples
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
DATASET_GRAPH = str(ID["graph/dataset"])  # the build's description of its dataset (kg.dataset)
GRAPHS = str(ID["graph/"])


def is_report_graph(iri: str) -> bool:
    """A report's own graph (not the ontology, the entities, or a derived graph)."""
    rest = iri.removeprefix(GRAPHS)
    return rest != iri and "/" not in rest and iri not in (ONTOLOGY_GRAPH, ENTITIES_GRAPH, DATASET_GRAPH)


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


def is_entity(iri: str) -> bool:
    """A place, body, law, term or session: shared by reports, kept in the entities graph."""
    return f"<{iri}".startswith(_ENTITY_SUBJECTS)


def bind_prefixes(g: Graph) -> Graph:
    for p, ns in PREFIXES.items():
        g.bind(p, ns, override=True)
    return g


def graph_iri(report: Report) -> str:
    return f"{ID}graph/{report.id}"


def report_iri(report: Report) -> str:
    return f"{ID}report/{report.id}"


def report_of(graph: str) -> str:
    """The report a report graph holds (both IRIs end in the report's id)."""
    return f"{ID}report/{graph.rsplit('/', 1)[-1]}"


def sentence_iri(report_id: str, start: int, end: int) -> str:
    """A sentence by its report and its offsets in the text the report was read as."""
    return f"{ID}sentence/{report_id}-{start}-{end}"


def place_iri(place: Place) -> str:
    return f"{ID}place/{place.code}"


_SUFFIX = {"TownshipPresidium": "presidium", "WorkingBody": "working-committee", "Delegation": "delegation"}


def body_iri(report: Report) -> str:
    """A body with a place is shared by every report that names it; one without is the report's own."""
    if report.place is None:
        return f"{ID}body/{'unplaced' if report.body else 'unnamed'}-{report.id}"
    return f"{ID}body/{report.place.code}-{_SUFFIX.get(report.body_type, 'standing-committee')}"


def _hash(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


def unit_iri(label: str) -> URIRef:
    for c in lexicon.concepts("unit"):
        if label in c.aliases:
            return c.iri
    raise KeyError(label)


class T:
    """The vocabularies as N-Triples terms, for every writer of triples as text (reports, summaries, the
    dataset's description): ``T.npc.Count``, ``T.scheme["mechanism"]["dual-contact"]``."""

    id, npc, rdf, rdfs, skos, dct, org, prov = (Terms(ns) for ns in (ID, NPC, RDF, RDFS, SKOS, DCTERMS, ORG, PROV))
    oa, qb, schema, dim, measure, attr = (Terms(ns) for ns in (OA, QB, SCHEMA, SDMX_DIM, SDMX_MEASURE, SDMX_ATTR))
    void, dcat = Terms("http://rdfs.org/ns/void#"), Terms("http://www.w3.org/ns/dcat#")
    scheme = {name: Terms(ns) for name, ns in lexicon.SCHEMES.items()}


def _zh(text: str) -> str:
    return nt.literal(text, lang="zh")


def add_place(g: Triples, place: Place) -> str:
    """A place with the places it lies in, up to its province."""
    gaz = gazetteer()
    for p in [place] if place.level == "national" else gaz.chain(place):
        at = nt.iri(place_iri(p))
        g.add(at, T.rdf.type, T.npc.Place)
        g.add(at, T.skos.prefLabel, _zh(p.name))
        g.add(at, T.skos.notation, nt.literal(p.code))
        g.add(at, T.npc.level, T.scheme["level"][p.level])
        if p.parent:
            g.add(at, T.schema.containedInPlace, nt.iri(place_iri(gaz.by_code[p.parent])))
    return nt.iri(place_iri(place))


def add_body(g: Triples, body: str, place: Place, body_type: str, label: str) -> str:
    """A body with its place, level and the congress it belongs to."""
    at = add_place(g, place)
    level = T.scheme["level"][place.level]
    congress = T.id[f"body/{place.code}-congress"]
    g.add(body, T.rdf.type, T.npc[body_type])
    g.add(body, T.skos.prefLabel, _zh(label))
    g.add(body, T.dct.spatial, at)
    g.add(body, T.npc.level, level)
    g.add(congress, T.rdf.type, T.npc.PeoplesCongress)
    g.add(congress, T.skos.prefLabel, _zh(f"{place.name}人民代表大会"))
    g.add(congress, T.dct.spatial, at)
    g.add(congress, T.npc.level, level)
    if body_type == "WorkingBody" and place.parent:  # a street's committee works for the district's standing committee
        g.add(body, T.org.subOrganizationOf, T.id[f"body/{place.parent}-standing-committee"])
    elif body_type == "Delegation":  # the place's deputies to the congress above it
        above = gazetteer().by_code[place.parent] if place.parent else None
        g.add(body, T.org.subOrganizationOf, T.id[f"body/{above.code if above else NATIONAL.code}-congress"])
    else:
        g.add(body, T.org.subOrganizationOf, congress)
    return body


def add_session(g: Triples, place: Place, ref: SessionRef, date: str | None = None) -> str:
    """A session of a place's congress or standing committee, with its term (shared by every report
    that names it: its IRI is the place, the body, the term and the number)."""
    import cn2an

    owner = T.id[f"body/{place.code}-{ref.key.rsplit('-', 1)[0]}"]
    term, session = T.id[f"term/{place.code}-{ref.key}"], T.id[f"session/{place.code}-{ref.key}-{ref.number}"]
    of = "人大常委会" if ref.standing else "人民代表大会"
    g.add(term, T.rdf.type, T.npc.Term)
    g.add(term, T.npc.termOf, owner)
    g.add(term, T.npc.termNumber, nt.integer(ref.term))
    g.add(term, T.skos.prefLabel, _zh(f"{place.name}第{cn2an.an2cn(ref.term)}届{of}"))
    g.add(session, T.rdf.type, T.npc.Session)
    g.add(session, T.npc["term"], term)
    g.add(session, T.npc.sessionNumber, nt.integer(ref.number))
    g.add(session, T.skos.prefLabel, _zh(f"{place.name}第{cn2an.an2cn(ref.term)}届{of}第{cn2an.an2cn(ref.number)}次会议"))
    if date:
        g.add(session, T.dct.date, nt.date(date))
    return session


def report_graph(x: Extraction) -> Graph:
    """The named graph of one report as an rdflib Graph (parsed from ``report_nt``: for notebooks,
    tests and the SHACL reference run; the build uses the text)."""
    g = bind_prefixes(Graph(store=SimpleMemory(), identifier=URIRef(graph_iri(x.report))))
    return g.parse(data=report_nt(x), format="nt")


def report_nt(x: Extraction) -> str:
    """The named graph of one report, as N-Triples: the report, its body, its facts each with its
    evidence (a Web Annotation selector pair and the sentence), the sessions it names."""
    r = x.report
    g = Triples()
    writer = _FactWriter(g, r)
    _describe_report(g, r, writer.report, writer.body)
    if r.body_link is not None:  # how the body was found: the rule and the sentence it read
        link = r.body_link
        node, sent = writer.evidence("body-link", Evidence.around(r, link.start, link.end), link.rule)
        g.add(writer.report, T.npc.bodyLink, node)
        g.add(node, T.rdf.type, T.npc.BodyLink)
        g.add(node, T.npc.linkingRule, T.scheme["linking"][link.rule])
        g.add(node, T.npc.sentence, sent)
    for c in x.counts:
        writer.count(c)
    for p in x.practices:
        writer.practice(p)
    covered = {(a.activity, a.law, a.evidence.start) for a in x.activities if a.law}
    for item in [*x.activities, *(w for w in x.laws if (w.action, w.law, w.evidence.start) not in covered)]:
        writer.activity(item)  # one node per inspected law
    if r.place is not None:
        writer.sessions()
    writer.sentences()
    return g.text()


def _describe_report(g: Triples, r: Report, rep: str, body: str) -> None:
    g.add(rep, T.rdf.type, T.npc.Report)
    g.add(rep, T.rdf.type, T.prov.Entity)
    g.add(rep, T.dct.title, _zh(r.title))
    g.add(rep, T.npc.sourceFile, nt.literal(shown(Path(r.path).name)))  # a name that is not UTF-8 stays printable
    g.add(rep, T.npc.checksum, nt.literal(r.checksum))
    g.add(rep, T.npc.genre, T.scheme["genre"][r.genre])
    g.add(rep, T.npc.extractor, nt.literal(VERSION))
    g.add(rep, T.dct["format"], nt.literal(r.media_type))
    if r.url:
        g.add(rep, T.dct.source, nt.iri(r.url))
    for page in r.ocr_pages:
        g.add(rep, T.npc.ocrPage, nt.integer(page))
    for y in r.years:
        g.add(rep, T.npc.yearCovered, nt.year(y))
    if r.date:
        g.add(rep, T.dct.date, nt.date(r.date))
    g.add(rep, T.npc.reportingBody, body)
    if r.place is not None:
        g.add(rep, T.dct.spatial, add_place(g, r.place))
        add_body(g, body, r.place, r.body_type, r.body or "")
    elif r.body:  # its name is known, its place is not (城关镇: 88 places): no division is guessed
        g.add(body, T.rdf.type, T.npc.Body)
        g.add(body, T.skos.prefLabel, _zh(r.body))
        g.add(body, T.rdfs.comment, nt.literal("The report names this body, but its place is shared by several divisions "
                                              "or unknown to the gazetteer: no division is guessed.", lang="en"))
    else:
        g.add(body, T.rdf.type, T.npc.Body)
        g.add(body, T.rdfs.label, _zh("报告未具名的机构"))
        g.add(body, T.rdfs.comment, nt.literal("The report never names the body whose work it presents.", lang="en"))


class _FactWriter:
    """Writes one report's facts: each with its evidence, the sentences they cite once each, and
    the sessions named in a fact's clause."""

    def __init__(self, g: Triples, r: Report) -> None:
        self.g, self.r = g, r
        self.report, self.body = nt.iri(report_iri(r)), nt.iri(body_iri(r))
        self.cited: dict[tuple[int, int, str], None] = {}  # (start, end, section) of each sentence a fact cites
        self.spans: list[tuple[str, int, int]] = []  # each fact's mention: a session named in its clause is the fact's

    def evidence(self, kind: str, ev: Evidence, key: object, body: str | None = None) -> tuple[str, str]:
        """A fact's node, with its body and its evidence: a Web Annotation resource with a position
        and a quote selector (and the PDF page), and the sentence."""
        g, r = self.g, self.r
        h = _hash(r.checksum, kind, ev.mention_start, ev.mention_end, key)
        fact, evi, pos, quote = T.id[f"{kind}/{h}"], T.id[f"evidence/{h}"], T.id[f"evidence/{h}-position"], T.id[f"evidence/{h}-quote"]
        sent = nt.iri(sentence_iri(r.id, ev.start, ev.end))
        self.cited[ev.start, ev.end, ev.section] = None
        g.add(evi, T.rdf.type, T.oa.SpecificResource)
        g.add(evi, T.oa.hasSource, self.report)
        g.add(evi, T.oa.hasSelector, pos)
        g.add(evi, T.oa.hasSelector, quote)
        g.add(evi, T.npc.sentence, sent)
        g.add(pos, T.rdf.type, T.oa.TextPositionSelector)
        g.add(pos, T.oa.start, nt.integer(ev.mention_start))
        g.add(pos, T.oa.end, nt.integer(ev.mention_end))
        g.add(quote, T.rdf.type, T.oa.TextQuoteSelector)
        g.add(quote, T.oa.exact, nt.literal(ev.mention))
        g.add(quote, T.oa.prefix, nt.literal(r.text[max(0, ev.mention_start - QUOTE_CONTEXT): ev.mention_start]))
        g.add(quote, T.oa.suffix, nt.literal(r.text[ev.mention_end: ev.mention_end + QUOTE_CONTEXT]))
        if ev.page is not None:  # the page of the PDF, as Web Annotation names a PDF fragment (RFC 3778)
            frag = T.id[f"evidence/{h}-page"]
            g.add(evi, T.oa.hasSelector, frag)
            g.add(frag, T.rdf.type, T.oa.FragmentSelector)
            g.add(frag, T.dct.conformsTo, nt.iri(PDF_FRAGMENT))
            g.add(frag, T.rdf.value, nt.literal(f"page={ev.page}"))
        if ev.ocr:
            g.add(evi, T.npc.readByOCR, nt.boolean(True))
        g.add(fact, T.prov.wasDerivedFrom, evi)
        g.add(fact, T.npc.body, body or self.body)
        self.spans.append((fact, ev.mention_start, ev.mention_end))
        return fact, sent

    def _common(self, fact: str, sent: str, item: Count | Practice | Activity | Law) -> None:
        if item.period:
            self.g.add(fact, T.npc.periodStart, nt.year(item.period[0]))
            self.g.add(fact, T.npc.periodEnd, nt.year(item.period[1]))
        self.g.add(fact, T.npc.modality, T.scheme["modality"][item.modality])
        self.g.add(fact, T.npc.sentence, sent)

    def count(self, c: Count) -> None:
        g = self.g
        fact, sent = self.evidence("count", c.evidence, (c.value, c.unit))
        g.add(fact, T.rdf.type, T.npc.Count)
        g.add(fact, T.rdf.type, T.qb.Observation)
        g.add(fact, T.qb.dataSet, nt.iri(COUNTS_DATASET))
        if c.year:
            g.add(fact, T.dim.refPeriod, nt.year(c.year))
        g.add(fact, T.measure.obsValue, nt.decimal(c.value))
        g.add(fact, T.attr.unitMeasure, nt.iri(unit_iri(c.unit)))
        g.add(fact, T.npc.measurePhrase, _zh(c.measure))
        if c.measure_id:
            g.add(fact, T.npc.measure, T.scheme["measure"][c.measure_id])
        g.add(fact, T.npc.bound, nt.literal(c.bound))
        if c.low is not None:
            g.add(fact, T.npc.lowerBound, nt.decimal(c.low))
        if c.high is not None:
            g.add(fact, T.npc.upperBound, nt.decimal(c.high))
        self._common(fact, sent, c)

    def practice(self, p: Practice) -> None:
        g, actor = self.g, None
        if p.body_place:  # a body named in the report practises it (a county in a provincial report)
            place = gazetteer().by_code[p.body_place]
            kind = "TownshipPresidium" if place.level == "township" else "StandingCommittee"
            actor = add_body(g, T.id[f"body/{place.code}-{_SUFFIX.get(kind, 'standing-committee')}"], place, kind, p.body or "")
        fact, sent = self.evidence("practice", p.evidence, p.mechanism, actor)
        g.add(fact, T.rdf.type, T.npc.MechanismPractice)
        g.add(fact, T.npc.mechanism, T.scheme["mechanism"][p.mechanism])
        g.add(fact, T.npc.stage, T.scheme["stage"][p.stage])
        if p.year:
            g.add(fact, T.npc.year, nt.year(p.year))
        for s in p.scope:
            g.add(fact, T.npc.scope, _zh(s))
        for code in p.scope_places:
            g.add(fact, T.npc.scopePlace, add_place(g, gazetteer().by_code[code]))
        self._common(fact, sent, p)

    def activity(self, item: Activity | Law) -> None:
        g = self.g
        kind = "activity" if isinstance(item, Activity) else "law-action"
        act = item.activity if isinstance(item, Activity) else item.action
        fact, sent = self.evidence(kind, item.evidence, act)
        g.add(fact, T.rdf.type, T.npc.Activity)
        if act:
            g.add(fact, T.npc.activityType, T.scheme["activity"][act])
        if item.law:
            law = T.id[f"law/{_hash(item.law)}"]
            g.add(law, T.rdf.type, T.npc.Law)
            g.add(law, T.dct.title, _zh(item.law))
            g.add(fact, T.npc.law, law)
        if item.year:
            g.add(fact, T.npc.year, nt.year(item.year))
        self._common(fact, sent, item)

    def sessions(self) -> None:
        """The session that heard the report, the sessions it names, and the facts of their clauses."""
        g, r = self.g, self.r
        assert r.place is not None
        text = simplify(r.text)  # 屆 and 會議 too; the length is kept, so offsets hold
        delivered = sessions.delivered_at(text, r.place)
        if delivered is not None:
            g.add(self.report, T.npc.deliveredAt, add_session(g, r.place, delivered, r.date))
        mentioned = sessions.find(text, r.place)
        for ref in mentioned:
            g.add(self.report, T.dct.references, add_session(g, r.place, ref))
        for fact, start, end in self.spans:
            for ref in mentioned:
                if not CLAUSE_END.search(text[min(end, ref.end):max(start, ref.start)]):  # 十七届人大四次会议交办的50件建议: one clause
                    g.add(fact, T.npc.session, add_session(g, r.place, ref))

    def sentences(self) -> None:
        g, r = self.g, self.r
        for start, end, section in self.cited:
            sent = nt.iri(sentence_iri(r.id, start, end))
            g.add(sent, T.rdf.type, T.npc.Sentence)
            g.add(sent, T.rdf.value, _zh(r.text[start:end]))
            g.add(sent, T.dct.isPartOf, self.report)
            g.add(sent, T.oa.start, nt.integer(start))
            g.add(sent, T.oa.end, nt.integer(end))
            if section:
                g.add(sent, T.npc.section, _zh(section))
