"""The extractor on sentences written for these tests in the style of such reports."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kg.extract import extract
from kg.report import from_text


def counts(text: str):
    return [(c.measure, c.value, c.unit, c.modality) for c in extract(from_text(text)).counts]


@pytest.mark.parametrize(("text", "expected"), [
    ("一年来，召开常委会会议8次。\n", [("常委会会议", 8, "次", "reported")]),
    ("一年来，共召开8次常委会会议。\n", [("常委会会议", 8, "次", "reported")]),
    ("一年来，常委会会议共召开8次。\n", [("常委会会议", 8, "次", "reported")]),
    ("听取和审议“一府两院”工作报告22项。\n", [("“一府两院”工作报告", 22, "项", "reported")]),
    ("全年受理群众来信来访三十七件次。\n", [("群众来信来访", 37, "件次", "reported")]),
    ("办理代表建议１５４件，满意率达到97.5%。\n", [("代表建议", 154, "件", "reported"), ("满意率", Decimal("97.5"), "%", "reported")]),
])
def test_measure_before_or_after(text, expected):
    assert counts(text) == expected


@pytest.mark.parametrize("text", [
    "坚定“四个自信”，做到“两个维护”，牢记“三个务必”。\n",
    "在市第十七届人民代表大会第四次会议上。\n",
    "县十七届人大四次会议期间，代表踊跃发言。\n",
    "认真落实“第一议题”制度和“三会一课”制度。\n",
    "推动“一府一委两院”依法履职。\n",
    "2023年是全面贯彻党的二十大精神的开局之年。\n",
    "为期两天的培训中，代表一人一档全部建立。\n",
])
def test_numbers_that_are_not_counts(text):
    assert counts(text) == []


def test_plans_are_planned():
    text = "过去一年的主要工作\n一年来，召开常委会会议9次。\n今年的主要工作\n计划召开常委会会议10次，开展执法检查3项。\n"
    r = from_text(text)
    got = [(c.measure, c.value, c.modality) for c in extract(r).counts]
    assert got == [("常委会会议", 9, "reported"), ("常委会会议", 10, "planned"), ("执法检查", 3, "planned")]


def test_future_tense_sentence_is_planned():
    got = [(c.value, c.modality) for c in extract(from_text("下一步，常委会将组织代表培训2期。\n")).counts]
    assert got == [(2, "planned")]


def test_preposition_jiang_is_not_future():
    got = [(c.value, c.modality) for c in extract(from_text("将就业保障等11项热点问题确立为重点监督议题。\n")).counts]
    assert got == [(11, "reported")]


def test_pilot_with_named_townships_in_an_unseen_county():
    r = from_text("安吉县人大常委会工作报告\n2021年，在递铺街道、孝丰镇试点开展民生实事项目人大代表票决制工作。\n")
    p = [x for x in extract(r).practices if x.mechanism == "livelihood-project-voting"]
    assert r.body == "安吉县人大常委会"
    assert [(x.stage, x.scope, x.year) for x in p] == [("pilot", ("递铺街道", "孝丰镇"), 2021)]


def test_expand_to_full_coverage():
    r = from_text("某市人大常委会\n全市推广民生实事项目人大代表票决制，实现县乡两级全覆盖。\n")
    assert [x.stage for x in extract(r).practices] == ["expand"]


def test_dev_set_scores():
    """The hand-written development set (tests/data/dev): every miss is listed by kg eval."""
    from pathlib import Path

    from kg.evaluate import evaluate

    ev = evaluate(Path(__file__).parent / "data" / "dev")
    c, m = ev.scores["count"], ev.scores["mechanism"]
    assert (c.fp, c.fn) == (0, 0), ev.text()
    assert (m.fp, m.fn) == (0, 0), ev.text()
    assert c.tp >= 190 and m.tp >= 71
    assert ev.bodies_right == ev.reports >= 20
    assert ev.modality_errors == []
    assert ev.stage_errors == []


def test_the_graph_holds_what_the_extractor_finds(tmp_path):
    """kg eval --graph: the dev set built into a store and read back scores as kg extract does, so
    nothing is lost between extraction and the graph; a folder without gold is an error, not 1.000."""
    from pathlib import Path

    from typer.testing import CliRunner

    from kg.cli import app
    from kg.evaluate import evaluate

    folder = Path(__file__).parent / "data" / "dev"
    extracted, built = evaluate(folder), evaluate(folder, graph=True)
    for kind in ("count", "mechanism"):
        e, b = extracted.scores[kind], built.scores[kind]
        assert (b.tp, b.fp, b.fn) == (e.tp, e.fp, e.fn), kind
    assert built.bodies_right == extracted.bodies_right == built.reports
    out = CliRunner().invoke(app, ["eval", str(tmp_path)])
    assert out.exit_code == 2 and "no NAME.gold.jsonl files" in out.output


def test_seed_gold_scores():
    """The seeds' full gold (tests/data/seeds-gold): the two known misses are listed, nothing else."""
    from pathlib import Path

    from kg.evaluate import evaluate

    root = Path(__file__).parent
    ev = evaluate(root / "data" / "seeds-gold", root.parent / "seeds")
    assert ev.misses == ["003_ff0f401e9b94a24c.txt: count 满意度测评 4项", "003_ff0f401e9b94a24c.txt: count 列席市人大常委会会议 52人次"]
    assert len(ev.false_positives) == 2
    assert ev.scores["count"].tp == 104 and ev.scores["mechanism"].tp == 60
    assert ev.bodies_right == ev.reports == 5 and ev.modality_errors == []


@pytest.mark.parametrize("heading", ["二、2024年工作任务", "2024年主要打算", "2024年>>", "今年的主要工作", "三、今后工作建议"])
def test_plan_headings(heading):
    r = from_text(f"某县人大常委会2023年工作报告\n2023年，常委会召开常委会会议8次。\n{heading}\n召开常委会会议6次。\n")
    got = [(c.value, c.modality, c.year) for c in extract(r).counts]
    assert got == [(8, "reported", 2023), (6, "planned", 2024)]


def test_a_later_year_in_a_sentence_is_no_plan_heading():
    r = from_text("某县人大常委会2023年工作报告\n2023年，常委会召开常委会会议8次。\n2024年是关键一年\n召开常委会会议6次。\n")
    assert [c.modality for c in extract(r).counts] == ["reported", "reported"]


def test_a_measure_counted_in_other_units_is_not_filed_under_it():
    """Meetings are counted in 次 or 场 (npc:countedIn): members of the standing committee counted in 名
    keep their phrase and no meeting measure."""
    got = [(c.measure, c.measure_id, c.value, c.unit) for c in extract(from_text(
        "某县人大常委会工作报告\n一年来，300余名县人大常委会组成人员深入基层，召开常委会会议8次，召开座谈会5场。\n")).counts]
    assert got == [("县人大常委会组成人员", None, 300, "名"), ("常委会会议", "standing-committee-meeting", 8, "次"),
                   ("座谈会", "meeting", 5, "场")]
