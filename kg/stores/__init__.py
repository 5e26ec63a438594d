"""Stores: embedded Oxigraph (default, on disk under build/), rdflib in memory, or a remote
SPARQL 1.1 endpoint (Protocol for queries, Graph Store HTTP Protocol for writes).

All three answer ``query()`` with the same plain rows, so stored queries run unchanged on each.
"""

from kg.stores.base import QuerySyntaxError, QueryTimeout, Rows, Store, StoreError, json_rows, nt_lines, python_value, with_timeout
from kg.stores.memory import MemoryStore
from kg.stores.oxigraph import BatchLoader, OxigraphStore
from kg.stores.remote import PushResult, RemoteStore, push

__all__ = ["BatchLoader", "MemoryStore", "OxigraphStore", "PushResult", "QuerySyntaxError", "QueryTimeout", "RemoteStore",
           "Rows", "Store", "StoreError", "json_rows", "nt_lines", "push", "python_value", "with_timeout"]
