"""Integration: a real Oxigraph SPARQL server on 127.0.0.1, started and stopped by the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import SEEDS

import kg
from kg import queries
from kg.build import build
from kg.server import OxigraphServer, free_port
from kg.stores import RemoteStore, StoreError, push

KG = os.path.join(os.path.dirname(sys.executable), "kg")


@pytest.fixture
def server(tmp_path):
    with OxigraphServer(tmp_path / "server") as s:
        yield s


def test_push_then_every_stored_query_matches_the_embedded_store(built, server):
    remote = RemoteStore(server.query_url, retries=1, backoff=0.05)
    result = push(built.store, remote)
    assert result.ok, result.summary()
    assert sorted(result.pushed) == built.store.graphs()
    for g in built.store.graphs():
        assert remote.triple_count(g) == built.store.triple_count(g)
    for name, q in queries.stored().items():
        text = q.bind()
        here, there = built.store.query(text), remote.query(text)
        assert there.rows == here.rows, name
    # a re-push replaces: nothing doubles
    again = push(built.store, remote)
    assert again.ok
    assert remote.triple_count() == built.store.triple_count()


def test_hostile_parameter_on_the_remote_store(built, server):
    remote = RemoteStore(server.query_url, retries=0)
    push(built.store, remote)
    before = remote.triple_count()
    assert remote.query(queries.get("counts").bind({"body": 'x" } ; DROP ALL ; #'})).rows == []
    assert remote.triple_count() == before


def test_server_stopped_mid_push(built, tmp_path):
    server = OxigraphServer(tmp_path / "server").start()
    remote = RemoteStore(server.query_url, retries=2, backoff=0.05)
    graphs = built.store.graphs()
    first = graphs[0]

    calls = {"n": 0}

    def stop_after_two(iri: str, i: int, n: int) -> None:
        calls["n"] += 1
        if i == 2:
            server.stop()

    result = push(built.store, remote, progress=stop_after_two)
    assert not result.ok
    assert result.pushed == graphs[:2]
    assert list(result.failed) == [graphs[2]]
    assert "gave up after 3 attempts" in result.failed[graphs[2]]
    assert result.not_tried == graphs[3:]
    assert "NOT PUSHED" in result.summary()
    # the local store is untouched, and a restarted server plus a re-run finish the job
    assert built.store.triple_count(first) > 0
    with OxigraphServer(tmp_path / "server", port=server.port):
        remote.retries = 1
        assert remote.triple_count(first) == built.store.triple_count(first)
        final = push(built.store, remote)
        assert final.ok and remote.triple_count() == built.store.triple_count()


def test_unreachable_server_is_a_clear_error(tmp_path):
    from kg.server import free_port

    remote = RemoteStore(f"http://127.0.0.1:{free_port()}/query", retries=1, backoff=0.01)
    with pytest.raises(StoreError, match="gave up after 2 attempts"):
        remote.query("ASK {}")


def test_kg_serve_answers_read_only_and_never_calls_other_servers(tmp_path):
    out = tmp_path / "b"
    build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
    port = free_port()
    proc = subprocess.Popen([KG, "serve", "--store", str(out), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        remote = RemoteStore(f"http://127.0.0.1:{port}/query", retries=8, backoff=0.1)
        rows = remote.query(queries.get("counts").bind({"body": "绛县人大常委会", "measure": "council-of-chairpersons-meeting"})).rows
        assert [r["value"] for r in rows] == [14]
        before = remote.triple_count()
        with pytest.raises(StoreError):
            RemoteStore(remote.endpoint, retries=0).update("DROP ALL")
        assert remote.triple_count() == before > 0
        with _Recorder() as elsewhere:  # a server the SERVICE call would reach
            service = f"SELECT * WHERE {{ SERVICE <{elsewhere.url}> {{ ?s ?p ?o }} }}"
            for call in (lambda: urllib.request.urlopen(f"{remote.endpoint}?{urllib.parse.urlencode({'query': service})}"),
                         lambda: urllib.request.urlopen(urllib.request.Request(
                             remote.endpoint, data=service.encode(), headers={"Content-Type": "application/sparql-query"}))):
                with pytest.raises(urllib.error.HTTPError) as refused:
                    call()
                assert refused.value.code == 403
            remote.allow_service = True  # the client lets it through: the server still refuses
            with pytest.raises(StoreError, match="HTTP 403"):
                remote.query(service)
            assert elsewhere.requests == []
    finally:
        proc.terminate()
        proc.wait(10)


def test_kg_serve_without_a_store_or_with_a_bad_port_says_why(tmp_path):
    got = subprocess.run([KG, "serve", "--store", str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60)
    assert got.returncode == 2 and "no built store at" in got.stderr and "Traceback" not in got.stderr
    out = tmp_path / "b"
    build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
    with _Recorder() as taken:
        got = subprocess.run([KG, "serve", "--store", str(out), "--port", str(taken.port)], capture_output=True, text=True, timeout=60)
    assert got.returncode == 2 and f"cannot listen on 127.0.0.1:{taken.port}: Address already in use" in got.stderr


class _LocalServer:
    """An HTTP server on 127.0.0.1 and a free port, in a thread, for the length of a with block."""

    def __init__(self, handler) -> None:
        import threading
        from http.server import ThreadingHTTPServer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_port
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Recorder(_LocalServer):
    """A local HTTP server that records what reaches it and answers with a web page."""

    def __init__(self, redirect_to: str | None = None) -> None:
        from http.server import BaseHTTPRequestHandler

        requests = self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                requests.append((self.path, self.headers.get("Authorization")))
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(b"<html><body>Welcome</body></html>")

            do_GET = do_POST

            def log_message(self, *args):
                pass

        super().__init__(Handler)


def test_queries_stay_local_unless_the_user_opts_in(tmp_path, built):
    from typer.testing import CliRunner

    from kg.cli import app

    with _Recorder() as elsewhere:
        service = f"SELECT * WHERE {{ SERVICE <{elsewhere.url}> {{ ?s ?p ?o }} }}"
        with pytest.raises(queries.ServiceRefused):
            built.store.query(service)
        rq = tmp_path / "q.rq"
        rq.write_text(service, encoding="utf-8")
        got = CliRunner().invoke(app, ["query", "--file", str(rq), "--store", str(built.store.path.parent)])
        assert got.exit_code == 2 and "refused (opt in with --allow-service)" in got.output
        assert elsewhere.requests == []
        got = CliRunner().invoke(app, ["query", "--file", str(rq), "--allow-service", "--store", str(built.store.path.parent)])
        assert elsewhere.requests  # opted in: the call is made (and the web page it gets is an error)
    for url in ("file:///etc/passwd", "data:,x", "127.0.0.1:7878/query"):
        with pytest.raises(StoreError, match="is not an http"):
            RemoteStore(url)


def test_an_endpoint_that_answers_a_web_page_is_a_clear_error():
    with _Recorder() as page:
        with pytest.raises(StoreError, match="answered a web page, not SPARQL JSON results"):
            RemoteStore(page.url, retries=0).query("ASK {}")


def test_credentials_never_follow_a_redirect_to_another_origin(monkeypatch):
    monkeypatch.setenv("NPC_KG_TOKEN", "secret")
    with _Recorder() as other, _Recorder(redirect_to=other.url) as first:
        with pytest.raises(StoreError):
            RemoteStore(first.url, retries=0).query("ASK {}")
        assert first.requests == [("/sparql", "Bearer secret")]
        assert other.requests == [("/sparql", None)]


def test_a_parameter_that_is_not_utf8_is_a_clear_error(built):
    """A real process: typer's test runner cannot pass arguments whose bytes are not UTF-8."""
    with pytest.raises(queries.ParamError, match="not valid UTF-8 text"):
        queries.get("counts").bind({"body": os.fsdecode(b"\xff\xfe")})
    got = subprocess.run([KG, "query", "counts", "-p", os.fsdecode(b"body=\xb1\xa8"), "--store", str(built.store.path.parent)],
                         capture_output=True, timeout=120)
    assert got.returncode == 2 and b"not valid UTF-8 text" in got.stderr and b"Traceback" not in got.stderr


def test_retries_on_5xx_then_succeeds():
    """A server that answers 503 twice and then 200: the client backs off and gets the rows."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    calls = []

    class Flaky(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(1)
            if len(calls) <= 2:
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"busy")
                return
            body = json.dumps({"head": {"vars": ["n"]}, "results": {"bindings": [
                {"n": {"type": "literal", "value": "7", "datatype": "http://www.w3.org/2001/XMLSchema#integer"}}]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        remote = RemoteStore(f"http://127.0.0.1:{httpd.server_port}/query", retries=3, backoff=0.01)
        assert remote.query("SELECT (7 AS ?n) WHERE {}").rows == [{"n": 7}]
        assert len(calls) == 3
        calls.clear()
        with pytest.raises(StoreError, match=r"HTTP 503.*gave up after 2 attempts"):
            RemoteStore(remote.endpoint, retries=1, backoff=0.01).query("ASK {}")
    finally:
        httpd.shutdown()


class _Capped(_LocalServer):
    """A SPARQL server that answers from a real Oxigraph store but at most ``cap`` rows, saying so in
    an X-SPARQL-MaxRows header, as Virtuoso does."""

    def __init__(self, cap: int, say: bool = True) -> None:
        from http.server import BaseHTTPRequestHandler

        import pyoxigraph

        store = pyoxigraph.Store()
        for i in range(25):
            store.add(pyoxigraph.Quad(pyoxigraph.NamedNode(f"http://x/{i:02d}"), pyoxigraph.NamedNode("http://x/n"), pyoxigraph.Literal(str(i))))
        self.asked: list[str] = []
        asked = self.asked

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                asked.append(form["query"][0])
                answer = store.query(form["query"][0])
                names = [v.value for v in answer.variables]
                rows = [{n: {"type": "literal", "value": s[n].value} for n in names} for s in answer][:cap]
                body = json.dumps({"head": {"vars": names}, "results": {"bindings": rows}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                if say:
                    self.send_header("X-SPARQL-MaxRows", str(cap))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        super().__init__(Handler)


def test_an_answer_cut_at_the_servers_row_limit_is_paged_or_refused():
    with _Capped(10) as server:
        remote = RemoteStore(server.url, retries=0)
        rows = remote.query("SELECT ?s ?o WHERE { ?s <http://x/n> ?o } ORDER BY ?s")
        assert [r["o"] for r in rows.rows] == [str(i) for i in range(25)]  # three pages of 10, 10 and 5
        assert [q.rsplit("\n", 1)[-1] for q in server.asked[1:]] == ["LIMIT 10 OFFSET 10", "LIMIT 10 OFFSET 20"]
        with pytest.raises(StoreError, match="cut the answer at 10 rows"):
            remote.query("SELECT ?s WHERE { ?s <http://x/n> ?o }")  # no order: pages would not be a partition
        assert len(remote.query("SELECT ?s WHERE { ?s <http://x/n> ?o } ORDER BY ?s LIMIT 5")) == 5
    with _Capped(10, say=False) as quiet:  # a cap the server keeps quiet about, known to the user
        assert len(RemoteStore(quiet.url, retries=0).query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s")) == 10
        assert len(RemoteStore(quiet.url, retries=0, max_rows=10).query("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s")) == 25


def _raw(port: int, request: bytes) -> int:
    """Send bytes as they are (no client library tidies them) and return the HTTP status."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0


def test_kg_serve_refuses_service_however_the_request_is_written(tmp_path):
    """Odd-but-legal requests: comments ended by any line terminator, codepoint escapes, the query given
    twice or under two content types, chunked bodies, other methods and paths. None reaches the other
    server; a plain query still answers."""
    out = tmp_path / "b"
    build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
    port = free_port()
    proc = subprocess.Popen([KG, "serve", "--store", str(out), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        RemoteStore(f"http://127.0.0.1:{port}/query", retries=8, backoff=0.1).query("ASK {}")
        with _Recorder() as elsewhere:
            call = f"SERVICE <{elsewhere.url}> {{ ?s ?p ?o }}"
            texts = [f"SELECT * {{ {call} }}", f"SELECT * {{ #c\r{call} }}", f"SELECT * {{ #c\x0c{call} }}",
                     f"SELECT * {{ #c\u2028{call} }}", "SELECT * { \\u0053ERVICE" + call[7:] + " }",
                     f"select * {{ service silent <{elsewhere.url}> {{ ?s ?p ?o }} }}", f"SELECT * {{ SERVICE#c\r<{elsewhere.url}> {{ ?s ?p ?o }} }}"]

            def post(body: bytes, *headers: str) -> bytes:
                return (b"POST /query HTTP/1.1\r\nHost: x\r\n" + b"".join(h.encode() + b"\r\n" for h in headers)
                        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)

            for text in texts:
                q = urllib.parse.quote(text)
                form = f"query={q}".encode()
                assert _raw(port, f"GET /query?query={q} HTTP/1.1\r\nHost: x\r\n\r\n".encode()) == 403, text
                assert _raw(port, post(text.encode(), "Content-Type: application/sparql-query")) == 403, text
                assert _raw(port, post(form, "Content-Type: application/x-www-form-urlencoded")) == 403, text
                assert _raw(port, post(form, "Content-Type: application/sparql-query", "Content-Type: application/x-www-form-urlencoded")) == 400
                assert _raw(port, post(form, "Content-Type: text/plain")) == 415
                assert _raw(port, post(b"query=ASK%7B%7D", "Content-Type: application/x-www-form-urlencoded").replace(
                    b"/query", f"/query?query={q}".encode(), 1)) == 400  # two queries: which would run?
                assert _raw(port, f"PUT /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: {len(text.encode())}"
                            f"\r\n\r\n{text}".encode()) == 405
                assert _raw(port, b"POST /query HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(text.encode()):x}\r\n".encode() + text.encode() + b"\r\n0\r\n\r\n") == 411
                assert _raw(port, f"GET /store?query={q} HTTP/1.1\r\nHost: x\r\n\r\n".encode()) == 403
                assert _raw(port, f"POST /update HTTP/1.1\r\nHost: x\r\nContent-Length: {len(form)}\r\n\r\n".encode() + form) == 403
            assert elsewhere.requests == []
        assert _raw(port, post(b"ASK { ?s ?p ?o }", "Content-Type: application/sparql-query")) == 200
    finally:
        proc.terminate()
        proc.wait(10)


def test_kg_serve_answers_a_stored_query_a_page_at_a_time(tmp_path):
    """GET /queries/NAME: parameters bound as kg binds them, a page of rows with the total and the next
    page's address; a bad parameter or an unknown query is a clear 4xx; GET /queries lists them."""
    out = tmp_path / "b"
    build(sorted(SEEDS.glob("*.txt")), out)
    port = free_port()
    proc = subprocess.Popen([KG, "serve", "--store", str(out), "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        RemoteStore(f"{base}/query", retries=8, backoff=0.1).query("ASK {}")
        with urllib.request.urlopen(f"{base}/queries/bodies-by-mechanism?mechanism=deputy-liaison-station&limit=2&offset=1") as resp:
            page = json.load(resp)
            assert resp.headers["X-Total-Count"] == "4"
            assert resp.headers["Link"] == '</queries/bodies-by-mechanism?mechanism=deputy-liaison-station&limit=2&offset=3>; rel="next"'
        got = [b["body_zh"]["value"] for b in page["results"]["bindings"]]
        whole = kg_rows(out, "bodies-by-mechanism", mechanism="deputy-liaison-station")
        assert got == [r["body_zh"] for r in whole[1:3]] and len(whole) == 4
        with urllib.request.urlopen(urllib.request.Request(f"{base}/queries/bodies-by-mechanism?mechanism=deputy-liaison-station&offset=3",
                                                           headers={"Accept": "text/csv"})) as resp:
            assert resp.headers["Content-Type"].startswith("text/csv") and "Link" not in resp.headers
            assert resp.read().decode("utf-8").splitlines()[1].split(",")[2] == whole[3]["body_zh"]
        for path, code in ((f"/queries/bodies-by-mechanism?mechanism={urllib.parse.quote('x> } ; DROP ALL #')}", 400),
                           ("/queries/bodies-by-mechanism?limit=ten", 400), ("/queries/no-such-query", 404),
                           ("/queries/bodies-by-mechanism?limit=-1", 400)):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(base + path)
            assert refused.value.code == code, path
        text = queries.get("bodies-by-mechanism").bind({"mechanism": "deputy-liaison-station"})
        embedded = kg.open(out)
        try:
            for fmt in ("json", "xml", "csv", "tsv"):  # the same engine's writer, over HTTP or in process
                assert RemoteStore(f"{base}/query").results(text, fmt) == embedded.store.results(text, fmt), fmt
        finally:
            embedded.close()
        for method in ("POST", "HEAD", "DELETE"):  # a stored query is read with GET, nothing else
            assert _raw(port, f"{method} /queries/bodies-by-mechanism HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode()) == 405
        with urllib.request.urlopen(f"{base}/queries") as resp:
            listing = {q["name"]: q for q in json.load(resp)}
        assert [p["name"] for p in listing["bodies-by-mechanism"]["params"]] == ["mechanism", "modality"]
    finally:
        proc.terminate()
        proc.wait(10)


def kg_rows(out, name, **params):
    g = kg.open(out)
    try:
        return g.rows(name, **params).rows
    finally:
        g.close()
