"""The ``kg`` command: parse arguments, call the library, print. Nothing else lives here."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from kg import names
from kg.errors import StoreError


def _choices(name: str, values: tuple[str, ...] | dict[str, str]) -> type[Enum]:
    """A typer choice from the library's own list of values: checked when parsed, completed by the shell."""
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[return-value]


# the library is imported by the commands that use it: `kg --help` starts in a fraction of a second
ExportFormat = _choices("ExportFormat", names.EXPORT_FORMATS)
NetworkKind = _choices("NetworkKind", names.NETWORK_KINDS)
NetworkFormat = _choices("NetworkFormat", names.NETWORK_FORMATS)
Engine = _choices("Engine", names.SHACL_ENGINES)
TableName = _choices("TableName", names.TABLE_NAMES)
TableFormat = _choices("TableFormat", names.TABLE_FORMATS)
RowsFormat = _choices("RowsFormat", names.ROW_FORMATS)
Modality = _choices("Modality", ("reported", "planned"))

app = typer.Typer(no_args_is_help=True, rich_markup_mode="markdown", help="Knowledge graphs of local people's congresses.")


def _version(value: bool) -> None:
    if value:
        from kg.__about__ import __version__

        typer.echo(f"npc-kg {__version__}")
        raise typer.Exit()


@app.callback()
def _options(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                   help="print the version and exit")] = False) -> None:
    """Knowledge graphs of local people's congresses: build, validate, query, export, draw.
    Exit codes: 0 done; 1 findings (violations) or nothing built; 2 usage; 3 a partial build."""

StoreOpt = Annotated[Path, typer.Option("--store", help="build folder (or its store/ folder)")]
EndpointOpt = Annotated[str | None, typer.Option("--endpoint", help="remote SPARQL query URL instead of the local store")]


def _seconds(value: float | None) -> float | None:
    """A number of seconds: finite and not negative (nan and inf pass typer's ranges)."""
    if value is not None and not 0 <= value < float("inf"):
        raise typer.BadParameter(f"{value} is not a number of seconds")
    return value


def _fail(msg: str, code: int = 1) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


MemoryOpt = Annotated[str, typer.Option("--memory", help="memory a query may take, e.g. 4GB (kg.limits)")]


def _open(store: Path, endpoint: str | None, memory: str | None = None):
    from kg.api import open_graph
    from kg.limits import parse_size

    if memory is not None:
        try:
            limit = parse_size(memory)
        except ValueError as e:
            _fail(f"--memory: {e}", 2)
        graph = _open(store, endpoint)
        if hasattr(graph.store, "memory_limit"):
            graph.store.memory_limit = limit
        return graph

    if not endpoint and not (store / "store").is_dir() and not (store / "CURRENT").exists():
        _fail(f"no built store at {store}: run `kg build` first")
    return open_graph(store, endpoint, read_only=True)


@app.command()
def build(paths: Annotated[list[Path] | None, typer.Argument(help="report files or folders")] = None,
          out: Annotated[Path, typer.Option("--out", help="build folder")] = Path("build"),
          jobs: Annotated[int, typer.Option("--jobs", "-j", help="worker processes", min=1)] = 1,
          file_timeout: Annotated[float, typer.Option("--file-timeout", help="seconds one file may take (0: no limit)", min=0, callback=_seconds)] = 300.0,
          ocr: Annotated[bool, typer.Option("--ocr", help="read scanned PDF pages with OCR (seconds a page)")] = False,
          quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
          worker_memory: Annotated[str, typer.Option("--worker-memory", help="memory a worker may take (--jobs > 1), e.g. 8GB")] = "8GB") -> None:
    """Build reports into a validated graph store. Exit 0: all built; 3: some files failed, the rest
    were built; 1: nothing could be built."""
    from kg.build import BuildError, collect
    from kg.build import build as run
    from kg.limits import parse_size
    from kg.paths import SEEDS
    from kg.progress import Progress

    try:
        memory = parse_size(worker_memory)
    except ValueError as e:
        _fail(f"--worker-memory: {e}", 2)
    paths = paths or [SEEDS]
    bar = Progress(len(collect(paths, build=out)), "build")

    def progress(r) -> None:
        if quiet:
            return
        if r.cached:
            bar.skip()
        else:
            bar.tick(note=("" if r.ok else "FAILED ") + Path(r.path).name)

    try:
        result = run(paths, out, jobs=jobs, progress=progress, file_timeout=file_timeout or None, ocr=ocr, worker_memory=memory)
    except BuildError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    typer.echo(result.summary())
    raise typer.Exit(result.exit_code)


@app.command()
def validate(store: StoreOpt = Path("build"),
             files: Annotated[list[Path] | None, typer.Argument(help="Turtle/TriG files instead of the store")] = None,
             engine: Annotated[Engine, typer.Option(
                 help="SHACL engine: native, turbo (pyshacl-turbo), pyshacl (reference) or core (kg.shacl, the build's check)")] = Engine.native,
             ) -> None:
    """SHACL-validate the built graphs (or RDF files). Conforms only with no result of any severity, as
    SHACL defines it; exit 1 when a result has severity Violation, 0 when there are only warnings."""
    engine = engine.value
    if files:
        from kg.validate import validate_files

        try:
            report = validate_files(files, engine)
        except ValueError as e:
            _fail(str(e))
    else:
        from kg.progress import Progress
        from kg.rdf import is_report_graph

        graph = _open(store, None)
        bar = Progress(len([g for g in graph.store.graphs() if is_report_graph(g)]), "validate")
        report = graph.validate(progress=lambda iri: bar.tick(), engine=engine)
    typer.echo(report.text())
    raise typer.Exit(1 if report.violated else 0)


@app.command("queries")
def list_queries() -> None:
    """List the stored queries with their parameters."""
    from kg import queries

    for q in queries.stored().values():
        params = ", ".join(f"{p.name}:{p.type}" + ("" if p.default is None else f"={p.default}") for p in q.params)
        typer.echo(f"{q.name}  [{params}]\n    {q.summary.get('en', '')}\n    {q.summary.get('zh', '')}")


def _render(rows, fmt: str) -> str:
    if fmt == "records":  # a list of objects by variable name, for jq and the like
        return json.dumps(rows.rows, ensure_ascii=False, indent=1, default=str)
    from kg import terminal

    return terminal.table(rows)


@app.command()
def query(name: Annotated[str | None, typer.Argument(help="stored query name")] = None,
          param: Annotated[list[str] | None, typer.Option("--param", "-p", help="k=v, repeatable")] = None,
          file: Annotated[Path | None, typer.Option("--file", help="run an ad-hoc .rq file")] = None,
          fmt: Annotated[RowsFormat, typer.Option("--format", "-f", help="how rows are printed")] = RowsFormat.table,
          timeout: Annotated[float | None, typer.Option("--timeout", help="seconds", callback=_seconds)] = 60.0,
          allow_update: Annotated[bool, typer.Option("--allow-update", help="run a SPARQL UPDATE from --file")] = False,
          allow_service: Annotated[bool, typer.Option("--allow-service", help="let the query call other servers (SERVICE)")] = False,
          memory: MemoryOpt = "4GB",
          limit: Annotated[int | None, typer.Option("--limit", min=0, help="rows of one page (with the total)")] = None,
          offset: Annotated[int, typer.Option("--offset", min=0, help="rows to skip before the page")] = 0,
          store: StoreOpt = Path("build"), endpoint: EndpointOpt = None) -> None:
    """Run a stored query (values bound, never pasted) or a .rq file; read-only unless --allow-update.
    With --limit/--offset, one page of the rows and how many there are in all."""
    from kg import queries
    from kg.stores.base import is_graph_query

    values = {}
    for kv in param or []:
        if "=" not in kv:
            _fail(f"--param wants k=v, got {kv!r}", 2)
        k, v = kv.split("=", 1)
        values[k] = v
    text = ""
    if file:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            _fail(f"--file {file}: cannot be read as UTF-8 text ({getattr(e, 'strerror', None) or e.__class__.__name__})", 2)
    try:
        if file and allow_update:
            from kg.api import open_graph

            open_graph(store, endpoint, read_only=False).store.update(text)
            typer.echo("update done")
            return
        if file:
            try:
                q = queries.parse(text, str(file))
                sparql = q.bind(values) if q.params else text
            except queries.ParamError:
                if values:
                    raise
                sparql = text  # '#+ ' lines that are no stored query's header are comments of an ad-hoc query
        elif name:
            sparql = queries.get(name).bind(values)
        else:
            _fail("give a stored query name or --file", 2)
        graph = _open(store, endpoint, memory)
        graph.store.allow_service = allow_service
        as_graph = is_graph_query(sparql)
        paged = (limit is not None or offset > 0) and not as_graph
        count = int(graph.store.query(queries.total(sparql), timeout=timeout).data[0][0]) if paged else None
        if as_graph or fmt.value not in ("table", "records"):  # the engine writes a W3C format
            raw = graph.store.results(queries.page(sparql, limit, offset) if paged else sparql,
                                      "ttl" if fmt.value in ("table", "records") else fmt.value, timeout=timeout)
            if count is not None:
                typer.echo(f"of {count} rows in all, from row {offset + 1}", err=True)
            sys.stdout.buffer.write(raw)
            return
        rows = graph.store.query(queries.page(sparql, limit, offset), timeout=timeout)
    except KeyError as e:
        _fail(str(e.args[0]), 2)
    except queries.ParamError as e:
        _fail(str(e), 2)
    except StoreError as e:
        _fail(str(e))
    text = _render(rows, fmt.value)
    if count is not None and fmt.value == "table":
        text += f"\n(rows {offset + 1}–{offset + len(rows.data)} of {count})" if rows.data else f"\n(no rows past {offset} of {count})"
    elif count is not None:
        typer.echo(f"rows {offset + 1}–{offset + len(rows.data)} of {count}", err=True)
    typer.echo(text, nl=not text.endswith("\n"))  # CSV ends its last row itself: no blank line after it


@app.command()
def ask(question: Annotated[str, typer.Argument(help="a question in Chinese (simplified or traditional) or English")],
        timeout: Annotated[float | None, typer.Option("--timeout", help="seconds", callback=_seconds)] = 60.0,
        memory: MemoryOpt = "4GB",
        store: StoreOpt = Path("build"), endpoint: EndpointOpt = None) -> None:
    """Answer a question in your own words: it is mapped by rules to one stored query, printed with its
    parameters, and each row is printed with its evidence sentence. Exit 1 if no stored query answers it."""
    from kg import ask as asking

    graph = _open(store, endpoint, memory)
    try:
        answer = asking.ask(graph.store, question, timeout=timeout)
    except asking.Unanswerable as e:
        typer.echo(f"{e}\nclosest: " + "; ".join(f"{k.query} ({k.label_zh} / {k.label_en})" for k in e.closest))
        raise typer.Exit(1) from None
    except StoreError as e:
        _fail(str(e))
    typer.echo("-> " + asking.describe(answer.interpretation))
    typer.echo(asking.render(answer))


@app.command()
def export(fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="RDF syntax")] = ExportFormat.ttl,
           out: Annotated[Path | None, typer.Option("--out", "-o", help="file to write (default: standard output)")] = None,
           store: StoreOpt = Path("build")) -> None:
    """Export the whole graph, sorted and canonical, written as it goes: memory stays bounded at any size
    of store (N-Quads and N-Triples sorted in runs on disk, the other formats one graph at a time)."""
    from kg.export import stream

    graph = _open(store, None)
    try:
        if out:
            with out.open("wb") as f:
                n = stream(graph.store, fmt.value, f)
            typer.echo(f"wrote {out} ({n} {'lines' if fmt.value in ('nt', 'nq') else 'graphs'})")
        else:
            stream(graph.store, fmt.value, sys.stdout.buffer)
    except OSError as e:
        _fail(f"cannot write {out or 'to standard output'}: {e.strerror or e}")


@app.command()
def network(kind: Annotated[NetworkKind, typer.Option("--kind", help="which network")] = NetworkKind.bipartite,
            out: Annotated[Path | None, typer.Option("--out", "-o", help="file to write (default: build/network.png)")] = None,
            fmt: Annotated[NetworkFormat | None, typer.Option("--format", "-f", help="file format (default: from the file name)")] = None,
            mechanism: Annotated[list[str] | None, typer.Option("--mechanism", help="keep these mechanisms (diffusion: the one)")] = None,
            province: Annotated[str | None, typer.Option("--province", help="keep bodies in this province, e.g. 四川省")] = None,
            hierarchy: Annotated[bool, typer.Option("--hierarchy", help="add province and prefecture nodes")] = False,
            show_stats: Annotated[bool, typer.Option("--stats", help="print centralities, communities, co-adoption")] = False,
            modality: Annotated[Modality, typer.Option("--modality", help="reported facts or plans")] = Modality.reported,
            store: StoreOpt = Path("build")) -> None:
    """Draw, write or measure a mechanism network."""
    from kg import drawing
    from kg import network as networks

    try:
        g = networks.build_graph(_open(store, None).store, kind.value, modality.value, tuple(mechanism or ()), province, hierarchy)
    except ValueError as e:
        _fail(str(e), 2)
    if show_stats:
        for name, df in networks.stats(g).items():
            typer.echo(f"== {name}\n{df.head(30).to_string(index=False)}\n")
    if out or not show_stats:
        out = out or Path("build/network.png")
        try:
            drawing.write(g, out, fmt.value if fmt else None)
        except ValueError as e:
            _fail(f"{e} (give --format, or a file name ending in one)", 2)
        except OSError as e:
            _fail(f"cannot write {out}: {e.strerror or e}")
        typer.echo(f"wrote {out} ({g.number_of_nodes()} nodes, {g.number_of_edges()} edges)")


@app.command()
def extract(file: Annotated[Path, typer.Argument(help="one report file (txt, html, pdf, docx, doc)")],
            fmt: Annotated[str, typer.Option("--format", "-f", help="jsonl (the only one)")] = "jsonl",
            ocr: Annotated[bool, typer.Option("--ocr", help="read scanned PDF pages with OCR (seconds a page)")] = False) -> None:
    """Print a report's facts, one JSON object per line: first the report, then each fact. Offsets
    point into the text the report was read as (what `kg build` keeps in build/texts/)."""
    from kg.extract import extract as run
    from kg.facts import fact_to_json
    from kg.report import ReadError, read, report_json

    if fmt != "jsonl":
        _fail("only --format jsonl is supported", 2)
    try:
        report = read(file, ocr=ocr)
    except ReadError as e:
        _fail(str(e))
    x = run(report)
    typer.echo(json.dumps(report_json(report), ensure_ascii=False))
    for f in x.facts:
        typer.echo(json.dumps(fact_to_json(f), ensure_ascii=False))


def _emit(text: str | None, out: Path | None) -> None:
    """Say where a file was written, or print the text (a CSV ends its last row itself: no blank line)."""
    if text is None:
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text, nl=not text.endswith("\n"))


@app.command("table")
def table_cmd(name: Annotated[TableName, typer.Argument(help="which table")],
              fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="file format")] = TableFormat.csv,
              out: Annotated[Path | None, typer.Option("--out", "-o", help="file to write (default: standard output)")] = None,
              bom: Annotated[bool, typer.Option("--bom", help="CSV with a byte-order mark, for Excel")] = False,
              store: StoreOpt = Path("build")) -> None:
    """A tidy table, one fact a row, from the stored table-* queries; or the panel: body × year ×
    measure, reported and planned side by side with their sentences."""
    from kg import tables

    try:
        text = tables.write(_open(store, None).table(name.value), fmt.value, out, bom)
    except ValueError as e:
        _fail(str(e), 2)
    _emit(text, out)


@app.command()
def plot(kind: Annotated[str, typer.Argument(help="adoption (curves) or grid (province tiles)")],
         mechanism: Annotated[str, typer.Option("--mechanism", "-m", help="a mechanism's local name")] = "livelihood-project-voting",
         out: Annotated[Path, typer.Option("--out", "-o", help=".png .svg .pdf or .html")] = Path("build/adoption.png"),
         by: Annotated[str, typer.Option("--by", help="curves by level or province")] = "level",
         year: Annotated[int | None, typer.Option("--year", help="the grid's year (default: the last observed)")] = None,
         store: StoreOpt = Path("build")) -> None:
    """How a mechanism spread: cumulative adopters by year beside the bodies observed, or a province grid
    shaded by the share of observed bodies that had adopted."""
    try:
        typer.echo(f"wrote {_open(store, None).plot(kind, mechanism, out, by, year)}")
    except KeyError as e:  # its str() is the message in quotes
        _fail(str(e.args[0]), 2)
    except ValueError as e:
        _fail(str(e), 2)


@app.command("check")
def check_cmd(store: StoreOpt = Path("build")) -> None:
    """What does not add up: one count given two values in a report, two reports that disagree on a
    body's count for a year, a plan next to its result, a total against the laws its sentence names,
    a percentage past 100, shares of one whole past 100 %, a report without a body; each with its evidence. Exit 1
    when there are findings."""
    from kg.check import KINDS

    findings = _open(store, None).check()
    for f in findings:
        typer.echo(f.text())
    by_kind = {k: sum(f.kind == k for f in findings) for k in KINDS}
    typer.echo(f"{len(findings)} finding(s): " + ", ".join(f"{n} {k}" for k, n in by_kind.items()))
    raise typer.Exit(1 if findings else 0)


@app.command("sql")
def sql_cmd(query: Annotated[str, typer.Argument(help="SQL over the tables counts, practices, bodies, laws, reports")],
            fmt: Annotated[TableFormat, typer.Option("--format", "-f", help="file format")] = TableFormat.table,
            out: Annotated[Path | None, typer.Option("--out", "-o", help="file to write (default: standard output)")] = None,
            memory: Annotated[str, typer.Option("--memory", help="DuckDB's memory limit for the query, e.g. 2GB")] = "2GB",
            timeout: Annotated[float, typer.Option("--timeout", min=0.1, max=86400, help="seconds the query may run", callback=_seconds)] = 300.0,
            store: StoreOpt = Path("build")) -> None:
    """Whole-corpus aggregations with DuckDB over the build's tables, sandboxed: the tables and nothing
    else (no file, network or extension), within a memory and a time limit."""
    from kg import tables

    try:
        df = tables.sql(store, query, memory, timeout)
        text = tables.write(df, fmt.value, out)
    except ValueError as e:
        _fail(str(e), 2)
    _emit(text, out)


@app.command()
def docs(out: Annotated[Path, typer.Option("--out", "-o", help="folder to write the pages into")] = Path("site")) -> None:
    """Render the ontology and its SKOS schemes to HTML (zh and en)."""
    from kg.docs import write

    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file: give a folder for the pages", 2)
    try:
        typer.echo(f"wrote {write(out)}")
    except OSError as e:
        _fail(f"--out {out}: cannot write the pages there ({e.strerror or e})", 2)


@app.command("eval")
def eval_cmd(gold_dir: Annotated[Path, typer.Argument(help="folder of NAME.txt and NAME.gold.jsonl pairs")],
             texts: Annotated[Path | None, typer.Option("--texts", help="folder of the texts, if not beside the gold")] = None,
             graph: Annotated[bool, typer.Option("--graph", help="score what a built graph holds, not kg extract")] = False) -> None:
    """Precision, recall and F1 per kind against NAME.txt + NAME.gold.jsonl pairs, with every miss."""
    from kg.evaluate import evaluate

    try:
        typer.echo(evaluate(gold_dir, texts, graph=graph).text())
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


@app.command("push")
def push_cmd(endpoint: Annotated[str, typer.Option("--endpoint", help="SPARQL query URL of the server")],
             graph_store: Annotated[str | None, typer.Option("--graph-store", help="Graph Store URL (default: …/store)")] = None,
             timeout: Annotated[float, typer.Option("--timeout", min=1, help="seconds one request may take", callback=_seconds)] = 60.0,
             deadline: Annotated[float, typer.Option("--deadline", min=1, help="seconds the whole push may take", callback=_seconds)] = 1800.0,
             store: StoreOpt = Path("build")) -> None:
    """Upload every report graph to a SPARQL server (Graph Store PUT; credentials from NPC_KG_TOKEN or
    NPC_KG_USER/NPC_KG_PASSWORD). Exit 1 when any graph was not pushed."""
    from kg.stores import RemoteStore, push

    src = _open(store, None).store
    from kg.progress import Progress

    try:
        target = RemoteStore(endpoint, graph_store, timeout=timeout)
    except StoreError as e:
        _fail(str(e), 2)
    bar = Progress(len(src.graphs()), "push")
    result = push(src, target, progress=lambda iri, i, n: bar.tick(note=iri.rsplit("/", 1)[-1]), deadline=deadline)
    typer.echo(result.summary())
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def serve(store: StoreOpt = Path("build"),
          port: Annotated[int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port)")] = 7878,
          host: Annotated[str, typer.Option("--bind", help="address to listen on")] = "127.0.0.1",
          cors: Annotated[bool, typer.Option("--cors", help="allow cross-origin requests from web pages")] = False,
          timeout: Annotated[float | None, typer.Option("--timeout", min=1, help="seconds a query may run", callback=_seconds)] = 60.0,
          allow_service: Annotated[bool, typer.Option("--allow-service", help="let queries call other servers (SERVICE)")] = False,
          memory: MemoryOpt = "4GB") -> None:
    """Serve the built store read-only over the SPARQL 1.1 Protocol (Oxigraph's server) until Ctrl-C."""
    from kg.server import ServeError
    from kg.server import serve as run

    def ready(url: str) -> None:
        typer.echo(f"SPARQL endpoint: {url}\n"
                   f"try: curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}' {url}")

    from kg.limits import parse_size

    try:
        limit = parse_size(memory)
    except ValueError as e:
        _fail(f"--memory: {e}", 2)
    try:
        run(store / "store" if (store / "store").is_dir() else store, host, port, cors, timeout, allow_service, ready, limit)
    except ServeError as e:
        _fail(str(e), 2)
    except KeyboardInterrupt:
        typer.echo("stopped")


def main() -> None:
    from kg.paths import MissingData

    try:
        app()
    except (MissingData, StoreError) as e:
        typer.echo(f"error: {e}", err=True)
        raise SystemExit(1) from None
    except OSError as e:  # a full disk, a folder that went away, a permission taken back: one line, no traceback
        where = f": {e.filename}" if e.filename else ""
        typer.echo(f"error: {e.strerror or e}{where}", err=True)
        raise SystemExit(1) from None
    except MemoryError:
        typer.echo("error: out of memory (a smaller --jobs, or a query that asks for less)", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
