"""Congresses, terms and sessions (kg.sessions): which sessions a text names, the session a report was
delivered at, and the facts about a session, on sentences written for this test and on the seeds."""

from __future__ import annotations

import pytest

from kg.places import gazetteer
from kg.sessions import delivered_at, find

MIYI = gazetteer().lookup("米易县")


@pytest.mark.parametrize(("text", "expected"), [
    ("县十七届人大常委会第十二次会议审议通过", [(True, 17, 12)]),
    ("在米易县第十八届人民代表大会第三次会议上", [(False, 18, 3)]),
    ("十八届人大二次会议以来交办的建议", [(False, 18, 2)]),
    ("常委会第二十五次会议", []),  # no term: which one is not said
    ("省十四届人大一次会议精神", []),  # the province's, not the county's
    ("攀枝花市第十届人民代表大会第五次会议", []),  # another place
    ("县第十八届人大常委会第3次会议和第十八届人民代表大会第四次会议", [(True, 18, 3), (False, 18, 4)]),
])
def test_the_sessions_a_text_names(text, expected):
    assert [(s.standing, s.term, s.number) for s in find(text, MIYI)] == expected


def test_the_session_a_report_was_delivered_at_is_the_one_its_head_names():
    head = "米易县人民代表大会常务委员会工作报告\n——2024年1月10日在米易县第十八届人民代表大会第三次会议上\n"
    ref = delivered_at(head + "全面完成县十八届人大二次会议确定的任务。", MIYI)
    assert (ref.standing, ref.term, ref.number) == (False, 18, 3)
    assert delivered_at("全面完成县十八届人大二次会议确定的任务。", MIYI) is None  # named, but not as where it was delivered


def test_sessions_on_the_seeds(built):
    rows = built.rows("sessions-of-body", body="绛县人大常委会").rows
    assert [(r["term"], r["session"], r["of"], r["date"], r["delivered"]) for r in rows] == [
        (17, 3, "congress", None, 0), (17, 4, "congress", "2024-02-21", 1)]
    # the 50 suggestions handed over at 会东县's 4th session of its 17th congress are about that session
    about = built.rows("""PREFIX npc: <https://w3id.org/npc-kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#>
SELECT ?value ?quote WHERE {
  ?c npc:session <https://w3id.org/npc-kg/id/session/513426-congress-17-4> ; sdmx-measure:obsValue ?value ; npc:sentence ?s .
  ?s rdf:value ?quote }""").rows
    assert [r["value"] for r in about] == [50]
    assert "县十七届人大四次会议及闭会期间交办的50件代表建议意见全部办理完毕" in about[0]["quote"]
