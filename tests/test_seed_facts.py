"""The seeds, fact by fact: each value with the quote it comes from, and the quote checked
against the text at its offsets."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest


def find(x, measure: str, value, unit: str, modality: str = "reported"):
    hits = [c for c in x.counts if measure in c.measure and c.value == Decimal(str(value)) and c.unit == unit
            and c.modality == modality]
    assert hits, f"no count {measure} {value}{unit} ({modality}) in {[(c.measure, c.value, c.unit) for c in x.counts]}"
    c = hits[0]
    assert x.report.text[c.evidence.start: c.evidence.end] == c.evidence.quote
    assert x.report.text[c.evidence.mention_start: c.evidence.mention_end] == c.evidence.mention
    assert f"{value}" in c.evidence.mention or unit == "%"
    return c


HUIDONG = [  # measure phrase, value, unit, bound, year, a piece of the quote
    ("党组会", 21, "次", "exact", 2020, "召开党组会21次"),
    ("主任会", 20, "次", "exact", 2020, "主任会20次"),
    ("常委会", 12, "次", "exact", 2020, "常委会12次"),
    ("任免干部", 71, "人次", "exact", 2020, "依法任免干部71人次"),
    ("代表建议", 50, "件", "exact", 2020, "交办的50件代表建议意见"),
    ("满意率", 100, "%", "exact", 2020, "代表满意率达100%"),
    ("票决民生项目", 10, "个", "exact", 2020, "票决民生项目10个"),
    ("视察和调研活动", 10, "次", "approx", 2020, "开展视察和调研活动10余次"),
]
DAZU = [
    ("基层人大代表联络点", 35, "个", "exact", 2022, "建设基层人大代表联络点35个"),
    ("列席常委会会议", 41, "人次", "exact", 2022, "邀请41人次区人大代表列席常委会会议"),
    ("建议", 330, "件", "exact", 2022, "330件建议全部办结"),
    ("走访选民、代表联系组活动", 360, "次", "approx", 2022, "开展走访选民、代表联系组活动等360余次"),
]
DAFANG = [
    ("乡级代表站", 29, "个", "exact", None, "依托29个乡级代表站"),
    ("村级人大代表联络室", 114, "个", "exact", None, "114个村级人大代表联络室"),
    ("组成人员和乡镇人大主席团成员", 300, "名", "approx", None, "300余名县人大常委会组成人员"),
    ("人大代表", 900, "名", "approx", None, "重点联系900余名人大代表"),
    ("县、乡人大代表", 2000, "名", "approx", None, "2000多名县、乡人大代表"),
    ("选民", 10000, "名", "approx", None, "10000余名选民"),
    ("代表意见建议", 492, "件", "exact", 2022, "督促办理代表意见建议492件"),
]
BAYANNUR = [
    ("规范性文件", 17, "件", "exact", 2020, "报送的17件规范性文件全部及时进行了备案审查"),
    ("决议决定", 12, "件", "exact", 2020, "全年共作出决议决定12件"),
    ("任免国家机关工作人员", 5, "批次", "exact", 2020, "任免国家机关工作人员5批次61人次"),
    ("任免国家机关工作人员", 61, "人次", "exact", 2020, "任免国家机关工作人员5批次61人次"),
    ("建议", 140, "件", "exact", 2020, "2020年代表提出的140件建议全部办结"),
    ("满意率", 98.6, "%", "exact", 2020, "满意率98.6%"),
    ("民生实事", 86, "项", "exact", 2020, "2020年确定民生实事86项"),
    ("项目资金", 11.5, "亿元", "exact", 2020, "项目资金11.5亿元"),
]
JIANGXIAN = [
    ("常委会会议", 8, "次", "exact", 2023, "召开县人大常委会会议8次"),
    ("主任会议", 14, "次", "exact", 2023, "主任会议14次"),
    ("执法检查", 6, "项", "exact", 2023, "执法检查6项"),
    ("专题询问", 1, "次", "exact", 2023, "开展专题询问1次"),
    ("决议决定", 8, "件", "exact", 2023, "作出决议决定8件"),
    ("任免", 18, "人次", "exact", 2023, "工作人员18人次"),
    ("代表建议", 154, "件", "exact", 2023, "共办理代表建议154件"),
    ("满意率", 97.5, "%", "exact", 2023, "满意率达97.5%"),
]


@pytest.mark.parametrize(("seed", "facts"), [("huidong", HUIDONG), ("dazu", DAZU), ("dafang", DAFANG),
                                             ("bayannur", BAYANNUR), ("jiangxian", JIANGXIAN)])
def test_counts_with_evidence(extractions, seed, facts):
    x = extractions[seed]
    for measure, value, unit, bound, year, quote in facts:
        c = find(x, measure, value, unit)
        assert c.bound == bound, (measure, c.bound)
        assert quote in c.evidence.quote, (measure, c.evidence.quote)
        if year is not None:
            assert c.year == year, (measure, c.year)
        assert c.body == x.report.body


def test_dafang_year_falls_back_to_the_latest_year_of_its_text(extractions):
    assert extractions["dafang"].report.years == [2022]


def test_planned_range_is_never_a_reported_count(extractions):
    x = extractions["dazu"]
    c = find(x, "人大代表专题培训班", 1, "期", modality="planned")
    assert (c.bound, c.low, c.high, c.year) == ("range", Decimal(1), Decimal(2), 2023)
    assert "举办1至2期人大代表专题培训班" in c.evidence.quote
    assert not [c for c in x.counts if c.modality == "reported" and "培训班" in c.measure]


def test_jiangxian_plans_are_planned(extractions):
    x = extractions["jiangxian"]
    plan_start = x.report.plan_start
    assert plan_start is not None and x.report.norm[plan_start:].startswith("今年的主要工作")
    for f in x.facts:
        assert (f.modality == "planned") == (f.evidence.start >= plan_start), f
    assert {p.year for p in x.practices if p.modality == "planned"} == {2024}


def test_not_counts(extractions):
    """Ordinals, sessions, slogans and years never become counts."""
    texts = {c.evidence.mention for x in extractions.values() for c in x.counts}
    for x in extractions.values():
        for c in x.counts:
            assert not c.evidence.mention.startswith(("四个", "两个", "一府", "三会")), c
            assert not re.search(r"届(?:人大)?[一二三四五六七八九十\d]+次", c.evidence.mention), c
    assert not any(m.endswith("次会议") for m in texts)


def test_livelihood_voting_pilots(extractions):
    hd = [p for p in extractions["huidong"].practices if p.mechanism == "livelihood-project-voting" and p.stage == "pilot"]
    assert any(p.scope == ("嘎吉镇", "野租乡") and p.scope_places == ("513426107", "513426251") for p in hd)
    assert all(p.year == 2020 and p.modality == "reported" for p in hd)
    bn = [p for p in extractions["bayannur"].practices if p.mechanism == "livelihood-project-voting" and p.stage == "pilot"]
    assert [p.scope for p in bn] == [("4个旗县", "21个苏木乡镇(街道)")]
    dz = [p for p in extractions["dazu"].practices if p.mechanism == "livelihood-project-voting"]
    assert {(p.stage, p.year) for p in dz} == {("adopt", 2022), ("plan", 2023)}
    df = [p for p in extractions["dafang"].practices if p.mechanism == "livelihood-project-voting"]
    assert df and all(p.stage != "pilot" for p in df)


def test_mechanism_mentions(extractions):
    got = {k: {p.mechanism for p in x.practices} for k, x in extractions.items()}
    assert {"dual-contact", "deputy-liaison-station", "online-deputy-liaison"} <= got["dafang"]
    assert {"dual-contact", "deputy-reports-to-voters", "deputy-performance-record", "budget-online-supervision"} <= got["bayannur"]
    assert {"first-topic", "mid-term-evaluation", "special-inquiry", "enforcement-inspection"} <= got["jiangxian"]
    assert {"director-reception-day", "pre-submission-consultation", "deputy-performance-evaluation"} <= got["dazu"]


def test_laws(extractions):
    bn = {(law.law, law.action) for law in extractions["bayannur"].laws}
    assert ("中华人民共和国传染病防治法", "enforcement-inspection") in bn
    assert ("巴彦淖尔市农药污染防治条例", "enactment") in bn
    jx = {law.law for law in extractions["jiangxian"].laws if law.action == "enforcement-inspection"}
    assert {"环境保护法", "法官法", "乡村振兴促进法", "职业教育法", "医师法", "医疗保障基金使用监督管理条例"} <= jx


def test_every_fact_quotes_its_text(extractions):
    for x in extractions.values():
        for f in x.facts:
            ev = f.evidence
            assert x.report.text[ev.start: ev.end] == ev.quote
            assert x.report.text[ev.mention_start: ev.mention_end] == ev.mention
            assert ev.start <= ev.mention_start < ev.mention_end <= ev.end
