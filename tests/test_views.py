"""Materialised views (kg.views) must give exactly what the store gives, and step aside when stale."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from conftest import SEEDS, answer_multiset

from bench.corpus import generate
from kg import views
from kg.build import build
from kg.store import OxigraphStore
from kg.views import Views, _order_key


def assert_views_equal_store(store_path: Path) -> None:
    plain = OxigraphStore(store_path, read_only=True, views=False)
    fast = OxigraphStore(store_path, read_only=True)
    v_db = Views(fast.views_path, read_only=True)
    try:
        for view in views.views().values():
            from_views = v_db.rows(view.sparql, store_path)
            assert from_views is not None, f"{view.name}: the views do not answer right after a build"
            from_store = plain.query(view.sparql)
            assert from_views.vars == from_store.vars, view.name
            assert answer_multiset(from_views, view.sparql) == answer_multiset(from_store, view.sparql), view.name
            keys = [tuple(_order_key(r[c]) for c in view.order) for r in from_views.rows]
            assert keys == sorted(keys), f"{view.name}: not in ORDER BY order"
            assert fast.query(view.sparql).rows == from_views.rows, view.name
    finally:
        v_db.close()
        plain.close()
        fast.close()


def test_materialised_queries_are_the_decomposable_ones() -> None:
    partitions = {name: v.partition for name, v in views.views().items() if not v.values}
    each = [v.values["mechanism"] for v in views.views().values() if v.query == "bodies-by-mechanism" and v.values]
    assert len(each) == 23 and "first-topic" in each  # every mechanism but the default one, which is above
    # without a body, mechanisms-of-body groups each mechanism across bodies: partial rows are combined
    assert partitions.pop("mechanisms-of-body") == "per-body"
    assert views.views()["mechanisms-of-body"].combine == {
        "stages": ("concat", ","), "first_year": ("min", ""), "evidence_count": ("sum", "")}
    assert partitions == {
        # one row per fact, report or body: nothing is combined across reports
        "counts": "per-report", "enforcement-inspections": "per-report", "liaison-stations": "per-report",
        "table-bodies": "per-report", "table-counts": "per-report", "table-laws": "per-report",
        "table-practices": "per-report", "table-reports": "per-report",
        # every group lies within one body
        "body-mechanism-edges": "per-body", "bodies-by-mechanism": "per-body", "planned-vs-reported": "per-body",
        "piloted-livelihood-voting": "per-body", "suggestion-satisfaction": "per-body"}
    assert views.views()["table-counts"].order == ["report", "start", "id"]
    assert views.views()["table-counts"].distinct and not views.views()["table-practices"].distinct


def test_views_equal_store_on_seeds(built) -> None:
    assert_views_equal_store(Path(built.store.path))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Synthetic reports, plus two of one body in one year that share most sentences, and one of the
    same body in another year: DISTINCT and ORDER BY must hold across reports, not only within."""
    folder = tmp_path / "corpus"
    files = generate(16, folder, SEEDS, seed=3)
    text = files[0].read_text(encoding="utf-8")
    (folder / "same_body_same_year.txt").write_text(text + "一年来，召开主任会议9次。\n", encoding="utf-8")
    year = re.search(r"\n(\d{4})年", text).group(1)
    (folder / "same_body_next_year.txt").write_text(text.replace(f"\n{year}年", f"\n{int(year) + 1}年", 1), encoding="utf-8")
    return folder


def test_views_equal_store_across_reports_and_after_an_edit(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    first = build([corpus], out, jobs=2)
    assert not first.failed
    counts = views.views()["counts"]
    plain = OxigraphStore(out / "store", read_only=True, views=False)
    rows = plain.query(counts.sparql).rows
    plain.close()
    per_report = Views(out / "store.views.sqlite", read_only=True)
    summed = sum(len(eval_json(r)) for (r,) in per_report.db.execute("SELECT rows FROM answer WHERE name='counts'"))
    per_report.close()
    assert summed > len(rows), "the corpus must hold rows that only a global DISTINCT removes"
    mechanisms = views.views()["mechanisms-of-body"]
    per_body = Views(out / "store.views.sqlite", read_only=True)
    partial = sum(len(eval_json(r)) for (r,) in per_body.db.execute("SELECT rows FROM answer WHERE name = ?", (mechanisms.name,)))
    combined = per_body.rows(mechanisms.sparql, out / "store")
    per_body.close()
    assert partial > len(combined), "mechanisms shared by several bodies must be combined"
    assert_views_equal_store(out / "store")

    edited = corpus / "same_body_same_year.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "开展执法检查3次。\n", encoding="utf-8")
    again = build([corpus], out, jobs=1)
    assert sum(not f.cached for f in again.files) == 1
    assert_views_equal_store(out / "store")


def eval_json(text: str) -> list:
    import json

    return json.loads(text)


def test_a_write_outside_the_build_drops_the_views(tmp_path: Path) -> None:
    out = tmp_path / "build"
    build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
    store = OxigraphStore(out / "store")
    assert store.views_path.exists()
    store.update('INSERT DATA { GRAPH <urn:x:extra> { <urn:x:a> <urn:x:b> "c" } }')
    assert not store.views_path.exists()
    table = views.views()["table-reports"]
    assert len(store.query(table.sparql)) == 1  # answered by the store itself
    store.close()


def test_views_step_aside_when_another_program_wrote_the_store_or_the_query_changed(tmp_path: Path) -> None:
    import pyoxigraph

    out = tmp_path / "build"
    build([SEEDS / "004_73afdd1df5b9533d.txt", SEEDS / "003_ff0f401e9b94a24c.txt"], out)
    view = views.views()["table-laws"]

    def answered() -> bool:
        v = Views(out / "store.views.sqlite", read_only=True)
        try:
            return v.rows(view.sparql, out / "store") is not None
        finally:
            v.close()

    assert answered()
    OxigraphStore(out / "store").close()  # opened for writing through kg, nothing written: still current
    assert answered()
    other = pyoxigraph.Store(str(out / "store"))  # another program loads a triple behind kg's back
    other.add(pyoxigraph.Quad(pyoxigraph.NamedNode("urn:x:a"), pyoxigraph.NamedNode("urn:x:b"), pyoxigraph.Literal("c")))
    del other
    assert not answered()
    build([SEEDS / "004_73afdd1df5b9533d.txt", SEEDS / "003_ff0f401e9b94a24c.txt"], out)  # a build stamps them again
    assert answered()
    db = sqlite3.connect(out / "store.views.sqlite")
    db.execute("UPDATE query SET digest = 'edited' WHERE name = 'table-laws'")
    db.commit()
    db.close()
    assert not answered()


def test_a_build_killed_before_its_views_were_saved_redoes_those_reports(tmp_path: Path) -> None:
    out = tmp_path / "build"
    build([SEEDS], out)
    db = sqlite3.connect(out / "store.views.sqlite")
    (lost,) = db.execute("SELECT iri FROM graph ORDER BY iri LIMIT 1").fetchone()
    db.execute("DELETE FROM graph WHERE iri = ?", (lost,))
    db.execute("DELETE FROM answer WHERE part = ?", (lost,))
    db.commit()
    db.close()
    again = build([SEEDS], out)
    assert [f.graph for f in again.files if not f.cached] == [lost]
    assert_views_equal_store(out / "store")
