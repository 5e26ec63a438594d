"""`kg ask`: questions in people's own words (simplified, traditional, English) mapped to one stored
query and its parameters, answered from the graph with evidence, or refused with the closest kinds.
Every question here was written for this test. The newest year is fixed at 2023 unless the graph
decides it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kg.ask import Unanswerable, ask, interpret
from kg.cli import app

LPV = "livelihood-project-voting"
EI = "enforcement-inspection"
CASES = [
    # which bodies piloted livelihood-project voting
    ("哪些人大常委会试点了民生实事项目票决制？", "piloted-livelihood-voting", {}),
    ("哪些地方试点民生实事项目人大代表票决制", "piloted-livelihood-voting", {}),
    ("民生实事票决制是在哪里试点的", "piloted-livelihood-voting", {}),
    ("哪些人大常委會試點了民生實事項目票決制？", "piloted-livelihood-voting", {}),
    ("Which bodies piloted livelihood-project voting by deputies?", "piloted-livelihood-voting", {}),
    ("who ran a pilot of livelihood project voting", "piloted-livelihood-voting", {}),
    # bodies that practise a mechanism
    ("哪些机构实行了民生实事项目票决制", "bodies-by-mechanism", {"mechanism": LPV}),
    ("哪些人大建立了代表联络站？", "bodies-by-mechanism", {"mechanism": "deputy-liaison-station"}),
    ("谁在开展执法检查", "bodies-by-mechanism", {"mechanism": EI}),
    ("哪些地方有双联系制度", "bodies-by-mechanism", {"mechanism": "dual-contact"}),
    ("哪些人大開展了備案審查？", "bodies-by-mechanism", {"mechanism": "filing-review"}),
    ("Which congresses hold a constitutional oath?", "bodies-by-mechanism", {"mechanism": "constitutional-oath"}),
    ("which bodies do filing review", "bodies-by-mechanism", {"mechanism": "filing-review"}),
    # counts by measure, place, level and year
    ("四川省的县级人大去年开展了多少次执法检查？", "counts-by-place", {"measure": EI, "province": "四川省", "level": "county", "year": 2022}),
    ("四川县级人大2020年开展了几次执法检查", "counts-by-place", {"measure": EI, "province": "四川省", "level": "county", "year": 2020}),
    ("山西省各县今年开展执法检查多少次", "counts-by-place", {"measure": EI, "province": "山西省", "year": 2023}),
    ("凉山州的县级人大开展了多少次执法检查", "counts-by-place", {"measure": EI, "prefecture": "凉山彝族自治州", "level": "county"}),
    ("内蒙古的市级人大召开了多少次主任会议？", "counts-by-place",
     {"measure": "council-of-chairpersons-meeting", "province": "内蒙古自治区", "level": "prefecture"}),
    ("各地人大去年办理了多少件代表建议", "counts-by-place", {"measure": "deputy-suggestion", "year": 2022}),
    ("前年各地开展了多少次专题询问", "counts-by-place", {"measure": "special-inquiry", "year": 2021}),
    ("四川省縣級人大去年開展了多少次執法檢查？", "counts-by-place", {"measure": EI, "province": "四川省", "level": "county", "year": 2022}),
    ("How many enforcement inspections did county-level congresses carry out in 2020?", "counts-by-place",
     {"measure": EI, "level": "county", "year": 2020}),
    ("How many special inquiries were held last year?", "counts-by-place", {"measure": "special-inquiry", "year": 2022}),
    ("number of deputies' suggestions handled this year", "counts-by-place", {"measure": "deputy-suggestion", "year": 2023}),
    ("What is the count of enforcement inspections in 2022?", "counts-by-place", {"measure": EI, "year": 2022}),
    # a body's counts
    ("会东县人大常委会召开了多少次主任会议", "yearly-counts", {"body": "会东县人大常委会", "measure": "council-of-chairpersons-meeting"}),
    ("绛县人大常委会2023年召开了多少次主任会议？", "yearly-counts",
     {"body": "绛县人大常委会", "measure": "council-of-chairpersons-meeting", "year": 2023}),
    ("絳縣人大常委會2023年召開了多少次主任會議？", "yearly-counts",
     {"body": "绛县人大常委会", "measure": "council-of-chairpersons-meeting", "year": 2023}),
    ("会东县召开了几次常委会会议", "yearly-counts", {"body": "会东县人大常委会", "measure": "standing-committee-meeting"}),
    ("大足区人大去年办理了多少件代表建议", "yearly-counts", {"body": "大足区人大常委会", "measure": "deputy-suggestion", "year": 2022}),
    ("巴彦淖尔市人大常委会开展了多少次执法检查", "yearly-counts", {"body": "巴彦淖尔市人大常委会", "measure": EI}),
    ("大方县人大的数字", "yearly-counts", {"body": "大方县人大常委会"}),
    ("How many enforcement inspections did 会东县人大常委会 hold?", "yearly-counts", {"body": "会东县人大常委会", "measure": EI}),
    ("绛县人大常委会有多少", "yearly-counts", {"body": "绛县人大常委会"}),
    ("重庆市人大常委会开了多少次常委会会议", "yearly-counts", {"body": "重庆市人大常委会", "measure": "standing-committee-meeting"}),
    # a body's practice over the years
    ("会东县人大常委会历年实践了哪些机制", "practice-over-years", {"body": "会东县人大常委会"}),
    ("会东县人大哪一年开始试行民生实事项目票决制", "practice-over-years", {"body": "会东县人大常委会", "mechanism": LPV}),
    ("大足区人大常委会每年的代表联络站建设", "practice-over-years", {"body": "大足区人大常委会", "mechanism": "deputy-liaison-station"}),
    ("绛县人大这些年的执法检查", "practice-over-years", {"body": "绛县人大常委会", "mechanism": EI}),
    ("When did 会东县人大常委会 start livelihood project voting?", "practice-over-years", {"body": "会东县人大常委会", "mechanism": LPV}),
    ("会东县人大什麼時候開始民生實事項目票決制", "practice-over-years", {"body": "会东县人大常委会", "mechanism": LPV}),
    # a body's sessions
    ("绛县人大常委会历次会议", "sessions-of-body", {"body": "绛县人大常委会"}),
    ("会东县第十七届人大开过哪些会议", "sessions-of-body", {"body": "会东县人大常委会"}),
    ("Which sessions did 大足区人大常委会 hold?", "sessions-of-body", {"body": "大足区人大常委会"}),
    # a body's mechanisms
    ("会东县人大有哪些机制", "mechanisms-of-body", {"body": "会东县人大常委会"}),
    ("绛县人大常委会采用了什么制度？", "mechanisms-of-body", {"body": "绛县人大常委会"}),
    ("大方縣人大常委會有哪些做法", "mechanisms-of-body", {"body": "大方县人大常委会"}),
    ("What mechanisms does 巴彦淖尔市人大常委会 report?", "mechanisms-of-body", {"body": "巴彦淖尔市人大常委会"}),
    ("四川省人大常委会的工作机制", "mechanisms-of-body", {"body": "四川省人大常委会"}),
    # mechanisms that travel together
    ("哪些机制常常一起出现？", "mechanism-pairs", {}),
    ("哪些机制经常同时实行", "mechanism-pairs", {}),
    ("和代表联络站一起出现的机制有哪些", "mechanism-pairs", {"mechanism": "deputy-liaison-station"}),
    ("哪些機制常常一起出現？", "mechanism-pairs", {}),
    ("Which mechanisms travel together?", "mechanism-pairs", {}),
    ("mechanisms that co-occur with livelihood project voting", "mechanism-pairs", {"mechanism": LPV}),
    # laws inspected, liaison stations, satisfaction, plans
    ("执法检查了哪些法律", "enforcement-inspections", {}),
    ("各地人大对哪部法律开展了执法检查？", "enforcement-inspections", {}),
    ("Which laws were inspected?", "enforcement-inspections", {}),
    ("各地有多少个代表联络站", "liaison-stations", {}),
    ("How many deputy liaison stations are there?", "liaison-stations", {}),
    ("代表建议的满意率是多少", "suggestion-satisfaction", {}),
    ("代表建議辦理滿意率", "suggestion-satisfaction", {}),
    ("What is the satisfaction rate of suggestions?", "suggestion-satisfaction", {}),
    ("各机构计划了多少工作", "planned-vs-reported", {}),
    ("how much is planned and how much done", "planned-vs-reported", {}),
]
REFUSED = ["今天天气怎么样？", "如何做红烧肉", "hello there", "", "   ", "??!!", "请介绍一下北京的历史",
           "2023", "What is the capital of France?", "会东县"]


def test_there_are_enough_questions():
    assert len(CASES) >= 60 and len({q for q, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("question", "query", "params"), CASES, ids=[q for q, _, _ in CASES])
def test_a_question_maps_to_its_stored_query_and_parameters(question, query, params):
    it = interpret(question, newest_year=2023)
    assert (it.kind.query, it.params) == (query, params)


@pytest.mark.parametrize("question", REFUSED)
def test_a_question_no_stored_query_answers_is_refused_with_the_closest(question):
    with pytest.raises(Unanswerable) as e:
        interpret(question, newest_year=2023)
    assert len(e.value.closest) == 3


def test_the_answer_comes_from_the_graph_with_its_evidence(built):
    answer = ask(built.store, "四川省的县级人大开展了多少次执法检查？")
    assert answer.interpretation.params == {"measure": EI, "province": "四川省", "level": "county"}
    assert [(r["body_zh"], r["year"], r["value"], r["unit"]) for r in answer.rows.rows] == [("会东县人大常委会", 2020, 14, "次")]
    assert "开展专题调研、执法检查" in answer.rows.rows[0]["example"]


def test_this_year_is_the_newest_year_of_the_graph(built):
    """The seeds' newest report covers 2023: 去年 is 2022, and 大足区 reported its suggestions for 2022."""
    answer = ask(built.store, "大足区人大去年办理了多少件代表建议")
    assert answer.interpretation.params["year"] == 2022
    assert {r["year"] for r in answer.rows.rows} == {2022}


def test_kg_ask_prints_the_query_its_parameters_and_each_rows_sentence(built, tmp_path):
    out = CliRunner().invoke(app, ["ask", "会东县人大常委会召开了多少次主任会议？", "--store", str(built.store.path.parent)])
    assert out.exit_code == 0, out.output
    assert "yearly-counts" in out.output and "body=会东县人大常委会" in out.output and "measure=council-of-chairpersons-meeting" in out.output
    assert "主任会20次" in out.output  # the evidence sentence, under its row


def test_kg_ask_refuses_with_the_closest_stored_questions(built):
    out = CliRunner().invoke(app, ["ask", "今天天气怎么样", "--store", str(built.store.path.parent)])
    assert out.exit_code == 1
    assert "no stored question matches" in out.output and "closest:" in out.output
