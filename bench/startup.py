"""python -m bench.startup: how long `kg --version`, `kg --help` and `kg queries` take to start and end,
and their peak RSS (median of 5 runs each, in new processes as a user runs them). Target: ≤ 0.5 s."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

KG = Path(sys.executable).parent / "kg"


def main(runs: int = 5) -> dict[str, dict[str, float]]:
    figures = {}
    for args in (["--version"], ["--help"], ["queries"]):
        seconds, rss = [], []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(["/usr/bin/time", "-f", "%M", str(KG), *args], capture_output=True, text=True, check=True)
            seconds.append(time.perf_counter() - started)
            rss.append(int(done.stderr.strip().splitlines()[-1]) / 1024)
        figures["kg " + " ".join(args)] = {"median_s": round(statistics.median(seconds), 3), "max_s": round(max(seconds), 3),
                                           "peak_rss_mb": round(max(rss), 1)}
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
