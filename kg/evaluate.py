"""Scoring the extractor against gold files: ``NAME.txt`` beside ``NAME.gold.jsonl`` (the
``kg extract`` format). Counts match on value, unit and measure phrase (one phrase containing the
other); mechanisms on the concept's local name."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from kg.extract import extract
from kg.facts import fact_to_json
from kg.report import read, report_json, simplify


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    scores: dict[str, Score] = field(default_factory=lambda: {"count": Score(), "mechanism": Score()})
    bodies_right: int = 0
    reports: int = 0
    stage_right: int = 0
    modality_errors: list[str] = field(default_factory=list)
    stage_errors: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"{'kind':10} {'P':>6} {'R':>6} {'F1':>6}  tp fp fn"]
        for k, s in self.scores.items():
            lines.append(f"{k:10} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}  {s.tp} {s.fp} {s.fn}")
        mech = self.scores["mechanism"].tp
        lines.append(f"body accuracy {self.bodies_right}/{self.reports}; stage right {self.stage_right}/{mech}; "
                     f"modality errors {len(self.modality_errors)}")
        lines += [f"MODALITY {m}" for m in self.modality_errors]
        lines += [f"STAGE {m}" for m in self.stage_errors]
        lines += [f"MISS {m}" for m in self.misses]
        lines += [f"FALSE+ {m}" for m in self.false_positives]
        return "\n".join(lines)


def _count_key(f: dict) -> tuple[Decimal, str]:
    return Decimal(str(f["value"])), f["unit"]


def _same_count(g: dict, p: dict) -> bool:
    """Same value and unit, and one measure phrase inside the other (compared in simplified characters)."""
    gm, pm = simplify(g["measure"]), simplify(p["measure"])
    return _count_key(g) == _count_key(p) and (gm in pm or pm in gm)


def _extracted(text_files: list[Path]) -> dict[str, list[dict]]:
    """What ``kg extract`` gives for each file: the report line, then its facts."""
    out = {}
    for path in text_files:
        report = read(path)
        out[path.name] = [report_json(report), *(fact_to_json(f) for f in extract(report).facts)]
    return out


def _plain(df):
    """A table with pandas' missing values as None, as in ``kg extract``'s JSON."""
    return df.astype(object).where(df.notna(), None)


def _from_graph(text_files: list[Path]) -> dict[str, list[dict]]:
    """What a user gets from the graph: the files built into a store of their own, and the facts
    read back from its tables. A file whose report is not in the graph has nothing."""
    import tempfile

    from kg.api import build

    with tempfile.TemporaryDirectory(prefix="kg-eval-") as tmp:
        g = build(list(text_files), out=tmp)
        try:
            reports, counts, practices = (_plain(g.table(name)) for name in ("reports", "counts", "practices"))
        finally:
            g.close()
    source = dict(zip(reports["report"], reports["source"]))
    out: dict[str, list[dict]] = {name: [{"kind": "report", "body": body}] for name, body in zip(reports["source"], reports["body_zh"])}
    for c in counts.to_dict("records"):
        out.setdefault(source[c["report"]], []).append(
            {"kind": "count", "measure": c["measure_zh"], "value": c["value"], "unit": c["unit"], "modality": c["modality"],
             "mention": c["quote"]})
    for m in practices.to_dict("records"):
        out.setdefault(source[m["report"]], []).append(
            {"kind": "mechanism", "mechanism": m["mechanism"], "stage": m["stage"], "quote": m["quote"], "mention": m["quote"]})
    return out


def evaluate(folder: str | Path, texts: str | Path | None = None, graph: bool = False) -> Evaluation:
    """Score every ``NAME.gold.jsonl`` in ``folder`` against ``NAME.txt`` beside it (or in ``texts``):
    what the extractor gives, or with ``graph`` what a built graph holds (facts a shape kept out,
    and reports that never reached the store, are then missing)."""
    ev = Evaluation()
    gold_files = sorted(Path(folder).glob("*.gold.jsonl"))
    if not gold_files:
        raise ValueError(f"no NAME.gold.jsonl files in {folder}: nothing to score")
    text_files = [Path(texts or folder) / f.name.replace(".gold.jsonl", ".txt") for f in gold_files]
    predicted = (_from_graph if graph else _extracted)(text_files)
    for gold_file, text_file in zip(gold_files, text_files):
        gold = [json.loads(line) for line in gold_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        pred = predicted.get(text_file.name, [])
        ev.reports += 1
        gold_report = next((g for g in gold if g["kind"] == "report"), None)
        pred_report = next((p for p in pred if p["kind"] == "report"), {})
        if gold_report is not None and gold_report.get("body") == pred_report.get("body"):
            ev.bodies_right += 1
        name = text_file.name
        # counts
        gc, pc = [g for g in gold if g["kind"] == "count"], [p for p in pred if p["kind"] == "count"]
        used: set[int] = set()
        for g in gc:
            i = next((i for i, p in enumerate(pc) if i not in used and _same_count(g, p)), None)
            if i is None:
                ev.scores["count"].fn += 1
                ev.misses.append(f"{name}: count {g['measure']} {g['value']}{g['unit']}")
            else:
                used.add(i)
                ev.scores["count"].tp += 1
                if pc[i]["modality"] != g.get("modality", "reported"):
                    ev.modality_errors.append(f"{name}: {g['measure']} {g['value']}{g['unit']} is {g.get('modality')}")
        for i, p in enumerate(pc):
            if i not in used:
                ev.scores["count"].fp += 1
                ev.false_positives.append(f"{name}: count {p['measure']} {p['value']}{p['unit']} «{p['mention'][:40]}»")
        # mechanisms, by concept
        # a mechanism may be reported at several stages (piloted in one year, expanded the next): a
        # stage is right when any predicted stage is one the gold gives
        gm: dict[str, set[str | None]] = {}
        for g in gold:
            if g["kind"] == "mechanism":
                gm.setdefault(g["mechanism"], set()).add(g.get("stage"))
        pm: dict[str, list[dict]] = {}
        for p in pred:
            if p["kind"] == "mechanism":
                pm.setdefault(p["mechanism"], []).append(p)
        for m, stages in gm.items():
            if m in pm:
                ev.scores["mechanism"].tp += 1
                if any(p["stage"] in stages for p in pm[m]):
                    ev.stage_right += 1
                else:
                    first = pm[m][0]
                    ev.stage_errors.append(f"{name}: {m} is {'/'.join(sorted(map(str, stages)))}, got {first['stage']} «{first['quote'][:40]}»")
            else:
                ev.scores["mechanism"].fn += 1
                ev.misses.append(f"{name}: mechanism {m}")
        for m, ps in pm.items():
            if m not in gm:
                ev.scores["mechanism"].fp += 1
                ev.false_positives.append(f"{name}: mechanism {m} «{ps[0]['mention']}»")
    return ev
