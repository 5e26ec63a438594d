"""The build's summaries (kg.derived): their values and evidence on the seeds, and the same summaries
after adding, editing and deleting reports as a fresh build gives."""

from __future__ import annotations

import shutil

from conftest import SEEDS

import kg
from kg import derived, lexicon
from kg.build import build
from kg.derived import graph_of, is_derived

JIANG = "绛县人大常委会"
JIANG_IRI = "https://w3id.org/npc-kg/id/body/140826-standing-committee"
# a second report of the same body, written for this test: another year, one count of a measure the seed also has
LATER = ("绛县人大常委会工作报告\n——2025年1月10日在绛县第十七届人民代表大会第五次会议上\n\n"
         "2024年，县人大常委会召开主任会议15次，组织代表视察调研活动6次。试点推行民生实事项目人大代表票决制。\n")


def _rows(g, name, **params):
    return [{k: r[k] for k in r if k != "body_zh"} for r in g.rows(name, **params).rows]


def test_a_bodys_yearly_counts_on_the_seeds(built):
    rows = {(r["year"], r["measure"], r["unit"]): r for r in _rows(built, "yearly-counts", body=JIANG)}
    meetings = rows[2023, "council-of-chairpersons-meeting", "次"]
    assert (meetings["value"], meetings["bound"], meetings["value_count"], meetings["fact_count"]) == (14, "exact", 1, 1)
    assert "主任会议14次" in meetings["example"]
    # two sentences count enforcement inspections, one in 部 (laws) and one in 项 (items): two cells, never one sum
    assert rows[2023, "enforcement-inspection", "部"]["value"] == 6
    assert "等6部法律法规的执法检查" in rows[2023, "enforcement-inspection", "部"]["example"]
    assert rows[2023, "enforcement-inspection", "项"]["value"] == 6


def test_a_bodys_practice_of_a_mechanism_on_the_seeds(built):
    rows = {r["mechanism"]: r for r in _rows(built, "mechanisms-of-body", body="会东县人大常委会")}
    voting = rows["livelihood-project-voting"]
    assert (voting["stages"], voting["first_year"], voting["last_year"], voting["evidence_count"]) == ("pilot", 2020, 2020, 2)
    edges = [r for r in built.rows("body-mechanism-edges").rows
             if r["body_zh"] == "会东县人大常委会" and r["mechanism"] == "livelihood-project-voting"]
    assert [(e["stages"], e["years"], e["evidence_count"]) for e in edges] == [("pilot", "2020", 2)]
    assert edges[0]["example"].startswith("在嘎吉镇、野租乡试点开展民生实事项目人大代表票决试点工作")


def test_every_summary_names_the_facts_it_sums_up(built):
    """factCount is the number of prov:wasDerivedFrom links, and every one of them is a fact of the body."""
    rows = built.rows("""PREFIX npc: <https://w3id.org/npc-kg/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?x ?n ?m WHERE {
  ?x npc:factCount ?n .
  OPTIONAL { SELECT ?x (COUNT(DISTINCT ?f) AS ?linked) WHERE { ?x prov:wasDerivedFrom ?f ; npc:body ?b . ?f npc:body ?b } GROUP BY ?x }
  BIND(COALESCE(?linked, 0) AS ?m)
}""").rows
    summaries = built.rows("SELECT ?x WHERE { ?x a ?k FILTER (?k IN (<https://w3id.org/npc-kg/ontology#PracticeSummary>, "
                           "<https://w3id.org/npc-kg/ontology#PracticeYear>, <https://w3id.org/npc-kg/ontology#CountSummary>)) }")
    assert len(rows) == len(summaries) > 100  # every summary checked, none without links
    assert [r["x"] for r in rows if r["n"] != r["m"]] == []
    graphs = [g for g in built.store.graphs() if is_derived(g)]
    assert graphs and graph_of(JIANG_IRI) in graphs


def _derived(g) -> dict[str, list[str]]:
    return {iri: sorted(g.store.dump_graph(iri).decode().splitlines()) for iri in g.store.graphs() if is_derived(iri)}


def test_summaries_follow_reports_added_edited_and_deleted(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEEDS / "004_73afdd1df5b9533d.txt", src / "a.txt")
    shutil.copy(SEEDS / "002_58dfcc973063ed19.txt", src / "other.txt")
    build([src], tmp_path / "out")

    (src / "b.txt").write_text(LATER, encoding="utf-8")  # added: the body's summaries take in its second report
    build([src], tmp_path / "out")
    g = kg.open(tmp_path / "out")
    meetings = {r["year"]: r["value"] for r in _rows(g, "yearly-counts", body=JIANG, measure="council-of-chairpersons-meeting")}
    assert meetings == {2023: 14, 2024: 15}
    voting = {r["mechanism"]: r for r in _rows(g, "mechanisms-of-body", body=JIANG)}["livelihood-project-voting"]
    assert (voting["first_year"], voting["last_year"]) == (2024, 2024)
    g.close()

    (src / "b.txt").write_text(LATER.replace("2024年，", "2023年，"), encoding="utf-8")  # edited: now it disagrees about 2023
    build([src], tmp_path / "out")
    g = kg.open(tmp_path / "out")
    cell = _rows(g, "yearly-counts", body=JIANG, measure="council-of-chairpersons-meeting")
    assert [(r["year"], r["value"], r["value_count"], r["fact_count"]) for r in cell] == [(2023, None, 2, 2)]
    g.close()

    (src / "b.txt").unlink()  # deleted: back to the seed alone, and the other body's graph untouched
    build([src], tmp_path / "out")
    fresh_src = tmp_path / "fresh-in"
    shutil.copytree(src, fresh_src)
    build([fresh_src], tmp_path / "fresh")
    g, h = kg.open(tmp_path / "out"), kg.open(tmp_path / "fresh")
    assert _derived(g) == _derived(h) != {}
    assert "livelihood-project-voting" not in {r["mechanism"] for r in _rows(g, "mechanisms-of-body", body=JIANG)}
    g.close()
    h.close()


def test_the_tally_of_a_body_equals_its_facts_counted_directly(built):
    """planned-vs-reported reads the FactTally nodes; counting the facts themselves gives the same numbers."""
    tally = {(r["body_zh"], r["kind"], r["modality_id"]): r["facts"] for r in built.rows("planned-vs-reported").rows}
    assert tally[JIANG, "count", "reported"] == 29 and tally[JIANG, "mechanism", "planned"] == 5
    direct = built.rows("""PREFIX npc: <https://w3id.org/npc-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?body_zh ?kind ?modality_id (COUNT(DISTINCT ?f) AS ?facts) WHERE {
  { ?f a npc:Count . BIND("count" AS ?kind) } UNION { ?f a npc:MechanismPractice . BIND("mechanism" AS ?kind) }
  ?f npc:body ?b ; npc:modality ?mo . ?b skos:prefLabel ?bz .
  BIND(STR(?bz) AS ?body_zh) BIND(STRAFTER(STR(?mo), "/modality/") AS ?modality_id)
} GROUP BY ?body_zh ?kind ?modality_id""")
    assert {(r["body_zh"], r["kind"], r["modality_id"]): r["facts"] for r in direct.rows} == tally


def test_mechanism_pairs_count_the_bodies_that_practise_both(built):
    """mechanism-pairs reads the MechanismPair nodes; joining every body's practice summaries with each
    other gives the same counts."""
    pairs = {(r["mechanism_a"], r["mechanism_b"], r["modality"]): r["bodies"]
             for r in built.rows("mechanism-pairs", modality=None).rows}
    direct = built.rows("""PREFIX npc: <https://w3id.org/npc-kg/ontology#>
SELECT ?a ?b ?modality (COUNT(DISTINCT ?body) AS ?bodies) WHERE {
  ?x a npc:PracticeSummary ; npc:body ?body ; npc:modality ?mo ; npc:mechanism ?ma .
  ?y a npc:PracticeSummary ; npc:body ?body ; npc:modality ?mo ; npc:mechanism ?mb .
  FILTER (STR(?ma) < STR(?mb))
  BIND(STRAFTER(STR(?ma), "/mechanism/") AS ?a) BIND(STRAFTER(STR(?mb), "/mechanism/") AS ?b)
  BIND(STRAFTER(STR(?mo), "/modality/") AS ?modality)
} GROUP BY ?a ?b ?modality""")
    assert {(r["a"], r["b"], r["modality"]): r["bodies"] for r in direct.rows} == pairs
    assert len(pairs) > 100
    top = built.rows("mechanism-pairs").rows[0]
    assert (top["mechanism_a"], top["mechanism_b"], top["modality"], top["bodies"]) == (
        "deputy-liaison-station", "deputy-training", "reported", 4)
    with_voting = built.rows("mechanism-pairs", mechanism="livelihood-project-voting").rows
    assert {r["mechanism_a"] for r in with_voting} == {"livelihood-project-voting"}
    assert ("dual-contact", 3) in {(r["mechanism_b"], r["bodies"]) for r in with_voting}


def test_summaries_written_a_few_bodies_at_a_time_are_those_written_at_once(tmp_path, monkeypatch):
    """The build sums up whole bodies about REFRESH_ROWS rows at a time (memory); the chunks' seams
    change nothing."""
    at_once = kg.build(SEEDS, out=tmp_path / "once")
    monkeypatch.setattr(derived, "REFRESH_ROWS", 1)  # a body a chunk
    chunks = []
    summarise = derived.summarise
    monkeypatch.setattr(derived, "summarise", lambda p, c: chunks.append({r["body"] for r in p + c}) or summarise(p, c))
    chunked = kg.build(SEEDS, out=tmp_path / "chunked")
    assert len(chunks) == 5 and all(len(bodies) == 1 for bodies in chunks)
    assert _derived(chunked) == _derived(at_once) != {}
    graphs = _derived(at_once)
    lists = {g for g in graphs if g.startswith(derived.LIST_GRAPHS)}
    practised = at_once.table("practices")[["mechanism", "modality"]].drop_duplicates()
    assert len(lists) == len(practised) > 20  # a body list per mechanism and modality
    assert len(graphs) == 6 + 1 + len(lists)  # five bodies, the pairs, the lists' heads and the lists
    at_once.close()
    chunked.close()


SORTED_BY_THE_STORE = """PREFIX npc: <https://w3id.org/npc-kg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?body ?body_zh ?stages ?evidence_count ?example WHERE {
  ?x a npc:PracticeSummary ; npc:mechanism <https://w3id.org/npc-kg/mechanism/%s> ; npc:modality <https://w3id.org/npc-kg/modality/%s> ;
     npc:body ?body ; npc:stageList ?stages ; npc:evidenceCount ?evidence_count ; npc:exampleSentence ?ex .
  ?ex rdf:value ?quote . ?body skos:prefLabel ?bz .
  BIND(STR(?bz) AS ?body_zh) BIND(STR(?quote) AS ?example)
} ORDER BY ?body_zh ?body"""


def test_a_page_of_a_mechanisms_bodies_is_read_from_its_list_and_is_a_slice_of_the_whole(tmp_path, monkeypatch):
    """bodies-by-mechanism reads the build's body lists: the whole answer is every summary sorted by
    the body's label (as a store sorts them), each page a slice of it, and the total the list's length."""
    monkeypatch.setattr(derived, "PAGE", 2)  # lists of a few pages on the seeds: pages that span two
    g = kg.build(SEEDS, out=tmp_path / "out")
    practised = set(map(tuple, g.table("practices")[["mechanism", "modality"]].drop_duplicates().values))
    assert ("deputy-liaison-station", "reported") in practised
    columns = ["body", "body_zh", "stages", "evidence_count", "example"]
    absent = next(c.id for c in lexicon.concepts("mechanism") if (c.id, "reported") not in practised)  # a list with no body
    for mechanism, modality in [*sorted(practised), (absent, "reported")]:
        params = {"mechanism": mechanism, "modality": modality}
        whole = g.rows("bodies-by-mechanism", **params).rows
        assert [[r[c] for c in columns] for r in whole] == [list(r) for r in g.rows(SORTED_BY_THE_STORE % (mechanism, modality)).data]
        assert g.total("bodies-by-mechanism", **params) == len(whole) == (whole[0]["bodies"] if whole else 0)
        for offset in range(len(whole) + 2):
            for limit in range(4):
                assert g.rows("bodies-by-mechanism", limit=limit, offset=offset, **params).rows == whole[offset:offset + limit]
    assert max(len(g.rows("bodies-by-mechanism", mechanism=m, modality=mo).data) for m, mo in practised) > 2  # pages were spanned
    g.close()
