"""npc-kg: knowledge graphs of China's local people's congresses from their work reports.

    import kg
    g = kg.build("seeds/")
    g.query("piloted-livelihood-voting")
"""

from kg.__about__ import __version__
from kg.api import KnowledgeGraph, build
from kg.api import open_graph as open

__all__ = ["KnowledgeGraph", "__version__", "build", "open"]
