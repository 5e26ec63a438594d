"""The embedded store's batched bulk loading, which the build uses for every report graph; rows."""

from __future__ import annotations

from kg.stores import MemoryStore, OxigraphStore

A, B, E = "https://example.org/g/a", "https://example.org/g/b", "https://example.org/g/entities"


def nt(*objects: str) -> str:
    return "".join(f'<https://example.org/s> <https://example.org/p> "{o}" .\n' for o in objects)


def values(store: OxigraphStore, graph: str) -> list[str]:
    rows = store.query(f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} ORDER BY ?o").rows
    return [r["o"] for r in rows]


def test_graphs_are_loaded_when_the_block_ends_and_replace_what_was_there():
    store = OxigraphStore()
    store.replace_graph(A, nt("old"))
    with store.batch() as loader:
        loader.replace_graph(A, nt("new 1", "new 2"))
        loader.replace_graph(B, nt("b"))
        assert values(store, B) == []  # still buffered
    assert values(store, A) == ["new 1", "new 2"]
    assert values(store, B) == ["b"]


def test_the_later_of_two_graphs_with_one_iri_wins_within_a_batch():
    store = OxigraphStore()
    with store.batch() as loader:
        loader.replace_graph(A, nt("first file"))
        loader.replace_graph(A, nt("second file"))
    assert values(store, A) == ["second file"]


def test_shared_lines_are_sent_once_and_a_small_batch_size_flushes_early():
    store = OxigraphStore()
    with store.batch(batch_quads=2) as loader:
        loader.add_to_graph(E, nt("x", "y"))
        assert values(store, E) == ["x", "y"]  # two quads reached the batch size
        loader.add_to_graph(E, nt("y", "z"))
        assert loader._quads == 1  # "y" was not buffered again
    assert values(store, E) == ["x", "y", "z"]
    assert loader.loaded == 3


def test_removing_a_graph_first_loads_what_is_buffered():
    store = OxigraphStore()
    with store.batch() as loader:
        loader.replace_graph(A, nt("a"))
        loader.replace_graph(B, nt("b"))
        loader.remove_graph(A)
    assert store.graphs() == [B]


def test_rows_are_a_tuple_each_and_dicts_on_demand_alike_on_both_engines():
    text = 'SELECT ?n ?label WHERE { VALUES (?n ?label) { (2 UNDEF) (1 "一") } } ORDER BY ?n'
    rows = OxigraphStore().query(text)
    assert rows.vars == ["n", "label"] and len(rows) == 2
    assert rows.data == [(1, "一"), (2, None)]
    assert rows.rows == list(rows) == [{"n": 1, "label": "一"}, {"n": 2, "label": None}]
    assert rows == MemoryStore().query(text)
