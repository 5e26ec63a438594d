"""The errors a store or server raises: a module of their own, light to import, so that the command
line can catch them without loading a store (kg.stores.base re-exports them)."""


class StoreError(Exception):
    """A store or server failed; the message says which and why."""


class QuerySyntaxError(StoreError):
    """Malformed SPARQL; the message carries the line and column where the parser stopped."""


class QueryTimeout(StoreError):
    """A query ran longer than its timeout."""
