"""Where the project's data folders are, whether run from a checkout or an installed wheel.

The wheel carries ontology/, shapes/, queries/ and seeds/ as package data under ``kg/resources/``
(pyproject.toml maps them there); a checkout has them at the top of the repository.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class MissingData(RuntimeError):
    """A data folder the command needs is not installed (a broken install)."""


def _folder(name: str) -> Path:
    installed = Path(str(files("kg.resources") / name))
    return installed if installed.is_dir() else ROOT / name


ONTOLOGY = _folder("ontology")
SHAPES = _folder("shapes")
QUERIES = _folder("queries")
SEEDS = _folder("seeds")
DATA = Path(str(files("kg") / "data"))


def require(folder: Path, pattern: str) -> list[Path]:
    """The files of a data folder, or MissingData: a command without its shapes, queries or
    lexicon would answer wrongly (validate "conforms" against no shapes), so it does not run."""
    found = sorted(folder.glob(pattern))
    if not found:
        raise MissingData(f"no {pattern} in {folder}: the installation is incomplete (reinstall npc-kg)")
    return found
