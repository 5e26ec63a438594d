"""Any SPARQL 1.1 server: queries over the Protocol, writes and pushes over the Graph Store HTTP
Protocol, credentials kept to their origin, row limits never taken for whole answers."""

from __future__ import annotations

import base64
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from rdflib import Graph

from kg.queries import refuse_service, strip_comments
from kg.stores.base import (
    GRAPH_TYPES,
    RESULT_TYPES,
    QuerySyntaxError,
    Rows,
    StoreError,
    _check_syntax,
    _nt,
    count_triples,
    is_graph_query,
    json_rows,
    result_format,
)
from kg.stores.oxigraph import OxigraphStore


class RemoteStore:
    """Any SPARQL 1.1 server. ``endpoint`` is the query URL; the Graph Store URL defaults to
    Oxigraph's layout (…/query → …/store). Credentials come from the environment only:
    NPC_KG_TOKEN (bearer) or NPC_KG_USER and NPC_KG_PASSWORD (basic), sent to the endpoint's own
    origin only (a redirect elsewhere goes without them)."""

    allow_service = False

    def __init__(self, endpoint: str, graph_store: str | None = None, update: str | None = None,
                 timeout: float = 60.0, retries: int = 4, backoff: float = 0.5, max_rows: int | None = None) -> None:
        for url in (endpoint, graph_store, update):
            if url is not None and not _is_http(url):
                raise StoreError(f"{url!r} is not an http(s) URL: endpoints are SPARQL servers, not files or data")
        self.endpoint = endpoint
        base = endpoint.rsplit("/", 1)[0] if endpoint.endswith(("/query", "/sparql")) else endpoint
        self.graph_store = graph_store or base + "/store"
        self.update_url = update or base + "/update"
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.max_rows = max_rows  # a row cap the server is known to apply without saying so
        self.deadline: float | None = None  # time.monotonic() after which no request starts (a whole push's bound)

    def _headers(self) -> dict[str, str]:
        h = {"User-Agent": "npc-kg"}
        if tok := os.environ.get("NPC_KG_TOKEN"):
            h["Authorization"] = f"Bearer {tok}"
        elif (user := os.environ.get("NPC_KG_USER")) is not None:
            cred = f"{user}:{os.environ.get('NPC_KG_PASSWORD', '')}".encode()
            h["Authorization"] = "Basic " + base64.b64encode(cred).decode()
        return h

    def _request(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
                 timeout: float | None = None) -> tuple[bytes, Any]:
        """One HTTP call with bounded retries and exponential backoff on connection errors and 5xx:
        the body and the response headers."""
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            left = None if self.deadline is None else self.deadline - time.monotonic()
            if left is not None and left <= 0:
                raise StoreError(f"{method} {url}: the deadline passed" + (f" ({last})" if last else ""))
            req = urllib.request.Request(url, data=data, method=method, headers={**self._headers(), **headers})
            try:
                with _OPENER.open(req, timeout=min(timeout or self.timeout, left or float("inf"))) as resp:
                    return resp.read(), resp.headers
            except urllib.error.HTTPError as e:
                body = e.read().decode("utf-8", "replace")[:500]
                if e.code < 500:
                    if e.code == 400 and "query" in url:
                        raise QuerySyntaxError(f"{url} refused the query: {body}") from e
                    raise StoreError(f"{method} {url}: HTTP {e.code}: {body}") from e
                last = StoreError(f"{method} {url}: HTTP {e.code}: {body}")
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as e:
                last = StoreError(f"{method} {url}: {getattr(e, 'reason', e)}")
            if attempt < self.retries:
                pause = self.backoff * 2**attempt
                time.sleep(pause if self.deadline is None else max(0.0, min(pause, self.deadline - time.monotonic())))
        raise StoreError(f"{last} (gave up after {self.retries + 1} attempts)")

    def query(self, sparql: str, timeout: float | None = None) -> Rows:
        """The whole answer. A server that cuts answers at a row limit (Virtuoso says so in an
        X-SPARQL-MaxRows header; ``max_rows`` names a cap a server keeps quiet about) is asked again
        page by page with LIMIT and OFFSET when the query has an ORDER BY and no LIMIT of its own;
        otherwise the cut is an error, never partial rows given as whole."""
        refuse_service(sparql, self.allow_service)
        _check_syntax(sparql)
        rows, cap = self._select(sparql, timeout)
        if cap is None or len(rows) < cap:
            return rows
        tail = strip_comments(sparql)
        if not re.search(r"\bORDER\s+BY\b", tail, re.IGNORECASE) or re.search(r"\b(LIMIT|OFFSET)\b", tail, re.IGNORECASE):
            raise StoreError(f"{self.endpoint} cut the answer at {cap} rows (its row limit): the rows are not all there. "
                             "Give the query an ORDER BY (it is then fetched page by page) or raise the server's limit")
        data = list(rows.data)
        while True:
            page, _ = self._select(f"{sparql}\nLIMIT {cap} OFFSET {len(data)}", timeout)
            data.extend(page.data)
            if len(page) < cap:
                return Rows(rows.vars, data)

    def results(self, sparql: str, fmt: str, timeout: float | None = None) -> bytes:
        """The answer as the server writes it in a W3C format (asked for by its media type)."""
        refuse_service(sparql, self.allow_service)
        _check_syntax(sparql)
        graph = is_graph_query(sparql)
        fmt = result_format(fmt, graph)
        body = urllib.parse.urlencode({"query": sparql}).encode()
        raw, _ = self._request("POST", self.endpoint, body, {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": (GRAPH_TYPES if graph else RESULT_TYPES)[fmt]}, timeout)
        return raw

    def _select(self, sparql: str, timeout: float | None) -> tuple[Rows, int | None]:
        """One request's rows and the row cap it was answered under, if any."""
        body = urllib.parse.urlencode({"query": sparql}).encode()
        raw, headers = self._request("POST", self.endpoint, body, {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}, timeout)
        try:
            rows = json_rows(raw)
        except ValueError as e:
            what = "a web page" if raw.lstrip()[:1] == b"<" else f"{len(raw)} bytes of something else"
            raise StoreError(f"{self.endpoint} answered {what}, not SPARQL JSON results: is it a SPARQL query endpoint?") from e
        said = headers.get("X-SPARQL-MaxRows", "").strip()
        cap = int(said) if said.isdigit() and int(said) > 0 else self.max_rows
        return rows, cap

    def update(self, sparql: str) -> None:
        body = urllib.parse.urlencode({"update": sparql}).encode()
        self._request("POST", self.update_url, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def put_graph(self, iri: str, graph: Graph | bytes) -> None:
        """Graph Store PUT: the server swaps the whole graph, so a re-push replaces, never doubles."""
        url = f"{self.graph_store}?{urllib.parse.urlencode({'graph': iri})}"
        self._request("PUT", url, _nt(graph), {"Content-Type": "application/n-triples"})

    replace_graph = put_graph

    def graphs(self) -> list[str]:
        return sorted(r["g"] for r in self.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows)

    triple_count = count_triples


def _is_http(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect to http(s) only, and without the credentials when it leaves the origin
    they were given for (urllib would forward the Authorization header anywhere)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not _is_http(newurl):
            raise StoreError(f"{req.full_url} redirected to {newurl!r}: only http(s) is followed")
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        origin = lambda u: urllib.parse.urlsplit(u)[:2]  # noqa: E731
        if new is not None and origin(newurl) != origin(req.full_url):
            for h in ("Authorization", "Cookie"):
                new.headers.pop(h, None)
                new.unredirected_hdrs.pop(h, None)
        return new


_OPENER = urllib.request.build_opener(_SameOriginRedirects)


@dataclass
class PushResult:
    pushed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    not_tried: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_tried

    def summary(self) -> str:
        lines = [f"pushed {len(self.pushed)} graph(s), failed {len(self.failed)}, not tried {len(self.not_tried)}"]
        lines += [f"FAILED {g}: {why}" for g, why in sorted(self.failed.items())]
        lines += [f"NOT PUSHED {g}" for g in self.not_tried]
        return "\n".join(lines)


def push(src: OxigraphStore, dst: RemoteStore, progress=None, deadline: float | None = None) -> PushResult:
    """Upload every named graph with Graph Store PUT (atomic per graph on the server), then check
    that the server holds exactly the triple count that was sent. Stops at the first graph that
    still fails after the retries, or when ``deadline`` seconds have passed (a server that accepts
    connections and never answers); the result names what was pushed and what was not, and a re-run
    finishes the job."""
    if deadline is not None:
        dst.deadline = time.monotonic() + deadline
    result = PushResult()
    graphs = src.graphs()
    for i, iri in enumerate(graphs):
        nt = src.dump_graph(iri)
        try:
            dst.put_graph(iri, nt)
            if (held := dst.triple_count(iri)) != (sent := nt.count(b"\n")):
                raise StoreError(f"the server holds {held} triples, {sent} were sent")
        except StoreError as e:
            result.failed[iri] = str(e)
            result.not_tried = graphs[i + 1:]
            break
        result.pushed.append(iri)
        if progress:
            progress(iri, i + 1, len(graphs))
    return result
