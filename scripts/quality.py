#!/usr/bin/env python3
"""The extractor's floor on the dev passages (../shared/dev-passages), scored in graph mode as a user
gets them: fails (exit 1) when a figure falls below the floor recorded in ``quality-floor.json``.
Extraction is deterministic, so the check is; raise the floor as the extractor improves.

usage: scripts/quality.py [--passages DIR] [--floor FILE] [--groups]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = re.compile(r"counts P=(?P<count_p>[\d.]+) R=(?P<count_r>[\d.]+).*mechanisms P=(?P<mech_p>[\d.]+) R=(?P<mech_r>[\d.]+).*"
                     r"stage=(?P<stage>[\d.]+) \| body=(?P<body>[\d.]+) \((?P<body_right>\d+)/(?P<body_n>\d+), wrong (?P<body_wrong>\d+)\) \| "
                     r"plan-as-done=(?P<plan_as_done>\d+)")
LOWER_IS_BETTER = ("body_wrong", "plan_as_done")


def score(passages: Path, mode: str, exclude: list[str] | None = None) -> dict[str, float]:
    # the scorer as its README runs it: the machine's python3 (its figures depend on whether that has OpenCC)
    cmd = [shutil.which("python3") or sys.executable, str(passages / "score.py"), "--project", str(ROOT)] + (["--graph"] if mode == "graph" else [])
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(exclude or []))
    if exclude:
        cmd += ["--exclude", f.name]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    os.unlink(f.name)
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    m = FIGURES.search(last)
    if m is None:
        raise SystemExit(f"quality: the scorer printed no figures (exit {out.returncode}): {last or out.stderr.strip()[-500:]}")
    return {k: float(v) for k, v in m.groupdict().items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=Path, default=ROOT.parent / "shared" / "dev-passages")
    ap.add_argument("--floor", type=Path, default=ROOT / "quality-floor.json")
    ap.add_argument("--groups", action="store_true", help="also print the figures per group (h, k) and in extract mode")
    a = ap.parse_args()
    if not (a.passages / "score.py").exists():
        print(f"quality: no dev passages at {a.passages}: the floor was NOT checked")
        return 1 if os.environ.get("CI") else 0
    floor = json.loads(a.floor.read_text(encoding="utf-8"))
    got = score(a.passages, "graph")
    print("graph, all passages: " + " ".join(f"{k}={v:g}" for k, v in got.items()))
    if a.groups:
        ids = sorted(p.stem for p in (a.passages / "texts").glob("*.txt"))
        for mode in ("graph", "extract"):
            for group in ("h", "k"):
                fig = score(a.passages, mode, [i for i in ids if not i.startswith(group)])
                print(f"{mode}, {group} passages: " + " ".join(f"{k}={v:g}" for k, v in fig.items()))
    below = [f"{k} {got[k]:g} {'>' if k in LOWER_IS_BETTER else '<'} floor {v:g}" for k, v in floor.items()
             if (got[k] > v if k in LOWER_IS_BETTER else got[k] < v)]
    for b in below:
        print(f"quality: below the floor: {b}")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
