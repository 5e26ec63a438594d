"""npc-kg: knowledge graphs of China's local people's congresses from their work reports.

    import kg
    g = kg.build("seeds/")
    g.query("piloted-livelihood-voting")
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from kg.__about__ import __version__

if TYPE_CHECKING:
    from kg.api import KnowledgeGraph, build
    from kg.api import open_graph as open

__all__ = ["KnowledgeGraph", "__version__", "build", "open"]


class _Package(types.ModuleType):
    """The API is imported when first used (`kg --version` and `kg --help` need none of it), and
    ``kg.build`` stays the function: importing the module kg.build would otherwise bind its name here
    (the module itself is ``sys.modules["kg.build"]``)."""

    @property
    def build(self) -> Any:
        from kg.api import build

        return build

    @build.setter
    def build(self, module: Any) -> None:
        pass


def __getattr__(name: str) -> Any:
    if name in ("KnowledgeGraph", "open"):
        from kg import api

        return {"KnowledgeGraph": api.KnowledgeGraph, "open": api.open_graph}[name]
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package
