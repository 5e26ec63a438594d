"""python -m bench.load STORE [BATCH_QUADS …]: Oxigraph's bulk load of a built store's quads into a
fresh store, alone in its process: wall seconds, CPU seconds (all threads) and quads per second, in one
call and in the build's batches. It is the floor under the build's own process, which loads every
report's and every summary's triples this way."""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def load(nq: bytes, batch_quads: int | None) -> dict[str, float]:
    """Load ``nq`` (N-Quads) into a new on-disk store, whole or ``batch_quads`` lines at a time."""
    where = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        store = pyoxigraph.Store(str(where))
        lines = nq.count(b"\n")
        wall, cpu = time.perf_counter(), cpu_s()
        if batch_quads is None:
            store.bulk_load(nq, format=pyoxigraph.RdfFormat.N_QUADS)
        else:
            start = 0
            while start < len(nq):
                end = start
                for _ in range(batch_quads):
                    end = nq.find(b"\n", end) + 1
                    if end == 0:
                        end = len(nq)
                        break
                store.bulk_load(nq[start:end], format=pyoxigraph.RdfFormat.N_QUADS)
                start = end
        store.flush()
        wall, cpu = time.perf_counter() - wall, cpu_s() - cpu
        del store
        return {"quads": lines, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "quads_per_s": round(lines / wall)}
    finally:
        shutil.rmtree(where, ignore_errors=True)


def main() -> None:
    store = pyoxigraph.Store.read_only(sys.argv[1])
    nq = store.dump(format=pyoxigraph.RdfFormat.N_QUADS)
    del store
    for arg in sys.argv[2:] or ["whole", "200000"]:
        batch = None if arg == "whole" else int(arg)
        print(json.dumps({"batch_quads": batch or "whole", **load(nq, batch)}), flush=True)


if __name__ == "__main__":
    main()
