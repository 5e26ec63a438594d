"""kg.shacl, the build's SHACL check, against the reference engines: the same results, result by
result, on the seeds and on graphs broken at random; shapes it cannot run send the build to a
reference engine."""

from __future__ import annotations

import random
from functools import cache

import pytest
from conftest import SEEDS
from rdflib import Graph
from rdflib.namespace import SH

from kg import shacl
from kg.extract import extract
from kg.rdf import report_nt
from kg.report import read
from kg.validate import _shape_name, shapes_graph, validate, validate_nt

XSD = "http://www.w3.org/2001/XMLSchema#"
ODD_OBJECTS = [  # what a broken graph might hold where a value belongs
    '"x"', f'"-1"^^<{XSD}decimal>', f'"120"^^<{XSD}decimal>', f'"5"^^<{XSD}integer>', f'"2019"^^<{XSD}gYear>',
    f'"2030"^^<{XSD}gYear>', '""', '"一"@zh', '"a"@en', f'"abc"^^<{XSD}decimal>', f'"2022-02-30"^^<{XSD}date>',
    f'"2022-03-01"^^<{XSD}date>', '"exact"', '"range"', '"' + "f" * 64 + '"', '"page=3"', f'"1.5"^^<{XSD}decimal>',
    f'"0"^^<{XSD}integer>', f'"2020"^^<{XSD}integer>', '"' + "长" * 30 + '"@zh', f'"-3"^^<{XSD}integer>']


@cache
def _seed_lines() -> list[list[str]]:
    return [report_nt(extract(read(p))).splitlines() for p in sorted(SEEDS.glob("*.txt"))]


def _broken(rng: random.Random) -> str:
    """A seed's report graph with one to three triples taken out, changed, copied onto another
    subject or given a second value."""
    lines = list(rng.choice(_seed_lines()))
    iris = [line.split(" ", 2)[2][:-2] for line in lines if line.split(" ", 2)[2].startswith("<")]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        s, p, o = lines[i].split(" ", 2)
        o = o[:-2]
        odd = rng.choice(ODD_OBJECTS + iris)
        lines[i:i + 1] = rng.choice(([], [f"{s} {p} {odd} ."], [lines[i], f"{s} {p} {odd} ."],
                                     [lines[i], f"{rng.choice(iris)} {p} {o} ."], [f"{rng.choice(iris)} {p} {o} ."]))
    return "\n".join(lines) + "\n"


def _results(report) -> list[tuple]:
    return sorted((v.focus, v.path or "", v.message, v.severity, v.shape) for v in report.violations)


def test_the_seeds_conform():
    for lines in _seed_lines():
        assert validate_nt("\n".join(lines) + "\n", "core").violations == []


def test_broken_graphs_give_the_reference_engines_results():
    rng = random.Random(20261202)
    messages, failing = set(), 0
    for _ in range(250):
        text = _broken(rng)
        ours, reference = validate_nt(text, "core"), validate_nt(text, "native")
        assert _results(ours) == _results(reference), text
        messages.update(v.message for v in reference.violations)
        failing += not reference.conforms
    assert failing >= 175 and len(messages) >= 35  # the graphs break many shapes, not one


def test_and_pyshacls():
    rng = random.Random(7)
    for _ in range(25):
        text = _broken(rng)
        assert _results(validate_nt(text, "core")) == _results(validate(Graph().parse(data=text, format="nt"), "pyshacl"))


def test_a_literal_focus_is_named_by_its_lexical_form():
    lines = _seed_lines()[0]
    line = next(x for x in lines if "/unit/" in x and "unitMeasure" in x)
    s, p, _ = line.split(" ", 2)
    text = "\n".join([*lines, f'{s} {p} "1.5"^^<{XSD}decimal> .']) + "\n"
    got = [(v.focus, v.message) for v in validate_nt(text, "core").violations if v.path and v.path.endswith("#inScheme")]
    assert got == [("1.5", "not a concept of the unit scheme")]


def test_a_blank_node_is_a_focus_node_too():
    npc = "https://w3id.org/npc-kg/ontology#"
    text = (f"_:p <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{npc}Place> .\n"
            f'_:p <http://www.w3.org/2004/02/skos/core#notation> "x" .\n')
    ours = sorted((v.path or "", v.message) for v in validate_nt(text, "core").violations)
    assert ours == sorted((v.path or "", v.message) for v in validate_nt(text, "native").violations)
    assert sorted(m for _, m in ours) == ["a place has one division code of 2 to 12 digits", "a place has one label",
                                          "a place has one level from the level scheme"]


def test_every_shape_that_reports_has_a_message():
    """Without one, each engine words its own (pySHACL and its Rust port differ), and a reader of
    build/rejected.jsonl gets an engine's phrasing instead of the rule."""
    g = shapes_graph()
    reporting = set(g.objects(None, SH.property)) | {s for s in g.subjects(SH.targetClass, None)
                                                    if any((s, p, None) in g for p in (SH["or"], SH["and"], SH["not"]))}
    assert reporting and all(g.value(s, SH.message) is not None for s in reporting)


def test_shapes_it_cannot_run_compile_to_none():
    g = Graph()
    g += shapes_graph()
    assert shacl.compile_shapes(g, [], _shape_name) is not None
    g.parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:S> a sh:NodeShape ; sh:targetClass <urn:x:C> ; sh:sparql [ sh:select "SELECT $this WHERE {}" ] .""",
            format="turtle")
    assert shacl.compile_shapes(g, [], _shape_name) is None


@pytest.mark.parametrize("path", ["( <urn:x:p> <urn:x:q> )", "[ sh:inversePath <urn:x:p> ]"])
def test_a_path_it_cannot_follow_compiles_to_none(path):
    g = Graph().parse(data=f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:S> a sh:NodeShape ; sh:targetClass <urn:x:C> ; sh:property [ sh:path {path} ; sh:minCount 1 ] .""",
                      format="turtle")
    assert shacl.compile_shapes(g, [], _shape_name) is None
