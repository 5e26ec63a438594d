"""Laws named in 《》 (or listed bare before 等N部法律法规) and typed activities: what was done
to which law (执法检查, 执法调研, 制定 …), from the activity scheme's trigger labels."""

from __future__ import annotations

import re

from kg import lexicon
from kg.extract.sentences import time_at
from kg.facts import Activity, Evidence, Law, Sentence
from kg.report import Report

TITLE = re.compile(r"《([^《》\n]{2,60})》")
LAWLIKE = re.compile(r"(?:法|法典|条例|规定|决定|办法|规则|细则|决议)(?:（[^）]*）|\([^)]*\))?$")
BARE_LIST = re.compile(r"((?:[\u4e00-\u9fff]{2,16}?(?:法|条例)、)+[\u4e00-\u9fff]{2,16}?(?:法|条例))等(?:\d+|[一二三四五六七八九十]+)部法律法规")
CLAUSE = re.compile(r"[，,；;。]")


def _clause_at(text: str, pos: int) -> tuple[int, int]:
    starts = [m.end() for m in CLAUSE.finditer(text, 0, pos)]
    end = CLAUSE.search(text, pos)
    return (starts[-1] if starts else 0), (end.start() if end else len(text))


def extract_laws_and_activities(report: Report, sentences: list[Sentence]) -> tuple[list[Law], list[Activity]]:
    norm = report.norm
    acts = lexicon.matcher("activity")
    laws: list[Law] = []
    activities: list[Activity] = []
    for sent in sentences:
        text = norm[sent.start: sent.end]
        s0 = sent.start
        named: list[tuple[int, int, str]] = []
        for m in TITLE.finditer(text):
            kind = LAWLIKE.search(m.group(1))
            if kind and kind.start() > 0:  # 《水法》《森林法》 are laws; a bare 《办法》 is no title
                named.append((m.start(), m.end(), report.written(s0 + m.start(1), s0 + m.end(1))))
        for m in BARE_LIST.finditer(text):
            lead = re.match(r"(?:开展|组织|进行|对|就|围绕)+", m.group(1))
            pos = m.start(1) + (lead.end() if lead else 0)
            for part in text[pos: m.end(1)].split("、"):
                named.append((pos, pos + len(part), report.written(s0 + pos, s0 + pos + len(part))))
                pos += len(part) + 1
        for a, b, title in named:
            cs, ce = _clause_at(text, a)
            hits = [(abs(s - a), c) for s, e, c in acts.finditer(text[cs:ce])]
            action = min(hits, key=lambda h: h[0])[1].id if hits else None
            year, period = time_at(text, a, sent)
            laws.append(Law(report.body, year, title, action, sent.modality, Evidence.of(report, sent, a, b), period))
        for s, e, c in acts.finditer(text):
            if c.id in ("law-study", "enactment"):
                continue  # verbs too common to be activities on their own; they qualify laws above
            cs, ce = _clause_at(text, s)
            law = next((t for a, b, t in named if cs <= a < ce), None)
            year, period = time_at(text, s, sent)
            activities.append(Activity(report.body, year, c.id, c.label_zh, law, sent.modality, Evidence.of(report, sent, s, e), period))
    return laws, activities
