"""The build: report files → extraction → one validated named graph per report → the store.

Each report is handled on its own, in worker processes when ``jobs > 1``; a bad file is
reported by name (and line) and the others are still built. A content-hash cache makes a
rebuild after editing one report redo only that report.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

from rdflib import Graph

from kg import dataset, derived, lexicon, rows, tables
from kg.extract import VERSION, extract
from kg.rdf import (
    DATASET_GRAPH,
    ENTITIES_GRAPH,
    ONTOLOGY_GRAPH,
    bind_prefixes,
    graph_iri,
    is_entity,
    is_report_graph,
    report_iri,
    report_nt,
    report_of,
    split_entities,
)
from kg.readers import SUFFIXES, ReadError, not_a_file, shown
from kg.report import read
from kg.stores import OxigraphStore
from kg.validate import keep_conforming_nt

EXIT_OK, EXIT_INVALID, EXIT_PARTIAL = 0, 1, 3
COMPACT_AFTER_QUADS = 1_000_000  # compacting costs seconds to minutes: worth it after a large load, not after one edit
TEXTS = "texts"  # the text each report was read as, by report id
LOCK = ".lock"  # held by the build that writes to the folder
DIRTY = ".derived-pending"  # present while a build may have changed reports whose summaries it has not yet written
REJECTED = "rejected.jsonl"  # one JSON object per fact kept out (or warned about): report, fact, shape, message, quote
CHUNK = 8  # reports per task sent to a worker: a few MB of results each
FILE_TIMEOUT = 300.0  # seconds per file: an 8 MB report takes under a minute
AHEAD = 4  # tasks in flight per worker: results wait in memory only that long


class BuildError(Exception):
    """A build that cannot start (its output folder is unusable); the message says why."""


@dataclass
class FileResult:
    path: str
    ok: bool
    graph: str | None = None
    checksum: str | None = None
    triples: int = 0
    facts: int = 0
    error: str | None = None
    line: int | None = None
    violations: list[str] = field(default_factory=list)
    cached: bool = False
    rejected: list[dict] = field(default_factory=list)  # facts kept out of the graph, or stored with a warning


@dataclass
class BuildResult:
    out: str
    files: list[FileResult]
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): what the folders hold and the build does not take
    notes: list[str] = field(default_factory=list)  # what the build changed of what it was asked (a capped --jobs)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if not f.ok]

    @property
    def exit_code(self) -> int:
        """0 all built; 3 some files failed but the rest were built; 1 nothing usable was built (no
        report file found counts as nothing built)."""
        if not self.files:
            return EXIT_INVALID
        if not self.failed:
            return EXIT_OK
        return EXIT_PARTIAL if len(self.failed) < len(self.files) else EXIT_INVALID

    @property
    def rejected(self) -> list[dict]:
        return [r for f in self.files if f.ok for r in f.rejected]

    def summary(self) -> str:
        built = [f for f in self.files if f.ok]
        if not self.files:
            return (f"no report files ({' '.join(SUFFIXES)}) found: nothing built into {self.out}"
                    + (f"; skipped {', '.join(shown(p) for p, _ in self.skipped[:10])}" if self.skipped else ""))
        lines = [*self.notes, f"built {len(built)} of {len(self.files)} report(s) into {self.out} "
                 f"({sum(f.triples for f in built)} triples, {sum(f.facts for f in built)} facts, "
                 f"{sum(f.cached for f in built)} unchanged)"]
        kept_out = [r for r in self.rejected if r["severity"] == "Violation"]
        warned = [r for r in self.rejected if r["severity"] != "Violation"]
        if kept_out or warned:
            lines.append(f"{len(kept_out)} fact(s) kept out of the graph and {len(warned)} warning(s), "
                         f"each in {Path(self.out) / REJECTED}:")
            lines.extend(f"    {r['source']}: {r['severity']}: {r['message']} «{r['quote'][:50]}»" for r in (kept_out + warned)[:20])
        same: dict[str, list[str]] = {}
        for f in built:
            same.setdefault(f.graph or "", []).append(shown(f.path))
        for names in (n for n in same.values() if len(n) > 1):
            lines.append(f"one report from {len(names)} files with the same text: {', '.join(names)}")
        by_reason: dict[str, list[str]] = {}
        for path, reason in self.skipped:
            by_reason.setdefault(reason, []).append(shown(path))
        for reason, names in sorted(by_reason.items()):
            lines.append(f"skipped {len(names)} ({reason}): " + ", ".join(names[:10]) + (" …" if len(names) > 10 else ""))
        for f in self.failed:
            where = f"{shown(f.path)}:{f.line}" if f.line else shown(f.path)
            lines.append(f"FAILED {where}: {f.error}")
            lines.extend(f"    {v}" for v in f.violations[:20])
        return "\n".join(lines)


def collect(paths: Iterable[str | Path], skipped: list[tuple[str, str]] | None = None, build: Path | None = None) -> list[Path]:
    """Report files under the given files and folders, in a stable order. Files named explicitly
    are taken whatever their suffix (read() says why one is not a report); in folders, regular files
    with a report suffix (kg.readers.SUFFIXES). What a folder holds and the build does not take (other formats, FIFOs and
    devices, folders it cannot list, links to folders, the build folder ``build`` itself) goes to
    ``skipped`` with the reason, so that it can be named: the build never reads its own output."""
    out: list[Path] = []
    skip = skipped if skipped is not None else []
    own = build.resolve() if build is not None else None
    for p in map(Path, paths):
        if not p.is_dir():
            out.append(p)
            continue
        if own is not None and (p.resolve() == own or own in p.resolve().parents):
            skip.append((str(p), "the build folder itself: its texts/ are the build's output"))
            continue
        found: list[Path] = []
        for root, dirs, names in os.walk(p, onerror=lambda e: skip.append((e.filename, f"cannot list: {e.strerror}"))):
            kept = []
            for d in sorted(d for d in dirs if not d.startswith(".")):
                sub = Path(root, d)
                if sub.is_symlink():
                    skip.append((str(sub), "a link to a folder, not followed (name the folder itself to build it)"))
                elif own is not None and sub.resolve() == own:
                    skip.append((str(sub), "the build folder itself: its texts/ are the build's output"))
                else:
                    kept.append(d)
            dirs[:] = kept
            found.extend(Path(root, n) for n in names if not n.startswith("."))
        for q in sorted(found):
            if q.suffix.lower() not in SUFFIXES:
                skip.append((str(q), "not a report format"))
            elif (kind := _not_regular(q)) is not None:
                skip.append((str(q), kind))
            else:
                out.append(q)
    return out


def _not_regular(p: Path) -> str | None:
    try:
        return not_a_file(p.stat().st_mode)
    except OSError:
        return None  # a dangling link or a link loop: read() fails it, by name


class FileTimeout(Exception):
    """One file took longer than the build's time limit per file."""


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Stop the work on one file after ``seconds`` (a SIGALRM timer: only in a process's main
    thread, which is where the build and its workers run; elsewhere there is no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise FileTimeout(f"stopped after the {seconds:g} s limit per file (--file-timeout)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


WORKER_MEMORY = 8 * 1024**3  # a worker's address space: a file that needs more fails by name, not the machine


def _bound_worker(memory: int | None) -> None:
    """A worker's limit: past it an allocation fails, and the file being built fails by name."""
    if memory:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


@dataclass(frozen=True)
class Options:
    """How each file is built (sent to the worker processes)."""

    check: bool = True  # SHACL: facts that break a shape are kept out of the graph
    file_timeout: float | None = FILE_TIMEOUT  # seconds one file may take
    ocr: bool = False  # read scanned PDF pages with OCR (seconds a page)
    worker_memory: int | None = WORKER_MEMORY  # bytes of address space a worker process may take (--jobs > 1)


class Processed(NamedTuple):
    """One file built: its result and, when it was built, its N-Triples, its rows of the tables
    (kg.tables) and the text it was read as."""

    result: FileResult
    nt: str | None = None
    rows: dict[str, list[list]] = {}
    text: str | None = None


def process(path: str, options: Options = Options()) -> Processed:
    """One report end to end. Never raises: failures come back in the FileResult."""
    try:
        with _time_limit(options.file_timeout):
            report = read(path, ocr=options.ocr)
            x = extract(report)
            nt = report_nt(x)
            res = FileResult(path, True, graph_iri(report), report.checksum, 0, len(x.facts))
            parsed = rows.Graph(nt, read=None)  # one reading for the check and the rows
            if options.check:
                v, notes, kept = keep_conforming_nt(nt, report_iri(report), parsed)
                if kept is not nt:
                    nt, parsed = kept, rows.Graph(kept, read=None)
                res.rejected = [{"source": shown(Path(path).name), **asdict(n)} for n in notes]
                res.facts -= len({n.fact for n in notes if n.severity == "Violation"})
                if v.violated:
                    res.ok, res.error = False, f"{len(v.violations)} SHACL violation(s) of the report itself"
                    res.violations = [str(x) for x in v.violations]
                    return Processed(res)
            res.triples = nt.count("\n")  # one triple a line
            return Processed(res, nt, tables.answer(parsed), report.text)
    except ReadError as e:
        return Processed(FileResult(path, False, error=e.reason, line=e.line))
    except FileTimeout as e:
        return Processed(FileResult(path, False, error=str(e)))
    except MemoryError:
        return Processed(FileResult(path, False, error="out of memory while building this file"))
    except Exception as e:
        return Processed(FileResult(path, False, error=f"{type(e).__name__}: {e}"))


def _process_many(paths: list[str], options: Options) -> list[Processed]:
    return [process(p, options) for p in paths]


def _in_parallel(paths: list[str], options: Options, jobs: int) -> Iterator[Processed]:
    """``process`` over the paths in worker processes, results in the paths' order. Only a few small
    tasks are in flight: when the store takes longer than the workers, they wait instead of piling up
    results (one large chunk per worker held gigabytes at 30,000 reports and reached the main process
    in bursts). A worker that dies (killed, out of memory) breaks the pool: the unfinished chunks are
    tried again one file per process, so that only the file that kills its process fails, by name."""
    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    done = 0
    while done < len(chunks):
        try:
            with ProcessPoolExecutor(max_workers=jobs, initializer=_bound_worker, initargs=(options.worker_memory,)) as pool:
                pending: deque[Future] = deque()
                for chunk in chunks[done:]:
                    pending.append(pool.submit(_process_many, chunk, options))
                    if len(pending) >= jobs * AHEAD:
                        yield from pending.popleft().result()
                        done += 1
                while pending:
                    yield from pending.popleft().result()
                    done += 1
        except BrokenProcessPool:
            for path in chunks[done]:
                yield _alone(path, options)
            done += 1


def _alone(path: str, options: Options) -> Processed:
    """One file in a process of its own: a file that kills its worker fails alone."""
    try:
        with ProcessPoolExecutor(max_workers=1, initializer=_bound_worker, initargs=(options.worker_memory,)) as pool:
            return pool.submit(process, path, options).result()
    except BrokenProcessPool:
        return Processed(FileResult(path, False, error="the process building this file died (killed, or out of memory)"))


def _cache_path(out: Path) -> Path:
    return out / "cache.json"


def build(paths: Iterable[str | Path], out: str | Path = "build", jobs: int = 1, check: bool = True,
          progress: Callable[[FileResult], None] | None = None, file_timeout: float | None = FILE_TIMEOUT,
          ocr: bool = False, worker_memory: int | None = WORKER_MEMORY) -> BuildResult:
    """Build report files and folders into ``out/store`` (report graphs, the entities they share,
    each body's derived graph), with tables in ``out/tables/`` and the text each report was read as
    in ``out/texts/``; ``progress`` is called once per file. One build at a time writes
    to a folder: a second one stops with BuildError."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise BuildError(f"--out {out} is a file, not a build folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BuildError(f"--out {out}: cannot create the build folder ({e.strerror or e})") from e
    notes = []
    if jobs > max_jobs():
        notes.append(f"--jobs {jobs} capped at {max_jobs()}: twice this machine's {os.cpu_count()} cores")
        jobs = max_jobs()
    with _writer_lock(out):
        result = _build(list(paths), out, max(1, jobs), Options(check, file_timeout, ocr, worker_memory), progress)
    result.notes = notes
    return result


def max_jobs() -> int:
    """Workers beyond twice the cores only wait for each other and hold memory (a worker is ~0.3 GB)."""
    return 2 * (os.cpu_count() or 1)


@contextmanager
def _writer_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on the build folder for the whole build (released by the kernel if the
    build is killed, so a kill never leaves a folder locked)."""
    try:
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise BuildError(f"--out {out}: cannot write there ({e.strerror or e})") from e
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            raise BuildError(f"another build (pid {other or '?'}) is writing to {out}: wait for it to finish") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _build(paths: list[str | Path], out: Path, jobs: int, options: Options,
           progress: Callable[[FileResult], None] | None) -> BuildResult:
    tabled = tables.Writer(out / "store")
    as_left = tables.fresh(out / "store")  # no write since the last build: the sizes it kept still hold
    store = OxigraphStore(out / "store")
    texts = out / TEXTS
    texts.mkdir(exist_ok=True)
    skipped: list[tuple[str, str]] = []
    files = collect(paths, skipped, out)
    cache_file = _cache_path(out)
    cache = _read_cache(cache_file)
    extractor = f"{VERSION} lexicon {lexicon.digest()}"  # a new alias in ontology/ is a new extractor
    new_lexicon = cache.get("_extractor") != extractor
    if new_lexicon:
        cache = {"_extractor": extractor}
    in_store = {g for g in store.graphs() if is_report_graph(g)}
    stored = in_store & tabled.graphs()  # a report whose table rows are missing is done again
    # bodies whose summaries must be written again; all of them after a build that did not finish
    # (it may have changed reports and died before their summaries) or one by another version
    dirty = out / DIRTY
    unfinished = dirty.exists()
    touched: set[str] | None = None if unfinished or cache.get("_derived") != derived.VERSION else set()
    dirty.touch()

    todo, results = [], []
    for f in files:
        entry = cache.get(_key(f))
        if (entry and _stat(f).items() <= entry.items() and entry.get("graph") in stored
                and text_path(out, entry["graph"]).exists()):
            results.append(FileResult(str(f), True, entry["graph"], checksum=entry["checksum"], triples=entry["triples"],
                                      facts=entry["facts"], cached=True, rejected=entry.get("rejected", [])))
            if progress:
                progress(results[-1])
        else:
            todo.append(str(f))

    loader = store.batch()
    removed: list[str] = []  # report graphs taken out
    named: set[str] = set()  # the entities they named: some may be used by no report now

    def forget(key: str, keep: str | None = None) -> None:
        """Drop the graph a file had in the store, unless another file (the same text) still has it."""
        old = cache.pop(key, {}).get("graph")
        if old and old != keep and not any(e.get("graph") == old for k, e in cache.items() if not k.startswith("_")):
            if touched is not None:
                touched.update(derived.bodies_in(store, old))
            named.update(e for e in store.objects_in(old) if is_entity(e))
            loader.remove_graph(old)
            tabled.remove(old)
            in_store.discard(old)
            removed.append(old)
            text_path(out, old).unlink(missing_ok=True)

    def done(res: FileResult, nt: str | None, rows: dict[str, list[list]], text: str | None) -> None:
        if nt is None:  # a file that now fails takes its old facts with it: no stale numbers
            forget(_key(res.path))
        if nt is not None and res.graph:
            forget(_key(res.path), keep=res.graph)  # the text changed, so did its graph IRI: drop the stale one
            _write_atomic(text_path(out, res.graph), text or "")
            facts, entities = split_entities(nt)
            if touched is not None:
                touched.update(derived.bodies_in(store, res.graph), derived.bodies_in_nt(facts))
            loader.replace_graph(res.graph, facts)
            loader.add_to_graph(ENTITIES_GRAPH, entities)
            tabled.replace(res.graph, rows)
            in_store.add(res.graph)
            cache[_key(res.path)] = {**_stat(res.path), **{
                k: v for k, v in asdict(res).items() if k in ("graph", "checksum", "triples", "facts", "rejected")}}
        results.append(res)
        if progress:
            progress(res)

    with loader:
        folders = [os.path.abspath(p) + os.sep for p in map(Path, paths) if p.is_dir()]
        present = {_key(f) for f in files}
        for key in [k for k in cache if not k.startswith("_") and k not in present and k.startswith(tuple(folders))]:
            forget(key)  # deleted from a folder that is built again: its facts go too
        if jobs > 1 and len(todo) > 1:
            for built in _in_parallel(todo, options, jobs):
                done(*built)
        else:
            for path in todo:
                done(*process(path, options))
    tabled.finish()
    if touched is None or "_lists" not in cache:  # the body lists the store holds, by digest: all written again
        cache["_lists"] = {}
    derived.refresh(store, derived.all_bodies(store) | derived.in_tables(tabled.folder) if touched is None else touched, tabled.folder,
                    cache["_lists"])
    if removed or unfinished:  # after the summaries: a body no report names any more has none left
        _drop_unused_entities(store, store.subjects_in(ENTITIES_GRAPH) if unfinished else named)
    if new_lexicon or not store.has_graph(ONTOLOGY_GRAPH):  # its canonical form takes a second to make
        store.replace_graph(ONTOLOGY_GRAPH, _ontology())
    if store.written or not store.has_graph(DATASET_GRAPH):
        sizes = dataset.graph_sizes(store, cache.get("_sizes") if as_left and not unfinished else None, store.written)
        store.replace_graph(DATASET_GRAPH, dataset.describe(sizes, [report_of(f.graph) for f in results if f.ok and f.graph]))
        cache["_sizes"] = sizes
    if loader.loaded >= COMPACT_AFTER_QUADS:
        store.optimize()
    store.close()
    cache["_derived"] = derived.VERSION
    tabled.stamp(store.path)
    _write_atomic(cache_file, json.dumps(cache, ensure_ascii=False, indent=1, sort_keys=True))
    dirty.unlink()
    results.sort(key=lambda r: r.path)
    result = BuildResult(str(out), results, skipped)
    _write_atomic(out / REJECTED, "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in result.rejected))
    return result


def text_path(out: str | Path, graph: str) -> Path:
    """Where the build keeps the text a report was read as (its graph IRI ends in the report's id):
    every evidence offset of the report points into it."""
    return Path(out) / TEXTS / f"{graph.rsplit('/', 1)[-1]}.txt"


def _ontology() -> Graph:
    """The ontology with its blank nodes (OWL unions, the cube's components, RDF lists) as Skolem IRIs
    named from their content: a store gives a blank node a new label on every load, and two builds
    must store, and export, the same terms."""
    from rdflib.compare import to_canonical_graph

    canonical = Graph() + to_canonical_graph(lexicon.ontology_graph())
    return bind_prefixes(canonical.skolemize(authority=lexicon.BASE.rstrip("/"), basepath="/.well-known/genid/"))


def _drop_unused_entities(store: OxigraphStore, named: set[str]) -> None:
    """After reports were taken out: the places, bodies and laws they ``named`` that no report refers
    to any more go too (and a place a dropped body leaves unused). After a build that did not
    finish, every entity is looked at: what its removed reports named is not known."""
    store.drop_unreferenced(ENTITIES_GRAPH, named, is_entity)


def _read_cache(path: Path) -> dict:
    """The cache of the last build; one that cannot be read (cut short by a full disk) is started over."""
    try:
        cache = json.loads(path.read_text(encoding="utf-8", errors="surrogateescape"))
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _write_atomic(path: Path, text: str) -> None:
    """Write beside, then rename: a kill leaves the old file or the new one, never half of one. A file
    name that is not UTF-8 keeps its bytes (surrogateescape)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", errors="surrogateescape")
    os.replace(tmp, path)


def _key(p: str | Path) -> str:
    """Cache entries are keyed on the absolute path: the same folder named relatively or absolutely,
    or from another working directory, is the same cache. Links are not followed (a link loop must
    reach read() and be reported there, by name)."""
    return os.path.abspath(p)


def _stat(p: str | Path) -> dict[str, int | None]:
    """A file's size and modification time: its cache entry holds while both are unchanged."""
    try:
        st = os.stat(p)
    except OSError:
        return {"size": None, "mtime": None}
    return {"size": st.st_size, "mtime": st.st_mtime_ns}
