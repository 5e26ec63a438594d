"""Mechanism mentions (lexicon: ontology/mechanisms.ttl) with their stage and scope.

The stage comes from cue words of the stage scheme (试点, 制定…办法, 推广 …) in the mention's
clause and the clauses after it that name no other mechanism; planned sentences have stage
``plan``. The scope is the named places (递铺街道、孝丰镇) or counted levels (4个旗县) in that window.
"""

from __future__ import annotations

import re
from functools import cache

from kg import lexicon
from kg.extract.sentences import time_at
from kg.facts import Evidence, Practice, Sentence
from kg.places import Place, gazetteer
from kg.report import Report

CLAUSE = re.compile(r"[，,；;：:]")
STAGE_ORDER = ("pilot", "expand", "adopt", "implement")
_CN = "零〇一二两三四五六七八九十百千"


@cache
def _stage_cues() -> list[tuple[str, str]]:
    return [(a, c.id) for c in lexicon.concepts("stage") for a in c.aliases if c.id != "plan"]


@cache
def _scope_re() -> re.Pattern[str]:
    words = sorted({a for c in lexicon.concepts("level") for a in c.aliases if len(a) >= 2 or a in "乡镇村县"},
                   key=lambda a: (-len(a), a))
    return re.compile(rf"(?:\d+|[{_CN}]+)个(?:{'|'.join(map(re.escape, words))})")


def _windows(text: str, mentions: list[tuple[int, int, lexicon.Concept]]) -> list[tuple[int, int, int]]:
    """For each mention: (start of the clause before it, start of its clause, end of the last
    following clause), the clauses around it that name no other mechanism."""
    bounds = [0] + [m.end() for m in CLAUSE.finditer(text)] + [len(text)]
    clauses = list(zip(bounds, bounds[1:]))
    has = [any(s <= ms < e for ms, _, _ in mentions) for s, e in clauses]
    out = []
    for ms, _, _ in mentions:
        i = next(k for k, (s, e) in enumerate(clauses) if s <= ms < e)
        h = i - 1 if i > 0 and not has[i - 1] else i
        j = i
        while j + 1 < len(clauses) and not has[j + 1]:
            j += 1
        out.append((clauses[h][0], clauses[i][0], clauses[j][1]))
    return out


def _stage(before: str, window: str) -> str:
    """The strongest cue in the mention's clause and the ones after it; the clause before it
    counts only for a pilot or an expansion (2016年试点启动，某街道率先建立代表工作站)."""
    found = {stage for cue, stage in _stage_cues() if cue in window}
    found |= {stage for cue, stage in _stage_cues() if cue in before} & {"pilot", "expand"}
    return next((s for s in STAGE_ORDER if s in found), "implement")


def scope_of(window: str, report: Report) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Counted levels (4个旗县) and gazetteer places inside the reporting body's territory."""
    scope = [m.group() for m in _scope_re().finditer(window)]
    codes = []
    if report.place is not None:
        gaz = gazetteer()
        root = report.place.code
        i = 0
        while i < len(window):
            if window[i: i + 2] not in gaz.starts:
                i += 1
                continue
            for n in range(min(10, len(window) - i), 1, -1):
                name = window[i: i + n]
                cands = [p for p in gaz.by_name.get(name, ()) if p.name == name and p.code.startswith(root) and p.code != root]
                if cands:
                    scope.append(name)
                    codes.append(cands[0].code)
                    i += n - 1
                    break
            i += 1
    return tuple(dict.fromkeys(scope)), tuple(dict.fromkeys(codes))


def acting_place(window: str, mention: int, report: Report) -> Place | None:
    """The body that practises, when the report names another one as the subject: a place inside
    the reporting body's territory (a county in a provincial report), named before the mention with
    its congress (安吉县人大常委会…) or as the subject of 在 (安吉县在两个乡镇试点…)."""
    gaz = gazetteer()
    root = report.place.code if report.place is not None and report.place.level != "national" else ""
    for m in re.finditer(r"([\u4e00-\u9fff]{2,12}?)(?=人大常委会|人民代表大会常务委员会|人大|在|率先|先行)", window[:mention]):
        name = m.group(1)
        for n in range(len(name), 1, -1):  # the longest place name that ends the words before the anchor
            if window[max(0, m.end() - n - 1): m.end() - n] in ("在", "、", "和", "及", "于", "对"):
                continue  # 在递铺街道、孝丰镇…: places in scope, not the subject
            cands = [p for p in gaz.by_name.get(name[-n:], ()) if p.level in ("prefecture", "county", "township")
                     and p.code.startswith(root) and p.code != root]
            if cands:
                return gaz.lookup(name[-n:], report.norm, (cands[0].level,)) if len(cands) > 1 else cands[0]
    return None


def extract_practices(report: Report, sentences: list[Sentence]) -> list[Practice]:
    norm, out = report.norm, []
    mechs = lexicon.matcher("mechanism")
    for sent in sentences:
        text = norm[sent.start: sent.end]
        mentions = list(mechs.finditer(text))
        if not mentions:
            continue
        windows: dict[str, list[tuple[int, int, int, int, int]]] = {}
        for (ms, me, concept), (bs, ws, we) in zip(mentions, _windows(text, mentions)):
            windows.setdefault(concept.id, []).append((ms, me, bs, ws, we))
        for concept in dict.fromkeys(c for _, _, c in mentions):  # one practice per mechanism and sentence
            spans = windows[concept.id]
            window = "，".join(text[ws:we] for _, _, _, ws, we in spans)
            ms, me = spans[0][:2]
            before = "，".join(text[bs:ws] for _, _, bs, ws, _ in spans)
            stage = "plan" if sent.modality == "planned" else _stage(before, window)
            scope, codes = scope_of(window, report) if stage in ("pilot", "expand", "adopt") else ((), ())
            ws = spans[0][3]
            actor = acting_place(text[ws:], ms - ws, report) if report.place is not None else None
            body = report.body
            if actor is not None:
                body = f"{actor.name}人大主席团" if actor.level == "township" else f"{actor.name}人大常委会"
                scope = tuple(n for n in scope if n != actor.name)  # the actor is not its own scope
                codes = tuple(c for c in codes if c != actor.code)
            year, period = time_at(text, ms, sent)
            out.append(Practice(body, year, concept.id, concept.label_zh, stage, scope, sent.modality,
                                Evidence.of(report, sent, ms, me), codes, period, actor.code if actor else None))
    return out
