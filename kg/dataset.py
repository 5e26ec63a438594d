"""What a build says about the dataset it made: a VoID and DCAT description in a graph of its own.

Its size (triples, graphs, reports), the vocabularies it uses, its licence, the extractor and
toolkit versions that made it, when, and from which reports. The time is the build's, or
SOURCE_DATE_EPOCH when that is set (reproducible-builds.org): then two builds of the same
input export byte-identical files.
"""

from __future__ import annotations

import os
import time

from kg import __version__, lexicon
from kg import ntriples as nt
from kg.extract import VERSION
from kg.rdf import COUNTS_DATASET, DATASET_GRAPH, ID, PREFIXES
from kg.stores import OxigraphStore

DATASET = f"{ID}dataset/npc-kg"
LICENSE = "https://spdx.org/licenses/MIT"
VOID = nt.Terms("http://rdfs.org/ns/void#")
DCAT = nt.Terms("http://www.w3.org/ns/dcat#")
DCT = nt.Terms("http://purl.org/dc/terms/")
PROV = nt.Terms("http://www.w3.org/ns/prov#")
RDF = nt.Terms("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = nt.Terms("http://www.w3.org/2000/01/rdf-schema#")
NPC = nt.Terms(lexicon.NPC)
_NOT_VOCABULARIES = {"id"}  # the data's own namespace


def built_at() -> str:
    """The build's time as xsd:dateTime in UTC (SOURCE_DATE_EPOCH when set)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    seconds = int(epoch) if epoch.isdigit() else time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def describe(store: OxigraphStore, reports: list[str], when: str | None = None) -> str:
    """The description as N-Triples: ``reports`` are the report IRIs the store holds (its sources);
    the triples and graphs are counted in the store as it is (without this graph: remove it first)."""
    g = nt.Triples()
    when = when or built_at()
    d, build = nt.iri(DATASET), nt.iri(f"{ID}build/{VERSION}")
    graphs = [iri for iri in store.graphs() if iri != DATASET_GRAPH]
    triples = len(store.store)  # this graph is written after the count
    g.add(d, RDF.type, VOID.Dataset)
    g.add(d, RDF.type, DCAT.Dataset)
    g.add(d, DCT.title, nt.literal("地方人大工作报告知识图谱", lang="zh"))
    g.add(d, DCT.title, nt.literal("Knowledge graph of the work reports of local people's congresses", lang="en"))
    g.add(d, DCT.description, nt.literal("机构、机制、活动与数字，每项都附有其出处的报告原句。", lang="zh"))
    g.add(d, DCT.description, nt.literal("Bodies, mechanisms, activities and counts, each with the sentence of the report it was "
                                         "read from.", lang="en"))
    g.add(d, DCT.license, nt.iri(LICENSE))
    g.add(d, DCT.rights, nt.literal("The graph is under the licence above; the reports quoted in it keep their publishers' "
                                    "rights, and each quote names its report.", lang="en"))
    g.add(d, DCT.modified, nt.literal(when, datatype=nt.XSD + "dateTime"))
    g.add(d, VOID.triples, nt.integer(triples))
    g.add(d, VOID.documents, nt.integer(len(reports)))
    g.add(d, NPC.graphCount, nt.integer(len(graphs)))
    for prefix, ns in sorted(PREFIXES.items()):
        if prefix not in _NOT_VOCABULARIES:
            g.add(d, VOID.vocabulary, nt.iri(ns))
    g.add(d, VOID.subset, nt.iri(COUNTS_DATASET))
    for report in sorted(reports):
        g.add(d, DCT.source, nt.iri(report))
    g.add(d, PROV.wasGeneratedBy, build)
    g.add(build, RDF.type, PROV.Activity)
    g.add(build, RDFS.label, nt.literal(f"kg build: npc-kg {__version__}, extractor {VERSION}, lexicon {lexicon.digest()}"))
    g.add(build, PROV.endedAtTime, nt.literal(when, datatype=nt.XSD + "dateTime"))
    return g.text()
