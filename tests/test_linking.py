"""Body linking (kg.linking): each rule on sentences written for it, and the abstentions.

The places are real divisions (the gazetteer's); the sentences are the team's own."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS

from kg.extract import extract
from kg.lexicon import NPC, SCHEMES
from kg.rdf import report_graph
from kg.report import from_text


def _body(text: str) -> tuple[str | None, str | None, str | None]:
    r = from_text(text)
    return r.body, r.place.code if r.place else None, r.body_link.rule if r.body_link else None


def test_the_body_that_entrusted_the_speaker_wins_over_a_list_of_reports_in_the_head():
    text = ("各地人大常委会工作报告选编\n河北省人民代表大会常务委员会工作报告 3\n山东省人民代表大会常务委员会工作报告 21\n"
            "各位代表：\n我受上海市第十六届人民代表大会常务委员会委托，向大会报告工作，请予审议。\n")
    assert _body(text) == ("上海市人大常委会", "31", "entrusted")


def test_a_local_report_that_quotes_the_national_body_is_not_the_national_bodys():
    text = ("据重庆日报报道\n今年是全国人民代表大会成立70周年。一年来，市人大常委会召开常委会会议9次，"
            "市人大常委会开展执法检查4项。\n")
    assert _body(text) == ("重庆市人大常委会", "50", "anaphora")


def test_deputies_of_a_street_are_no_body_in_a_citys_report():
    text = ("绥化市现有人大代表联络站40个。市人大常委会把联络站建设作为重点工作，"
            "北林区一个街道人大代表联络站每月接待选民。市人大常委会组织代表视察3次。\n")
    assert _body(text) == ("绥化市人大常委会", "2312", "anaphora")


@pytest.mark.parametrize(("word", "body", "code"), [("省", "吉林省人大常委会", "22"), ("市", "吉林市人大常委会", "2202")])
def test_the_level_word_decides_between_a_province_and_its_same_named_city(word, body, code):
    text = f"一年来，{word}人大常委会围绕吉林振兴开展监督，{word}人大常委会听取专项工作报告6个。\n"
    assert _body(text) == (body, code, "anaphora")


def test_a_township_name_many_places_share_keeps_its_name_and_gets_no_place():
    r = from_text("城关镇人大主席团组织代表开展集中视察活动\n近日，城关镇人大主席团组织代表20余人视察重点项目。\n")
    assert (r.body, r.place, r.body_type, r.body_link.rule) == ("城关镇人大主席团", None, "TownshipPresidium", "title")
    told = from_text("汝阳县城关镇人大主席团组织代表视察\n近日，汝阳县城关镇人大主席团组织代表视察重点项目。\n")
    assert (told.body, told.place.code[:6]) == ("城关镇人大主席团", "410326")


def test_a_street_committee_in_the_shanghai_order_keeps_its_written_name():
    r = from_text("人大曹家渡街道工委组织代表集中下社区\n本月，人大曹家渡街道工委组织区人大代表走访居民区，区人大常委会给予指导。\n")
    assert (r.body, r.body_type, r.place.code) == ("人大曹家渡街道工委", "WorkingBody", "310106014")


def test_a_short_name_inside_a_longer_word_is_no_place():
    # 政和 (政和县) and 和政 (和政县) stand inside 行政和公正 and 人大和政府
    r = from_text("一年来，县人大常委会推动依法行政和公正司法，县人大常委会支持人大和政府共同办好实事。\n")
    assert r.body is None and r.place is None


def test_a_national_body_named_once_in_a_byline_is_no_body():
    r = from_text("地方立法年度观察\n（作者系全国人大常委会法工委研究人员）\n2023年，各省人大常委会制定地方性法规300余件。\n")
    assert r.body is None


def test_a_delegation_that_reports_as_itself():
    r = from_text("青海代表团审议全国人大常委会工作报告\n十四届全国人大二次会议期间，青海代表团举行全体会议。\n")
    g = report_graph(extract(r))
    body = URIRef("https://w3id.org/npc-kg/id/body/63-delegation")
    assert (r.body, r.body_type, r.body_link.rule) == ("青海省代表团", "Delegation", "title")
    assert (body, RDF.type, NPC.Delegation) in g
    assert (body, SKOS.prefLabel, Literal("青海省代表团", lang="zh")) in g
    assert (body, URIRef("http://www.w3.org/ns/org#subOrganizationOf"), URIRef("https://w3id.org/npc-kg/id/body/000000-congress")) in g


def test_the_graph_says_which_rule_and_which_sentence_found_the_body():
    text = "各位代表：\n我受永嘉县人民代表大会常务委员会委托，向大会报告工作。\n一年来，召开常委会会议8次。\n"
    r = from_text(text)
    g = report_graph(extract(r))
    (link,) = g.objects(None, NPC.bodyLink)
    assert (link, NPC.linkingRule, SCHEMES["linking"]["entrusted"]) in g
    (sentence,) = g.objects(link, NPC.sentence)
    quote = str(g.value(sentence, RDF.value))
    assert quote == "我受永嘉县人民代表大会常务委员会委托，向大会报告工作。"
    start, end = int(g.value(sentence, URIRef("http://www.w3.org/ns/oa#start"))), int(g.value(sentence, URIRef("http://www.w3.org/ns/oa#end")))
    assert r.text[start:end] == quote
