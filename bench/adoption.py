"""python -m bench.adoption [N]: how long the diffusion outputs take on the synthetic corpus of N reports
(default 3,000): the event-history table, the curves' numbers and picture, the first-adopters query and
the province grid. Prints one JSON object of seconds; the build itself is timed by ``python -m bench``."""

from __future__ import annotations

import json
import sys
import time

from bench.corpus import generate
from kg import adoption, charts
from kg.api import open_graph
from kg.build import build
from kg.paths import ROOT, SEEDS

MECH = "livelihood-project-voting"


def main(n: int = 3000) -> dict[str, float]:
    out = ROOT / "bench" / "out" / f"adoption-{n}"
    corpus = out / "corpus"
    if not corpus.exists():
        generate(n, corpus, SEEDS)
    figures: dict[str, float] = {"reports": n}
    t = time.perf_counter()
    build([corpus], out / "build", jobs=2)
    figures["build_s"] = round(time.perf_counter() - t, 1)
    g = open_graph(out / "build")
    steps = {
        "table_s": lambda: g.adoption(),
        "curves_s": lambda: charts.adoption_curves(adoption.curves(g.adoption(MECH), MECH, "level"), out / "curves.png", MECH),
        "first_adopters_s": lambda: g.rows("first-adopters", mechanism=MECH),
        "grid_s": lambda: g.plot("grid", MECH, out / "grid.png"),
    }
    for name, step in steps.items():
        t = time.perf_counter()
        result = step()
        figures[name] = round(time.perf_counter() - t, 2)
        if name == "table_s":
            figures["table_rows"] = len(result)
    g.close()
    return figures


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)))
