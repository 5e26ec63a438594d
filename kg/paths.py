"""Where the project's data folders are, whether run from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology"
SHAPES = ROOT / "shapes"
QUERIES = ROOT / "queries"
SEEDS = ROOT / "seeds"
DATA = ROOT / "kg" / "data"
