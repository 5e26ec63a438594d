"""kg check: counts of one thing that disagree, each finding with both evidence sentences."""

from __future__ import annotations

from typer.testing import CliRunner

import kg
from kg.build import build
from kg.cli import app

REPORTS = {  # written for this test: one county, a work report and a summary of 2023, a report of 2024
    "work-2023.txt": "安吉县人大常委会2023年工作报告\n2023年，县人大常委会召开常委会会议8次，开展执法检查5次。\n"
                     "常委会坚持问题导向，全年共开展执法检查6次。\n2024年工作安排\n2024年，常委会将开展专题询问2次。\n",
    "summary-2023.txt": "安吉县人大常委会2023年工作综述\n2023年，县人大常委会召开常委会会议9次。\n",
    "work-2024.txt": "安吉县人大常委会2024年工作报告\n2024年，县人大常委会开展专题询问3次。\n",
}


def test_findings_name_both_values_and_both_sentences(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name, text in REPORTS.items():
        (src / name).write_text(text, encoding="utf-8")
    g = kg.build(src, out=tmp_path / "out")
    got = sorted((f.kind, f.year, f.measure, f.first.value, f.second.value) for f in g.check())
    assert got == [("plan-and-result", 2024, "special-inquiry", 2, 3),
                   ("reports-disagree", 2023, "standing-committee-meeting", 8, 9),
                   ("two-values-in-one-report", 2023, "enforcement-inspection", 5, 6)]
    plan = next(f for f in g.check() if f.kind == "plan-and-result")
    assert "将开展专题询问2次" in plan.first.quote and "开展专题询问3次" in plan.second.quote
    g.close()
    out = CliRunner().invoke(app, ["check", "--store", str(tmp_path / "out")])
    assert out.exit_code == 1 and "3 finding(s): 1 two-values-in-one-report, 1 reports-disagree, 1 plan-and-result" in out.output
    assert "召开常委会会议9次" in out.output


def test_counts_listed_in_one_sentence_are_no_finding(built):
    """29个乡级代表站和114个村级联络室: two counts of one measure, not two values of one count; the
    seeds (five bodies) have nothing that disagrees."""
    assert built.check() == []
    got = CliRunner().invoke(app, ["check", "--store", str(built.store.path.parent)])
    assert got.exit_code == 0 and "0 finding(s)" in got.output


# Written for this test: a county's report whose totals, rates and shares do not add up.
SUMS = ("米易县人大常委会工作报告\n——2024年1月10日在米易县第十八届人民代表大会第三次会议上\n\n"
        "2023年，县人大常委会开展《食品安全法》《森林法》《水法》等3部法律的执法检查。\n"
        "开展《档案法》《统计法》《消防法》《公路法》等3部法律法规的执法检查。\n"
        "开展《种子法》《草原法》3部法律的执法检查。\n"
        "代表建议满意率达105%。\n"
        "全县人大代表中，农村代表占60%，妇女代表占45%。\n")


def test_totals_rates_and_shares_that_do_not_add_up(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text(SUMS, encoding="utf-8")
    result = build([src], tmp_path / "out")
    assert [r["quote"] for r in result.rejected] == ["代表建议满意率达105%。"]  # kept out of the graph, by its shape
    g = kg.open(tmp_path / "out")
    got = sorted((f.kind, f.first.value, f.second.value if f.second else None, f.first.quote) for f in g.check())
    g.close()
    by_kind = {}
    for kind, a, b, quote in got:
        by_kind.setdefault(kind, []).append((a, b, quote))
    # three laws named and a total of three: no finding; four named, three stated; two named, three stated, no 等
    assert by_kind["total-and-items"] == [(3.0, 2.0, "开展《种子法》《草原法》3部法律的执法检查。"),
                                          (3.0, 4.0, "开展《档案法》《统计法》《消防法》《公路法》等3部法律法规的执法检查。")]
    assert by_kind["shares-over-100"] == [(105.0, None, "全县人大代表中，农村代表占60%，妇女代表占45%。")]
    assert [(b, q) for _, b, q in by_kind["rate-over-100"]] == [(None, "代表建议满意率达105%。")]
    out = CliRunner().invoke(app, ["check", "--store", str(tmp_path / "out")])
    assert out.exit_code == 1 and "4 finding(s)" in out.output and "2 total-and-items, 1 rate-over-100, 1 shares-over-100" in out.output
