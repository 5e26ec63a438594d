"""Patterns of real reports, on sentences written for these tests (issue: real reports in, every
fact kept): copies from PDFs and glossed pages, long measure phrases, shares, norms, periods and
bodies named the way real reports name them."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kg.extract import extract
from kg.report import from_text

HEAD = "桐庐县人大常委会工作报告\n2022年，县人大常委会在县委领导下依法履职。\n"


def counts(text: str, head: str = HEAD):
    return [(c.measure, c.value, c.unit) for c in extract(from_text(head + text)).counts]


def test_a_pinyin_gloss_is_read_past_and_the_evidence_keeps_it():
    text = "桐廬縣人大常委會工作報告\n一年來，共召開主任會(huì)議15次，常委會(huì)會(huì)議8次。\n"
    r = from_text(text)
    x = extract(r)
    c = next(c for c in x.counts if c.value == 15)
    assert (c.measure, c.unit) == ("主任會議", "次")
    assert c.evidence.mention == "主任會(huì)議15次" == text[c.evidence.mention_start: c.evidence.mention_end]
    assert text[c.evidence.start: c.evidence.end] == c.evidence.quote
    assert [(c.measure, c.value) for c in x.counts][1] == ("常委會會議", 8)


def test_spaces_from_a_pdf_copy_do_not_split_a_count():
    assert counts("一年来，召开常委会会议 10 次，审议法规 3 部。\n") == [("常委会会议", 10, "次"), ("法规", 3, "部")]


def test_a_hard_wrapped_page_is_joined_back_into_sentences():
    para = ("县人大常委会依法行使任免权，全年任免国家机关工作人员共 126 人次，组织新任命人员进行宪法宣誓，"
            "听取工作报告 12 项，开展专题询问活动 2 次，办理代表建议和群众来信 35 件，推动解决一批群众关心的实际"
            "问题和困难，进一步密切了同人民群众的联系，完成了年初确定的各项目标任务，全年工作取得了较好的成效。")
    wrapped = "\n\n".join("        " + para[i: i + 25] for i in range(0, len(para), 25)) + "\n"  # as pdftotext lays it out
    r = from_text(HEAD + wrapped)
    got = [(c.measure, c.value, c.unit) for c in extract(r).counts]
    assert got == [("任免国家机关工作人员", 126, "人次"), ("工作报告", 12, "项"), ("专题询问活动", 2, "次"), ("代表建议和群众来信", 35, "件")]
    for c in extract(r).counts:  # every mention still points into the text as given
        assert r.text[c.evidence.mention_start: c.evidence.mention_end] == c.evidence.mention


@pytest.mark.parametrize("sentence", ["检查3部法律的实施情况。", "对5件法律法规实施情况开展检查。", "开展2部法规执行情况检查。"])
def test_enforcement_inspections_written_without_the_word(sentence):
    x = extract(from_text(HEAD + "一年来，常委会" + sentence + "\n"))
    assert [p.mechanism for p in x.practices] == ["enforcement-inspection"]


def test_several_counts_share_one_verb_and_places_can_be_counted():
    assert counts("全市12个区、98个乡镇全部实现代表联络站全覆盖。\n") == [("区", 12, "个"), ("乡镇", 98, "个")]
    assert counts("在全县3个乡镇开展票决制试点。\n") == []  # a scope, not a count


def test_the_measure_is_the_shortest_phrase_naming_what_is_counted():
    assert counts("38名代表以举手表决的方式通过了决议。\n") == [("代表", 38, "名")]
    assert counts("全县各乡镇代表联络站共开展专题接待活动96次。\n") == [("专题接待活动", 96, "次")]
    assert counts("共任免和决定任免县政府组成部门、县法院、县检察院等工作人员42人次。\n") == [("工作人员", 42, "人次")]
    assert counts("组织检查9部法律法规的贯彻实施情况。\n") == [("法律法规", 9, "部")]


def test_a_share_and_abbreviated_numerals():
    assert counts("收集意见建议120条，已解决90条，占75%。\n")[-1] == ("占", 75, "%")
    assert counts("接待群众一千二人次，走访群众一万一千人次。\n") == [("接待群众", 1200, "人次"), ("走访群众", 11000, "人次")]


def test_norms_and_thresholds_are_not_work_done():
    x = extract(from_text(HEAD + "办法规定，每位代表年内接待选民2次以上，每年开展执法检查不少于2次。\n"))
    assert {(c.value, c.modality) for c in x.counts} == {(Decimal(2), "planned")}
    got = counts("代表对办理工作满意率90%以上的有30件，80%以下的有2件。\n")
    assert [(v, u) for _, v, u in got] == [(30, "件"), (2, "件")]  # the percentages are category bounds


def test_a_numbered_list_keeps_the_modality_of_the_sentence_that_opened_it():
    x = extract(from_text(HEAD + "新的一年，常委会主要开展8项工作，包括1、听取审议专项工作报告3项。2、开展2部法律执法检查。\n"))
    assert {(c.value, c.modality) for c in x.counts} == {(8, "planned"), (3, "planned"), (2, "planned")}


@pytest.mark.parametrize(("sentence", "year", "period"), [
    ("五年来，共召开常委会会议40次。", None, (2018, 2022)),
    ("2019—2021年，共召开常委会会议24次。", None, (2019, 2021)),
    ("近年来，共召开常委会会议40次。", None, None),
    ("一年来，共召开常委会会议8次。", 2022, None),
])
def test_time_as_the_text_gives_it(sentence, year, period):
    c = extract(from_text(HEAD + sentence + "\n")).counts[0]
    assert (c.year, c.period) == (year, period)


@pytest.mark.parametrize(("text", "body"), [
    ("各位代表：\n我受桐庐县人民代表大会常务委员会委托，向大会报告工作。\n", "桐庐县人大常委会"),
    ("工作回顾\n桐庐经济社会稳步发展。一年来，县人大常委会召开常委会会议8次。\n", "桐庐县人大常委会"),
    ("交道口街道人大工委召开代表述职会\n近日，交道口街道人大工委组织代表向选民述职。\n", "交道口街道人大工委"),
])
def test_the_reporting_body_as_real_texts_name_it(text, body):
    r = from_text(text)
    assert r.body == body


@pytest.mark.parametrize(("written", "body", "code"), [
    ("黔东南州", "黔东南苗族侗族自治州人大常委会", "5226"), ("长阳县", "长阳土家族自治县人大常委会", "420528"),
    ("伊犁州", "伊犁哈萨克自治州人大常委会", "6540")])
def test_an_autonomous_division_by_its_short_name(written, body, code):
    r = from_text(f"{written}人大常委会工作报告\n一年来，常委会召开常委会会议6次。\n")
    assert (r.body, r.place.code) == (body, code)


def test_a_byline_names_no_body():
    r = from_text("来源：余杭区人大 发布时间：2023-01-05\n交道口街道人大工委组织代表集中视察。\n")
    assert r.body == "交道口街道人大工委" and r.body_type == "WorkingBody"


def test_a_law_title_names_no_body():
    r = from_text("述职测评会\n代表围绕《中华人民共和国全国人民代表大会和地方各级人民代表大会代表法》规定的职责述职。\n")
    assert r.body is None


def test_a_fact_that_breaks_a_shape_is_kept_out_and_named_the_rest_is_built(tmp_path, monkeypatch):
    import importlib
    import re

    import kg

    build_module = importlib.import_module("kg.build")
    real = build_module.report_nt
    value = re.compile(r'(<http://purl.org/linked-data/sdmx/2009/measure#obsValue> )"[^"]*"')

    def with_a_bad_count(x):  # one count's value made negative, which the Count shape forbids
        return value.sub(r'\1"-5.0"', real(x), count=1)

    monkeypatch.setattr(build_module, "report_nt", with_a_bad_count)
    src = tmp_path / "in.txt"
    src.write_text(HEAD + "一年来，召开常委会会议8次，主任会议12次，审议法规3部。\n", encoding="utf-8")
    result = build_module.build([src], tmp_path / "out")
    assert result.exit_code == 0 and result.files[0].facts == 2
    rejected = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(r["source"], r["shape"], r["severity"], r["message"]) for r in rejected] == [
        ("in.txt", "https://w3id.org/npc-kg/shapes#Count", "Violation", "a count has exactly one non-negative decimal value")]
    assert "常委会会议8次" in rejected[0]["quote"]
    assert "kept out of the graph" in result.summary()
    g = kg.open(tmp_path / "out")
    assert len(g.table("counts")) == 2 and (g.table("counts")["value"] >= 0).all()
    g.close()


def test_the_body_that_acts_is_the_one_the_report_names(tmp_path):
    """A provincial report on a county's pilot: the county practises it, the province reports it."""
    import kg

    text = ("浙江省人大常委会工作报告\n2022年，省人大常委会指导各地开展工作。安吉县在递铺街道、孝丰镇试点民生实事项目人大代表票决制。"
            "德清县人大常委会全面推行代表联络站建设。省人大常委会开展专题询问2次。\n")
    x = extract(from_text(text))
    assert [(p.body, p.mechanism, p.stage, p.scope, p.body_place) for p in x.practices] == [
        ("安吉县人大常委会", "livelihood-project-voting", "pilot", ("递铺街道", "孝丰镇"), "330523"),
        ("德清县人大常委会", "deputy-liaison-station", "expand", (), "330521"),
        ("浙江省人大常委会", "special-inquiry", "implement", (), None)]
    (tmp_path / "in.txt").write_text(text, encoding="utf-8")
    g = kg.build(tmp_path / "in.txt", out=tmp_path / "out")
    practices = g.table("practices")
    assert sorted(zip(practices.body_zh, practices.place, practices.province)) == [
        ("安吉县人大常委会", "安吉县", "浙江省"), ("德清县人大常委会", "德清县", "浙江省"), ("浙江省人大常委会", "浙江省", "浙江省")]
    assert list(g.table("reports").body_zh) == ["浙江省人大常委会"]
    assert g.validate().conforms
    g.close()
