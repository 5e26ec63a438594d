"""A report's table rows read from its triples (kg.rows) equal what the stored table-* queries answer
for it in a scratch store, on real reports and on graphs made to reach every OPTIONAL and join."""

from __future__ import annotations

import json

import pytest
from conftest import SEEDS

from bench.corpus import generate
from kg import tables
from kg.extract import extract
from kg.rdf import report_nt
from kg.report import read

NPC, ID = "https://w3id.org/npc-kg/ontology#", "https://w3id.org/npc-kg/id/"


def same(nt: str) -> dict[str, list[list]]:
    """The rows both ways, each as a sorted multiset; asserted equal, and returned."""
    def norm(a: dict[str, list[list]]) -> dict[str, list[str]]:
        return {t: sorted(json.dumps(r, ensure_ascii=False) for r in rows) for t, rows in a.items()}

    ours, reference = tables.answer(nt), tables.answer_sparql(nt)
    assert norm(ours) == norm(reference)
    return ours


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_rows_of_each_seed_equal_the_table_queries(path):
    rows = same(report_nt(extract(read(path))))
    assert {"counts", "practices", "bodies", "reports"} <= set(rows)
    (report,) = rows["reports"]
    assert report[-1] == read(path).checksum  # the last column of table-reports: the checksum


def test_rows_of_synthetic_reports_equal_the_table_queries(tmp_path):
    for path in generate(25, tmp_path, SEEDS):
        same(report_nt(extract(read(path))))


def _edges(nt: str) -> tuple[str, str]:
    """A seed's graph with what no seed has: two years covered out of order, a period and bounds on a
    count, scopes with a tab and a quote, a unit with no label, a second sentence, escapes; and the id of
    the count left with no row."""
    count = next(line.split(" ")[0] for line in nt.splitlines() if f"<{NPC}Count>" in line)
    practice = next(line.split(" ")[0] for line in nt.splitlines() if f"<{NPC}MechanismPractice>" in line)
    report = next(line.split(" ")[0] for line in nt.splitlines() if f"<{NPC}Report>" in line)
    y = "<http://www.w3.org/2001/XMLSchema#gYear>"
    dec = "<http://www.w3.org/2001/XMLSchema#decimal>"
    sent = f"<{ID}sentence/edge-1-9>"
    extra = [
        f'{report} <{NPC}yearCovered> "2031"^^{y} .', f'{report} <{NPC}yearCovered> "2019"^^{y} .',
        f'{count} <{NPC}periodStart> "2018"^^{y} .', f'{count} <{NPC}periodEnd> "2022"^^{y} .',
        f'{count} <{NPC}lowerBound> "1.5"^^{dec} .', f'{count} <{NPC}upperBound> "30"^^{dec} .',
        f'{count} <{NPC}sentence> {sent} .',
        f'{sent} <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> "第二句\\t有\\"引号\\"与\\\\斜线\\n换行\\u00e9\f分页\u2028"@zh .',
        f'{sent} <http://www.w3.org/ns/oa#start> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        f'{sent} <http://www.w3.org/ns/oa#end> "9"^^<http://www.w3.org/2001/XMLSchema#integer> .',
        f'{sent} <http://purl.org/dc/terms/isPartOf> {report} .',
        f'{practice} <{NPC}scope> "乙镇"@zh .', f'{practice} <{NPC}scope> "甲\\t村"@zh .', f'{practice} <{NPC}scope> "乙镇"@zh .',
        f'{practice} <{NPC}periodStart> "2020"^^{y} .',  # a start without an end: the period stays unbound
    ]
    no_unit = next(line.split(" ")[0] for line in nt.splitlines()[::-1] if f"<{NPC}Count>" in line)
    assert no_unit != count  # a second count, its unit one the ontology does not label in Chinese: no row for it
    unit = "<http://purl.org/linked-data/sdmx/2009/attribute#unitMeasure>"
    nt = "".join(line + "\n" for line in nt.split("\n") if line and not line.startswith(f"{no_unit} {unit} "))
    extra.append(f"{no_unit} {unit} <https://w3id.org/npc-kg/unit/none> .")
    return nt + "\n".join(extra) + "\n", no_unit[1:-1].partition("/id/")[2]


def test_rows_reach_every_optional_and_join_as_the_queries_do():
    nt, unlabelled = _edges(report_nt(extract(read(sorted(SEEDS.glob("*.txt"))[0]))))
    rows = same(nt)
    assert unlabelled not in {r[0] for r in rows["counts"]} and len({r[0] for r in rows["counts"]}) > 5
    (report,) = rows["reports"]
    assert report[4] == "2019,2020,2031"  # years covered in order, each once, whatever order the triples came in
    quotes = {r[-3] for r in rows["counts"]}
    assert "第二句\t有\"引号\"与\\斜线\n换行é\f分页\u2028" in quotes  # a form feed or U+2028 ends no line
    scoped = [r for r in rows["practices"] if r[13] and "乙镇" in r[13]]
    assert scoped and scoped[0][13].startswith("乙镇、甲、村")
