"""The stored queries give the same rows, in the same order, on two other real engines: Apache Jena
(ARQ over a TDB2 database, Debian's libapache-jena-java) and OpenLink Virtuoso 7.2 (Debian's
virtuoso-opensource-7-bin, started and stopped here), both of which `make` installs. The graph goes
there as `kg export -f nq` writes it and is loaded as the README's recipes say."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from kg import queries
from kg.export import export
from kg.stores import RemoteStore, json_rows
from kg.virtuoso import VirtuosoServer

JARS = Path("/usr/share/java")
CLASSPATH = ["jena-arq", "jena-base", "jena-cmds", "jena-core", "jena-dboe-base", "jena-dboe-index", "jena-dboe-storage",
             "jena-dboe-trans-data", "jena-dboe-transaction", "jena-iri", "jena-tdb2", "jena-rdfconnection", "commons-cli",
             "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3", "dexx.collection", "gson",
             "guava", "httpclient", "jackson-core", "jackson-databind", "jsonld-java", "protobuf", "slf4j-api", "slf4j-nop",
             "thrift", "titanium-json-ld", "jakarta.json-api"]
PARAMS = {"counts": {"body": "绛县人大常委会"}, "mechanisms-of-body": {"body": "大足区人大常委会"},
          "bodies-by-mechanism": {"mechanism": "enforcement-inspection"}}


def _messages_jar(folder: Path) -> Path:
    """Debian's jena-core 4.5 moved its copy of Xerces to the package ``xerces`` but left the message
    bundles under ``org/apache/jena/ext/xerces``: without them Jena stops at start-up ("internal
    error" in XSSimpleTypeDecl). The same bundles, at the place the classes look for them."""
    out = folder / "jena-xerces-messages.jar"
    prefix = "org/apache/jena/ext/xerces/"
    with zipfile.ZipFile(JARS / "jena-core.jar") as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if name.startswith(prefix) and name.endswith(".properties"):
                dst.writestr("xerces/" + name.removeprefix(prefix), src.read(name))
    return out


@pytest.fixture(scope="module")
def jena(built, tmp_path_factory):
    missing = [j for j in CLASSPATH if not (JARS / f"{j}.jar").exists()]
    assert shutil.which("java") and not missing, f"Jena is not installed (run `make test`, which installs it): {missing}"
    folder = tmp_path_factory.mktemp("jena")
    classpath = ":".join([*(str(JARS / f"{j}.jar") for j in CLASSPATH), str(_messages_jar(folder))])
    data = folder / "graph.nq"
    data.write_bytes(export(built.store, "nq"))
    loaded = subprocess.run(["java", "-cp", classpath, "tdb2.tdbloader", "--loc", str(folder / "tdb2"), str(data)],
                            capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr[-2000:]

    def query(sparql: str):
        path = folder / "query.rq"
        path.write_text(sparql, encoding="utf-8")
        done = subprocess.run(["java", "-cp", classpath, "tdb2.tdbquery", "--loc", str(folder / "tdb2"),
                               "--set", "tdb2:unionDefaultGraph=true", "--results=json", "--query", str(path)],
                              capture_output=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        return json_rows(done.stdout)

    return query


@pytest.mark.parametrize("name", sorted(queries.stored()))
def test_a_stored_query_gives_the_same_rows_on_jena_tdb2(built, jena, name):
    text = queries.get(name).bind(PARAMS.get(name, {}))
    here = built.store.query(text)
    assert len(here) > 0, name  # an empty answer would agree with anything
    assert jena(text) == here, name


@pytest.fixture(scope="module")
def virtuoso(built, tmp_path_factory):
    folder = tmp_path_factory.mktemp("virtuoso")
    data = folder / "graph.nq"
    data.write_bytes(export(built.store, "nq"))
    with VirtuosoServer(folder / "server", data=folder) as server:
        server.load(data)  # isql-vt: ld_dir(folder, 'graph.nq', …); rdf_loader_run(); checkpoint;
        yield RemoteStore(server.query_url, retries=2)


@pytest.mark.parametrize("name", sorted(queries.stored()))
def test_a_stored_query_gives_the_same_rows_on_virtuoso(built, virtuoso, name):
    text = queries.get(name).bind(PARAMS.get(name, {}))
    here = built.store.query(text)
    assert len(here) > 0, name
    there = virtuoso.query(text)
    assert (there.vars, list(there.data)) == (here.vars, list(here.data)), name


def test_the_readme_gives_the_commands_these_tests_run():
    """The graph-database recipes are the tests' own commands, not a description of them."""
    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    jena = next(line for line in readme.splitlines() if line.startswith("| Apache Jena TDB2"))
    assert "tdb2.tdbloader --loc DB graph.nq" in jena and "tdb2.tdbquery --loc DB --set tdb2:unionDefaultGraph=true" in jena
    virtuoso = next(line for line in readme.splitlines() if line.startswith("| Virtuoso"))
    assert "ld_dir('/data', 'graph.nq', 'urn:npc-kg:default'); rdf_loader_run(); checkpoint;" in virtuoso
    import inspect

    from kg import virtuoso as module

    assert "ld_dir(" in inspect.getsource(module.VirtuosoServer.load) and module.DEFAULT_GRAPH == "urn:npc-kg:default"
