"""Building: determinism, partial failure, incremental rebuilds, exports, shapes."""

from __future__ import annotations

import shutil
import sys
from decimal import Decimal

import pytest
from conftest import SEEDS
from rdflib import XSD, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

import kg
from kg.build import EXIT_PARTIAL, build
from kg.export import export
from kg.extract import extract
from kg.rdf import report_graph
from kg.report import read
from kg.stores import OxigraphStore
from kg.validate import ENGINES, validate


def test_two_builds_are_byte_identical(tmp_path):
    outs = []
    for name in ("a", "b"):
        build([SEEDS], tmp_path / name)
        with OxigraphStore(tmp_path / name / "store") as s:
            outs.append((export(s, "nq"), export(s, "trig")))
    assert outs[0] == outs[1]


def test_built_graph_conforms(built):
    assert built.validate().conforms


def _canon(g: Graph) -> Graph:
    """Decimals compared by value: Oxigraph writes 900, rdflib 900.0 — the same xsd:decimal."""
    out = Graph()
    for s, p, o in g:
        if isinstance(o, Literal) and o.datatype == XSD.decimal:
            o = Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD.decimal)
        out.add((s, p, o))
    return out


def test_exports_round_trip(built):
    ref = Dataset()
    ref.parse(data=export(built.store, "nq"), format="nquads")
    graphs = [g for g in ref.graphs() if len(g)]
    assert len(graphs) == 12  # five reports, the ontology, the shared entities, the five bodies' derived graphs
    for fmt, rdflib_fmt in (("trig", "trig"), ("jsonld", "json-ld")):
        ds = Dataset()
        ds.parse(data=export(built.store, fmt), format=rdflib_fmt)
        for g in graphs:
            assert isomorphic(_canon(g), _canon(ds.graph(g.identifier))), (fmt, g.identifier)
    merged = Graph()
    for s, p, o, _ in ref.quads((None, None, None, None)):
        merged.add((s, p, o))
    for fmt, rdflib_fmt in (("ttl", "turtle"), ("nt", "nt")):
        g = Graph()
        g.parse(data=export(built.store, fmt), format=rdflib_fmt)
        assert isomorphic(_canon(g), _canon(merged)), fmt


def test_a_broken_file_among_good_ones(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    (src / "empty.txt").write_bytes(b"")
    (src / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    (src / "latin.txt").write_bytes(b"no chinese text at all")
    result = build([src], tmp_path / "out")
    assert result.exit_code == EXIT_PARTIAL
    failed = {f.path.rsplit("/", 1)[-1]: f.error for f in result.failed}
    assert set(failed) == {"empty.txt", "binary.txt", "latin.txt"}
    assert "empty" in failed["empty.txt"] and "binary" in failed["binary.txt"] and "no Chinese" in failed["latin.txt"]
    assert sum(f.ok for f in result.files) == 5
    assert "FAILED" in result.summary()


def test_workers_build_what_one_process_builds(tmp_path, monkeypatch):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    (src / "002a_binary.txt").write_bytes(b"\x00\x01\x02\x03")
    serial = build([src], tmp_path / "one")
    module = sys.modules[build.__module__]  # kg.build the module, not the function kg exports
    monkeypatch.setattr(module, "CHUNK", 1)  # six tasks, two in flight: the window moves
    monkeypatch.setattr(module, "AHEAD", 1)
    parallel = build([src], tmp_path / "two", jobs=2)
    assert [(f.path, f.ok, f.graph, f.triples) for f in parallel.files] == [(f.path, f.ok, f.graph, f.triples) for f in serial.files]
    assert [f.path.rsplit("/", 1)[-1] for f in parallel.failed] == ["002a_binary.txt"]
    with OxigraphStore(tmp_path / "one" / "store") as a, OxigraphStore(tmp_path / "two" / "store") as b:
        assert export(a, "nq") == export(b, "nq")


def test_incremental_rebuild_redoes_only_the_changed_report(tmp_path):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    build([src], tmp_path / "out")
    f = src / "004_73afdd1df5b9533d.txt"
    f.write_text(f.read_text(encoding="utf-8").replace("主任会议14次", "主任会议15次"), encoding="utf-8")
    again = build([src], tmp_path / "out")
    assert sorted(r.path.rsplit("/", 1)[-1] for r in again.files if not r.cached) == ["004_73afdd1df5b9533d.txt"]
    g = kg.open(tmp_path / "out")
    rows = g.rows("counts", body="绛县人大常委会", measure="council-of-chairpersons-meeting").rows
    assert [r["value"] for r in rows] == [15]
    assert len(g.store.graphs()) == 12  # the old graph of the edited report was replaced, not kept beside
    g.close()


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


def test_the_cache_holds_whether_the_folder_is_named_relatively_or_absolutely(tmp_path, monkeypatch):
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    build([src], tmp_path / "out")
    monkeypatch.chdir(tmp_path)
    again = build(["in"], "out")
    assert len(again.files) == 5 and all(r.cached for r in again.files)


def test_commands_refuse_to_run_without_their_data(tmp_path):
    """An installation without shapes or queries must not validate against nothing ("conforms") or
    list no questions: it stops and says why."""
    import subprocess
    import sys

    from kg import lexicon, queries
    from kg.paths import MissingData

    empty = tmp_path / "shapes"
    empty.mkdir()
    with pytest.raises(MissingData, match=r"no \*\.ttl in .*shapes: the installation is incomplete"):
        lexicon.turtle_folder(empty)
    with pytest.raises(MissingData, match=r"no \*\.rq in"):
        queries.stored(tmp_path)
    script = ("import sys, kg.queries as q; from pathlib import Path\n"
              "stored = q.stored; q.stored = lambda folder=Path(sys.argv[1]): stored(folder)  # an install without queries/\n"
              "sys.argv = ['kg', 'queries']\nfrom kg.cli import main\nmain()\n")
    got = subprocess.run([sys.executable, "-c", script, str(empty)], capture_output=True, text=True, timeout=120)
    assert got.returncode == 1 and "error: no *.rq in" in got.stderr and "Traceback" not in got.stderr
