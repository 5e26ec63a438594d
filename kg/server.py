"""Oxigraph's SPARQL server (the ``oxigraph`` executable from PyPI), started for ``kg serve``
and for the integration tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def oxigraph_executable() -> str:
    """The ``oxigraph`` program installed beside this Python (the PyPI package ``oxigraph``)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise FileNotFoundError("the `oxigraph` server is not installed (pip install oxigraph)")
    return found


def serve_command(location: str | Path, port: int, read_only: bool = True) -> list[str]:
    verb = "serve-read-only" if read_only else "serve"
    return [oxigraph_executable(), verb, "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OxigraphServer:
    """A writable Oxigraph server on 127.0.0.1 and a free port, for tests and local pushes."""

    def __init__(self, location: str | Path, port: int | None = None) -> None:
        self.location, self.port = Path(location), port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def start(self, timeout: float = 20.0) -> OxigraphServer:
        self.location.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(serve_command(self.location, self.port, read_only=False),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"oxigraph exited: {self.proc.stderr.read().decode(errors='replace')}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"oxigraph did not answer on port {self.port} within {timeout} s")

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
