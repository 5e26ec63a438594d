"""Sentences, section headings, modality (reported vs planned) and the year each sentence is about."""

from __future__ import annotations

import re

from kg import lexicon
from kg.facts import Sentence
from kg.report import Report

_END = re.compile(r"[。！？!?]+[”」』]?|\n+")
YEAR = re.compile(r"((?:19|20)\d\d)\s*年(?!\s*\d{1,2}\s*月)")
# A sentence whose subject announces what it will do: 常委会将…, 我们要…, 下一步…, 计划…
FUTURE = re.compile(
    r"^(?:下一步|今后|明年|新的一年|计划|拟|将要|要(?!求))|"
    r"(?:常委会|人大|我们|本届|机关)(?:也|还|更|仍|必须|一定|都|今年|明年)?(?:将|要|拟|计划)(?![来军求])"
)


def _is_heading(line: str) -> bool:
    return 2 <= len(line) <= 40 and not re.search(r"[。；;]", line[:-1]) and not line.endswith(("，", ","))


def split(report: Report) -> list[Sentence]:
    """Sentences in ``report.norm`` with their section, modality and year; residue lines dropped."""
    norm = report.norm
    planned_heads = lexicon.concept("modality", "planned").aliases
    plan_year = report.year + 1 if report.year else None
    out: list[Sentence] = []
    section, start = "", 0
    for m in _END.finditer(norm + "\n"):
        end = m.end() if m.group()[0] != "\n" else m.start()
        raw = norm[start:end]
        lead = len(raw) - len(raw.lstrip())
        s, e = start + lead, start + len(raw.rstrip())
        start = m.end()
        if e <= s or report.is_ignored(s, e):
            continue
        text = norm[s:e]
        in_plan = report.plan_start is not None and s >= report.plan_start
        if m.group()[0] == "\n" and _is_heading(text):
            section = text
            if in_plan:
                head_year = YEAR.match(text)
                if head_year:
                    plan_year = int(head_year[1])
        planned = in_plan or bool(FUTURE.search(text)) or any(text.startswith(h) for h in planned_heads)
        year = plan_year if in_plan else report.year
        if planned and not in_plan and report.year:
            year = report.year + 1
        out.append(Sentence(s, e, section, "planned" if planned else "reported", year))
    return out


def year_before(text: str, pos: int, default: int | None) -> int | None:
    """The last year named in ``text`` before ``pos`` (2019年确定的55项 → 2019), else ``default``."""
    found = [int(m[1]) for m in YEAR.finditer(text, 0, pos) if not text.startswith("度", m.end())]
    return found[-1] if found else default
