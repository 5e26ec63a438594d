"""The vocabularies pass the checks their communities use: SKOS integrity as skosify checks it,
top concepts and distinct labels in every scheme."""

from __future__ import annotations

import logging
from collections import Counter

import skosify.check
from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from kg import lexicon


def test_skos_integrity_as_skosify_checks_it(caplog):
    g = Graph() + lexicon.ontology_graph()  # a copy: skosify's checks may mend what they find
    with caplog.at_level(logging.WARNING):
        skosify.check.preflabel_uniqueness(g, "shortest")  # S14: one prefLabel per language
        skosify.check.label_overlap(g, False)  # S13: prefLabel, altLabel and hiddenLabel disjoint
        skosify.check.disjoint_relations(g, False)  # S27: related and broader disjoint
        skosify.check.hierarchical_redundancy(g, False)
        skosify.check.hierarchy_cycles(g, False)
    assert [r.getMessage() for r in caplog.records] == []
    assert len(g) > 2000  # the checks had the whole ontology to look at


def test_every_concept_is_a_top_concept_of_its_flat_scheme_and_the_scheme_lists_it():
    g = lexicon.ontology_graph()
    schemes = set(g.subjects(RDF.type, SKOS.ConceptScheme))
    assert len(schemes) == 11
    for scheme in schemes:
        members = set(g.subjects(SKOS.inScheme, scheme))
        assert members and set(g.subjects(SKOS.topConceptOf, scheme)) == members == set(g.objects(scheme, SKOS.hasTopConcept)), scheme


def test_labels_tell_the_concepts_of_a_scheme_apart_in_both_languages():
    g = lexicon.ontology_graph()
    for scheme in g.subjects(RDF.type, SKOS.ConceptScheme):
        labels = Counter((lab.language, str(lab)) for c in g.subjects(SKOS.inScheme, scheme) for lab in g.objects(c, SKOS.prefLabel))
        assert [k for k, n in labels.items() if n > 1] == [], scheme
        assert {lang for lang, _ in labels} == {"zh", "en"}, scheme


_QB = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
# The Data Cube's integrity constraints (W3C RDF Data Cube, section 11) that apply to a cube without
# slices or hierarchies, each as an ASK for a breach: true means the cube is not well-formed.
INTEGRITY = {
    "IC-1 an observation belongs to exactly one data set":
        "ASK { ?o a qb:Observation . FILTER NOT EXISTS { ?o qb:dataSet ?d } }",
    "IC-1 (no second data set)": "ASK { ?o a qb:Observation ; qb:dataSet ?a , ?b . FILTER (?a != ?b) }",
    "IC-2 a data set has exactly one structure":
        "ASK { ?d a qb:DataSet . FILTER NOT EXISTS { ?d qb:structure ?s . ?s a qb:DataStructureDefinition } }",
    "IC-2 (no second structure)": "ASK { ?d a qb:DataSet ; qb:structure ?a , ?b . FILTER (?a != ?b) }",
    "IC-3 a structure has a measure":
        "ASK { ?s a qb:DataStructureDefinition . FILTER NOT EXISTS { ?s qb:component/qb:measure ?m } }",
    "IC-4 a dimension has a range": "ASK { ?p a qb:DimensionProperty . FILTER NOT EXISTS { ?p rdfs:range ?r } }",
    "IC-5 a concept dimension has a code list":
        "ASK { ?p a qb:DimensionProperty ; rdfs:range skos:Concept . FILTER NOT EXISTS { ?p qb:codeList ?l } }",
    "IC-6 only attributes are optional":
        "ASK { ?s qb:component ?c . ?c qb:componentRequired false ; qb:componentProperty|qb:dimension|qb:measure ?p . "
        "FILTER NOT EXISTS { ?p a qb:AttributeProperty } }",
    "IC-11 every observation has every dimension":
        "ASK { ?o qb:dataSet/qb:structure/qb:component/qb:dimension ?p . FILTER NOT EXISTS { ?o ?p ?v } }",
    "IC-12 no two observations share every dimension":
        "ASK { ?a qb:dataSet ?d . ?b qb:dataSet ?d . FILTER (?a != ?b) "
        "FILTER NOT EXISTS { ?d qb:structure/qb:component/qb:dimension ?p . ?a ?p ?x . FILTER NOT EXISTS { ?b ?p ?x } } }",
    "IC-13 every observation has its required attributes":
        "ASK { ?o qb:dataSet/qb:structure/qb:component ?c . ?c qb:componentRequired true ; qb:attribute ?p . "
        "FILTER NOT EXISTS { ?o ?p ?v } }",
    "IC-14 every observation has every measure":
        "ASK { ?o qb:dataSet/qb:structure/qb:component/qb:measure ?p . FILTER NOT EXISTS { ?o ?p ?v } }",
    "IC-19 a coded value is a concept of its code list":
        "ASK { ?o qb:dataSet/qb:structure/qb:component/qb:dimension ?p . ?p qb:codeList ?l . ?l a skos:ConceptScheme . "
        "?o ?p ?v . FILTER NOT EXISTS { ?v skos:inScheme ?l } }",
}


def test_the_counts_are_a_well_formed_data_cube(built):
    """The W3C's integrity constraints hold on the built seeds, and would catch a breach."""
    observations = built.store.query(_QB + "SELECT (COUNT(*) AS ?n) { ?o a qb:Observation ; qb:dataSet ?d . ?d a qb:DataSet }").data[0][0]
    assert observations == len(built.table("counts")) > 100
    for name, ask in INTEGRITY.items():
        assert built.store.query(_QB + ask).data == [(False,)], name
    from kg.stores import OxigraphStore

    broken = OxigraphStore()  # one observation without its modality, one with a code from nowhere
    broken.add_to_graph("urn:g", "\n".join(built.store.dump_graph(g).decode("utf-8") for g in built.store.graphs()))
    broken.update(_QB + "WITH <urn:g> DELETE { ?o <https://w3id.org/npc-kg/ontology#modality> ?m } WHERE { { SELECT ?o ?m "
                  "{ ?o a qb:Observation ; <https://w3id.org/npc-kg/ontology#modality> ?m } ORDER BY ?o LIMIT 1 } }")
    assert broken.query(_QB + INTEGRITY["IC-11 every observation has every dimension"]).data == [(True,)]
    broken.update(_QB + "WITH <urn:g> INSERT { ?o <https://w3id.org/npc-kg/ontology#modality> <https://w3id.org/npc-kg/unit/ci> } WHERE "
                  "{ { SELECT ?o { ?o a qb:Observation } ORDER BY DESC(?o) LIMIT 1 } }")
    assert broken.query(_QB + INTEGRITY["IC-19 a coded value is a concept of its code list"]).data == [(True,)]


def test_the_ontology_says_what_it_is_and_every_property_its_domain_and_range():
    from rdflib import URIRef
    from rdflib.namespace import DCTERMS, OWL, RDFS

    from kg import __version__

    g = lexicon.ontology_graph()
    onto = URIRef("https://w3id.org/npc-kg/ontology")
    vann = "http://purl.org/vocab/vann/"
    assert str(g.value(onto, OWL.versionInfo)) == __version__
    assert str(g.value(onto, OWL.versionIRI)) == f"{onto}/{__version__}"
    assert str(g.value(onto, DCTERMS.license)) == "https://spdx.org/licenses/MIT"
    assert g.value(onto, DCTERMS.creator) and g.value(onto, DCTERMS.created) and g.value(onto, DCTERMS.modified)
    assert str(g.value(onto, URIRef(vann + "preferredNamespacePrefix"))) == "npc"
    own = {p for t in (OWL.ObjectProperty, OWL.DatatypeProperty) for p in g.subjects(RDF.type, t) if str(p).startswith(str(lexicon.NPC))}
    assert len(own) > 50
    assert sorted(str(p) for p in own if g.value(p, RDFS.domain) is None or g.value(p, RDFS.range) is None) == []
