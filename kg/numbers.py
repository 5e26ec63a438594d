"""Numerals and quantities: 12次, 十七件, 98.6%, 11.5亿元, 30余次, 近百名, 1至2期, 5批次61人次.

Regular expressions over the raw text (no tokenizer) keep offsets exact and run at tens of
megabytes a second. Units come from the unit scheme in ``ontology/units.ttl``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from kg import lexicon

CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
CN_CHARS = "".join(CN_DIGITS) + "".join(CN_SMALL_UNITS) + "".join(CN_BIG_UNITS)
FULLWIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")


def parse_chinese(s: str) -> int:
    """A Chinese numeral as an integer, by cn2an (abbreviated forms too: 一千二 is 1200, 一万一 is
    11000); ValueError on anything else. Only numeral spans found here are given to it: cn2an over
    whole sentences rewrites words such as 统一.

    >>> parse_chinese("十七"), parse_chinese("一百二十"), parse_chinese("两千零五"), parse_chinese("二〇二三")
    (17, 120, 2005, 2023)
    >>> parse_chinese("一千二"), parse_chinese("一万一"), parse_chinese("三百五")
    (1200, 11000, 350)
    """
    import cn2an

    if not s or any(ch not in CN_CHARS for ch in s):
        raise ValueError(f"not a Chinese numeral: {s!r}")
    if s[0] in "百千万亿":  # 近百名, 上千人次: a bare unit means one of it
        s = "一" + s
    try:
        value = cn2an.cn2an(s.replace("〇", "零").replace("○", "零") if any(u in s for u in "十百千万亿") else s, "smart")
    except Exception as e:  # cn2an raises ValueError and others on malformed numerals
        raise ValueError(f"not a Chinese numeral: {s!r}") from e
    if value != int(value):
        raise ValueError(f"not a whole number: {s!r}")
    return int(value)


def parse_number(s: str) -> Decimal:
    """Arabic (also full-width, with thousands commas, with a trailing 万/亿) or Chinese."""
    s = s.translate(FULLWIDTH).replace(",", "")
    mult = 1
    if len(s) > 1 and s[-1] in CN_BIG_UNITS and s[0].isdigit():
        mult, s = CN_BIG_UNITS[s[-1]], s[:-1]
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return Decimal(s) * mult
    if "点" in s:
        whole, frac = s.split("点", 1)
        return Decimal(f"{parse_chinese(whole)}.{''.join(str(CN_DIGITS[c]) for c in frac)}")
    return Decimal(parse_chinese(s))


def plain(d: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (15600.00 → 15600)."""
    return Decimal(format(d.normalize(), "f"))


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int
    value: Decimal
    unit: str
    bound: str  # exact | approx | at_least | at_most | range
    low: Decimal | None
    high: Decimal | None
    chinese: bool  # written in Chinese numerals



_ARABIC = r"[0-9０-９][0-9０-９,，]*(?:[.．][0-9０-９]+)?(?:万|亿)?"
_CHINESE = rf"[{CN_CHARS}]+(?:点[{''.join(CN_DIGITS)}]+)?"
_NUM = rf"(?:{_ARABIC}|{_CHINESE})"
PREFIX_BOUNDS = {"近": "approx", "约": "approx", "大约": "approx", "将近": "approx", "超过": "at_least", "逾": "at_least",
                 "不少于": "at_least", "不低于": "at_least", "至少": "at_least", "多达": "at_least",
                 "不超过": "at_most", "最多": "at_most", "不足": "at_most"}
SUFFIX_BOUNDS = {"余": "approx", "多": "approx", "以上": "at_least", "左右": "approx", "以下": "at_most", "以内": "at_most"}
RANGE_SEPS = "至|到|—|–|-|~|～|－"
IMPLIED_UNIT = "个"


@cache
def _quantity_re() -> re.Pattern[str]:
    units = sorted({a for c in lexicon.concepts("unit") for a in c.aliases}, key=lambda u: (-len(u), u))
    unit_re = "|".join(map(re.escape, units))
    # 12村6社区, 8县(市): a division counted without a classifier (the classifier 个 is implied)
    places = "|".join(map(re.escape, sorted(lexicon.labels("level") - {c.label_zh for c in lexicon.concepts("level")}, key=lambda u: (-len(u), u))))
    pre = "|".join(sorted(PREFIX_BOUNDS, key=len, reverse=True))
    suf = "余|多"
    post = "以上|左右|以下|以内"
    return re.compile(
        rf"(?P<pre>{pre})?(?P<pct>百分之(?P<pctnum>{_CHINESE}))?"
        rf"(?(pct)|(?P<num>{_NUM})(?:(?P<sep>{RANGE_SEPS})(?P<num2>{_NUM}))?(?P<suf>{suf})?"
        rf"(?P<wan>万(?=人次|人|名|户|元|次|件|条))?(?:(?P<unit>{unit_re})|(?P<bare>(?={places}))))(?P<post>{post})?"
    )


def find_quantities(text: str) -> list[Quantity]:
    """Every number followed by a unit, with its bound. Whether it is a count is decided later.

    >>> [(str(q.value), q.unit, q.bound) for q in find_quantities("开展视察10余次，满意率达98.6%，举办1至2期培训班")]
    [('10', '次', 'approx'), ('98.6', '%', 'exact'), ('1', '期', 'range')]
    """
    out = []
    for m in _quantity_re().finditer(text):
        try:
            if m.group("pct"):
                value, unit, chinese = parse_number(m.group("pctnum")), "%", True
                low = high = None
                bound = "exact"
            else:
                raw = m.group("num")
                chinese = not raw[0].translate(FULLWIDTH).isdigit()
                value = parse_number(raw)
                if m.group("bare") is not None and (chinese or m.group("pre") or m.group("suf") or m.group("num2")):
                    continue  # 四县三区 is a name; a bare count is a plain number
                unit = m.group("unit").translate(FULLWIDTH) if m.group("unit") else IMPLIED_UNIT
                if unit == "元" and raw[-1] in CN_BIG_UNITS:  # 11.5亿元: money keeps its unit as written
                    value, unit = parse_number(raw[:-1]), raw[-1] + unit
                if m.group("wan"):
                    value *= 10_000
                bound, low, high = "exact", None, None
                if m.group("num2"):
                    high = parse_number(m.group("num2")) * (10_000 if m.group("wan") else 1)
                    if high <= value:  # 2020-2021 style dates, or a dash that is no range
                        continue
                    bound, low = "range", value
        except (ValueError, KeyError):
            continue
        before = text[max(0, m.start() - 1): m.start()]
        if chinese and before in ("数", "几", "好"):  # 数十次, 几百人: no number to report
            continue
        if chinese and before == "上" and not m.group("pre") and value in (100, 1000, 10000):  # 上百名, 上千人次
            out.append(Quantity(m.start() - 1, m.end(), plain(value), unit, "at_least", plain(value), None, chinese))
            continue
        if m.group("suf") or m.group("post"):
            bound = SUFFIX_BOUNDS[m.group("suf") or m.group("post")]
            if bound in ("approx", "at_least"):
                low = value
            else:
                high = value
        if m.group("pre"):
            bound = PREFIX_BOUNDS[m.group("pre")]
            if bound == "at_least":
                low = value
            elif bound == "at_most":
                high = value
        out.append(Quantity(m.start(), m.end(), plain(value), unit, bound,
                            None if low is None else plain(low), None if high is None else plain(high), chinese))
    return out
