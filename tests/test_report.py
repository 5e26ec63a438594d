"""Reading reports: metadata detected from the text itself, compared with seeds/metadata.csv."""

from __future__ import annotations

import csv

import pytest
from conftest import SEEDS

from kg.places import gazetteer
from kg.report import ReadError, from_text, read, report_json

META = list(csv.DictReader(open(SEEDS / "metadata.csv", encoding="utf-8")))


@pytest.mark.parametrize("row", META, ids=[r["file"] for r in META])
def test_metadata_detected_from_text(row):
    r = read(SEEDS / row["file"])
    j = report_json(r)
    assert j["body"] == row["body"]
    assert j["place"] == row["place"]
    assert j["place_code"] == row["place_code"]
    assert j["level"] == row["level"]
    assert j["province"] == row["province"]
    assert (j["prefecture"] or "") == row["prefecture"]
    assert j["years"] == [int(y) for y in row["years"].split(";")]
    assert (j["date"] or "") == row["date"]
    assert j["genre"] == row["genre"]
    assert j["title"] == row["title"]


def test_places_resolve_with_parents_from_the_gazetteer():
    gaz = gazetteer()
    chains = {n: [p.name for p in gaz.chain(gaz.lookup(n))] for n in ("会东县", "大足区", "大方县", "巴彦淖尔市", "绛县", "嘎吉镇")}
    assert chains["会东县"] == ["会东县", "凉山彝族自治州", "四川省"]
    assert chains["大足区"] == ["大足区", "重庆市"]
    assert chains["大方县"] == ["大方县", "毕节市", "贵州省"]
    assert chains["巴彦淖尔市"] == ["巴彦淖尔市", "内蒙古自治区"]
    assert chains["绛县"] == ["绛县", "运城市", "山西省"]
    assert chains["嘎吉镇"] == ["嘎吉镇", "会东县", "凉山彝族自治州", "四川省"]
    assert gaz.lookup("绛县").level == "county" and gaz.lookup("巴彦淖尔市").level == "prefecture"
    assert len(gaz.by_code) > 40000  # the national table down to townships, not a hand-typed list


def test_a_passage_that_never_names_its_body():
    r = from_text("一年来，市人大常委会召开常委会会议8次，列席省人大常委会会议2次。\n")
    assert r.body is None and r.place is None


def test_body_named_in_passing_is_not_the_reporting_body():
    r = from_text("2023年，县人大常委会召开常委会会议9次。组织代表列席运城市人大常委会会议3次。\n")
    assert r.body is None


def test_traditional_text_keeps_offsets():
    text = "二〇二三年工作回顧\n一年來，縣人大常委會召開常委會會議十二次，辦理代表建議一百二十件，滿意率達百分之九十八。\n"
    r = from_text(text)
    assert len(r.norm) == len(r.text)
    assert "县人大常委会召开常委会会议" in r.norm


def test_web_residue_is_ignored():
    r = read(SEEDS / "001_9911ad027f31c7ac.txt")
    ignored = [r.text[slice(*r.given(s, e))] for s, e in r.ignored]
    assert ignored == ["记者 熊雅雯 整理", "账号+密码登录", "手机+密码登录", "还没有账号?", "立即注册"]


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"), (b"  \n\t \n", "empty"), (b"%PDF-1.7\n...", "PDF"), (b"\x00\x01\x02binary\x00", "binary"),
    (b"hello world, no Chinese here", "no Chinese"),
])
def test_bad_files_are_refused_with_a_reason(tmp_path, data, reason):
    p = tmp_path / "bad.txt"
    p.write_bytes(data)
    with pytest.raises(ReadError) as e:
        read(p)
    assert reason in str(e.value) and "bad.txt" in str(e.value)


SAMPLE = "县人大常委会工作报告\n一年来，县人大常委会召开常委会会议12次，办理代表建议154件。\n"


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-16", "big5"])
def test_encodings_are_detected(tmp_path, encoding):
    text = SAMPLE if encoding != "big5" else "縣人大常委會工作報告\n一年來，縣人大常委會召開常委會會議12次，辦理代表建議154件。\n"
    p = tmp_path / f"{encoding}.txt"
    p.write_bytes(text.encode(encoding))
    r = read(p)
    assert r.text == text


def test_oversized_file_is_refused(tmp_path):
    p = tmp_path / "big.txt"
    p.write_bytes(SAMPLE.encode() * 10)
    with pytest.raises(ReadError, match="larger than"):
        read(p, max_bytes=100)


def test_html_page(tmp_path):
    html = ("<html><head><title>x</title><script>var a='召开会议99次';</script></head><body><nav>首页 登录</nav>"
            "<div><p>县人大常委会工作报告</p><p>一年来，县人大常委会召开常委会会议12次。</p></div>"
            "<footer>版权所有</footer></body></html>")
    p = tmp_path / "page.html"
    p.write_text(html, encoding="utf-8")
    r = read(p)
    assert "召开常委会会议12次" in r.text and "99" not in r.text and "版权" not in r.text
