"""How reports name mechanisms, counts and requirements beyond the lexicon's first labels (issue:
facts filed under the right body, on reports nobody tuned on). Every sentence is the team's own."""

from __future__ import annotations

import pytest

from kg.extract import extract
from kg.report import from_text
from kg.segment import head_phrase

HEAD = "永嘉县人大常委会工作报告\n2023年，县人大常委会在县委领导下依法履职。\n"


def mechanisms(sentence: str) -> list[str]:
    return sorted({p.mechanism for p in extract(from_text(HEAD + sentence + "\n")).practices})


@pytest.mark.parametrize(("sentence", "mechanism"), [
    ("全县建成代表联络服务站点26个，实现乡镇全覆盖。", "deputy-liaison-station"),
    ("推动人大代表家室站规范化建设。", "deputy-liaison-station"),
    ("各乡镇代表接待站（点）每月开放一次。", "deputy-liaison-station"),
    ("组织代表深入居民区联系点听取意见。", "deputy-liaison-station"),
    ("开展网上接待活动，实现线上线下同步接待。", "online-deputy-liaison"),
    ("推行代表二维码，群众扫码联系代表反映诉求。", "online-deputy-liaison"),
    ("组织选民对述职代表进行测评。", "satisfaction-evaluation"),
    ("对审议意见落实情况开展满意度评议。", "satisfaction-evaluation"),
    ("制定人大代表学习、述职、活动小组制度。", "deputy-contact-group"),
    ("审查报备的规范性文件31件。", "filing-review"),
    ("检查《中华人民共和国农产品质量安全法》实施情况。", "enforcement-inspection"),
    ("建立代表建议提、交、督、办、评全流程机制。", "suggestion-supervision"),
])
def test_a_mechanism_as_reports_write_it(sentence, mechanism):
    assert mechanism in mechanisms(sentence)


@pytest.mark.parametrize("sentence", [
    "县城以东17公里处新建一座公园。",  # a position, not a length built (and no mechanism)
    "召开座谈会听取群众对政府工作的意见。",  # no liaison station, no evaluation
    "听取和审议县政府关于法治建设情况的报告。",
    "对新任命的县政府组成人员进行测评。",  # an appointee's work evaluation, not voters' satisfaction
])
def test_what_the_new_variants_must_not_match(sentence):
    x = extract(from_text(HEAD + sentence + "\n"))
    assert mechanisms(sentence) == [] and [c.unit for c in x.counts] == []


def test_a_requirement_is_planned_work_not_work_done():
    x = extract(from_text(HEAD + "要求每名代表走访群众不少于8户，联系选民不少于10人。\n"))
    assert [(c.value, c.unit, c.bound, c.modality) for c in x.counts] == [(8, "户", "at_least", "planned"), (10, "人", "at_least", "planned")]


def test_land_and_road_outputs_are_counted_in_their_units():
    x = extract(from_text(HEAD + "新建农村公路85公里，改造危桥4座，新增高标准农田3.2万亩。\n"))
    assert [(c.value, c.unit) for c in x.counts] == [(85, "公里"), (4, "座"), (32000, "亩")]


@pytest.mark.parametrize(("phrase", "head"), [
    ("近年来全镇各级人大代表走村入户联系走访群众", "群众"),
    ("全县65岁及以上老年人口有", "老年人口"),
    ("会议依法补选产生了县人民政府副县长", "县人民政府副县长"),
    ("会议票决产生2024年县政府民生实事项目", "县政府民生实事项目"),
])
def test_the_head_noun_phrase_of_a_clause(phrase, head):
    assert head_phrase(phrase) == head


def test_divisions_counted_without_a_classifier():
    x = extract(from_text(HEAD + "全镇12村6社区全部建成代表联络站，全市8县(市)实现全覆盖，四县三区是固定说法。\n"))
    assert [(c.measure, c.value, c.unit) for c in x.counts] == [("村", 12, "个"), ("社区", 6, "个"), ("县(市)", 8, "个")]


def test_the_items_of_a_list_share_its_noun():
    x = extract(from_text(HEAD + "办理代表建议120件，其中A类建议80件、B类30件、C类10件。\n"))
    assert [(c.measure, c.measure_id, c.value) for c in x.counts] == [
        ("代表建议", "deputy-suggestion", 120), ("A类建议", "deputy-suggestion", 80), ("B类", "deputy-suggestion", 30),
        ("C类", "deputy-suggestion", 10)]


def test_a_table_cell_takes_its_unit_from_the_column_header_and_its_measure_from_the_row_label():
    text = HEAD + "项目\t次数\t备注\n执法检查\t5次\t\n专题询问\t2\t\n\n工作\t数量（件）\n办理代表建议\t120\n"
    r = from_text(text)
    got = [(c.measure, c.value, c.unit, c.evidence.mention) for c in extract(r).counts]
    assert got == [("执法检查", 5, "次", "执法检查\t5次"), ("专题询问", 2, "次", "专题询问\t2"), ("代表建议", 120, "件", "代表建议\t120")]
    for c in extract(r).counts:
        assert r.text[c.evidence.mention_start: c.evidence.mention_end] == c.evidence.mention
