"""Reading a report file: bytes → text, web residue, traditional → simplified, metadata.

Offsets that leave the project (evidence, the graph, ``kg extract``) point into ``Report.text``:
the decoded file with newlines normalised (for HTML, the page's visible text), exactly as read.
The extractor reads ``Report.norm`` instead: the text converted to simplified characters and
half-width digits character by character, with what copies from PDFs and glossed web pages put
inside words taken out (pinyin glosses 會(huì)議, spaces between characters and digits, line
breaks of hard-wrapped pages). ``Report.offsets`` maps every position of ``norm`` back into
``text``, so evidence found in the clean text still quotes the text as given.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, cached_property
from itertools import compress
from pathlib import Path

from kg import lexicon, linking, readers
from kg.places import Place, gazetteer
from kg.readers import MAX_BYTES, Read, ReadError, web

# ---------------------------------------------------------------- normalisation

_FULL_WIDTH = re.compile("[０-９．％]")  # read as their ASCII forms (str.translate walks a whole report in Python)


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplify(text: str) -> str:
    """Traditional → simplified with the length kept, so offsets stay valid."""
    if not text:
        return text
    conv = _t2s().convert(text)
    if len(conv) != len(text):  # phrase conversions changed the length: map character by character
        conv = "".join(c if len(c := _t2s().convert(ch)) == 1 else ch for ch in text)
    return _FULL_WIDTH.sub(lambda m: chr(ord(m.group()) - 0xFEE0), conv)


# A pinyin gloss after a character (會(huì)議 on some traditional pages): not part of the text.
_GLOSS = re.compile(r"(?<=[\u4e00-\u9fff])[（(][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüɑɡ]{1,7}[)）]")
# Spaces that PDF copies put between characters, numbers and units (召开常委会会议 10 次); two
# numbers with a space between them (10 20) stay apart, and so do a table's cells (tabs).
_CJK = "\u4e00-\u9fff，。、；：？！“”‘’（）《》%()"
_SPACE = re.compile(rf"(?<=[{_CJK}])[ \u3000\xa0]+(?=[{_CJK}\d])|(?<=\d)[ \u3000\xa0]+(?=[{_CJK}])")
_FORMAT = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]+")
_SENTENCE_END = tuple("。！？!?；;：:”」』）)")


def _width(line: str) -> int:
    """How wide a line is printed: a half-width character (digit, Latin letter) takes half the room
    of a Chinese one, so lines wrapped at one width hold more characters when they hold numbers."""
    return round(len(line) - 0.5 * len(line.encode("ascii", "ignore")))  # the encoding keeps the ASCII ones


_MEASURES = (len, _width)  # a page copied as text breaks at a number of characters or at a printed width


def _wrap_widths(lines: list[str]) -> list[tuple[Callable[[str], int], int]]:
    """The width a hard-wrapped page (a PDF copy) breaks its lines at, by each measure that finds
    one: most long lines have nearly the same width and end inside a sentence."""
    found = []
    for measure in _MEASURES:
        long = [measure(ln) for ln in lines if len(ln) >= 12]
        if len(long) < 4:
            continue
        width = max(set(long), key=long.count)
        near = [ln for ln in lines if width - 2 <= measure(ln) <= width + 1]
        inside = [ln for ln in near if not ln.endswith(_SENTENCE_END)]
        if len(near) >= 0.4 * len(long) and len(inside) >= 0.5 * len(near):
            found.append((measure, width))
    return found


def clean(norm: str) -> tuple[str, array]:
    """The text the extractor reads and, for each of its characters (and its end), the offset in
    ``norm`` it comes from.

    >>> c, at = clean("召开常委会会議(yì) 10 次")
    >>> c, at[c.index("10")], at[len(c)]
    ('召开常委会会議10次', 12, 16)
    """
    drop = bytearray(len(norm))
    for m in _GLOSS.finditer(norm):
        drop[m.start(): m.end()] = b"\1" * (m.end() - m.start())
    lines = norm.split("\n")
    widths = _wrap_widths([ln.strip() for ln in lines])
    pos = 0
    for i, line in enumerate(lines):
        end = pos + len(line)
        stripped = line.strip()
        full = any(measure(stripped) >= width - 2 for measure, width in widths)
        if full and i + 1 < len(lines) and not stripped.endswith(_SENTENCE_END):
            j, nxt = i + 1, end + 1  # join the break and the blank lines and indent that follow
            while j < len(lines) and not lines[j].strip():
                nxt += len(lines[j]) + 1
                j += 1
            if j < len(lines) and re.match(r"\s*[\u4e00-\u9fff\d，。、；：）”%]", lines[j]):
                lead = len(lines[j]) - len(lines[j].lstrip())
                drop[end: nxt + lead] = b"\1" * (nxt + lead - end)
        pos = end + 1
    for m in _SPACE.finditer(norm):
        drop[m.start(): m.end()] = b"\1" * (m.end() - m.start())
    for m in _FORMAT.finditer(norm):  # zero-width and other format characters: invisible, never part of a word
        drop[m.start(): m.end()] = b"\1" * (m.end() - m.start())
    if not any(drop):
        return norm, array("I", range(len(norm) + 1))
    kept = drop.translate(bytes.maketrans(b"\0\1", b"\1\0"))
    keep = array("I", compress(range(len(norm)), kept))
    keep.append(len(norm))
    return "".join(compress(norm, kept)), keep


# Lines that belong to the web page, not to the report.
RESIDUE = re.compile(
    r"^\s*(?:账号\+?密码登录|手机\+?(?:密码|验证码)登录|还没有账号.{0,3}|立即注册|登录|注册|忘记密码|发布于.*|.*该页已被阅读.*|"
    r"(?:阅读|浏览|点击)(?:次数|量)?[:：]?\s*\d+.*|(?:来源|编辑|责任编辑|编排|校对|审核|记者|通讯员|摄影|供稿)[:：\s].{0,40}|"
    r"记者\s*\S{2,4}(?:\s+\S{2,4})?(?:\s*整理)?|分享到.*|上一篇.*|下一篇.*|【?打印本页.*|【?关闭窗口.*|【?字号.*|返回顶部|扫一扫.*|"
    r"(?:首页|当前位置[:：]?)\s*[>›»].*|.*发布时间[:：].*)\s*$"
)


@dataclass
class Report:
    """A report as read: the text, its normalised twin, and the metadata detected from it."""

    path: str
    text: str
    encoding: str = "utf-8"
    norm: str = ""
    offsets: array = field(default_factory=lambda: array("I"))  # norm position → text position (len(norm) + 1 entries)
    ignored: list[tuple[int, int]] = field(default_factory=list)  # residue lines
    title: str = ""
    body: str | None = None  # e.g. 安吉县人大常委会; None when the text never names it
    body_type: str = "StandingCommittee"
    body_link: linking.Link | None = None  # how the body was found (kg.linking): rule and span of ``norm``
    place: Place | None = None
    years: list[int] = field(default_factory=list)
    date: str | None = None
    genre: str = "work-report"
    plan_start: int | None = None  # offset where the plans part begins, if any
    media_type: str = "text/plain"  # of the file it was read from
    pages: list[int] = field(default_factory=list)  # offset in ``text`` where each PDF page begins
    ocr_pages: list[int] = field(default_factory=list)  # pages (from 1) read by OCR
    unread_pages: list[int] = field(default_factory=list)  # image-only pages left out (read without --ocr)
    url: str | None = None  # the address a web page names as its own
    left_out: list[str] = field(default_factory=list)  # parts of the file not in the text, named (kg.readers.Read)

    @cached_property
    def checksum(self) -> str:
        """Once per report: every fact's IRI hashes it (recomputed, it took a tenth of building the graph)."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def id(self) -> str:
        """Stable key: the checksum of the text, so renaming a file changes nothing."""
        return self.checksum[:16]

    @property
    def level(self) -> str | None:
        return self.place.level if self.place else None

    @property
    def year(self) -> int | None:
        return self.years[-1] if self.years else None

    def given(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``text`` that the span ``start:end`` of ``norm`` was read from."""
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1

    def written(self, start: int, end: int) -> str:
        """A span of ``norm`` in the characters of the text as given (traditional stays
        traditional), without the glosses, spaces and breaks the extractor does not read."""
        return "".join(self.text[self.offsets[i]] for i in range(start, end))

    def page(self, offset: int) -> int | None:
        """The page (from 1) of a PDF that the text at ``offset`` is on; None for other formats."""
        return bisect_right(self.pages, offset) if self.pages else None

    def is_ignored(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.ignored)


def read(path: str | Path, ocr: bool = False, max_bytes: int = MAX_BYTES) -> Report:
    """Read one report file, whatever its format (kg.readers); ReadError with the reason when it is
    not one. ``ocr``: read scanned PDF pages with OCR."""
    return from_read(readers.read(path, ocr=ocr, max_bytes=max_bytes), str(path))


def from_text(text: str, path: str = "<text>", encoding: str = "utf-8") -> Report:
    """A report from text already decoded (a web page's markup is read as a web page)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    got = web.article(text, path) if web.looks_like_html(text) else Read(text)
    got.encoding = encoding
    return from_read(got, path)


def from_read(got: Read, path: str) -> Report:
    text = got.text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if not text.strip():
        raise ReadError(path, "empty file (nothing but white space)")
    if not re.search(r"[\u4e00-\u9fff]", text):
        raise ReadError(path, "no Chinese text in the file", 1)
    if why := _not_text(text):
        raise ReadError(path, why, 1)
    norm, offsets = clean(simplify(text))
    r = Report(path=path, text=text, encoding=got.encoding, norm=norm, offsets=offsets, media_type=got.media_type,
               pages=got.pages, ocr_pages=got.ocr_pages, unread_pages=got.unread_pages, url=got.url, left_out=got.left_out)
    r.ignored = _residue_spans(r.norm)
    detect_metadata(r)
    if got.title:
        r.title = got.title
    if got.date and not r.date:
        r.date = got.date
    return r


def _not_text(text: str) -> str | None:
    """Why a decoded file is not the text of a report, or None. Random bytes that decode (a damaged
    .doc, a binary behind a text suffix) give control, replacement and unassigned characters, and
    Chinese characters that are almost all rare: a report's are nearly all among GB2312's 6,763."""
    sample = text[:200_000]
    odd = sample.count("\ufffd")
    if not _SPACES.sub("", sample).isprintable():  # the common case skips the walk below
        odd += sum(1 for ch in sample if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs") and ch not in "\n\t\r\f")
    if odd > 0.1 * len(sample):
        return f"not text: {100 * odd // len(sample)}% of its characters are control, replacement or unassigned characters"
    cjk = "".join(_CJK.findall(simplify(sample)))
    if len(cjk) >= 200:
        rare = cjk.encode("gb2312", errors="replace").count(b"?")  # one ? for each character GB2312 lacks
        if rare > 0.5 * len(cjk):
            return f"not text: {100 * rare // len(cjk)}% of its Chinese characters are rare ones (bytes decoded as text?)"
    return None


_SPACES = re.compile("[ \n\t\r\f\u3000\xa0]+")
_CJK = re.compile(r"[\u4e00-\u9fff]+")


def _residue_spans(norm: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in norm.split("\n"):
        if line.strip() and RESIDUE.match(line):
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


# ---------------------------------------------------------------- metadata

_YEAR = re.compile(r"((?:19|20)\d\d)\s*年(?!\d{1,2}月|[一二三四五六七八九十]{1,2}月)")
_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_PUBLISHED = re.compile(r"((?:19|20)\d\d)-(\d\d)-(\d\d)")


def _later_year_heading(heading: str, year: int) -> bool:
    """"2023年>>", "二、2024年工作任务", "2024年主要打算": a heading about a later year opens the plans."""
    m = re.search(r"((?:19|20)\d\d)年", heading)
    if not m or int(m[1]) <= year:
        return False
    rest = heading[m.end():]
    return rest == "" or bool(re.match(r"(?:的)?(?:主要)?(?:工作)?(?:任务|安排|打算|计划|思路|目标|重点|工作)", rest))


def _lines(norm: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for line in norm.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def detect_metadata(r: Report) -> None:
    """Title, genre, body, date, years and where the plans begin, from the text itself."""
    lines = [(pos, ln.strip()) for pos, ln in _lines(r.norm) if ln.strip() and not r.is_ignored(pos, pos + max(1, len(ln)))]
    if not lines:
        return
    r.title = _title(r, lines)
    last = lines[min(3, len(lines) - 1)]
    head_end = last[0] + len(last[1])
    r.genre = _genre(r.title, r.norm)
    r.body_link = linking.link(r.norm, head_end, r.is_ignored)
    if r.body_link is not None:
        r.place, r.body_type, r.body = r.body_link.place, r.body_link.body_type, r.body_link.name
    date = _DATE.search(r.norm[:head_end])  # "(2024年2月21日在…会议上)" in the head, or a page's publication stamp
    if date:
        r.date = f"{int(date[1]):04d}-{int(date[2]):02d}-{int(date[3]):02d}"
    elif pub := _PUBLISHED.search(r.norm[:head_end + 200]):
        r.date = f"{pub[1]}-{pub[2]}-{pub[3]}"
    _years_and_plans(r, lines, date)


def _title(r: Report, lines: list[tuple[int, str]]) -> str:
    given = {pos: r.text[slice(*r.given(pos, pos + len(r.norm[pos:].split("\n", 1)[0])))].strip() for pos, _ in lines[:2]}
    title = given[lines[0][0]]
    if len(lines) > 1 and re.match(r"^[—-]{1,2}|^[（(]", lines[1][1]) and not _DATE.search(lines[1][1]):
        title += given[lines[1][0]]
    return title.strip("《》 ")


def _genre(title: str, norm: str) -> str:
    """Cues from the genre scheme in the title, then bylines and forms of address in the text."""
    cues = {c.id: c.aliases for c in lexicon.concepts("genre")}
    if any(a in title for a in cues["feature-article"]):
        return "feature-article"
    if any(a in title for a in cues["summary"]):
        return "summary"
    if "工作报告" in title:
        return "work-report"
    if re.search(r"[（(]?(?:作者|记者|通讯员)[:：\s]", norm):
        return "feature-article"
    return "work-report" if "各位代表" in norm else "summary"


def _years_and_plans(r: Report, lines: list[tuple[int, str]], date: re.Match[str] | None) -> None:
    """The years of work covered, and where the plans part begins: a heading from the
    modality:planned scheme, or a heading that is a later year."""
    planned_heads = lexicon.concept("modality", "planned").aliases
    year_in_head = None
    for _, line in lines[:6]:
        for y in _YEAR.finditer(line):
            if not _DATE.match(line, y.start()) and "以来" not in line[y.end(): y.end() + 2]:
                year_in_head = int(y[1])
                break
        if year_in_head:
            break
    if date and r.genre == "work-report" and int(date[2]) <= 6:
        r.years = [int(date[1]) - 1]
    elif year_in_head:
        r.years = [year_in_head]
    for pos, line in lines:
        bare = re.sub(r"[\s>》»:：]+$", "", line)
        if len(line) <= 30 and not re.search(r"[，。；]", line) and (
            any(bare.endswith(h) or bare.startswith(h) for h in planned_heads)
            or (r.years and _later_year_heading(bare, r.years[-1]))
        ):
            r.plan_start = pos
            break
    if not r.years:
        reported = r.norm[: r.plan_start] if r.plan_start else r.norm
        found = [int(y[1]) for y in _YEAR.finditer(reported)]
        para = re.search(r"(?:^|\n)\s*((?:19|20)\d\d)年[，,]", reported)
        if para:
            r.years = [int(para[1])]
        elif found:
            r.years = [max(found)]


def report_json(r: Report) -> dict[str, object]:
    """The ``report`` line of ``kg extract --format jsonl``."""

    chain = gazetteer().chain(r.place) if r.place and r.place.level != "national" else []
    by_level = {p.level: p.name for p in chain}
    return {"kind": "report", "body": r.body, "place": r.place.name if r.place else None, "level": r.level,
            "province": by_level.get("province"), "prefecture": by_level.get("prefecture"),
            "place_code": r.place.code if r.place else None, "years": r.years, "title": r.title, "genre": r.genre,
            "date": r.date, "source": Path(r.path).name, "encoding": r.encoding, "checksum": r.checksum,
            "format": r.media_type, "url": r.url, "pages": len(r.pages) or None, "ocr_pages": r.ocr_pages,
            "unread_pages": r.unread_pages, "left_out": r.left_out, "body_rule": r.body_link.rule if r.body_link else None,
            "body_evidence": _body_evidence(r)}


def _body_evidence(r: Report) -> dict[str, object] | None:
    """The span of the text as given that decided the body (kg.linking)."""
    if r.body_link is None:
        return None
    start, end = r.given(r.body_link.start, r.body_link.end)
    return {"start": start, "end": end, "mention": r.text[start:end]}
