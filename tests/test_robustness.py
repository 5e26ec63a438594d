"""Bad input, hostile queries, time limits: a clear error, nothing lost."""

from __future__ import annotations

import importlib
import os
import shutil
import time

import pytest
from conftest import SEEDS
from typer.testing import CliRunner

from kg.build import EXIT_PARTIAL, build
from kg.cli import app
from kg.rdf import ENTITIES_GRAPH
from kg.report import ReadError, read
from kg.stores import MemoryStore, OxigraphStore, QueryTimeout

build_module = importlib.import_module("kg.build")  # the name kg.build is also the function


def test_symlink_loop_and_missing_file(tmp_path):
    loop = tmp_path / "loop.txt"
    os.symlink(loop, loop)
    with pytest.raises(ReadError, match="cannot read"):
        read(loop)
    with pytest.raises(ReadError, match="cannot read"):
        read(tmp_path / "nowhere.txt")


def test_a_folder_with_a_symlink_loop_still_builds_the_rest(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEEDS / "004_73afdd1df5b9533d.txt", src)
    os.symlink(src / "loop.txt", src / "loop.txt")
    result = build([src], tmp_path / "out")
    assert result.exit_code == EXIT_PARTIAL
    assert [f.path.rsplit("/", 1)[-1] for f in result.failed] == ["loop.txt"]
    assert "cannot read" in result.failed[0].error


def test_twenty_megabytes_are_refused_with_a_size_message(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.write(("县人大常委会召开常委会会议12次。\n" * 500_000).encode("utf-8"))
    assert big.stat().st_size > 20_000_000
    with pytest.raises(ReadError, match=r"MB is larger than the 8 MB limit"):
        read(big)


def test_fullwidth_digits_and_punctuation(tmp_path):
    p = tmp_path / "fw.txt"
    p.write_text("县人大常委会工作报告\n一年来，召开常委会会议１２次；办理代表建议１５４件，满意率达９７．５％。\n", encoding="utf-8")
    from kg.extract import extract

    got = [(c.measure, str(c.value), c.unit) for c in extract(read(p)).counts]
    assert got == [("常委会会议", "12", "次"), ("代表建议", "154", "件"), ("满意率", "97.5", "%")]


def test_a_runaway_query_is_stopped_at_its_timeout():
    store = OxigraphStore()
    store.update("INSERT DATA { " + " ".join(f"<urn:x:{i}> <urn:x:p> {i} ." for i in range(3000)) + " }")
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"stopped after the 0\.5 s timeout"):
        store.query("SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z }", timeout=0.5)
    assert time.monotonic() - started < 3
    assert store.query("ASK { ?s ?p ?o }", timeout=5).rows == [{"result": True}]
    assert MemoryStore().query("ASK {}", timeout=5).rows == [{"result": True}]


def test_update_needs_allow_update(tmp_path):
    out = tmp_path / "b"
    build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
    upd = tmp_path / "drop.rq"
    upd.write_text("DROP ALL", encoding="utf-8")
    runner = CliRunner()
    refused = runner.invoke(app, ["query", "--file", str(upd), "--store", str(out)])
    assert refused.exit_code == 1 and "updates need --allow-update" in refused.output
    count = runner.invoke(app, ["query", "--file", str(SEEDS.parent / "queries" / "planned-vs-reported.rq"), "--store", str(out)])
    assert "绛县人大常委会" in count.output
    done = runner.invoke(app, ["query", "--file", str(upd), "--allow-update", "--store", str(out)])
    assert done.exit_code == 0, done.output
    after = runner.invoke(app, ["query", "--file", str(SEEDS.parent / "queries" / "planned-vs-reported.rq"), "--store", str(out)])
    assert "(no rows)" in after.output


def test_validate_reports_parse_errors_with_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e \"unclosed .\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(bad)])
    assert res.exit_code == 1
    assert "bad.ttl: does not parse" in res.output and "line 3" in res.output


def test_validate_names_the_engine_and_refuses_an_unknown_one(tmp_path):
    good = tmp_path / "good.ttl"
    good.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n", encoding="utf-8")
    for engine in ("turbo", "pyshacl"):
        res = CliRunner().invoke(app, ["validate", "--engine", engine, str(good)])
        assert res.exit_code == 0 and "conforms" in res.output
    res = CliRunner().invoke(app, ["validate", "--engine", "jena", str(good)])
    assert res.exit_code == 2 and "Invalid value for '--engine'" in res.output and "'jena' is not one of" in res.output  # usage, not a finding


def test_a_page_break_inside_a_sentence_loses_nothing(tmp_path):
    """pdftotext puts a form feed between pages; U+2028 and U+0085 come from word processors: none of
    them ends an N-Triples line, so the report and the reports beside it are all stored."""
    import kg

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("县人大常委会工作报告\n2022年，召开常委会\f会议8次，主任会议\u202812次，视察\x853次。\n", encoding="utf-8")
    shutil.copy(SEEDS / "004_73afdd1df5b9533d.txt", src / "b.txt")
    kg.build(src, out=tmp_path / "out").close()
    g = kg.open(tmp_path / "out")
    counts = g.table("counts")
    assert sorted(g.table("reports")["source"]) == ["a.txt", "b.txt"]
    got = counts[counts.quote.str.contains("\f", regex=False)]
    assert sorted(got["value"]) == [3, 8, 12]
    g.close()


def test_an_empty_folder_a_file_as_out_and_skipped_files_are_said(tmp_path):
    runner = CliRunner()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "figures.xlsx").write_bytes(b"PK\x03\x04")
    got = runner.invoke(app, ["build", str(empty), "--out", str(tmp_path / "b"), "-q"])
    assert got.exit_code == 1 and "no report files" in got.output and "figures.xlsx" in got.output
    (tmp_path / "afile").write_text("x")
    got = runner.invoke(app, ["build", str(SEEDS / "004_73afdd1df5b9533d.txt"), "--out", str(tmp_path / "afile"), "-q"])
    assert got.exit_code == 1 and "is a file, not a build folder" in got.output and "Traceback" not in got.output
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(SEEDS / "004_73afdd1df5b9533d.txt", mixed / "a.txt")
    (mixed / "b.png").write_bytes(b"\x89PNG\r\n")
    result = build([mixed], tmp_path / "m")
    assert result.exit_code == 0 and result.skipped == [(str(mixed / "b.png"), "not a report format")]
    assert "skipped 1 (not a report format): " + str(mixed / "b.png") in result.summary()


def test_a_deleted_or_now_failing_file_takes_its_facts_with_it(tmp_path):
    import kg

    src = tmp_path / "in"
    src.mkdir()
    for name in ("001_9911ad027f31c7ac.txt", "004_73afdd1df5b9533d.txt", "002_58dfcc973063ed19.txt"):
        shutil.copy(SEEDS / name, src / name)
    build([src], tmp_path / "out")
    (src / "001_9911ad027f31c7ac.txt").unlink()
    (src / "004_73afdd1df5b9533d.txt").write_bytes(b"\x00\x01\x02 not a report")
    again = build([src], tmp_path / "out")
    assert again.exit_code == EXIT_PARTIAL
    g = kg.open(tmp_path / "out")
    assert list(g.table("reports")["source"]) == ["002_58dfcc973063ed19.txt"]
    assert set(g.table("counts")["body_zh"]) == {"大方县人大常委会"}
    build([src], tmp_path / "fresh")
    fresh = kg.open(tmp_path / "fresh")
    assert set(g.graph(ENTITIES_GRAPH)) == set(fresh.graph(ENTITIES_GRAPH)) != set()  # the places and bodies of the others went too
    assert "绛县" not in {str(o) for o in g.graph(ENTITIES_GRAPH).objects()}
    g.close()
    fresh.close()


def test_a_page_without_full_stops_is_cut_into_bounded_sentences():
    """A page of clauses with no 。 (or a hard-wrapped page joined back) must not make one sentence of
    a million characters: the work on a sentence grows with its length. Past spaCy's 1 M guard too."""
    from kg.extract import extract
    from kg.extract.sentences import MAX_SENTENCE, split
    from kg.report import from_text

    r = from_text("县人大常委会工作报告\n" + "依法履职，" * 210_000 + "召开常委会会议8次。")
    sentences = split(r)
    assert len(r.norm) > 1_000_000 and max(s.end - s.start for s in sentences) <= MAX_SENTENCE
    assert sentences[1].start == r.norm.index("依法") and r.norm[sentences[1].end - 1] == "，"
    assert [(c.measure, c.value) for c in extract(r).counts] == [("常委会会议", 8)]


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_read(enc, tmp_path):
    text = "<p>县人大常委会工作报告</p>\n<p>2022年，召开常委会会议8次。</p>\n" * 3
    path = tmp_path / "page.html"
    path.write_bytes(text.encode(enc) + b"\x00")  # an odd trailing byte, as cut downloads have
    r = read(path)
    assert (r.encoding, r.body) == (enc, None) and "召开常委会会议8次" in r.text
    with pytest.raises(ReadError, match="binary"):
        read_bytes = tmp_path / "bin.dat"
        read_bytes.write_bytes(bytes(range(256)) * 4)
        read(read_bytes)


@pytest.mark.parametrize("fmt", ["trig", "jsonld"])
def test_exports_are_byte_identical_whatever_the_hash_seed(fmt, tmp_path):
    import subprocess
    import sys

    from rdflib import Dataset

    build([SEEDS / "004_73afdd1df5b9533d.txt"], tmp_path / "b")
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"x{seed}.{fmt}"
        subprocess.run([sys.executable, "-m", "kg.cli", "export", "--store", str(tmp_path / "b"), "-f", fmt, "-o", str(out)],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed})
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    ds = Dataset()
    ds.parse(data=outs[0], format="trig" if fmt == "trig" else "json-ld")
    nq = tmp_path / "x.nq"
    subprocess.run([sys.executable, "-m", "kg.cli", "export", "--store", str(tmp_path / "b"), "-f", "nq", "-o", str(nq)],
                   check=True, capture_output=True)
    assert len(ds) == len(nq.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("kind", ["missing", "folder", "not-utf8"])
def test_a_query_file_that_cannot_be_read_is_a_clear_error(kind, tmp_path):
    path = {"missing": tmp_path / "none.rq", "folder": tmp_path, "not-utf8": tmp_path / "bad.rq"}[kind]
    if kind == "not-utf8":
        path.write_bytes(b"\xff\xfeSELECT")
    got = CliRunner().invoke(app, ["query", "--file", str(path), "--store", str(tmp_path / "b")])
    assert got.exit_code == 2 and "cannot be read as UTF-8 text" in got.output and "Traceback" not in got.output


def _one_seed(folder):
    folder.mkdir()
    shutil.copy(SEEDS / "004_73afdd1df5b9533d.txt", folder / "a.txt")
    return folder


def test_fifos_devices_and_unlistable_folders_are_named_and_skipped_without_waiting(tmp_path, monkeypatch):
    src = _one_seed(tmp_path / "in")
    os.mkfifo(src / "pipe.txt")  # reading it would wait for a writer forever
    os.symlink("/dev/zero", src / "zero.txt")  # reading it would never end
    (src / "shut").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):  # root may read any folder: make one unlistable as it is for a user
        if str(path).endswith("shut"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    started = time.monotonic()
    result = build([src], tmp_path / "out")
    assert time.monotonic() - started < 60
    assert result.exit_code == 0 and [os.path.basename(f.path) for f in result.files] == ["a.txt"]
    assert sorted((os.path.basename(p), why) for p, why in result.skipped) == [
        ("pipe.txt", "a FIFO, not a report file"), ("shut", "cannot list: Permission denied"),
        ("zero.txt", "a character device, not a report file")]
    for name, why in (("pipe.txt", "a FIFO"), ("zero.txt", "a character device")):
        with pytest.raises(ReadError, match=f"{name}: {why}, not a report file"):
            read(src / name)  # named on the command line: refused, not read


def test_a_file_name_that_is_not_utf8_is_built_and_printed(tmp_path):
    src = _one_seed(tmp_path / "in")
    odd = os.fsdecode(b"\xb1\xa8\xb8\xe6.txt")  # 报告 in GBK, as an old archive names it
    shutil.copy(SEEDS / "002_58dfcc973063ed19.txt", src / odd)
    result = build([src], tmp_path / "out")
    assert result.exit_code == 0 and len(result.files) == 2
    shutil.copy(src / "a.txt", src / "copy.txt")
    result = build([src], tmp_path / "out")
    assert f"one report from 2 files with the same text: {src / 'a.txt'}, {src / 'copy.txt'}" in result.summary()
    (src / "copy.txt").unlink()
    again = build([src], tmp_path / "out")
    assert sum(f.cached for f in again.files) == 2  # the cache kept the name's bytes
    got = CliRunner().invoke(app, ["query", "table-reports", "--store", str(tmp_path / "out"), "-f", "csv"])
    assert got.exit_code == 0 and "\\xb1\\xa8\\xb8\\xe6.txt" in got.output


def test_a_second_build_on_the_same_folder_is_told_to_wait(tmp_path):
    import fcntl

    from kg.build import LOCK, BuildError

    out = tmp_path / "out"
    out.mkdir()
    with open(out / LOCK, "w") as held:  # what a running build holds
        held.write("4242")
        held.flush()
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BuildError, match=r"another build \(pid 4242\) is writing to"):
            build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
        got = CliRunner().invoke(app, ["build", str(SEEDS / "004_73afdd1df5b9533d.txt"), "--out", str(out), "-q"])
        assert got.exit_code == 1 and "another build" in got.output and "Traceback" not in got.output
    assert build([SEEDS / "004_73afdd1df5b9533d.txt"], out).exit_code == 0  # released: the next build runs


def test_a_file_past_the_time_limit_fails_alone(tmp_path, monkeypatch):
    src = _one_seed(tmp_path / "in")
    (src / "slow.txt").write_text("县人大常委会召开会议3次。\n", encoding="utf-8")
    real = build_module.extract

    def slow_on_one(report):
        if report.path.endswith("slow.txt"):
            time.sleep(30)
        return real(report)

    monkeypatch.setattr(build_module, "extract", slow_on_one)
    started = time.monotonic()
    result = build([src], tmp_path / "out", file_timeout=1)
    assert time.monotonic() - started < 20
    assert result.exit_code == EXIT_PARTIAL and [os.path.basename(f.path) for f in result.failed] == ["slow.txt"]
    assert result.failed[0].error == "stopped after the 1 s limit per file (--file-timeout)"


def test_a_worker_that_dies_fails_only_its_file(tmp_path, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("002_58dfcc973063ed19.txt", "004_73afdd1df5b9533d.txt"):
        shutil.copy(SEEDS / name, src / name)
    (src / "003_dies.txt").write_text("县人大常委会召开会议3次。\n", encoding="utf-8")
    real = build_module.extract

    def dies_on_one(report):  # as the OOM killer would end the process
        if report.path.endswith("dies.txt"):
            os.kill(os.getpid(), 9)
        return real(report)

    monkeypatch.setattr(build_module, "extract", dies_on_one)
    result = build([src], tmp_path / "out", jobs=2)
    assert result.exit_code == EXIT_PARTIAL
    assert [(os.path.basename(f.path), f.error) for f in result.failed] == [
        ("003_dies.txt", "the process building this file died (killed, or out of memory)")]
    assert sorted(os.path.basename(f.path) for f in result.files if f.ok) == ["002_58dfcc973063ed19.txt", "004_73afdd1df5b9533d.txt"]


@pytest.mark.parametrize("at", [0.5, 1.5, 3.0, 4.5])
def test_a_build_killed_at_any_moment_is_completed_by_the_next(tmp_path, at):
    """SIGKILL at several points of a real build (reading, loading, summing up, writing the tables):
    the folder is not locked, queries read it, and the next build ends with every report, the same
    tables and the same derived graphs as a fresh build."""
    import signal
    import subprocess
    import sys

    import kg

    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        for seed in sorted(SEEDS.glob("*.txt")):
            (src / f"{i}-{seed.name}").write_text(seed.read_text(encoding="utf-8") + f"\n（第{i}份）\n", encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", "import sys, kg.build as b; b.build([sys.argv[1]], sys.argv[2])", str(src), str(out)])
    time.sleep(at)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if (out / "store").exists():
        got = CliRunner().invoke(app, ["query", "table-reports", "--store", str(out), "-f", "csv"])
        assert got.exit_code == 0 and "Traceback" not in got.output
    again = build([src], out)
    assert again.exit_code == 0 and len(again.files) == 15
    fresh = build([src], tmp_path / "fresh")
    assert fresh.exit_code == 0
    g, h = kg.open(out), kg.open(tmp_path / "fresh")
    for name in ("reports", "counts", "practices"):
        assert g.table(name).equals(h.table(name)), name
    assert _derived(g) == _derived(h)
    g.close()
    h.close()


def _derived(g) -> dict[str, list[str]]:
    """Each derived graph's triples, sorted."""
    from kg.derived import is_derived

    return {iri: sorted(g.store.dump_graph(iri).decode().splitlines()) for iri in g.store.graphs() if is_derived(iri)}


def test_a_second_build_in_a_new_process_finds_every_report_unchanged_and_tables_answer_from_parquet(tmp_path):
    """The cache and the tables' stamp are canonical bytes: a new process (another hash seed) keeps them."""
    import subprocess
    import sys

    src = _one_seed(tmp_path / "in")
    shutil.copy(SEEDS / "000_81a1dc411eb54db0.txt", src / "b.txt")
    outs = []
    for seed in ("1", "2"):
        got = subprocess.run([sys.executable, "-m", "kg.cli", "build", str(src), "--out", str(tmp_path / "b")],
                             capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        outs.append(got.stdout)
    assert "(0 unchanged" not in outs[0] and "2 unchanged)" in outs[1], outs
    probe = ("import sys, kg.tables as t; from kg.stores.oxigraph import OxigraphStore as S; "
             "s = S(sys.argv[1], read_only=True); print(t._built(s, 'counts') is not None)")
    got = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "b" / "store")], capture_output=True, text=True,
                         env={**os.environ, "PYTHONHASHSEED": "3"})
    assert got.stdout.strip() == "True", got.stderr
