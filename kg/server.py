"""Oxigraph's SPARQL server (the ``oxigraph`` executable from PyPI), started for ``kg serve``
and for the integration tests.

``kg serve`` puts a small proxy in front of it: Oxigraph follows SPARQL SERVICE calls, and a
server that anyone on the network can query must not fetch other URLs on their behalf.
"""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kg import queries
from kg.queries import uses_service

_RESTART = threading.Lock()
PAGE = 100  # rows of a stored query's page over HTTP unless the request says otherwise
MAX_REQUEST = 10 * 1024 * 1024  # bytes of one request body: a query, not a data upload
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
        "proxy-connection", "content-length", "host"}


class ServeError(Exception):
    """``kg serve`` cannot start; the message says why."""


def oxigraph_executable() -> str:
    """The ``oxigraph`` program installed beside this Python (the PyPI package ``oxigraph``)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise FileNotFoundError("the `oxigraph` server is not installed (pip install oxigraph)")
    return found


def serve_command(location: str | Path, port: int, read_only: bool = True, cors: bool = False,
                  timeout: float | None = None, memory: int | None = None) -> list[str]:
    verb = "serve-read-only" if read_only else "serve"
    del memory  # a limit of the process (_die_with_parent), not an option of the program
    return [oxigraph_executable(), verb, "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph",
            *(["--cors"] if cors else []), *(["--timeout-s", str(max(1, round(timeout)))] if timeout else [])]


def _die_with_parent(memory: int | None = None) -> None:
    """Linux: the server gets SIGTERM when the process that started it dies, even by SIGKILL; and an
    address-space limit, past which its allocation fails and it ends (kg serve starts it again)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if memory:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OxigraphServer:
    """A writable Oxigraph server on 127.0.0.1 and a free port, for tests and local pushes."""

    def __init__(self, location: str | Path, port: int | None = None, read_only: bool = False, **options: object) -> None:
        self.location, self.port = Path(location), port or free_port()
        self.read_only, self.options = read_only, options
        self.proc: subprocess.Popen | None = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def start(self, timeout: float = 20.0) -> OxigraphServer:
        if not self.read_only:
            self.location.mkdir(parents=True, exist_ok=True)
        memory = self.options.get("memory")
        self.proc = subprocess.Popen(serve_command(self.location, self.port, self.read_only, **self.options),  # type: ignore[arg-type]
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     preexec_fn=lambda: _die_with_parent(memory))  # type: ignore[arg-type]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServeError(f"oxigraph exited: {self.proc.stderr.read().decode(errors='replace').strip()[-500:]}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise ServeError(f"oxigraph did not answer on port {self.port} within {timeout} s")

    def restart_if_dead(self) -> bool:
        """Start the server again on its port if it ended (a query past its memory limit); True if it had."""
        with _RESTART:
            if self.proc is None:
                return False
            try:  # the connection broke as the process ends: give the kernel a moment to reap it
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                return False
            self.proc = None
            # from one thread that lives as long as the server: the kernel sends the new process SIGTERM
            # when the *thread* that started it ends (PR_SET_PDEATHSIG), and request threads end
            self._keeper = getattr(self, "_keeper", None) or ThreadPoolExecutor(1, thread_name_prefix="oxigraph-keeper")
            self._keeper.submit(self.start).result()
            return True

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> OxigraphServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


QUERY_TYPES = ("application/sparql-query", "application/x-www-form-urlencoded")
_GRAPH_PARAMS = ("default-graph-uri", "named-graph-uri")


def query_of(path: str, content_type: str, body: bytes) -> list[str]:
    """Every SPARQL text a Protocol request carries (GET ?query=, POST form, or POST sparql-query)."""
    found = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query, errors="replace").get("query", [])
    if content_type == "application/x-www-form-urlencoded":
        found += urllib.parse.parse_qs(body.decode("latin-1"), encoding="utf-8", errors="replace").get("query", [])
    elif content_type == "application/sparql-query":
        found.append(body.decode("utf-8", "replace"))
    return found


class _Guard(BaseHTTPRequestHandler):
    """Relays requests to the Oxigraph server behind it, except queries that call SERVICE.

    A query is never relayed as it came: the guard reads the one query text the request carries,
    decides on that text (kg.queries.uses_service), and sends the server exactly that text in a
    request of its own (POST application/sparql-query). Which header, parameter or body the server
    would have read is then no longer a question; a request that carries its query twice, or in a way
    the Protocol does not define, is refused."""

    upstream: tuple[str, int] = ("127.0.0.1", 0)
    allow_service = False
    timeout_s: float | None = None
    backend: OxigraphServer | None = None

    def do_GET(self) -> None:
        self._relay()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_GET

    def _relay(self) -> None:
        self.close_connection = True
        if any(len(self.headers.get_all(h) or []) > 1 for h in ("Content-Type", "Content-Length", "Transfer-Encoding")):
            return self.send_error(400, "a header given twice")
        if self.headers.get("Transfer-Encoding"):
            return self.send_error(411, "send the request with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self.send_error(400, "bad Content-Length")
        if not 0 <= length <= MAX_REQUEST:
            return self.send_error(413, f"a request body over {MAX_REQUEST} bytes")
        body = self.rfile.read(length) if length > 0 else b""
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True, errors="replace")
        if url.path.rstrip("/") == "/query":
            return self._query(url, params, body)
        if url.path.rstrip("/") == "/queries" or url.path.startswith("/queries/"):
            return self._stored(url.path.removeprefix("/queries").strip("/"), params)
        if "query" in params or "update" in params or self.command not in ("GET", "HEAD", "OPTIONS"):
            return self.send_error(403, "this server answers queries at /query and reads graphs; nothing else")
        self._forward(self.command, self.path, None, {k: v for k, v in self.headers.items() if k.lower() not in _HOP})

    def _query(self, url: urllib.parse.SplitResult, params: dict[str, list[str]], body: bytes) -> None:
        content_type = self.headers.get_content_type() if self.headers.get("Content-Type") else ""
        if self.command == "POST" and content_type not in QUERY_TYPES:
            return self.send_error(415, f"a query is sent as {' or '.join(QUERY_TYPES)}")
        if self.command not in ("GET", "POST"):
            return self.send_error(405, "a query is sent with GET or POST")
        texts = query_of(self.path, content_type if self.command == "POST" else "", body)
        if len(texts) != 1:
            return self.send_error(400, "a request carries exactly one query")
        if not self.allow_service and uses_service(texts[0]):
            return self.send_error(403, "SERVICE refused: this server does not call other servers")
        graphs = urllib.parse.urlencode([(k, v) for k in _GRAPH_PARAMS for v in params.get(k, [])])
        headers = {"Content-Type": "application/sparql-query; charset=utf-8", "Accept": self.headers.get("Accept", "*/*")}
        self._forward("POST", "/query" + (f"?{graphs}" if graphs else ""), texts[0].encode("utf-8"), headers)

    def _stored(self, name: str, params: dict[str, list[str]]) -> None:
        """GET /queries: the stored queries and their parameters (JSON). GET /queries/NAME?param=value
        &limit=N&offset=M: one page of a stored query's rows (PAGE rows unless limit says otherwise),
        in the result format the Accept header asks for, with the number of rows in all in
        X-Total-Count and the next page in a Link header. Values are bound (kg.queries), never pasted."""
        if self.command != "GET" and not (self.command == "HEAD" and not name):
            return self.send_error(405, "stored queries are read with GET")
        if not name:
            listing = [{"name": q.name, "summary": q.summary, "params": [{"name": p.name, "type": p.type, "default": p.default}
                                                                       for p in q.params]} for q in queries.stored().values()]
            return self._send_json(listing)
        args = {k: v[-1] for k, v in params.items()}
        try:
            limit, offset = int(args.pop("limit", PAGE)), int(args.pop("offset", 0))
        except ValueError:
            return self.send_error(400, "limit and offset are whole numbers")
        try:
            sparql = queries.get(name).bind(args)
            page, count = queries.page(sparql, limit, offset), queries.total(sparql)
        except KeyError as e:
            return self.send_error(404, str(e.args[0]))
        except (ValueError, queries.ParamError) as e:
            return self.send_error(400, str(e))
        total = self._total(count)
        if total is None:
            return self.send_error(502, "the SPARQL server behind did not answer")
        extra = {"X-Total-Count": str(total)}
        if offset + limit < total:
            more = urllib.parse.urlencode({**args, "limit": limit, "offset": offset + limit})
            extra["Link"] = f'</queries/{name}?{more}>; rel="next"'
        headers = {"Content-Type": "application/sparql-query; charset=utf-8",
                   "Accept": self.headers.get("Accept") or "application/sparql-results+json"}
        self._forward("POST", "/query", page.encode("utf-8"), headers, extra)

    def _total(self, sparql: str) -> int | None:
        conn = http.client.HTTPConnection(*self.upstream, timeout=(self.timeout_s or 3600) + 5)
        try:
            conn.request("POST", "/query", body=sparql.encode("utf-8"), headers={
                "Content-Type": "application/sparql-query; charset=utf-8", "Accept": "application/sparql-results+json"})
            resp = conn.getresponse()
            if resp.status != 200:
                return None
            return int(json.loads(resp.read())["results"]["bindings"][0]["total"]["value"])
        except (OSError, http.client.HTTPException, ValueError, KeyError, IndexError):
            return None
        finally:
            conn.close()

    def _send_json(self, value: object) -> None:
        body = json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _forward(self, method: str, path: str, body: bytes | None, headers: dict[str, str],
                 extra: dict[str, str] | None = None) -> None:
        conn = http.client.HTTPConnection(*self.upstream, timeout=(self.timeout_s or 3600) + 5)
        try:
            conn.request(method, path, body=body, headers=headers)
            try:
                resp = conn.getresponse()
            except (http.client.HTTPException, OSError):
                if self.backend is not None and self.backend.restart_if_dead():
                    return self.send_error(503, "the query needed more than the server's memory limit (kg serve --memory)")
                raise
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in _HOP:
                    self.send_header(k, v)
            for k, v in (extra or {}).items() if resp.status == 200 else ():
                self.send_header(k, v)
            self.end_headers()
            while chunk := resp.read(1 << 16):
                self.wfile.write(chunk)
        except OSError:
            pass  # the client went away, or the server behind stopped: nothing left to answer
        finally:
            conn.close()

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(location: str | Path, host: str = "127.0.0.1", port: int = 7878, cors: bool = False,
          timeout: float | None = None, allow_service: bool = False, ready=None, memory: int | None = None) -> None:
    """``kg serve``: the store read-only over the SPARQL Protocol until interrupted. ``ready`` is
    called with the query URL once it answers."""
    location = Path(location)
    if not (location / "CURRENT").exists():
        raise ServeError(f"no built store at {location}: run `kg build` first")
    try:
        front = ThreadingHTTPServer((host, port), _Guard)
    except (OSError, OverflowError) as e:
        raise ServeError(f"cannot listen on {host}:{port}: {getattr(e, 'strerror', None) or e}") from e
    front.daemon_threads = True
    previous = signal.signal(signal.SIGTERM, _stop)  # a plain SIGTERM would leave the Oxigraph server running
    try:
        with OxigraphServer(location, read_only=True, cors=cors, timeout=timeout, memory=memory) as back:
            handler = type("Guard", (_Guard,), {"upstream": ("127.0.0.1", back.port), "allow_service": allow_service,
                                                "timeout_s": timeout, "backend": back})
            front.RequestHandlerClass = handler
            if ready:
                ready(f"http://{host}:{front.server_address[1]}/query")
            front.serve_forever()
    finally:
        signal.signal(signal.SIGTERM, previous)
        front.server_close()


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
