"""The README cannot drift: its command lines and its Python example are run as written."""

from __future__ import annotations

import itertools
import re
import shlex

from conftest import ROOT
from typer.testing import CliRunner

from kg.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")
ELSEWHERE = {"serve": "runs until stopped: test_remote starts it on a free port", "push": "needs a server: test_remote pushes to one"}


def _block(heading: str, lang: str) -> str:
    section = README.split(f"\n## {heading}\n", 1)[1]
    return re.search(rf"```{lang}\n(.*?)```", section, re.S).group(1)


def command_lines() -> list[list[str]]:
    """Each `kg …` line of the Command line section as argument lists: a comment dropped, each
    a|b|c choice taken in turn, [optional parts] left out and, where they hold no placeholder, put in."""
    out = []
    for line in _block("Command line", "sh").splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if not line.startswith("kg "):
            continue
        optional = re.findall(r"\[([^\]]*)\]", line)
        bare = re.sub(r"\s*\[[^\]]*\]", "", line)
        variants = [bare]
        if optional and not any(re.search(r"\b[A-Z]+\b|…", o) for o in optional):
            variants.append(re.sub(r"\[([^\]]*)\]", r"\1", line))
        for v in variants:
            words = [w.split("|") for w in shlex.split(v.replace("PATH…", "seeds/"))]
            out.extend(list(w) for w in itertools.product(*words))
    return out


def test_every_command_line_of_the_readme_runs(tmp_path, monkeypatch):
    lines = command_lines()
    assert len(lines) > 20 and {w[1] for w in lines} >= {"build", "validate", "query", "export", "network", "table", "eval"}
    assert {w[1] for w in lines} & set(ELSEWHERE) == set(ELSEWHERE)  # the commands run elsewhere are still documented
    for name in ("seeds", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "my.rq").write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }\n", encoding="utf-8")
    (tmp_path / "describe.rq").write_text("DESCRIBE <https://w3id.org/npc-kg/id/dataset/npc-kg>\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for words in sorted(lines, key=lambda w: w[1] != "build"):  # the build first: the others read it
        if words[1] not in ELSEWHERE:
            got = CliRunner().invoke(app, words[1:])
            assert got.exit_code == 0, (" ".join(words), got.output[-500:])
    assert (tmp_path / "counts.parquet").stat().st_size > 0 and (tmp_path / "graph.trig").stat().st_size > 0
    assert (tmp_path / "site" / "index.html").exists() and (tmp_path / "net.html").exists()


def test_the_python_example_of_the_readme_runs(tmp_path, monkeypatch):
    (tmp_path / "seeds").symlink_to(ROOT / "seeds")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(_block("Python", "python"), scope)  # the README's own example, run as a user would
    g = scope["g"]
    assert g.query("piloted-livelihood-voting").body_zh.unique().tolist() == ["会东县人大常委会", "巴彦淖尔市人大常委会"]
    assert (tmp_path / "build" / "graph.trig").stat().st_size > 0
    g.close()


def test_the_readme_names_only_files_that_exist():
    named = set(re.findall(r"`((?:kg|tests|bench|scripts|queries|ontology|shapes|docs)/[\w./-]+\.\w+)`", README))
    missing = sorted(p for p in named if not (ROOT / p).exists() and not p.startswith("bench/out/"))  # bench/out: what it writes
    assert named and not missing, missing
