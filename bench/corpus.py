"""A synthetic corpus FOR SPEED TESTING ONLY: seed sentences recombined under varied body names,
places and years. Its facts mean nothing; every file says so in its first line."""

from __future__ import annotations

import random
import re
from pathlib import Path

from kg.places import gazetteer
from kg.report import read

SEED_NAMES = re.compile(r"会东县|大足区|大方县|巴彦淖尔市|绛县")


def generate(n: int, out: Path, seeds: Path, seed: int = 7) -> list[Path]:
    rnd = random.Random(seed)
    sentences = []
    for p in sorted(seeds.glob("*.txt")):
        text = read(p).text
        sentences += [s for s in re.split(r"(?<=[。！？])", text) if len(s) > 20]
    counties = sorted((p for p in gazetteer().by_code.values() if p.level == "county"), key=lambda p: p.code)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        place = counties[rnd.randrange(len(counties))]
        year = rnd.randrange(2015, 2025)
        body = rnd.sample(sentences, k=min(len(sentences), 60))
        text = (f"合成语料（仅供测速，不是真实报告） synthetic speed-test text, not a real report\n"
                f"{place.name}人民代表大会常务委员会工作报告\n{year}年，{place.name}人大常委会依法履职。\n"
                + "\n".join(SEED_NAMES.sub(place.name, s.strip()) for s in body) + "\n")
        f = out / f"synthetic_{i:06d}.txt"
        f.write_text(text, encoding="utf-8")
        files.append(f)
    return files
