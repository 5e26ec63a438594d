from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
os.environ.setdefault("MPLCONFIGDIR", str(ROOT / "build" / ".matplotlib"))

SEED = {
    "huidong": SEEDS / "000_81a1dc411eb54db0.txt",
    "dazu": SEEDS / "001_9911ad027f31c7ac.txt",
    "dafang": SEEDS / "002_58dfcc973063ed19.txt",
    "bayannur": SEEDS / "003_ff0f401e9b94a24c.txt",
    "jiangxian": SEEDS / "004_73afdd1df5b9533d.txt",
}


@pytest.fixture(scope="session")
def extractions():
    from kg.extract import extract
    from kg.report import read

    return {k: extract(read(p)) for k, p in SEED.items()}


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The seeds built once into a temporary folder, opened for the session."""
    import kg

    out = tmp_path_factory.mktemp("build")
    g = kg.build(SEEDS, out=out)
    yield g
    g.close()
