"""grlc serves the stored queries as a web API, unchanged: its own code (grlc from PyPI, in the
virtual environment `make` gives it, since it pins its own Flask and requests) reads their headers
and parameters, rewrites them with the values of a request, and sends them to a real Oxigraph
server that holds the seeds. Its answers are kg's answers."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from kg import queries
from kg.paths import QUERIES, ROOT
from kg.server import OxigraphServer, free_port
from kg.stores import RemoteStore, json_rows, push

GRLC_PYTHON = ROOT / ".venv-grlc" / "bin" / "python"
# (query, parameters): every parameter of every stored query is given at least once
REQUESTS = [
    ("counts", {"body": "绛县人大常委会", "year": "2023", "modality": "reported"}),
    ("counts", {"body": "大足区人大常委会", "measure": "deputy-suggestion", "modality": "reported"}),
    ("mechanisms-of-body", {"body": "会东县人大常委会", "modality": "reported"}),
    ("bodies-by-mechanism", {"mechanism": "livelihood-project-voting", "modality": "reported"}),
    ("body-mechanism-edges", {"modality": "planned"}),
    ("enforcement-inspections", {"modality": "reported"}),
    ("yearly-counts", {"body": "绛县人大常委会", "measure": "deputy-suggestion", "modality": "reported", "year": "2023"}),
    ("counts-by-place", {"measure": "enforcement-inspection", "province": "四川省", "level": "county", "modality": "reported"}),
    ("counts-by-place", {"measure": "enforcement-inspection", "prefecture": "运城市", "year": "2023", "modality": "reported"}),
    ("mechanism-pairs", {"mechanism": "deputy-training", "modality": "reported"}),
    ("practice-over-years", {"body": "会东县人大常委会", "mechanism": "livelihood-project-voting"}),
    ("sessions-of-body", {"body": "绛县人大常委会"}),
    ("first-adopters", {"mechanism": "livelihood-project-voting"}),
    *((name, {}) for name, q in sorted(queries.stored().items()) if not q.params),
]


def _grlc_value(param: queries.Param, value: str) -> str:
    """What a grlc user sends: a concept as its full IRI, anything else as written."""
    if param.type.startswith("concept:"):
        return param.term(value)[1:-1]
    return value


@pytest.fixture(scope="module")
def grlc(built, tmp_path_factory):
    assert GRLC_PYTHON.exists(), f"grlc is not installed in {GRLC_PYTHON.parent.parent} (run `make test`, which installs it)"
    folder = tmp_path_factory.mktemp("grlc")
    with OxigraphServer(folder / "store") as server:
        assert push(built.store, RemoteStore(server.query_url, retries=1)).ok
        (folder / "config.ini").write_text(f"[defaults]\nsparql_endpoint = {server.query_url}\n"
                                           f"[local]\nlocal_sparql_dir = {QUERIES}\n", encoding="utf-8")
        port = free_port()
        proc = subprocess.Popen([str(GRLC_PYTHON), "-c", f"from grlc.server import app; app.run(host='127.0.0.1', port={port})"],
                                cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()[-2000:]
                    time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/api-local"
        finally:
            proc.terminate()
            proc.wait(10)


def _get(url: str, accept: str = "application/json") -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": accept}), timeout=60) as resp:
        return resp.read()


@pytest.mark.parametrize(("name", "params"), REQUESTS, ids=[f"{n}{sorted(p)}" for n, p in REQUESTS])
def test_grlc_answers_a_stored_query_as_kg_does(built, grlc, name, params):
    q = queries.get(name)
    by_name = {p.name: p for p in q.params}
    args = urllib.parse.urlencode({k: _grlc_value(by_name[k], v) for k, v in params.items()})
    here = built.store.query(q.bind(params))
    assert len(here) > 0, name  # an empty answer would agree with anything
    assert json_rows(_get(f"{grlc}/{name}?{args}")) == here


def test_grlc_reads_every_header_summary_and_default(grlc):
    """grlc's API description of the queries: each operation with its plain-string summary, and each
    parameter with kg's default (a concept's default as its IRI)."""
    spec = json.loads(_get(f"{grlc}/swagger"))
    ops = {path.strip("/"): op["get"] for path, op in spec["paths"].items()}
    for name, q in queries.stored().items():
        assert ops[name]["summary"] == q.summary["en"], name
        params = {p["name"]: p for p in ops[name].get("parameters", []) if p["name"] != "endpoint"}  # grlc's own
        assert set(params) == {p.name for p in q.params}, name
        for p in q.params:
            expected = _grlc_value(p, p.default) if p.default is not None else None
            assert params[p.name].get("default") == expected, (name, p.name)


def test_the_queries_folder_is_what_grlc_serves():
    assert Path(QUERIES).is_dir() and sorted(p.stem for p in Path(QUERIES).glob("*.rq")) == sorted(queries.stored())
