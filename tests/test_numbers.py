from __future__ import annotations

from decimal import Decimal

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.numbers import find_quantities, parse_chinese, parse_number


@pytest.mark.parametrize(("text", "value"), [
    ("三", 3), ("十七", 17), ("一百二十", 120), ("两", 2), ("两千零五", 2005), ("十万零三", 100003),
    ("三亿五千万", 350_000_000), ("〇", 0), ("零", 0), ("二〇二三", 2023), ("一万", 10_000),
])
def test_chinese_numerals(text, value):
    assert parse_chinese(text) == value


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=10**8))
def test_chinese_numerals_agree_with_cn2an(n):
    assert parse_chinese(cn2an.an2cn(n)) == n


def test_arabic_forms():
    assert parse_number("１２") == 12
    assert parse_number("1,234") == 1234
    assert parse_number("1.5万") == 15000


def q(text: str):
    return [(x.value, x.unit, x.bound, x.low, x.high, text[x.start:x.end]) for x in find_quantities(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("召开常委会会议１２次", [(12, "次", "exact", None, None, "１２次")]),
    ("满意率达98.6%", [(Decimal("98.6"), "%", "exact", None, None, "98.6%")]),
    ("满意率百分之九十五", [(95, "%", "exact", None, None, "百分之九十五")]),
    ("项目资金11.5亿元", [(Decimal("11.5"), "亿元", "exact", None, None, "11.5亿元")]),
    ("安排300万元", [(300, "万元", "exact", None, None, "300万元")]),
    ("开展活动30余次", [(30, "次", "approx", 30, None, "30余次")]),
    ("收集意见500多条", [(500, "条", "approx", 500, None, "500多条")]),
    ("联系近百名代表", [(100, "名", "approx", None, None, "近百名")]),
    ("接待群众约200人次", [(200, "人次", "approx", None, None, "约200人次")]),
    ("培训超过300人", [(300, "人", "at_least", 300, None, "超过300人")]),
    ("办理建议50件以上", [(50, "件", "at_least", 50, None, "50件以上")]),
    ("举办1至2期培训班", [(1, "期", "range", 1, 2, "1至2期")]),
    ("开展3—5次视察", [(3, "次", "range", 3, 5, "3—5次")]),
    ("任免5批次61人次", [(5, "批次", "exact", None, None, "5批次"), (61, "人次", "exact", None, None, "61人次")]),
    ("联系群众1.56万人次", [(15600, "人次", "exact", None, None, "1.56万人次")]),
    ("2019—2020年度", []),
    ("满意率百分之九十八点六", [(Decimal("98.6"), "%", "exact", None, None, "百分之九十八点六")]),
    ("开展活动数十次", []),
    ("几百人参加", []),
    ("接待群众上千人次", [(1000, "人次", "at_least", 1000, None, "上千人次")]),
    ("会上3名代表发言", [(3, "名", "exact", None, None, "3名")]),
])
def test_quantities(text, expected):
    assert q(text) == expected
