"""Words and parts of speech, where the grammar needs them: jieba, whose dictionary ships in its wheel
(nothing is downloaded). Only short spans are segmented — a place name's surroundings, a long measure
phrase — so the extractor keeps the speed of its own character-level matching."""

from __future__ import annotations

from functools import cache

from kg import lexicon


@cache
def _jieba():
    import jieba
    import jieba.posseg

    jieba.setLogLevel(60)
    for scheme in ("measure", "mechanism", "activity"):  # the lexicon's names are words (组成人员 is no verb and noun)
        for c in lexicon.concepts(scheme):
            for alias in c.aliases:
                if len(alias) >= 2 and not any(ch in alias for ch in " …"):
                    jieba.add_word(alias, tag="n")
    return jieba


def words(text: str, hmm: bool = False) -> list[str]:
    return _jieba().lcut(text, HMM=hmm)


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, ICTCLAS tag): n nouns, v verbs, p prepositions, c conjunctions, t times, m numerals …"""
    return [(w.word, w.flag) for w in _jieba().posseg.lcut(text, HMM=False)]


def is_word(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` stands as a word of its sentence (桐庐 in 桐庐经济), not inside one
    (和政 in 人大和政府)."""
    lo, hi = max(0, start - 8), min(len(text), end + 8)
    bounds, pos = {lo}, lo
    for tok in words(text[lo:hi]):
        pos += len(tok)
        bounds.add(pos)
    return start in bounds and end in bounds


# the head noun phrase follows the clause's last verb, preposition, adverb, aspect particle (了) or numeral
_BREAKS = {"v", "vd", "vi", "vg", "p", "d", "ul", "m", "mq", "eng"}  # not vn: a verbal noun (工作) is part of the head
_LEADING = ("t", "m", "eng", "x", "ul", "uj", "f", "c")  # times, numerals, punctuation, particles before it
_COPULAS = ("有", "为", "是", "达", "达到", "共有")
LONG = 16  # longer than this, a list's last member is the head


_QUOTES = {"“": "”", "《": "》", "「": "」", "‘": "’", "\"": "\""}


def _quoted(toks: list[tuple[str, str]]) -> list[tuple[str, str, bool]]:
    """Each token with whether it lies inside quotation or title marks (with the marks): a quoted name
    (“一府两院”工作报告) is one noun, never cut."""
    out, closing = [], None
    for w, flag in toks:
        if closing is None and w in _QUOTES:
            closing = _QUOTES[w]
            out.append((w, flag, True))
        elif closing is not None:
            out.append((w, flag, True))
            if w == closing:
                closing = None
        else:
            out.append((w, flag, False))
    return out


def head_phrase(phrase: str, keep: list[tuple[int, int]] | None = None) -> str:
    """The noun phrase a count counts, from a phrase that holds a whole clause: after the clause's last
    verb, preposition or adverb, without times and numerals before it or a copula after it
    (近年来全区各级人大代表进村入户联系接待群众 → 群众, 市60岁及以上老年人口有 → 老年人口). The phrase
    unchanged when no head of two characters or more is found. ``keep``: spans of the phrase (labels of
    a measure) that are never cut.

    >>> head_phrase("近年来全区各级人大代表进村入户联系接待群众", [(17, 21)]), head_phrase("市60岁及以上老年人口有")
    ('接待群众', '老年人口')
    """
    toks, pos = [], 0
    for w, flag, q in _quoted(tagged(phrase)):
        named = any(s < pos + len(w) and pos < e for s, e in keep or ())  # a verb a measure's label holds (任免…)
        toks.append((w, "nq" if q or named else flag))
        pos += len(w)
    while len(toks) > 1 and toks[-1][0] in _COPULAS:
        toks.pop()
    cut = max((i for i, (_, flag) in enumerate(toks[:-1]) if flag in _BREAKS), default=-1)
    rest = toks[cut + 1:]
    while rest and rest[0][1].startswith(_LEADING):
        rest = rest[1:]
    head = "".join(w for w, _ in rest)
    ending = [st for st, e in keep or () if e == len(phrase) and len(phrase) - st < len(head)]
    if len(head) > LONG and ending:  # no verb told where the head begins: the label that ends the phrase is it
        head = phrase[min(ending):]
    if len(head) > LONG:
        for sep in ("、", "及", "和"):
            if sep in head:
                head = head.rsplit(sep, 1)[1]
                break
    return head if len(head) >= 2 and phrase.find(head) >= 0 else phrase


_LEAD_BREAKS = {"v", "vd", "vi", "vg", "p", "ul"}  # numerals (四级), adverbs (最满意的) and conjunctions (A和B) stay


def lead_phrase(phrase: str, keep: list[tuple[int, int]] | None = None) -> str:
    """The noun phrase a count counts when it follows the number: up to the first verb or preposition
    (两个镇探索试行… → 镇; a verb before a noun may be inside a compound: 组成人员).
    ``keep``: spans (labels of a measure) that are never cut."""
    out, pos = "", 0
    toks = _quoted(tagged(phrase))
    for i, (w, flag, q) in enumerate(toks):
        named = any(s < pos + len(w) and pos < e for s, e in keep or ())
        object_follows = i + 1 < len(toks) and toks[i + 1][1].startswith("n")  # 组成人员: a verb inside a compound noun
        if out and not q and not named and flag in _LEAD_BREAKS and not (flag.startswith("v") and object_follows):
            break
        out += w
        pos += len(w)
    return out
