"""Locked down: no query, page or file reaches past the build, nothing runs without bounds, and bad
input ends in one line naming what is at fault (the README's "Bad input and hostile queries" table)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import SEEDS

from kg.build import build, max_jobs
from kg.extract import extract
from kg.report import from_text
from kg.stores import OxigraphStore, RemoteStore, StoreError, push
from kg.tables import sql

KG = os.path.join(os.path.dirname(sys.executable), "kg")


def _kg(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([KG, *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def one(tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
    return out


@pytest.mark.parametrize(("query", "says"), [
    ("SELECT * FROM read_csv('/etc/passwd')", "refused"),
    ("SELECT * FROM read_text('/etc/hostname')", "refused"),
    ("COPY (SELECT 1) TO '/tmp/npc-kg-hostile.csv'", "refused"),
    ("ATTACH '/tmp/npc-kg-hostile.db'", "refused"),
    ("INSTALL httpfs", "refused"),
    ("LOAD httpfs", "refused"),
    ("SET enable_external_access = true", "locked"),
    ("SET memory_limit = '100GB'", "locked"),
    ("SELECT * FROM glob('/etc/*')", "refused"),
])
def test_kg_sql_sees_the_tables_and_nothing_else(one, query, says):
    with pytest.raises(ValueError, match=says):
        sql(one, query)
    assert not Path("/tmp/npc-kg-hostile.csv").exists() and not Path("/tmp/npc-kg-hostile.db").exists()


def test_kg_sql_is_bounded_in_time_and_memory(one):
    with pytest.raises(ValueError, match="time limit"):
        sql(one, "SELECT COUNT(*) FROM range(1000000000) a, range(1000000000) b", timeout=1)
    with pytest.raises(ValueError, match="memory limit"):
        sql(one, "SELECT list(range) FROM range(100000000) GROUP BY range % 3", memory_limit="50MB")
    got = _kg("sql", "SELECT 1", "--store", str(one), "--timeout", "nan")
    assert got.returncode == 2 and "--timeout" in got.stderr and "Traceback" not in got.stderr


def test_kg_sql_answers_for_the_store_after_a_write(tmp_path):
    out = tmp_path / "b"
    build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
    before = int(sql(out, "SELECT COUNT(*) AS n FROM reports").n[0])
    update = tmp_path / "u.rq"
    graph = sql(out, "SELECT report FROM reports").report[0]
    update.write_text(f"DROP GRAPH <https://w3id.org/npc-kg/id/graph/{graph}>", encoding="utf-8")
    assert _kg("query", "--file", str(update), "--allow-update", "--store", str(out)).returncode == 0
    assert (before, int(sql(out, "SELECT COUNT(*) AS n FROM reports").n[0])) == (1, 0)


def test_the_build_never_reads_its_own_output_and_names_links_it_does_not_follow(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEEDS / "004_73afdd1df5b9533d.txt", src / "a.txt")
    os.symlink(SEEDS, src / "linked")
    first = build([src], src / "build")
    second = build([src], src / "build")
    assert [len(r.files) for r in (first, second)] == [1, 1]
    reasons = dict(second.skipped)
    assert "not followed" in reasons[str(src / "linked")] and "build folder itself" in reasons[str(src / "build")]


def test_jobs_are_capped_and_the_build_says_so(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEEDS / "004_73afdd1df5b9533d.txt", src / "a.txt")
    result = build([src], tmp_path / "b", jobs=2000)
    assert result.notes == [f"--jobs 2000 capped at {max_jobs()}: twice this machine's {os.cpu_count()} cores"]
    assert result.summary().startswith("--jobs 2000 capped")


def test_a_zero_width_character_hides_no_mechanism_and_offsets_still_hold():
    text = "永嘉县人大常委会工作报告\n2023年，推行民生实事\u200b项目人大代表票决\u200d制，召开常委会会议\u200b8次。\n"
    r = from_text(text)
    x = extract(r)
    assert [p.mechanism for p in x.practices] == ["livelihood-project-voting"]
    (c,) = x.counts
    assert (c.measure, c.value) == ("常委会会议", 8) and r.text[c.evidence.mention_start: c.evidence.mention_end] == c.evidence.mention


class _Silent:
    """A server that accepts connections and never answers."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                self.held.append(self.sock.accept()[0])
            except OSError:
                continue

    def __exit__(self, *exc):
        self.stop = True
        for s in self.held:
            s.close()
        self.sock.close()


def test_a_push_to_a_server_that_never_answers_ends_by_its_deadline(one):
    with _Silent() as silent:
        src = OxigraphStore(one / "store", read_only=True)
        start = time.monotonic()
        result = push(src, RemoteStore(f"http://127.0.0.1:{silent.port}/query", timeout=30, retries=4, backoff=0.5), deadline=2)
        took = time.monotonic() - start
        src.close()
    assert took < 6 and not result.ok and result.pushed == []
    assert len(result.failed) == 1 and len(result.not_tried) == len(src_graphs(one)) - 1


def src_graphs(build_folder: Path) -> list[str]:
    s = OxigraphStore(build_folder / "store", read_only=True)
    try:
        return s.graphs()
    finally:
        s.close()


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_a_damaged_store_says_so_and_how_to_rebuild(one, tmp_path, damage):
    out = tmp_path / "b"
    shutil.copytree(one, out)
    if damage == "missing":
        for sst in (out / "store").glob("*.sst"):  # the data files RocksDB's manifest lists
            sst.unlink()
    else:
        manifest = next(iter((out / "store").glob("MANIFEST-*")))
        manifest.write_bytes(manifest.read_bytes()[:10])
    for args in (["query", "counts"], ["table", "counts"], ["validate"], ["export", "-f", "nq", "-o", str(tmp_path / "x.nq")]):
        got = _kg(*args, "--store", str(out))
        assert got.returncode != 0 and "is damaged" in got.stderr and "run `kg build` again" in got.stderr, args
        assert "Traceback" not in got.stderr
    with pytest.raises(StoreError, match="is damaged"):
        OxigraphStore(out / "store", read_only=True)


@pytest.mark.parametrize(("args", "says"), [
    (["query", "counts", "--timeout", "nan"], "not a number of seconds"),
    (["serve", "--timeout", "inf"], "not a number of seconds"),
    (["build", "--file-timeout", "nan"], "--file-timeout"),
    (["docs", "-o", "FILE"], "is a file"),
    (["push", "--endpoint", "file:///etc/passwd"], "is not an http(s) URL"),
])
def test_bad_arguments_end_in_one_line(one, tmp_path, args, says):
    (tmp_path / "FILE").write_text("x", encoding="utf-8")
    args = [str(tmp_path / "FILE") if a == "FILE" else a for a in args]
    got = _kg(*args, *(["--store", str(one)] if args[0] in ("query", "serve", "push") else []))
    assert got.returncode == 2 and says in got.stderr.replace("\n", " ").replace("│", "") and "Traceback" not in got.stderr


def test_an_ad_hoc_query_whose_comment_looks_like_a_header_runs(one, tmp_path):
    rq = tmp_path / "q.rq"
    rq.write_text("#+ name: [\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n", encoding="utf-8")
    got = _kg("query", "--file", str(rq), "--store", str(one), "--format", "csv")
    assert got.returncode == 0 and got.stdout.splitlines()[0] == "n" and int(got.stdout.splitlines()[1]) > 1000


def _word_with_hidden_places(path: Path) -> Path:
    """A .docx whose text sits where python-docx's paragraph text does not look: a text box (VML), a
    table inside a table cell, a page header and a footnote part."""
    import docx
    from docx.oxml import parse_xml

    d = docx.Document()
    d.add_paragraph("德清县人大常委会2023年工作报告")
    anchor = d.add_paragraph("一年来，召开常委会会议9次。")
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:v="urn:schemas-microsoft-com:vml"'
    anchor._p.append(parse_xml(f'<w:r {ns}><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框里写着开展执法检查4次。</w:t>'
                               '</w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r>'))
    outer = d.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "监督工作"
    inner = outer.cell(0, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "专题询问"
    inner.cell(0, 1).text = "2次"
    d.sections[0].header.paragraphs[0].text = "德清县人大常委会"
    d.save(path)
    return path


def test_word_text_boxes_and_nested_tables_are_read_and_headers_named_as_left_out(tmp_path):
    from kg.report import read

    r = read(_word_with_hidden_places(tmp_path / "r.docx"))
    assert "文本框里写着开展执法检查4次。" in r.text and "专题询问\t2次" in r.text
    assert r.text.index("召开常委会会议9次") < r.text.index("文本框") < r.text.index("监督工作") < r.text.index("专题询问")
    assert r.left_out == ["headers and footers"]
    got = {(c.measure, c.value) for c in extract(r).counts}
    assert {("常委会会议", 9), ("执法检查", 4), ("专题询问", 2)} <= got


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16-le", "utf-8"])
def test_random_bytes_that_decode_are_refused_by_name(tmp_path, encoding):
    from kg.readers import ReadError

    data = os.urandom(60_000).decode(encoding, "replace")
    with pytest.raises(ReadError, match="not text"):
        from_text(data, str(tmp_path / "x.txt"))


CROSS = "SELECT ?a ?b ?c ?d WHERE { ?a ?p ?o . ?b ?q ?r . ?c ?x ?y . ?d ?z ?w } ORDER BY ?a ?b ?c ?d"


def test_a_query_past_its_memory_or_time_limit_is_one_line_and_the_store_answers_on(one, tmp_path):
    rq = tmp_path / "cross.rq"
    rq.write_text(CROSS, encoding="utf-8")
    got = _kg("query", "--file", str(rq), "--store", str(one), "--memory", "1GB", "--timeout", "60")
    assert got.returncode == 1 and "needed more than its memory limit (1 GB)" in got.stderr and "Traceback" not in got.stderr
    start = time.monotonic()
    got = _kg("query", "--file", str(rq), "--store", str(one), "--memory", "64GB", "--timeout", "2")
    assert got.returncode == 1 and "stopped after its 2 s time limit" in got.stderr and time.monotonic() - start < 30
    assert _kg("query", "piloted-livelihood-voting", "--store", str(one), "--memory", "1GB").returncode == 0
    got = _kg("query", "counts", "--store", str(one), "--memory", "lots")
    assert got.returncode == 2 and "not a size" in got.stderr


def test_kg_serve_answers_on_after_a_query_past_its_memory_limit(one):
    import urllib.error
    import urllib.parse
    import urllib.request

    from kg.server import free_port

    port = free_port()
    proc = subprocess.Popen([KG, "serve", "--store", str(one), "--port", str(port), "--memory", "1GB"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        RemoteStore(f"http://127.0.0.1:{port}/query", retries=8, backoff=0.1).query("ASK {}")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/query?{urllib.parse.urlencode({'query': CROSS})}", timeout=120)
        assert refused.value.code == 503 and b"memory limit" in refused.value.read()
        rows = RemoteStore(f"http://127.0.0.1:{port}/query", retries=0).query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
        assert rows[0]["n"] > 1000
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_worker_past_its_memory_limit_fails_its_files_by_name_and_the_build_ends(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for seed in ("003_ff0f401e9b94a24c.txt", "004_73afdd1df5b9533d.txt"):
        shutil.copy(SEEDS / seed, src / seed)
    # In a new process, as users run it: workers are forked, and a parent that has long run (this
    # test session) leaves them enough freed memory to build two small files without asking for more.
    tight = _kg("build", str(src), "--out", str(tmp_path / "tight"), "--jobs", "2", "--worker-memory", "300MB", "--quiet")
    assert tight.returncode == 1, tight.stdout + tight.stderr
    failed = dict(line.removeprefix("FAILED ").split(": ", 1) for line in tight.stdout.splitlines() if line.startswith("FAILED "))
    assert sorted(Path(name).name for name in failed) == ["003_ff0f401e9b94a24c.txt", "004_73afdd1df5b9533d.txt"]
    assert set(failed.values()) <= {"out of memory while building this file",  # where the allocation failed decides which
                                    "the process building this file died (killed, or out of memory)"}
    roomy = build([src], tmp_path / "roomy", jobs=2)
    assert [f.ok for f in roomy.files] == [True, True]
