"""The command line (kg.cli) as a user runs it: output, exit codes, errors."""

from __future__ import annotations

import json

from conftest import SEED
from typer.testing import CliRunner

from kg.cli import app


def test_cli_extract_jsonl():
    res = CliRunner().invoke(app, ["extract", str(SEED["jiangxian"])])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.output.splitlines()]
    assert lines[0]["kind"] == "report" and lines[0]["body"] == "绛县人大常委会" and lines[0]["years"] == [2023]
    assert "绛县" in res.output  # UTF-8, not ASCII-escaped
    c = next(x for x in lines if x["kind"] == "count" and x["measure"] == "主任会议")
    assert (c["value"], c["unit"], c["bound"], c["modality"], c["year"]) == (14, "次", "exact", "reported", 2023)
    text = SEED["jiangxian"].read_text(encoding="utf-8")
    assert text[c["start"]:c["end"]] == c["quote"]
    kinds = {x["kind"] for x in lines}
    assert kinds == {"report", "count", "mechanism", "activity", "law"}


def test_cli_query_and_bad_param(built, tmp_path):
    store = str(built.store.path.parent)
    runner = CliRunner()
    ok = runner.invoke(app, ["query", "suggestion-satisfaction", "--store", store, "--format", "json"])
    assert ok.exit_code == 0, ok.output
    rows = json.loads(ok.output)
    assert [r["suggestions"] for r in rows] == [50, 492, 330, 140, 154]
    bad = runner.invoke(app, ["query", "bodies-by-mechanism", "-p", "mechanism=nope", "--store", store])
    assert bad.exit_code == 2 and "not a concept" in bad.output


def test_csv_for_excel_has_a_bom_only_when_asked(built, tmp_path):
    from kg import tables

    df = built.table("counts")
    assert tables.write(df, "csv", None, bom=True).startswith("\ufeffid,body,")
    assert tables.write(df, "csv", None).startswith("id,body,")
