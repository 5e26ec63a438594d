"""Sentences, section headings, modality (reported vs planned) and the year each sentence is about."""

from __future__ import annotations

import re

from kg import lexicon
from kg.facts import Sentence
from kg.numbers import parse_number
from kg.report import Report

_END = re.compile(r"[。！？!?]+[”」』]?|\n+")
YEAR = re.compile(r"((?:19|20)\d\d)\s*年(?!\s*\d{1,2}\s*月)")
# A sentence whose subject announces what it will do: 常委会将…, 我们要…, 下一步…, 计划…
FUTURE = re.compile(
    r"^(?:下一步|今后|明年|新的一年|计划|拟|将要|要(?!求))|"
    r"(?:常委会|人大|我们|本届|机关)(?:也|还|更|仍|必须|一定|都|今年|明年)?(?:将|要|拟|计划)(?![来军求])|"
    r"(?:^|[，,：:])将(?:对|于|在|继续|进一步|重点|围绕|适时|陆续|逐步|着力|组织开展|开展)|"
    r"(?:强调|指出|提出)[，,：:]?要(?!求)"
)
# A numbered item (2、…) continues the list its sentence opened (…包括1、…): same modality.
LIST_ITEM = re.compile(r"^(?:\d{1,2}|[一二三四五六七八九十]{1,3})[、.．]")


_CN_NUM = "一二两三四五六七八九十"
# Several years: 2018—2022年, 2018年至2022年, 2019年以来 (to the report's year), 五年来, 过去五年, 近三年
SPAN = re.compile(r"((?:19|20)\d\d)\s*年?\s*[—–\-－~～至到]\s*((?:19|20)\d\d)\s*年")
SINCE = re.compile(r"((?:19|20)\d\d)\s*年(?:以来|来)")
N_YEARS = re.compile(rf"(?:过去|近|这|本届)?([{_CN_NUM}\d]{{1,2}})年(?:来|以来|中|间|里)|(?:过去|近)([{_CN_NUM}\d]{{1,2}})年")
# No year can be given: 近年来, 本届以来, 多年来, 几年来
UNKNOWN = re.compile(r"(?:近年|本届|本届任期|多年|几年|历年|长期)(?:来|以来)")


def period_of(text: str, year: int | None) -> tuple[int, int] | bool | None:
    """The several years a sentence or heading speaks of: (first, last); False when it speaks of
    years it does not give (近年来); None when it names no period."""
    m = SPAN.search(text)
    if m and int(m[1]) < int(m[2]):
        return int(m[1]), int(m[2])
    m = SINCE.search(text)
    if m and year and int(m[1]) < year:
        return int(m[1]), year
    m = N_YEARS.search(text)
    if m and year:
        n = int(parse_number(m[1] or m[2]))
        if 2 <= n <= 10:
            return year - n + 1, year
    if UNKNOWN.search(text):
        return False
    return None


def _is_heading(line: str) -> bool:
    return 2 <= len(line) <= 40 and not re.search(r"[。；;]", line[:-1]) and not line.endswith(("，", ","))


MAX_SENTENCE = 600  # characters: a longer "sentence" (a page without 。) is cut at its clauses


def _pieces(norm: str):
    """(start, end, ends a line) of each sentence, stripped; one longer than MAX_SENTENCE is cut at
    the last clause mark before the limit (or at the limit), so that no input makes the work on one
    sentence grow without bound."""
    start = 0
    for m in _END.finditer(norm + "\n"):
        end = m.end() if m.group()[0] != "\n" else m.start()
        while end - start > MAX_SENTENCE:
            cut = max(norm.rfind(c, start, start + MAX_SENTENCE) for c in "，,；;、")
            cut = cut + 1 if cut > start else start + MAX_SENTENCE
            yield from _stripped(norm, start, cut, False)
            start = cut
        yield from _stripped(norm, start, end, m.group()[0] == "\n")
        start = m.end()


def _stripped(norm: str, start: int, end: int, at_line_end: bool):
    raw = norm[start:end]
    s, e = start + len(raw) - len(raw.lstrip()), start + len(raw.rstrip())
    if e > s:
        yield s, e, at_line_end


def split(report: Report) -> list[Sentence]:
    """Sentences in ``report.norm`` with their section, modality and year; residue lines dropped."""
    norm = report.norm
    planned_heads = lexicon.concept("modality", "planned").aliases
    plan_year = report.year + 1 if report.year else None
    out: list[Sentence] = []
    section = ""
    section_period: tuple[int, int] | bool | None = None
    list_planned: bool | None = None  # the modality of the numbered list the last sentences belong to
    for s, e, at_line_end in _pieces(norm):
        if report.is_ignored(s, e):
            continue
        text = norm[s:e]
        in_plan = report.plan_start is not None and s >= report.plan_start
        if at_line_end and _is_heading(text):
            section = text
            section_period = period_of(text, report.year)
            if in_plan:
                head_year = YEAR.match(text)
                if head_year:
                    plan_year = int(head_year[1])
        planned = in_plan or bool(FUTURE.search(text)) or any(text.startswith(h) for h in planned_heads)
        if LIST_ITEM.match(text) and out and list_planned is not None:
            planned = planned or list_planned
        elif re.search(r"(?:^|[：:，,包括])(?:1|一)[、.．]", text):
            list_planned = planned
        elif not LIST_ITEM.match(text):
            list_planned = None
        year = plan_year if in_plan else report.year
        if planned and not in_plan and report.year:
            year = report.year + 1
        period = None
        if not planned:
            found = period_of(text, report.year)
            found = section_period if found is None else found
            if found is not None:  # a period, or years the text does not give: no single year
                year, period = None, (found or None)
        out.append(Sentence(s, e, section, "planned" if planned else "reported", year, period))
    return out


def year_before(text: str, pos: int, default: int | None) -> int | None:
    """The last year named in ``text`` before ``pos`` (2019年确定的55项 → 2019), else ``default``."""
    periods = [m.span() for m in SPAN.finditer(text)]
    found = [int(m[1]) for m in YEAR.finditer(text, 0, pos) if not text.startswith("度", m.end())
             and not any(a <= m.start() < b for a, b in periods) and not SINCE.match(text, m.start())]
    return found[-1] if found else default


def time_at(text: str, pos: int, sent: Sentence) -> tuple[int | None, tuple[int, int] | None]:
    """(year, period) of a mention at ``pos`` in a sentence: a year named before it in the
    sentence wins, then the sentence's own year or period; both None when the text gives none."""
    year = year_before(text, pos, None)
    if year is not None:
        return year, None
    return sent.year, sent.period
