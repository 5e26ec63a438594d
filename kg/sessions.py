"""Congresses, terms and sessions: 第十七届人民代表大会第四次会议, 十七届人大常委会第十二次会议.

A session is named by its term (届) and its number (次会议) and belongs to the people's congress or
to its standing committee. A mention belongs to the report's own place unless a place or a level
word before it says otherwise (省十四届人大一次会议 in a county's report is the province's, and is
left alone rather than filed under the county). The session a report was delivered at is the one
its head names (……在某某县第十八届人民代表大会第三次会议上).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg import lexicon
from kg.numbers import parse_chinese
from kg.places import Place, gazetteer

_NUM = r"[一二三四五六七八九十百零〇两\d]+"
SESSION = re.compile(rf"第?(?P<term>{_NUM})届(?P<of>人民代表大会常务委员会|人大常委会|常委会|人民代表大会|人大)"
                     rf"第?(?P<number>{_NUM})次(?:全体)?会议")
_STANDING = ("人民代表大会常务委员会", "人大常委会", "常委会")
_HEAD = 300  # characters: where a report names the session it was delivered at


@dataclass(frozen=True)
class SessionRef:
    standing: bool  # a meeting of the standing committee, else a session of the congress
    term: int
    number: int
    start: int
    end: int

    @property
    def key(self) -> str:
        """The part of a term's and a session's IRI after the place code."""
        return f"{'standing-committee' if self.standing else 'congress'}-{self.term}"


def _number(s: str) -> int:
    return int(s) if s.isdigit() else parse_chinese(s.replace("两", "二"))


def _level_words() -> dict[str, str]:
    """省 → province, 县 → county …: a one-character level word before a mention."""
    return {a: c.id for c in lexicon.concepts("level") for a in c.aliases if len(a) == 1} | {"全国": "national"}


def _ours(before: str, place: Place) -> bool:
    """Whether the words just before a mention leave it with the report's place: its own name, a
    level word of its level (县十七届…), or nothing; not another place's name of three characters or
    more (two-character names such as 成县 end too many ordinary words)."""
    if before.endswith((place.name, place.short)):
        return True
    for word, level in _level_words().items():
        if before.endswith(word):
            return level == place.level
    gaz = gazetteer()
    return not any(before[-n:] in gaz.by_name for n in range(min(12, len(before)), 2, -1))


def find(text: str, place: Place | None) -> list[SessionRef]:
    """The sessions a text names that are the place's own (none without a place)."""
    if place is None:
        return []
    out = []
    for m in SESSION.finditer(text):
        if not _ours(text[max(0, m.start() - 12):m.start()], place):
            continue
        try:
            term, number = _number(m.group("term")), _number(m.group("number"))
        except ValueError:
            continue
        if 0 < term < 100 and 0 < number < 200:
            out.append(SessionRef(m.group("of") in _STANDING, term, number, m.start(), m.end()))
    return out


def delivered_at(text: str, place: Place | None) -> SessionRef | None:
    """The session the report's head says it was delivered at (在…会议上)."""
    for ref in find(text[:_HEAD], place):
        if "在" in text[max(0, ref.start - 20):ref.start] and text[ref.end:ref.end + 1] == "上":
            return ref
    return None
