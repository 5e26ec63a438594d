"""Building: determinism, partial failure, workers, incremental rebuilds, the cache, missing data."""

from __future__ import annotations

import shutil
import sys

import pytest
from conftest import SEEDS

import kg
from kg.build import EXIT_PARTIAL, build
from kg.derived import LIST_GRAPHS
from kg.export import export
from kg.extract import extract
from kg.rdf import is_report_graph, report_graph
from kg.report import read
from kg.stores import OxigraphStore
from kg.stores.base import count_triples


def test_two_builds_are_byte_identical(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # the builds' time, which the dataset's description gives
    outs = []
    for name in ("a", "b"):
        build([SEEDS], tmp_path / name)
        with OxigraphStore(tmp_path / name / "store") as s:
            outs.append((export(s, "nq"), export(s, "trig")))
    assert outs[0] == outs[1]


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
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
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
    whole = next(f for f in serial.files if f.ok and not f.rejected)  # no fact kept out: the graph as made
    assert whole.triples == len(report_graph(extract(read(whole.path)))) > 100
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
    reports = [x for x in g.store.graphs() if is_report_graph(x)]
    assert len(reports) == 5  # the old graph of the edited report was replaced, not kept beside
    g.close()


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


def test_an_edit_to_the_lexicon_makes_the_next_build_extract_again(tmp_path, monkeypatch):
    """A new alias in ontology/*.ttl changes what is extracted: no report may stay cached from before."""
    from kg import lexicon

    build([SEEDS / "004_73afdd1df5b9533d.txt"], tmp_path / "out")
    assert all(f.cached for f in build([SEEDS / "004_73afdd1df5b9533d.txt"], tmp_path / "out").files)
    monkeypatch.setattr(lexicon, "digest", lambda: "an edited lexicon")
    assert not any(f.cached for f in build([SEEDS / "004_73afdd1df5b9533d.txt"], tmp_path / "out").files)


def test_a_build_describes_its_dataset_with_void_and_dcat(built, tmp_path, monkeypatch):
    """Triples, graphs, reports, vocabularies, licence, the extractor and when, in a graph of its own."""
    from kg.extract import VERSION

    q = """PREFIX void: <http://rdfs.org/ns/void#> PREFIX dct: <http://purl.org/dc/terms/> PREFIX prov: <http://www.w3.org/ns/prov#>
    PREFIX npc: <https://w3id.org/npc-kg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?triples ?documents ?graphs ?license ?when ?build WHERE { GRAPH <https://w3id.org/npc-kg/id/graph/dataset> {
      ?d a void:Dataset , <http://www.w3.org/ns/dcat#Dataset> ; void:triples ?triples ; void:documents ?documents ;
         npc:graphCount ?graphs ; dct:license ?license ; dct:modified ?when ; prov:wasGeneratedBy/rdfs:label ?build } }"""
    row = built.store.query(q).rows[0]
    others = [g for g in built.store.graphs() if not g.endswith("/graph/dataset")]
    lists = [g for g in others if g.startswith(LIST_GRAPHS)]  # and the body lists' heads: 14 graphs besides them
    assert row["triples"] == sum(built.store.triple_count(g) for g in others) and row["graphs"] == len(others) == 14 + len(lists)
    assert row["documents"] == 5 and row["license"] == "https://spdx.org/licenses/MIT" and VERSION in row["build"]
    sources = {r["s"] for r in built.store.query("SELECT ?s { <https://w3id.org/npc-kg/id/dataset/npc-kg> "
                                                "<http://purl.org/dc/terms/source> ?s }").rows}
    assert sources == {r["s"] for r in built.store.query("SELECT ?s { ?s a <https://w3id.org/npc-kg/ontology#Report> }").rows}
    vocabularies = {r["v"] for r in built.store.query("SELECT ?v { ?d <http://rdfs.org/ns/void#vocabulary> ?v }").rows}
    assert {"http://www.w3.org/2004/02/skos/core#", "http://purl.org/linked-data/cube#", "http://www.w3.org/ns/oa#"} <= vocabularies
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    build([SEEDS / "004_73afdd1df5b9533d.txt"], tmp_path / "b")
    g = kg.open(tmp_path / "b")
    try:
        assert g.store.query(q).rows[0]["when"] == "2026-01-01T00:00:00Z"
    finally:
        g.close()


def _described_triples(out) -> tuple[int, int]:
    """void:triples as the dataset graph says, and the triples of every other graph counted now."""
    with OxigraphStore(out / "store", read_only=True) as s:
        said = s.query("SELECT ?n { ?d <http://rdfs.org/ns/void#triples> ?n }").rows[0]["n"]
        return said, sum(count_triples(s, g) for g in s.graphs() if not g.endswith("/graph/dataset"))  # by a query of its own


def test_void_triples_stay_exact_when_a_build_recounts_only_the_graphs_it_wrote(tmp_path, monkeypatch):
    """An edit, a deletion and a foreign write between builds: each build's void:triples equals the
    store's own count, while an edit recounts a handful of graphs, not all of them."""
    src = tmp_path / "in"
    shutil.copytree(SEEDS, src)
    out = tmp_path / "out"
    build([src], out)
    said, counted = _described_triples(out)
    assert said == counted > 5000
    recounted = []
    count = OxigraphStore.triple_count
    monkeypatch.setattr(OxigraphStore, "triple_count", lambda self, iri=None: recounted.append(iri) or count(self, iri))
    f = src / "004_73afdd1df5b9533d.txt"
    f.write_text(f.read_text(encoding="utf-8") + "\n一年来，新建代表联络站3个。\n", encoding="utf-8")
    build([src], out)
    said, edited = _described_triples(out)
    assert said == edited > counted
    with OxigraphStore(out / "store", read_only=True) as s:
        everything = len(s.graphs())
    assert 0 < len(recounted) < everything / 2 and any(is_report_graph(g) for g in recounted)
    recounted.clear()
    build([src], out)  # nothing changed: nothing counted, nothing written
    assert recounted == []
    (src / "004_73afdd1df5b9533d.txt").unlink()
    build([src], out)
    said, deleted = _described_triples(out)
    assert said == deleted < counted
    with OxigraphStore(out / "store") as s:  # another program writes: the sizes kept no longer hold
        s.update("INSERT DATA { GRAPH <https://example.org/g> { <https://example.org/a> <https://example.org/b> 1, 2, 3 } }")
    recounted.clear()
    f = src / "001_9911ad027f31c7ac.txt"
    f.write_text(f.read_text(encoding="utf-8") + "\n一年来，新建代表联络站4个。\n", encoding="utf-8")
    build([src], out)
    said, counted = _described_triples(out)
    assert said == counted and "https://example.org/g" in recounted and len(recounted) >= everything / 2

def test_progress_is_told_of_every_file_and_unchanged_ones_do_not_make_the_rate(tmp_path):
    """``progress`` is called once per file, cached or built; the command line's bar counts the unchanged
    ones as done without letting them into the rate (2,999 unchanged files once made one edit show an
    ETA of hours)."""
    import io

    from kg.progress import Progress

    build([SEEDS], tmp_path / "out")
    seen = []
    build([SEEDS], tmp_path / "out", progress=seen.append)
    assert len(seen) == 5 and all(r.cached for r in seen)
    out = io.StringIO()
    bar = Progress(100, "build", stream=out)
    bar.skip(98)
    bar.tick(note="a.txt")
    label, done, rate, _, eta, note = out.getvalue().split()  # build 99/100 123.4/s ETA 0s a.txt
    assert (label, done, note) == ("build", "99/100", "a.txt") and float(rate.removesuffix("/s")) > 1
    assert int(eta.removesuffix("s")) < 5  # one file to go, at the rate of the one built
