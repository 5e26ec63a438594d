"""Child processes of the benchmark (a module of their own so that spawn can import them): a query
that overruns its limit is killed with its process instead of running on in a thread."""

from __future__ import annotations

import time

from kg.stores import MemoryStore, OxigraphStore


def rdflib_worker(store_path: str, conn) -> None:
    """The whole store in rdflib memory, then one query text per request; answers seconds (to rows
    as dicts, the same on every engine)."""
    from rdflib import Graph

    src = OxigraphStore(store_path, read_only=True)
    mem = MemoryStore()
    for iri in src.graphs():
        g = Graph()
        g.parse(data=src.dump_graph(iri), format="nt")
        mem.replace_graph(iri, g)
    conn.send("ready")
    while (text := conn.recv()) is not None:
        started = time.perf_counter()
        _ = mem.query(text).rows
        conn.send(time.perf_counter() - started)


def oxigraph_worker(store_path: str, conn) -> None:
    """The embedded store opened read-only; one query text per request; answers seconds."""
    src = OxigraphStore(store_path, read_only=True)
    conn.send("ready")
    while (text := conn.recv()) is not None:
        started = time.perf_counter()
        _ = src.query(text).rows  # rows as dicts, as most callers take them
        conn.send(time.perf_counter() - started)
