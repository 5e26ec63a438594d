"""Counts: a quantity (kg.numbers) that counts something, with the phrase naming what it counts.

The measure phrase is looked for before the number (召开常委会会议8次, 满意率达97.5%) and, when
nothing nominal stands there, after it (8次常委会会议, 交办的50件代表建议). Numbers that are
names, ordinals or dates (四个意识, 第一议题, 十七届人大四次会议, 2020年) are not counts.
"""

from __future__ import annotations

import re
from functools import cache

from kg import lexicon, segment
from kg.extract.sentences import time_at
from kg.facts import Count, Evidence, Sentence
from kg.numbers import Quantity, find_quantities, parse_number, plain
from kg.report import Report

HARD_STOPS = set("，,。；;：:！!？?\n()（）[]【】⋯…")
OPEN_QUOTES = set("“\"'‘「『《")
# Adverbs and time phrases that open a clause but do not name what is counted.
LEAD = re.compile(
    r"^(?:(?:(?:今年|去年|本届|近年|一年)以来|全年|今年|去年|当年|年内|一年来|每年|每月|每季度|同时|其中|此外|另外|目前|截至目前|"
    r"(?:19|20)\d\d年(?:以来|度|底|末)?|共|累计|先后|总共|合计|共计|依法|及时|全部|已经|已|还|又|再|分别|相继|积极|认真|"
    r"全面|扎实|深入|持续|常态化|广泛|主动|有序|全县|全市|全区|全州|全省|全旗|计划|拟|将|力争|争取|预计|下一步)\s*)+"
)
# A body as the subject before the verb: 县人大常委会召开党组会21次, 温州市人大常委会共召开常委会会议十次.
SUBJECT = re.compile(
    r"^[\u4e00-\u9fff]{0,12}?(?:人大常委会|常务委员会|常委会|人大主席团|主席团|主任会议|党组)(?:机关)?(?:共|累计|先后|全年|一年来)?"
    r"(?=召开|开展|组织|举办|举行|作出|做出|审议|听取|制定|任免|建设|建成|建立|设立|组建|收集|办理|接待|培训)"
)
# Light verbs that open a measure phrase without being what is counted.
LIGHT = re.compile(
    r"^(?:召开|开展|组织|举办|举行|完成|作出|做出|收到|收集|征集|征求|提出|听取和审议|听取审议|听取|审议|审查|建设|新建|"
    r"建成|打造|办理|处理|督促办理|督办|邀请|参加|参与|推动解决|制定|出台|开设|形成|撰写|刊发|发布|编发|报送|受理|"
    r"批准|通过|确定|实施|落实|选派|对|就|向|为|有|达到|实现|共有|设立|建立|整理|梳理|依托|指导)+"
)
TRAIL = re.compile(
    r"(?:(?:共|累计|先后|全年)?(?:召开|开展|举办|举行|组织|作出|做出)了?|达到|达|为|是|约|共|共计|合计|累计|总数|分别为|分别|等|的|了|已|均|共有|的有|和|及|与)+$"
)
# Classifiers bind to the noun that follows them (21个部门); verbal measures such as 次 and 人次
# count the event named before them.
CLASSIFIERS = frozenset("个名件项部家所处户位份篇条")
VERBAL = re.compile(LIGHT.pattern + r"|^(?:进站|接待|走访|列席|出席|视察|参加|参与|联系)")
AFTER_STOP = re.compile(
    r"全部|均|都|已|参加|参与|进行|开展|面向|分别|得到|重点|办结|深入|共同|按|确立|作为|提出|得以|实现|纳入|对|选举|"
    r"以(?![上下来内外])|通过|围绕|就|在|等|组成(?!人员)|[和及与](?=\d)|、(?=\d)"
)
# A list number or a heading's ordinal opening the phrase: 2、 (三) 一是
NUMBERING = re.compile(r"^(?:\d{1,2}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}(?:、|是))")
# Inside a long phrase, what comes after these is the head that names the thing counted:
# …等工作人员 → 工作人员, 各级代表联络站共开展专题接待活动 → 专题接待活动
HEAD_AFTER = re.compile(
    r"(?:等|的|有|共|开展|召开|举办|组织|收集|接待|办理|审议|听取|审查|任免|决定任免|制定|修改|废止|批准|建成|建立|组建)"
)
SHORT = 10  # a measure phrase longer than this is cut to its head
LONG = 16  # one longer than this that lists items of one kind, to its last item
SCOPE_VERB = re.compile(r"(?:开展|试点|推行|推广|实行|先行)")
SESSION = re.compile(r"^(?:会议|全体会议|全会|大会)")
NOT_MEASURES = ("方面", "层面", "环节", "阶段", "维度", "领域", "方向")
LENGTHS = ("公里", "米", "千米")
SUBCLASS = re.compile(r".{1,4}(?:类|级|档)")  # B类, 省级: a kind of the noun the list's first item names
LIST_SEPS = ("、", "，", ",", "；", ";")
LONG_MEASURE = 8  # a measure phrase longer than this is read for its head noun phrase (kg.segment)


@cache
def _formula_re() -> re.Pattern[str]:
    labels = sorted({a for c in lexicon.concepts("formula") for a in c.aliases}, key=lambda a: (-len(a), a))
    return re.compile("|".join(map(re.escape, labels)))


def _is_count(q: Quantity, text: str, masked: list[tuple[int, int]]) -> bool:
    if any(s < q.end and q.start < e for s, e in masked):
        return False
    before, after = text[max(0, q.start - 4): q.start], text[q.end: q.end + 4]
    if before.endswith("第"):
        return False
    if q.chinese and (q.value == 1 or (before and before[-1] in OPEN_QUOTES)):
        return False
    if q.unit == "次" and SESSION.match(after) and (q.chinese or re.search(r"届|大$", before)):
        return False
    if q.unit == "个" and after.startswith(NOT_MEASURES):
        return False
    if q.unit in LENGTHS and after.startswith("处"):
        return False  # 县城以东17公里处: a position, not a length built
    if q.bound in ("at_least", "at_most") and re.match(r"[^，,。；;]*?的(?:[，,]|有)", text[q.end:]):
        return False  # 满意率80%以上的有…, 对两次以上…不满意的，…: a threshold or a norm's condition
    return True  # a percentage past 100 is kept: its shape keeps it out of the graph, by name, and kg check lists it


NORM = re.compile(r"每(?:年|月|季度?|半年|届|位|名|个|人)")


# 不少于5人, 不低于90%, 不超过3次: the words of a requirement (a task set, a norm's threshold), not of a result
REQUIREMENT = ("不少于", "不低于", "不超过", "不高于", "不得少于", "不得低于", "不得超过")


def _norm(text: str, begin: int, q: Quantity) -> bool:
    """每年不少于2次, 每位代表年内接待2次以上, 走访群众不少于6户: a rule or a task, which states what
    is to be done (planned), not what was done."""
    return q.bound in ("at_least", "at_most") and (bool(NORM.search(text, begin, q.start)) or text.startswith(REQUIREMENT, q.start))


def _clause_start(text: str, pos: int, floor: int, count_ends: set[int]) -> int:
    """Walk back from ``pos`` to the start of the phrase: a hard stop, the end of the previous
    count, or a 、 that follows a count (党组会21次、主任会20次); other 、 join nouns."""
    i = pos
    while i > floor:
        ch = text[i - 1]
        if ch in HARD_STOPS or i in count_ends or (ch == "、" and (i - 1) in count_ends):
            break
        i -= 1
    return i


def _quoted(text: str, pos: int) -> bool:
    """Inside “…” or 「…」: a name, not to be cut."""
    return any(text.count(o, 0, pos) > text.count(c, 0, pos) for o, c in ("“”", "「」", "『』", "《》"))


def head(phrase: str) -> str:
    """A short tail of a long phrase that still names what is counted: the longest part after a
    等, 的, 有 or verb that is short enough, at least two characters.

    >>> head("各乡镇代表联络站共开展专题接待活动"), head("任免“一府一委两院”工作人员"), head("走访选民、代表联系组活动")
    ('专题接待活动', '任免“一府一委两院”工作人员', '走访选民、代表联系组活动')
    """
    measures = lexicon.matcher("measure")
    while len(phrase) > SHORT:
        named = [(s, e) for s, e, _ in measures.finditer_overlapping(phrase)]  # 任免…工作人员: 任免 names the measure
        cuts = [m.end() for m in HEAD_AFTER.finditer(phrase) if len(phrase) - m.end() >= 2 and not _quoted(phrase, m.start())
                and not any(s < m.end() and m.start() < e for s, e in named)]
        if not cuts:
            break
        tail = phrase[next((c for c in cuts if len(phrase) - c <= SHORT), cuts[-1]):]
        phrase = LIGHT.sub("", tail) if len(LIGHT.sub("", tail)) >= 2 else tail
    items = re.split(r"[、和及与]", phrase)
    if len(phrase) > LONG and len(items) > 1 and len({it[-2:] for it in items}) == 1:
        phrase = items[-1]  # 全国人大代表、省人大代表和市县乡人大代表: one kind, named by the last item
    return phrase


def _clean_before(phrase: str) -> tuple[str, str]:
    """(the phrase without lead adverbs and light verbs, the phrase with its verbs kept)."""
    phrase = TRAIL.sub("", SUBJECT.sub("", LEAD.sub("", NUMBERING.sub("", phrase.strip())))).strip(" 、")
    stripped = head(LEAD.sub("", LIGHT.sub("", phrase)))
    return (stripped if len(stripped) >= 2 else ""), phrase


def _after(text: str, pos: int) -> str:
    if text.startswith(("、", "和", "及"), pos):  # 议案2件、建议136件: the next item of a list, not this count's noun
        return ""
    end = pos
    while end < len(text) and end - pos < 24:
        if text[end] in "（(":  # 镇（街道）人大代表之家: a short parenthesis belongs to the phrase
            close = re.search(r"[）)]", text[end: end + 6])
            if close and end > pos:
                end += close.end()
                continue
        if text[end] in HARD_STOPS:
            break
        if AFTER_STOP.match(text, end) and end > pos:
            break
        if text[end].isdigit():
            break
        end += 1
    phrase = TRAIL.sub("", text[pos:end]).strip()
    measures = lexicon.matcher("measure")
    if "的" in phrase and measures.best(phrase[: phrase.index("的")]) and not measures.best(phrase[phrase.index("的"):]):
        phrase = phrase[: phrase.index("的")]  # 12部法律法规的贯彻实施情况: the laws are counted (…的执法检查: the inspections)
    named = [e for s, e, _ in measures.finditer_overlapping(phrase) if s <= 2]
    if named and len(phrase) > max(named) + 3 and not measures.best(phrase[max(named):]):
        phrase = phrase[: max(named)]  # 51名镇人大代表投下…: the noun ends where the measure's name does
    if phrase.count("”") > phrase.count("“"):
        phrase = phrase[: phrase.index("”")]  # 民生“10件实事”: the closing mark is not the noun's
    if len(phrase) > LONG_MEASURE:  # the noun, then what is done with it: the noun is counted
        lead = segment.lead_phrase(phrase, [(s, e) for s, e, _ in measures.finditer_overlapping(phrase)])
        if len(lead) >= 2 or lead in lexicon.labels("level"):
            phrase = lead
    return head(phrase)


def _names_tail(phrase: str) -> bool:
    """Whether a measure-scheme label ends the phrase (within two characters): the head of a
    Chinese noun phrase is last, so 代表满意率 names a rate and 常委会组成人员常态化联系 does not."""
    return any(len(phrase) - e <= 2 for _, e, _ in lexicon.matcher("measure").finditer_overlapping(phrase))


_BARE_CELL = re.compile(r"(?:^|(?<=\t))\s*(\d[\d,]*(?:\.\d+)?)\s*(?=\t|$)")


@cache
def _header_units() -> re.Pattern[str]:
    units = sorted({a for c in lexicon.concepts("unit") for a in c.aliases if a not in ("%", "％")}, key=lambda u: (-len(u), u))
    alts = "|".join(map(re.escape, units))
    return re.compile(rf"[（(]({alts})[）)]|({alts})数$|^(%|％)$|[（(](%|％)[）)]")


def table_cells(norm: str, start: int, row: str) -> list[Quantity]:
    """A number alone in a table cell (a .docx or PDF table read as tab-separated rows), with the unit its
    column's header gives: 次数 → 次, 数量（件） → 件, 金额（万元） → 万元. The header is the first row
    of the block of tab-separated lines the row belongs to; its own cells are no counts."""
    if "\t" not in row:
        return []
    block = start
    while block > 0 and "\t" in norm[norm.rfind("\n", 0, block - 1) + 1: block - 1]:
        block = norm.rfind("\n", 0, block - 1) + 1
    if block == start:
        return []  # the header itself
    header = norm[block: norm.find("\n", block)].split("\t")
    out = []
    for m in _BARE_CELL.finditer(row):
        column = row.count("\t", 0, m.start())
        unit = _header_units().search(header[column].strip()) if column < len(header) else None
        if unit is None:
            continue
        try:
            value = parse_number(m.group(1))
        except ValueError:
            continue
        out.append(Quantity(m.start(1), m.end(1), plain(value), next(g for g in unit.groups() if g), "exact", None, None, False))
    return out


def _head_start(phrase: str, measures: lexicon.AliasMatcher) -> int:
    """Where the head noun phrase of a clause begins (kg.segment); a verb that a measure's label holds
    is no cut (任免“一府一委两院”工作人员 keeps 任免)."""
    head = segment.head_phrase(phrase, [(s, e) for s, e, _ in measures.finditer_overlapping(phrase)])
    return len(phrase) - len(head) if phrase.endswith(head) else 0


def extract_counts(report: Report, sentences: list[Sentence]) -> list[Count]:
    norm, out = report.norm, []
    formula = _formula_re()
    measures = lexicon.matcher("measure")
    levels = lexicon.labels("level")
    for sent in sentences:
        text = norm[sent.start: sent.end]
        masked = [m.span() for m in formula.finditer(text)]
        found = find_quantities(text) + table_cells(norm, sent.start, text)
        quantities = sorted((q for q in found if _is_count(q, text, masked)), key=lambda q: q.start)
        ends = {q.end for q in found}
        taken_until = 0  # the end of the previous count's mention: phrases do not overlap
        prev: tuple[str, int, int] | None = None  # the previous count's measure and mention span in the sentence
        prev_concept = None
        for q in quantities:
            begin = max(_clause_start(text, q.start, 0, ends - {q.end}), taken_until)
            raw_before = text[begin: q.start]
            if raw_before.rstrip().endswith(("的有", "的为", "的")) and len(raw_before.strip()) <= 3:  # 满意率80%以上的有229件
                begin = max(_clause_start(text, q.start, 0, set()), taken_until)
                raw_before = text[begin: q.start]
            before, with_verbs = _clean_before(raw_before)
            after = _after(text, q.end)
            if after.startswith(tuple(levels)) and (re.search(r"(?:在|于|到|覆盖)[^，,；;]{0,4}$", raw_before)
                                                    or SCOPE_VERB.match(text, q.end + len(after))):
                continue  # 在全市4个旗县开展试点: a scope, not a count (全省121个县区全部实现… is a count)
            closes_clause = q.end + len(after) >= len(text) or text[q.end + len(after)] in HARD_STOPS
            use_after = bool(after) and (
                not before or raw_before.rstrip().endswith(("的", "等", "了")) or not _names_tail(before)
                or (q.unit in CLASSIFIERS and closes_clause and 2 <= len(after) <= 6 and not VERBAL.match(after)))
            if use_after:
                measure, m_start, m_end = after, q.start, q.end + len(after)
            elif before:
                measure, m_start, m_end = before, begin + raw_before.find(before[:2]), q.end
                if len(measure) > LONG_MEASURE:  # a whole clause: the head noun phrase is what is counted
                    cut = _head_start(measure, measures)
                    m_start, measure = m_start + cut, measure[cut:]
            elif prev is not None and prev[2] == q.start:
                measure, m_start, m_end = prev[0], prev[1], q.end  # 5批次61人次
            elif raw_before.rstrip().endswith(("占", "占比")):  # 解决864条，占68%: a share
                measure = "占比" if raw_before.rstrip().endswith("占比") else "占"
                m_start, m_end = q.start - len(measure), q.end
            elif len(with_verbs) >= 2:
                measure, m_start, m_end = with_verbs, begin + raw_before.find(with_verbs[:2]), q.end
            else:
                continue
            concept = measures.best(measure)
            if concept is None and prev_concept is not None and SUBCLASS.fullmatch(measure) and text[prev[2]: m_start] in LIST_SEPS:
                concept = prev_concept  # A类建议80件、B类30件: the list's items share its noun
            if concept is not None and concept.units and q.unit not in concept.units:
                concept = None  # 300名常委会组成人员: persons are no meetings, whatever the phrase names
            if q.chinese and concept is None:  # 两个毫不动摇: a numeral in words counts only a known measure
                continue
            at = text.find(measure, m_start, m_end)
            if at >= 0:  # the phrase as written (traditional characters stay traditional)
                measure = report.written(sent.start + at, sent.start + at + len(measure))
            ev = Evidence.of(report, sent, m_start, m_end)
            year, period = time_at(text, q.start, sent)
            count = Count(report.body, year, measure, concept.id if concept else None,
                          q.value, q.unit, q.bound, q.low, q.high, "planned" if _norm(text, begin, q) else sent.modality,
                          ev, period)
            out.append(count)
            prev, prev_concept, taken_until = (measure, m_start, m_end), concept, m_end
    return out
