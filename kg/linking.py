"""Body linking: which body a report is the report of, and the sentence and rule that decided it.

Every fact of a report hangs on its body, so a wrong body poisons every table built on it: no body
is better than a wrong one. Candidates come from the text and the gazetteer: bodies named with their
place (安吉县人大常委会, 人大宝山路街道工委, 内蒙古代表团) and the level words a report uses for itself
(县人大常委会 with no county beside it). The rules of ``ontology/linking.ttl`` decide between them,
strongest first; none deciding, the report has no body and ``kg check`` lists it.

Rules that follow from how these texts are written, not from any one text:

- a level word goes with the names that end in it: 市人大常委会 is a city's (a prefecture, a
  municipality, a county-level city), never a province's; 街道人大工委 a street's;
- the national standing committee only when the text speaks as it (entrusted, title, head), never
  because a provincial report quotes it;
- a body after 人大 + 代表 is a deputy (兴盛街道人大代表), not a body;
- a name that several places share at its level, with no ancestor in the text to tell them apart,
  keeps its name and gets no place (城关镇人大主席团): a guessed division code is a wrong body.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from kg import lexicon, segment
from kg.places import LEVELS, Place, gazetteer

NATIONAL = Place("000000", "中华人民共和国", "national", "")

_ANCHOR = re.compile(r"人民代表大会常务委员会|人大常委会|人民代表大会|人大主席团|人大工作委员会|人大工委|人大|代表团")
_ORDINAL = re.compile(r"(?:第?[一二三四五六七八九十百\d]+届)$")
_WORKING = ("人大工作委员会", "人大工委")  # a street's working committee of the district congress
# The Shanghai order: 人大 + street + 工委 (人大宝山路街道工委).
_WORKING_SHANGHAI = re.compile(r"人大([\u4e00-\u9fff]{2,8}?(?:街道|镇|乡))工(?:作)?委(?:员会)?")
# A level word before a congress body with no place named: the report speaking of itself.
_SELF = re.compile(r"(自治区|自治州|自治县|街道|[县区旗市州盟省乡镇])(?:人民代表大会常务委员会|人大常委会|人大工委|人大主席团|人大)(?!代表[^团])")
_DEPUTY = re.compile(r"代表(?!团)")  # 人大代表, 人民代表大会代表: deputies, not the body
_TOC = re.compile(r"报告\s*\d+\s*$")  # a line of a list of reports with its page number
_LEVEL_OF_WORD = {"市": ("province", "prefecture", "county"), "省": ("province",), "自治区": ("province",),
                  "州": ("prefecture",), "自治州": ("prefecture",), "盟": ("prefecture",), "县": ("county",),
                  "自治县": ("county",), "区": ("county",), "旗": ("county",), "乡": ("township",),
                  "镇": ("township",), "街道": ("township",)}
ANAPHORA_SCAN = 20_000  # characters read for the place an anaphora points to: the place is named early


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    place: Place | None  # None: a name the gazetteer does not know or cannot tell apart
    name: str  # the place as the body's label writes it (金星街道)
    anchor: str
    label: str | None = None  # the body's name as written, where its form is not the usual one (人大宝山路街道工委)


@dataclass(frozen=True)
class Link:
    """The reporting body as decided: its place (None when the name is known and the place is not),
    kind, label, the rule (a concept of ``linking:``) and the span of ``norm`` that decided."""

    place: Place | None
    body_type: str
    name: str
    rule: str
    start: int
    end: int


def _cues(rule: str) -> tuple[str, ...]:
    c = lexicon.concept("linking", rule)
    return tuple(a for a in c.aliases if a != c.label_zh)


def body_type(place: Place | None, anchor: str) -> str:
    if anchor == "代表团":
        return "Delegation"
    if anchor in _WORKING:
        return "WorkingBody"
    if anchor == "人大主席团" or (place is not None and place.level == "township"):
        return "TownshipPresidium"
    return "StandingCommittee"


def body_name(name: str, kind: str) -> str:
    if kind == "Delegation":
        return f"{name}代表团"
    if kind == "WorkingBody":
        return f"{name}人大工委"
    if kind == "TownshipPresidium":
        return f"{name}人大主席团"
    return "全国人大常委会" if name == NATIONAL.name else f"{name}人大常委会"


def _resolve(name: str, context: str, levels: tuple[str, ...]) -> Place | None:
    """The one place called ``name`` at these levels; None when homonyms stay tied after their
    ancestors are counted in the text (88 places are called 城关镇)."""
    gaz = gazetteer()
    cands = [p for p in gaz.by_name.get(name, ()) if p.level in levels]
    if len(cands) <= 1:
        return cands[0] if cands else None
    ctx = {p.code: sum(context.count(a.name) + context.count(a.short) for a in gaz.ancestors(p)) for p in cands}
    best = max(ctx.values())
    top = [p for p in cands if ctx[p.code] == best]
    if len(top) == 1:
        return top[0]
    higher = min(top, key=lambda p: LEVELS.index(p.level))
    same = [p for p in top if p.level == higher.level]
    return higher if len(same) == 1 else None


def mentions(norm: str) -> list[Mention]:
    """Every body named with a place: 安吉县人民代表大会常务委员会, 渝中区十七届人大常委会, 全国人大常委会,
    交道口街道人大工委, 人大宝山路街道工委, 内蒙古代表团. Deputies (人大代表) are not bodies."""
    gaz = gazetteer()
    levels = lexicon.labels("level")
    out = []
    for m in _ANCHOR.finditer(norm):
        if m.group() != "代表团" and _DEPUTY.match(norm, m.end()):
            continue
        before = norm[max(0, m.start() - 16): m.start()]
        ordinal = _ORDINAL.search(before)
        if ordinal:
            before = before[: ordinal.start()]
        skip = len(ordinal.group()) if ordinal else 0
        if before.endswith("全国"):
            if m.group() != "代表团":
                out.append(Mention(m.start() - 2 - skip, m.end(), NATIONAL, NATIONAL.name, m.group()))
            continue
        known = next((before[-n:] for n in range(min(len(before), 10), 1, -1) if before[-n:] in gaz.by_name), None)
        if known is not None and known not in levels and not any(before.endswith(w) for w in levels if len(w) > len(known)):
            place = _resolve(known, norm, ("province", "prefecture", "county", "township"))
            out.append(Mention(m.start() - len(known) - skip, m.end(), place, place.name if place else known, m.group()))
        elif m.group() in (*_WORKING, "人大主席团") and (name := _unknown_township(before)):
            out.append(Mention(m.start() - len(name) - skip, m.end(), None, name, m.group()))  # a street the gazetteer lacks
    for m in _WORKING_SHANGHAI.finditer(norm):
        if re.search(r"人大|[或和及与、]", m.group(1)):
            continue  # 乡镇人大主席团或人大街道工委: two kinds of body, no name
        place = _resolve(m.group(1), norm, ("township",))
        out.append(Mention(m.start(), m.end(), place, m.group(1), "人大工委", m.group()))
    return sorted(out, key=lambda x: (x.start, x.end))


def _unknown_township(before: str) -> str | None:
    """A street or township the gazetteer lacks (new since its data), as the words before a
    working committee or presidium give it: 今年金星街道 → 金星街道 (jieba's words, not a guessed length)."""
    words = segment.words(before, hmm=True)
    if not words:
        return None
    last = words[-1]
    if last in ("街道", "镇", "乡") and len(words) > 1 and re.fullmatch(r"[\u4e00-\u9fff]{2,5}", words[-2]):
        return words[-2] + last
    return last if re.fullmatch(r"[\u4e00-\u9fff]{2,5}(?:街道|镇|乡)", last) else None


def _passing(norm: str, m: Mention) -> bool:
    """A body named as the one another acts for or with (列席…, 向…报告), not the reporting body;
    受…委托 (the body that entrusted the speaker) is the reporting body."""
    p = _after_passing(norm, m.start)
    return bool(p) and not (p == "受" and norm.startswith("委托", m.end))


def _after_passing(norm: str, start: int) -> str:
    """The passing cue right before ``start`` (列席, 向, 按照 …), or ''."""
    return next((p for p in _cues("passing") if norm[max(0, start - len(p)): start] == p), "")


def _in_title_marks(norm: str, pos: int) -> bool:
    """Inside 《…》 a law's title names no body (《中华人民共和国全国人民代表大会组织法》); a
    report's title does (《XX县人民代表大会常务委员会工作报告》)."""
    opened = norm.rfind("《", 0, pos)
    if opened <= norm.rfind("》", 0, pos):
        return False
    closed = norm.find("》", pos)
    return "报告" not in norm[opened: closed if closed >= 0 else pos]


def _line_of(norm: str, pos: int) -> str:
    start = norm.rfind("\n", 0, pos) + 1
    end = norm.find("\n", pos)
    return norm[start: end if end >= 0 else len(norm)]


def _ends_a_name(norm: str, end: int) -> bool:
    """Whether the level word ending at ``end`` closes a place's name (远安县), not stands alone (年省, 全县)."""
    names = gazetteer().by_name
    return any(norm[end - n: end] in names for n in range(2, min(end, 10) + 1))


def self_words(norm: str, skip: Callable[[int, int], bool]) -> Counter[str]:
    """How often the text calls its body by a level word alone (县人大常委会 → 县; a bare
    人大主席团 is a township's)."""
    votes: Counter[str] = Counter()
    for m in _SELF.finditer(norm):
        if skip(m.start(), m.end()) or _ends_a_name(norm, m.start() + len(m.group(1))) or _after_passing(norm, m.start()):
            continue  # 远安县人大常委会 is a mention, not the level word 县人大常委会; 向县人大常委会报告 is another's
        votes[m.group(1)] += 1
    for m in re.finditer(r"人大主席团", norm):
        before = norm[max(0, m.start() - 2): m.start()]
        if not skip(m.start(), m.end()) and not re.search(r"[乡镇道团]$|[\u4e00-\u9fff]{2}[乡镇]$", before) and not before.endswith("各"):
            votes["镇"] += 1
    return votes


def _agrees(place: Place | None, name: str, anchor: str, votes: Counter[str]) -> bool:
    """Whether a named body fits the level words the text uses for itself (none used: any fits)."""
    if not votes:
        return True
    if place is not None and place.level == "national":
        return False
    if anchor in _WORKING and any(w in ("区", "县", "市", "旗") for w in votes):
        return True  # a street's working committee speaks of its district's congress as 区人大
    return any(name.endswith(w) or (w in "乡镇" and name[-1:] in ("乡", "镇")) for w in votes)


@cache
def _names_ending(word: str) -> dict[str, tuple[Place, ...]]:
    """Full and short names of every place whose full name ends in a level word (远安县 and 远安 for 县)."""
    out: dict[str, list[Place]] = {}
    levels = lexicon.labels("level")
    for level in _LEVEL_OF_WORD[word]:
        for p in gazetteer().at_level(level):
            if not p.name.endswith(word) or (word in ("州", "区", "县") and p.name.endswith("自治" + word) and word != "州"):
                continue
            short = p.short if p.short != p.name else p.name[: -len(word)]
            for n in {p.name, short}:
                # 和县 in 和县级: a 2-character full name is too often a word; short township names likewise
                if (len(n) >= 3 or (len(n) == 2 and n != p.name and level != "township")) and n not in levels:
                    out.setdefault(n, []).append(p)
    return {k: tuple(v) for k, v in out.items()}


@cache
def _starts(word: str) -> frozenset[str]:
    """The first two characters of those names: most positions of a text start none of them."""
    return frozenset(n[:2] for n in _names_ending(word))


def by_anaphora(norm: str, votes: Counter[str]) -> Link | None:
    """The body a level word points to: of the places whose names end in that word, the one the text
    names most often (by full or short name), homonyms told apart by their ancestors in the text. One
    pass of dictionary look-ups over the start of the text, linear in its length."""
    text = re.sub(r"《中华人民共和国[^《》\n]*》|中华人民共和国", lambda m: " " * len(m.group()), norm[:ANAPHORA_SCAN])
    for word, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
        names = _names_ending(word)
        starts = _starts(word)
        seen: dict[str, list[int]] = {}
        for i in range(len(text) - 1):
            if text[i: i + 2] in starts:
                for n in range(2, 11):
                    if text[i: i + n] in names:
                        seen.setdefault(text[i: i + n], []).append(i)
        for k in [k for k in seen if not any(p.name == k for p in names[k])]:
            seen[k] = [i for i in seen[k] if segment.is_word(text, i, i + len(k))]
            if not seen[k]:
                del seen[k]
        if not seen:
            continue
        # a place named in full at least once before one only ever named short (合作 is mostly a word)
        full_names = {k for k in seen if any(p.name == k for p in names[k])}
        counts = {p.code: 0 for k in seen for p in names[k]}
        for k in seen:
            for p in names[k]:
                counts[p.code] += len(seen[k])
        name = max(seen, key=lambda k: (any(p.name in full_names for p in names[k]), max(counts[p.code] for p in names[k]),
                                        -seen[k][0], len(k)))
        places = names[name]
        full = {p.name for p in places}
        place = places[0] if len(places) == 1 else _resolve(name, norm, tuple({p.level for p in places}))
        if place is None and len(full) > 1:
            return None  # a short name several differently named places share: nothing decides
        kind = "TownshipPresidium" if word in ("乡", "镇") else "WorkingBody" if word == "街道" else "StandingCommittee"
        label = place.name if place is not None else next(iter(full))
        at = seen[name][0]
        return Link(place, kind, body_name(label, kind), "anaphora", at, at + len(name))
    return None


def _link(m: Mention, rule: str) -> Link:
    kind = body_type(m.place, m.anchor)
    return Link(m.place, kind, m.label or body_name(m.name, kind), rule, m.start, m.end)


def link(norm: str, head_end: int, skip: Callable[[int, int], bool]) -> Link | None:
    """The reporting body of a text (``skip(start, end)``: spans that are page residue), or None."""
    found = [m for m in mentions(norm) if not _passing(norm, m) and not skip(m.start, m.end)
             and not _in_title_marks(norm, m.start) and not _TOC.search(_line_of(norm, m.start))]
    votes = self_words(norm, skip)
    entrusted = [m for m in found if norm[max(0, m.start - 1): m.start] == "受" and norm.startswith("委托", m.end)]
    if entrusted:
        return _link(entrusted[0], "entrusted")
    title_end = norm.find("\n")
    titled = [m for m in found if m.start < (title_end if title_end >= 0 else len(norm))]
    if titled and (titled[0].place is None or titled[0].place.level != "national" or "报告" in _line_of(norm, titled[0].start)):
        return _link(titled[0], "title")
    fit = [m for m in found if m.place is None or m.place.level != "national"]
    strong = votes if sum(votes.values()) >= 2 else Counter()  # one level word alone may be another body's
    agreeing = [m for m in fit if _agrees(m.place, m.name, m.anchor, strong)]
    in_head = [m for m in agreeing if m.start < head_end and m.anchor != "代表团"]
    if in_head:
        return _link(in_head[0], "head")
    acting = _cues("subject")
    subjects = Counter(m.name for m in agreeing if norm.startswith(acting, m.end) or norm.startswith(("，", ","), m.end))
    if subjects:
        name = max(subjects, key=lambda k: (subjects[k], -next(m.start for m in agreeing if m.name == k)))
        return _link(next(m for m in agreeing if m.name == name), "subject")
    anaphora = by_anaphora(norm, votes)
    if anaphora is not None:
        return anaphora
    # the level word named no place: a body acting under its own name as often as the level words
    # appear outweighs them (a street committee's news that mentions the city's congress once)
    others = Counter(m.name for m in fit if norm.startswith(acting, m.end))
    if others:
        name, n = others.most_common(1)[0]
        if n >= sum(votes.values()):
            return _link(next(m for m in fit if m.name == name), "subject")
    national = [m for m in found if m.place is not None and m.place.level == "national"]
    if not votes and national and len(national) == len(found):
        acts = [m for m in national if norm.startswith(acting, m.end)]
        return _link(acts[0], "subject") if acts else _link(national[0], "named") if len(national) > 1 else None
    rest = [m for m in fit if m.start < head_end or norm.startswith(acting, m.end)]
    if rest and not votes:
        return _link(rest[0], "head" if rest[0].start < head_end else "subject")
    return None
