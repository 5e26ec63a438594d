"""SHACL validation (kg.validate): the seeds conform, broken graphs give exact violations, on both engines."""

from __future__ import annotations

import pytest
from conftest import SEEDS
from rdflib import XSD, Literal, URIRef

import kg
from kg.build import build
from kg.export import export
from kg.extract import extract
from kg.rdf import report_graph
from kg.report import read
from kg.validate import ENGINES, validate


def test_built_graph_conforms(built):
    assert built.validate().conforms


@pytest.mark.parametrize("engine", ENGINES)
def test_every_seed_graph_conforms_on_both_engines(engine):
    for path in sorted(SEEDS.glob("*.txt")):
        report = validate(report_graph(extract(read(path))), engine)
        assert report.conforms, (path.name, report.text())


@pytest.mark.parametrize("engine", ENGINES)
def test_broken_graph_yields_exact_violations(engine):
    g = report_graph(extract(read(SEEDS / "004_73afdd1df5b9533d.txt")))
    sdmx = "http://purl.org/linked-data/sdmx/2009/"
    npc = "https://w3id.org/npc-kg/ontology#"
    count = next(s for s, o in g.subject_objects(URIRef(f"{sdmx}attribute#unitMeasure"))
                 if str(o).endswith("/percent"))
    g.set((count, URIRef(f"{sdmx}measure#obsValue"), Literal("120", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))))
    body = next(iter(g.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(npc + "StandingCommittee"))))
    g.remove((body, URIRef("http://purl.org/dc/terms/spatial"), None))
    practice = next(iter(g.subjects(URIRef(npc + "mechanism"), None)))
    g.set((practice, URIRef(npc + "mechanism"), URIRef("https://w3id.org/npc-kg/unit/ci")))
    before = set(g)
    report = validate(g, engine)
    assert set(g) == before  # the scheme memberships lent for the run are taken back
    assert not report.conforms
    got = sorted({(v.focus, v.path, v.message) for v in report.violations if v.severity == "Violation"})
    assert got == sorted({
        (str(count), None, "a percentage lies between 0 and 100"),
        (str(body), "http://purl.org/dc/terms/spatial", "a body has exactly one place"),
        (str(practice), npc + "mechanism", "a practice names one concept of the mechanism scheme"),
        ("https://w3id.org/npc-kg/unit/ci", "http://www.w3.org/2004/02/skos/core#inScheme", "not a concept of the mechanism scheme"),
    })


@pytest.mark.parametrize("engine", ENGINES)
def test_a_range_must_be_ordered(engine):
    g = report_graph(extract(read(SEEDS / "001_9911ad027f31c7ac.txt")))
    npc = "https://w3id.org/npc-kg/ontology#"
    rng = next(iter(g.subjects(URIRef(npc + "bound"), Literal("range"))))
    g.set((rng, URIRef(npc + "upperBound"), Literal("0.5", datatype=XSD.decimal)))
    report = validate(g, engine)
    assert [(v.focus, v.message) for v in report.violations if v.severity == "Violation"] == [
        (str(rng), "a range has a lower and an upper bound, the lower below the upper")]


def test_cross_report_check_catches_a_body_with_two_places(tmp_path):
    from kg.rdf import ENTITIES_GRAPH

    build([SEEDS / "004_73afdd1df5b9533d.txt"], tmp_path / "b")
    g = kg.open(tmp_path / "b", read_only=False)
    body = "https://w3id.org/npc-kg/id/body/140826-standing-committee"
    g.store.add_to_graph(ENTITIES_GRAPH, f"<{body}> <http://purl.org/dc/terms/spatial> <https://w3id.org/npc-kg/id/place/14> .\n")
    report = g.validate()
    assert not report.conforms
    assert {(v.focus, v.message) for v in report.violations} >= {(body, "a body has exactly one place")}
    g.close()


def test_validate_an_exported_trig_file(built, tmp_path):
    from kg.validate import validate_files

    path = tmp_path / "graph.trig"
    path.write_bytes(export(built.store, "trig"))
    assert validate_files([path]).conforms
    broken = tmp_path / "broken.trig"
    broken.write_text(path.read_text(encoding="utf-8").replace('npc:checksum "', 'npc:checksum "x', 1), encoding="utf-8")
    report = validate_files([broken])
    assert [v.message for v in report.violations if v.severity == "Violation"] == ["a report has one checksum of 64 hex digits"]


def test_a_warning_means_not_conforming_as_shacl_says_but_exits_0(tmp_path):
    """SHACL: any result makes sh:conforms false. kg validate says so, and exits 1 only for a Violation."""
    from typer.testing import CliRunner

    from kg.cli import app

    g = report_graph(extract(read(SEEDS / "001_9911ad027f31c7ac.txt")))
    npc = "https://w3id.org/npc-kg/ontology#"
    count = sorted(g.subjects(URIRef(npc + "measurePhrase"), None))[0]
    g.set((count, URIRef(npc + "measurePhrase"), Literal("一个比一个子句还长得多的指标短语，读者值得看一眼的那种", lang="zh")))
    warned = tmp_path / "warned.ttl"
    g.serialize(warned, format="turtle")
    res = CliRunner().invoke(app, ["validate", str(warned)])
    assert res.exit_code == 0 and res.output.startswith("conforms: false (0 violation(s), 1 warning(s) or info(s))"), res.output
    g.set((count, URIRef("http://purl.org/linked-data/sdmx/2009/measure#obsValue"), Literal("-1", datatype=XSD.decimal)))
    broken = tmp_path / "broken.ttl"
    g.serialize(broken, format="turtle")
    res = CliRunner().invoke(app, ["validate", str(broken)])
    assert res.exit_code == 1 and res.output.startswith("conforms: false (1 violation(s), 1 warning(s) or info(s))"), res.output
