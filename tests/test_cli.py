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
    ok = runner.invoke(app, ["query", "suggestion-satisfaction", "--store", store, "--format", "records"])
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


def test_query_results_in_the_w3c_formats_and_graphs_from_construct(built, tmp_path):
    """SPARQL 1.1 Query Results JSON, XML, CSV and TSV as the engine writes them; CONSTRUCT and DESCRIBE
    answer RDF; a table format asked of a graph says which formats fit."""
    import csv
    import io
    import xml.etree.ElementTree as ET

    from rdflib import Graph

    store = str(built.store.path.parent)
    runner = CliRunner()

    def run(*args: str) -> str:
        res = runner.invoke(app, ["query", *args, "--store", store])
        assert res.exit_code == 0, res.output
        return res.stdout

    doc = json.loads(run("suggestion-satisfaction", "-f", "json"))
    assert doc["head"]["vars"][:3] == ["body", "body_zh", "year"]
    first = doc["results"]["bindings"][0]
    assert first["body_zh"] == {"type": "literal", "value": "会东县人大常委会"}
    assert first["suggestions"]["value"] == "50" and first["suggestions"]["datatype"].endswith("#decimal")
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    results = ET.fromstring(run("suggestion-satisfaction", "-f", "xml").encode("utf-8")).findall("r:results/r:result", ns)
    assert len(results) == 5 and results[4].find("r:binding[@name='body_zh']/r:literal", ns).text == "绛县人大常委会"
    table = list(csv.reader(io.StringIO(run("suggestion-satisfaction", "-f", "csv"))))
    assert table[0][:3] == ["body", "body_zh", "year"] and table[1][1:4] == ["会东县人大常委会", "2020", "50"]
    tsv = run("suggestion-satisfaction", "-f", "tsv").splitlines()
    assert tsv[0].startswith("?body\t?body_zh\t?year")
    assert tsv[1].split("\t")[1:3] == ['"会东县人大常委会"', '"2020"^^<http://www.w3.org/2001/XMLSchema#gYear>']
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    construct = f"CONSTRUCT {{ ?b {label} ?l }} WHERE {{ ?r <https://w3id.org/npc-kg/ontology#reportingBody> ?b . ?b {label} ?l }}"
    query = tmp_path / "labels.rq"
    query.write_text(construct, encoding="utf-8")
    for fmt, rdflib_fmt in (("ttl", "turtle"), ("nt", "nt"), ("jsonld", "json-ld"), ("rdfxml", "xml")):
        res = runner.invoke(app, ["query", "--file", str(query), "-f", fmt, "--store", store])
        assert res.exit_code == 0, res.output
        labels = {str(o) for o in Graph().parse(data=res.stdout, format=rdflib_fmt).objects()}
        assert labels == {"会东县人大常委会", "大方县人大常委会", "大足区人大常委会", "巴彦淖尔市人大常委会", "绛县人大常委会"}, fmt
    wrong = runner.invoke(app, ["query", "--file", str(query), "-f", "csv", "--store", store])
    assert wrong.exit_code == 1 and "a CONSTRUCT or DESCRIBE answer is a graph" in wrong.output


def test_terminal_tables_align_by_display_width_and_show_a_cut(built):
    res = CliRunner().invoke(app, ["query", "bodies-by-mechanism", "--store", str(built.store.path.parent)])
    assert res.exit_code == 0, res.output
    from wcwidth import wcswidth

    lines = res.stdout.splitlines()[:-1]
    starts = {line[: line.index("reported")] for line in lines[1:]}
    assert len({wcswidth(s) for s in starts}) == 1  # the modality column starts at one screen column on every row
    from kg.terminal import CELL

    assert all(line.rstrip().endswith("…") or wcswidth(line.split("  ")[-1].strip()) < CELL for line in lines[1:])
    cut = next(line for line in lines if "会东县" in line).split("  ")[-1].strip()
    assert cut.endswith("…") and wcswidth(cut) <= CELL and "在嘎吉镇、野租乡试点开展民生实事项目人大代表票决试点工作,票决民生项目10个".startswith(cut[:-1])
