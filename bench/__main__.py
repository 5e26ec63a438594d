"""python -m bench [--lean | --queries] [N …]: the pipeline at each corpus size, stage by stage, with
throughput, wall time and peak RSS; stored queries on the embedded store, selective ones also on a real
Oxigraph server, and on rdflib in memory as ratios. --queries times the stored queries again on the
stores an earlier run left in bench/out."""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path

from bench.corpus import generate
from bench.rdflib_worker import oxigraph_worker, rdflib_worker
from kg import derived, lexicon, queries, tables
from kg.build import build
from kg.extract import extract
from kg.paths import ROOT, SEEDS
from kg.rdf import report_graph
from kg.report import read
from kg.server import OxigraphServer
from kg.stores import OxigraphStore, RemoteStore
from kg.validate import validate

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
    """Seconds to bulk-load report graphs into a new store on disk, as the build does (one per report)."""
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
    import statistics

    with OxigraphServer(store, read_only=True) as server:
        remote = RemoteStore(server.query_url, timeout=QUERY_TIMEOUT)
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
    """``lean`` leaves out the whole-corpus stored queries and times each selective one once: at 30,000
    reports the full set runs for hours, and the issue's targets at that size are the build, the tables and
    the selective queries."""
    corpus = OUT / f"corpus-{n}"
    if not corpus.exists():
        generate(n, corpus, SEEDS)
    files = sorted(corpus.glob("*.txt"))
    chars = sum(len(read(f).text) for f in files[:200]) / min(200, len(files)) * len(files)
    sample = files[: min(200, len(files))]
    reports, t_read = timed(lambda: [read(f) for f in sample])
    xs, t_extract = timed(lambda: [extract(r) for r in reports])
    graphs, t_rdf = timed(lambda: [report_graph(x) for x in xs])
    _, t_validate = timed(lambda: [validate(g) for g in graphs[:50]])
    nts = [g.serialize(format="nt", encoding="utf-8").decode("utf-8") for g in graphs]
    _, t_tables = timed(lambda: [tables.answer(nt) for nt in nts])
    t_load = load_time(nts, OUT / f"load-{n}")
    out = OUT / f"build-{n}"
    shutil.rmtree(out, ignore_errors=True)
    reset_peak_rss()
    started, last_file = time.perf_counter(), [0.0]
    result, t_build = timed(lambda: build([corpus], out, jobs=jobs, progress=lambda _: last_file.__setitem__(0, time.perf_counter())))
    build_peak = {"main": peak_rss_mb(), "workers": rss_mb(resource.RUSAGE_CHILDREN)}
    print(f"built {n} reports in {t_build:.0f} s", file=sys.stderr, flush=True)
    edited = files[len(files) // 2]
    # a count and a practice of the most practised mechanism: the edit changes that mechanism's whole answer
    edited.write_text(edited.read_text(encoding="utf-8") + "\n一年来，召开常委会会议1次，新建代表联络站2个。\n", encoding="utf-8")
    again, t_incremental = timed(lambda: build([corpus], out, jobs=jobs))
    store = OxigraphStore(out / "store", read_only=True)
    body = store.query("SELECT ?l WHERE { ?r <https://w3id.org/npc-kg/ontology#reportingBody> ?b . "
                       "?b <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } ORDER BY ?l LIMIT 1").rows[0]["l"]
    selective = {"counts(body)": ("counts", {"body": body}), "mechanisms-of-body(body)": ("mechanisms-of-body", {"body": body}),
                 **{f"bodies-by-mechanism({c.id})": ("bodies-by-mechanism", {"mechanism": c.id}) for c in lexicon.concepts("mechanism")}}
    table_s = {name: timed(lambda name=name: tables.table(store, name))[1] for name in tables.TABLES}  # the build's Parquet
    store.close()
    _, duckdb_s = timed(lambda: tables.sql(out, "SELECT body_zh, year, measure, SUM(value) AS total FROM counts "
                                              "WHERE modality = 'reported' GROUP BY ALL"))
    qtimes, rows = ({}, {}) if lean else stored_query_times(out / "store")
    texts = {label: queries.get(name).bind(params) for label, (name, params) in selective.items()}
    repeat = 1 if lean else 5
    median_s = child_times(oxigraph_worker, out / "store", texts, QUERY_TIMEOUT, repeat=repeat)
    server_s = server_times(out / "store", texts, repeat=repeat)
    writable = OxigraphStore(out / "store")
    try:
        bodies, t_bodies = timed(lambda: derived.all_bodies(writable))
        # last: it rewrites the summaries the queries above read
        _, t_derived = timed(lambda: derived.refresh(writable, bodies, tables.folder_of(out / "store")))
    finally:
        writable.close()
    fig = {
        "reports": n, "lean": lean, "chars": int(chars), "jobs": jobs,
        "per_process_chars_per_s": {"read": sum(len(r.text) for r in reports) / t_read,
                                    "extract": sum(len(r.text) for r in reports) / t_extract,
                                    "text_in_facts_out": sum(len(r.text) for r in reports) / (t_read + t_extract),
                                    "to_rdf": sum(len(r.text) for r in reports) / t_rdf},
        "validate_s_per_report": t_validate / min(50, len(graphs)),
        "tables_s_per_report": t_tables / len(nts),
        "derived_all_bodies_s": t_bodies + t_derived, "bodies": len(bodies),
        "store_load_triples_per_s": sum(len(g) for g in graphs) / t_load,
        "build_wall_s": t_build, "build_files_done_s": last_file[0] - started, "build_peak_rss_mb": build_peak, "built": sum(f.ok for f in result.files),
        "disk_mb": {"store": sum(f.stat().st_size for f in (out / "store").iterdir()) / 2**20,
                    "tables": sum(f.stat().st_size for f in (out / "tables").iterdir()) / 2**20},
        "incremental_rebuild_s": t_incremental, "rebuilt": sum(not f.cached for f in again.files),
        "triples": sum(f.triples for f in result.files),
        "table_from_parquet_s": table_s, "duckdb_body_year_measure_totals_s": duckdb_s,
        "query_s": qtimes, "query_rows": rows, "selective_query_median_s": median_s,
        "selective_query_median_s_on_oxigraph_server": server_s,
        "bench_peak_rss_mb": {"main": rss_mb(), "largest_child": rss_mb(resource.RUSAGE_CHILDREN)},
    }
    if n <= RDFLIB_MAX_REPORTS and not lean:
        stored = {name: q.bind() for name, q in queries.stored().items()}
        fig["rdflib_over_oxigraph"] = {name: (t / max(qtimes[name], 1e-6) if isinstance(t, float) else t)
                                       for name, t in child_times(rdflib_worker, out / "store", stored, RDFLIB_TIMEOUT).items()}
    return fig


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
