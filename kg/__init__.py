"""npc-kg: knowledge graphs of China's local people's congresses from their work reports.

    import kg
    g = kg.build("seeds/")
    g.query("piloted-livelihood-voting")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kg.__about__ import __version__

if TYPE_CHECKING:
    from kg.api import KnowledgeGraph, build
    from kg.api import open_graph as open

__all__ = ["KnowledgeGraph", "__version__", "build", "open"]


def __getattr__(name: str) -> Any:
    """The API is imported when first used: `kg --version` and `kg --help` need none of it."""
    if name in ("KnowledgeGraph", "build", "open"):
        from kg import api

        # bound here, after kg.api has imported the module kg.build: kg.build is the function
        globals().update(KnowledgeGraph=api.KnowledgeGraph, build=api.build, open=api.open_graph)
        return globals()[name]
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
