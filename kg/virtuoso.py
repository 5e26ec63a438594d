"""OpenLink Virtuoso (Debian's ``virtuoso-opensource-7-bin``), the engine for a national corpus.

A server of its own in a folder, started and stopped like ``kg.server.OxigraphServer``, and
loaded the way the README tells users to: ``kg export -f nq`` and Virtuoso's bulk loader
(``ld_dir`` + ``rdf_loader_run``) over ``isql-vt``. The tests compare every stored query on it with
the embedded store; the bench times the stored queries on it beside the embedded store.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

from kg.server import _die_with_parent, free_port

DEFAULT_GRAPH = "urn:npc-kg:default"  # where the loader puts triples without a graph (an export has none)
_INI = """[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql}
ServerThreads = 10
CheckpointInterval = 0
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {data}

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerThreads = 4
MaxClientConnections = 4

[SPARQL]
ResultSetMaxRows = 100000000
MaxQueryExecutionTime = 3600
MaxQueryCostEstimationTime = 0
"""


class VirtuosoError(Exception):
    """Virtuoso is missing, did not start, or did not load a file; the message says why."""


def executables() -> tuple[str, str]:
    server, client = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if not server or not client:
        raise VirtuosoError("Virtuoso is not installed (Debian: apt-get install virtuoso-opensource-7-bin; `make test` does)")
    return server, client


class VirtuosoServer:
    """A Virtuoso server on 127.0.0.1 with its database in ``folder``; ``memory`` is the bytes of
    its page buffers (Virtuoso's advice: two thirds of what it may take)."""

    def __init__(self, folder: str | Path, data: str | Path | None = None, memory: int = 1 << 30) -> None:
        self.folder = Path(folder)
        self.data = Path(data or self.folder)  # the folder the bulk loader may read
        self.memory = memory
        self.sql_port, self.http_port = free_port(), free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/sparql"

    def start(self, timeout: float = 120.0) -> VirtuosoServer:
        server, _ = executables()
        db = self.folder / "db"
        db.mkdir(parents=True, exist_ok=True)
        buffers = max(10_000, self.memory // 8192)
        ini = self.folder / "virtuoso.ini"
        ini.write_text(_INI.format(db=db, data=self.data.resolve(), sql=self.sql_port, http=self.http_port,
                                   buffers=buffers, dirty=buffers * 3 // 4), encoding="utf-8")
        log = (self.folder / "server.log").open("ab")
        self.proc = subprocess.Popen([server, "-f", "-c", str(ini)], cwd=self.folder, stdout=log, stderr=log,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise VirtuosoError(f"Virtuoso stopped at start-up: {self._log_tail()}")
            try:
                ask = urllib.parse.urlencode({"query": "ASK {}"})
                with urllib.request.urlopen(f"{self.query_url}?{ask}", timeout=2):
                    return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise VirtuosoError(f"Virtuoso did not answer within {timeout:.0f} s: {self._log_tail()}")

    def isql(self, *statements: str, timeout: float = 7200) -> str:
        """SQL statements through ``isql-vt`` as the administrator (the database is the server's own)."""
        _, client = executables()
        done = subprocess.run([client, str(self.sql_port), "dba", "dba", "exec=" + " ".join(statements)],
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0 or "*** Error" in done.stdout + done.stderr:
            raise VirtuosoError(f"isql-vt: {(done.stdout + done.stderr).strip()[-800:]}")
        return done.stdout

    def load(self, nquads: str | Path) -> None:
        """Bulk-load an N-Quads file (``kg export -f nq``) and make it durable; a line the loader
        refuses is an error that names the file."""
        path = Path(nquads).resolve()
        self.isql(f"ld_dir('{path.parent}', '{path.name}', '{DEFAULT_GRAPH}');", "rdf_loader_run();", "checkpoint;")
        errors = self.isql("SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL;")
        if str(path) in errors:
            raise VirtuosoError(f"Virtuoso did not load {path}: {errors.strip()[-800:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def _log_tail(self) -> str:
        try:
            return " | ".join((self.folder / "server.log").read_text(errors="replace").strip().splitlines()[-5:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> VirtuosoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
