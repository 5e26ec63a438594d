"""python -m bench [--lean | --queries] [N …]: the pipeline at each corpus size, stage by stage, with
throughput, wall time and peak RSS; the build again and after one edit in new processes; stored queries
on the embedded store, the selective ones (one body; one mechanism's bodies, a first page with its total
and all of them) also on a real Oxigraph server and on Virtuoso; the exports beside `oxigraph dump`; with
--rdflib (up to 300 reports), rdflib in memory as ratios. --queries times the stored queries again on the stores an earlier run left in
bench/out."""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.corpus import generate
from bench.rdflib_worker import oxigraph_worker, rdflib_worker
from kg import lexicon, queries, tables
from kg.build import build
from kg.extract import extract
from kg.paths import ROOT, SEEDS
from kg.rdf import report_nt
from kg.report import read
from kg.server import OxigraphServer
from kg.stores import OxigraphStore, RemoteStore
from kg.validate import validate_nt

OUT = ROOT / "bench" / "out"
RDFLIB_TIMEOUT = 60
QUERY_TIMEOUT = 90  # per stored query on the embedded store; a slower one is killed and reported as such
RDFLIB_MAX_REPORTS = 300  # rdflib in memory: ~0.5 M triples here; at 1,000 reports its queries run for minutes


def rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def reset_peak_rss() -> None:
    """Start this process's peak RSS (VmHWM) afresh, so that a stage's own peak can be read."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def timed(fn):
    t = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t


def child_times(worker, store_path: Path, texts: dict[str, str], limit: float, repeat: int = 1,
                load_limit: float = 1800) -> dict[str, float | str]:
    """Median seconds of each query text, answered by ``worker`` in a child process that is killed
    when a query passes ``limit`` (an abandoned query would otherwise keep eating a core and memory)."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    out: dict[str, float | str] = {}
    todo = list(texts)
    while todo:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(str(store_path), child), daemon=True)
        proc.start()
        if not parent.poll(load_limit):
            proc.kill()
            return {**out, **{name: f"the store did not load in {load_limit:.0f} s" for name in todo}}
        parent.recv()
        while todo:
            name = todo.pop(0)
            runs = []
            for _ in range(repeat):
                parent.send(texts[name])
                if not parent.poll(limit):
                    out[name] = f"> {limit:.0f} s (stopped)"
                    proc.kill()
                    break
                runs.append(parent.recv())
            else:
                out[name] = sorted(runs)[len(runs) // 2]
                continue
            break
        else:
            parent.send(None)
        proc.join(10)
    return out


def load_time(nts: list[str], where: Path) -> float:
    """Seconds to bulk-load report graphs into a new store on disk, as the build does (in batches)."""
    shutil.rmtree(where, ignore_errors=True)
    store = OxigraphStore(where)
    try:
        started = time.perf_counter()
        with store.batch() as loader:
            for i, nt in enumerate(nts):
                loader.replace_graph(f"https://example.org/bench/report/{i}", nt)
        return time.perf_counter() - started
    finally:
        store.close()
        shutil.rmtree(where, ignore_errors=True)


def server_times(store: Path, texts: dict[str, str], repeat: int = 5) -> dict[str, float]:
    """Median seconds of each query on a real Oxigraph server over the same store (read-only), over
    HTTP, to rows as dicts: what `kg serve` users and `kg query --endpoint` get."""
    with OxigraphServer(store, read_only=True) as server:
        return remote_times(RemoteStore(server.query_url, timeout=QUERY_TIMEOUT), texts, repeat)


def remote_times(remote: RemoteStore, texts: dict[str, str], repeat: int) -> dict[str, float]:
    """Median seconds of each query over HTTP, to rows as dicts."""
    import statistics

    out = {}
    for label, text in texts.items():
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            _ = remote.query(text).rows
            runs.append(time.perf_counter() - started)
        out[label] = statistics.median(runs)
    return out


def stored_query_times(store: Path) -> tuple[dict[str, float | str], dict[str, int]]:
    """Seconds and rows of every stored query with its defaults, on the embedded store."""
    stored = {name: q.bind() for name, q in queries.stored().items()}
    qtimes = child_times(oxigraph_worker, store, stored, QUERY_TIMEOUT)
    rows = {name: len(OxigraphStore(store, read_only=True).query(text)) for name, text in stored.items()
            if isinstance(qtimes[name], float) and qtimes[name] < QUERY_TIMEOUT / 3}
    return qtimes, rows


def run(n: int, jobs: int = 2, lean: bool = False) -> dict:
    """``lean`` leaves out the whole-corpus stored queries, the exports and rdflib, and times each
    selective query once: at 30,000 reports the full set runs for hours, and the targets at that size are
    the build, the tables and the selective queries."""
    corpus = OUT / f"corpus-{n}"
    if not corpus.exists():
        generate(n, corpus, SEEDS)
    files = sorted(corpus.glob("*.txt"))
    out = OUT / f"build-{n}"
    fig: dict = {"reports": n, "lean": lean, "jobs": jobs, "date": time.strftime("%Y-%m-%d"),
                 "chars": int(sum(len(read(f).text) for f in files[:200]) / min(200, len(files)) * len(files))}
    fig |= per_process(files[:200])
    fig |= build_figures(corpus, out, jobs)
    fig |= query_figures(out, lean)
    if not lean:
        fig |= export_figures(out / "store")
    if n <= RDFLIB_MAX_REPORTS and "--rdflib" in sys.argv:  # minutes: earlier runs found every query 38× to 8,600× slower there
        stored = {name: q.bind() for name, q in queries.stored().items()}
        fig["rdflib_over_oxigraph"] = {name: (t / max(fig["query_s"][name], 1e-6) if isinstance(t, float) else t)
                                       for name, t in child_times(rdflib_worker, out / "store", stored, RDFLIB_TIMEOUT).items()}
    fig["bench_peak_rss_mb"] = {"main": rss_mb(), "largest_child": rss_mb(resource.RUSAGE_CHILDREN)}
    return fig


def per_process(sample: list[Path]) -> dict:
    """One process's speed on each step of a report's way (the build's workers take these steps)."""
    read(sample[0])
    reports, t_read = timed(lambda: [read(f) for f in sample])
    xs, t_extract = timed(lambda: [extract(r) for r in reports])
    nts, t_nt = timed(lambda: [report_nt(x) for x in xs])
    _, t_validate = timed(lambda: [validate_nt(nt) for nt in nts])
    _, t_tables = timed(lambda: [tables.answer(nt) for nt in nts])
    chars = sum(len(r.text) for r in reports)
    return {"per_process_chars_per_s": {"read": chars / t_read, "extract": chars / t_extract,
                                        "text_in_facts_out": chars / (t_read + t_extract)},
            "per_report_ms": {"read": 1000 * t_read / len(sample), "extract": 1000 * t_extract / len(sample),
                              "n_triples": 1000 * t_nt / len(sample), "shacl": 1000 * t_validate / len(sample),
                              "table_rows": 1000 * t_tables / len(sample)},
            "store_load_triples_per_s": sum(nt.count("\n") for nt in nts) / load_time(nts, OUT / "load")}


def kg_build(corpus: Path, out: Path, jobs: int) -> tuple[float, str, float]:
    """`kg build` in a new process with a hash seed of its own, as a user runs it again: seconds, its
    summary line and its peak RSS (MB, the largest of the process and its workers)."""
    env = {**os.environ, "PYTHONHASHSEED": str(random.randrange(1, 2**32))}
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "kg", "build", str(corpus), "--out", str(out),
                           "--jobs", str(jobs)], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    summary = next((ln for ln in done.stdout.splitlines() if ln.startswith("built ")), done.stdout[-300:] + done.stderr[-300:])
    return seconds, summary, int(done.stderr.strip().splitlines()[-1]) / 1024


def build_figures(corpus: Path, out: Path, jobs: int) -> dict:
    """The first build (in this process, so that the main process and the workers are measured apart),
    the same folder again and after one edit, each in a new process."""
    shutil.rmtree(out, ignore_errors=True)
    reset_peak_rss()
    started, last_file = time.perf_counter(), [0.0]
    result, t_build = timed(lambda: build([corpus], out, jobs=jobs, progress=lambda _: last_file.__setitem__(0, time.perf_counter())))
    peak = {"main": peak_rss_mb(), "workers": rss_mb(resource.RUSAGE_CHILDREN)}
    print(f"built {len(result.files)} reports in {t_build:.0f} s", file=sys.stderr, flush=True)
    t_again, again, _ = kg_build(corpus, out, jobs)
    edited = sorted(corpus.glob("*.txt"))[len(result.files) // 2]
    # a count and a practice of the most practised mechanism: the edit changes that mechanism's whole answer
    edited.write_text(edited.read_text(encoding="utf-8") + "\n一年来，召开常委会会议1次，新建代表联络站2个。\n", encoding="utf-8")
    t_edit, after_edit, _ = kg_build(corpus, out, jobs)
    return {"build_wall_s": t_build, "build_files_done_s": last_file[0] - started, "build_peak_rss_mb": peak,
            "built": sum(f.ok for f in result.files), "triples": sum(f.triples for f in result.files),
            "disk_mb": {"store": sum(f.stat().st_size for f in (out / "store").iterdir()) / 2**20,
                        "tables": sum(f.stat().st_size for f in (out / "tables").iterdir()) / 2**20},
            "rebuild_new_process_s": t_again, "rebuild_says": again, "one_edit_new_process_s": t_edit, "one_edit_says": after_edit}


def query_figures(out: Path, lean: bool) -> dict:
    """Stored queries on the embedded store, an Oxigraph server and Virtuoso; the tables from Parquet."""
    store = OxigraphStore(out / "store", read_only=True)
    body = store.query("SELECT ?l WHERE { ?r <https://w3id.org/npc-kg/ontology#reportingBody> ?b . "
                       "?b <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } ORDER BY ?l LIMIT 1").rows[0]["l"]
    table_s = {name: timed(lambda name=name: tables.table(store, name))[1] for name in tables.TABLES}  # the build's Parquet
    store.close()
    _, duckdb_s = timed(lambda: tables.sql(out, "SELECT body_zh, year, measure, SUM(value) AS total FROM counts "
                                              "WHERE modality = 'reported' GROUP BY ALL"))
    qtimes, rows = ({}, {}) if lean else stored_query_times(out / "store")
    texts = {"counts(body)": queries.get("counts").bind({"body": body}),
             "mechanisms-of-body(body)": queries.get("mechanisms-of-body").bind({"body": body})}
    for c in lexicon.concepts("mechanism"):
        whole = queries.get("bodies-by-mechanism").bind({"mechanism": c.id})
        texts[f"bodies({c.id}) all"] = whole
        texts[f"bodies({c.id}) page"] = queries.page(whole, 100)
        texts[f"bodies({c.id}) total"] = queries.total(whole)
    repeat = 3 if lean else 5  # lean: a median of three (one run measured a cold store)
    embedded = child_times(oxigraph_worker, out / "store", texts, QUERY_TIMEOUT, repeat=repeat)
    server = server_times(out / "store", texts, repeat=repeat)
    virtuoso = virtuoso_times(out / "store", texts, repeat=repeat)
    return {"query_s": qtimes, "query_rows": rows, "table_from_parquet_s": table_s, "duckdb_body_year_measure_totals_s": duckdb_s,
            "selective_query_s": {"embedded": embedded, "oxigraph_server": server, "virtuoso": virtuoso},
            "one_mechanism_bodies": {engine: _bodies_summary(times) for engine, times in
                                     (("embedded", embedded), ("oxigraph_server", server), ("virtuoso", virtuoso.get("queries", {})))}}


def _bodies_summary(times: dict) -> dict:
    """Median and max over the mechanisms of: the first page with its total, and all of one mechanism's bodies."""
    import statistics

    ids = [c.id for c in lexicon.concepts("mechanism")]
    first = [times[f"bodies({i}) page"] + times[f"bodies({i}) total"] for i in ids
             if isinstance(times.get(f"bodies({i}) page"), float) and isinstance(times.get(f"bodies({i}) total"), float)]
    whole = [times[f"bodies({i}) all"] for i in ids if isinstance(times.get(f"bodies({i}) all"), float)]
    return {"first_page_with_total_median_s": statistics.median(first) if first else None, "first_page_max_s": max(first, default=None),
            "all_bodies_median_s": statistics.median(whole) if whole else None, "all_bodies_max_s": max(whole, default=None)}


def virtuoso_times(store: Path, texts: dict[str, str], repeat: int = 5) -> dict:
    """Virtuoso 7.2 loaded as the README says (an N-Quads export, its bulk loader): load seconds and the
    median seconds of each query over HTTP."""
    from kg.export import stream_lines
    from kg.virtuoso import VirtuosoServer

    folder = OUT / "virtuoso"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with (folder / "graph.nq").open("wb") as f:
        stream_lines(OxigraphStore(store, read_only=True), "nq", f)
    with VirtuosoServer(folder / "server", data=folder, memory=4 << 30) as server:
        _, load_s = timed(lambda: server.load(folder / "graph.nq"))
        (folder / "graph.nq").unlink()
        out = remote_times(RemoteStore(server.query_url, timeout=QUERY_TIMEOUT), texts, repeat)
    shutil.rmtree(folder, ignore_errors=True)
    return {"load_s": load_s, "queries": out}


def export_figures(store: Path) -> dict:
    """`kg export` in each format in a new process (seconds, peak RSS MB), beside `oxigraph dump`."""
    from kg.server import oxigraph_executable

    target = OUT / "export.out"
    figures = {}
    for label, cmd in [("oxigraph dump (nq)", [oxigraph_executable(), "dump", "--location", str(store), "--file", str(target.with_suffix(".nq"))]),
                       *((fmt, [sys.executable, "-m", "kg", "export", "-f", fmt, "-o", str(target), "--store", str(store.parent)])
                         for fmt in ("nq", "nt", "trig", "ttl", "jsonld"))]:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
        figures[label] = {"s": time.perf_counter() - started, "peak_rss_mb": int(done.stderr.strip().splitlines()[-1]) / 1024,
                          "ok": done.returncode == 0}
        for f in (target, target.with_suffix(".nq")):
            f.unlink(missing_ok=True)
    return {"export": figures}


def main() -> None:
    lean = "--lean" in sys.argv
    sizes = [int(a) for a in sys.argv[1:] if not a.startswith("--")] or [300, 3000, 30000]
    if "--queries" in sys.argv:  # the stored queries again, on the stores an earlier run built
        for n in sizes:
            qtimes, rows = stored_query_times(OUT / f"build-{n}" / "store")
            print(json.dumps({"reports": n, "query_s": qtimes, "query_rows": rows}, indent=1), flush=True)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    figures = []
    for n in sizes:
        fig = run(n, lean=lean)
        figures.append(fig)
        print(json.dumps(fig, indent=1, ensure_ascii=False), flush=True)
        (OUT / "figures.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
