"""Materialised views (kg.views) must give exactly what the store gives, and step aside when stale."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import SEEDS, answer_multiset
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.corpus import generate
from kg import lexicon, queries, views
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


def test_materialised_queries_and_how_their_reports_combine() -> None:
    defaults = {v.query: v for v in views.views().values() if not v.values}
    assert {name: v.combine for name, v in defaults.items()} == {
        # one row per fact, report or body: the union of the reports' rows
        "counts": {}, "enforcement-inspections": {}, "liaison-stations": {}, "table-bodies": {},
        "table-counts": {}, "table-laws": {}, "table-practices": {}, "table-reports": {},
        # groups that span reports: each report's partial row, merged
        "body-mechanism-edges": {"stages": ("concat", ","), "years": ("concat", ","), "evidence_count": ("sum", ""),
                                 "example": ("min", "")},
        "bodies-by-mechanism": {"evidence_count": ("sum", ""), "example": ("min", "")},
        "planned-vs-reported": {"facts": ("sum", "")},
        "mechanisms-of-body": {"stages": ("concat", ","), "first_year": ("min", ""), "evidence_count": ("sum", "")},
        "piloted-livelihood-voting": {"scope": ("concat", "、"), "evidence": ("concat", " ‖ ")},
        "suggestion-satisfaction": {"suggestions": ("max", ""), "satisfaction": ("max", ""), "evidence": ("concat", " ‖ ")},
    }
    assert set(defaults) == {q.name for q in queries.stored().values()}, "every stored query is materialised"
    # every mechanism, the default one too, is answered by filtering one evaluation with the mechanism unbound
    each = [v.source for v in views.views().values() if v.source and v.source[0] == "bodies-by-mechanism?mechanism=*"]
    assert len(each) == len(lexicon.concepts("mechanism")) == 25
    assert ("bodies-by-mechanism?mechanism=*", "mechanism", "https://w3id.org/npc-kg/mechanism/first-topic") in each
    assert defaults["bodies-by-mechanism"].source == (
        "bodies-by-mechanism?mechanism=*", "mechanism", "https://w3id.org/npc-kg/mechanism/livelihood-project-voting")
    assert defaults["table-counts"].order == ["report", "start", "id"]
    assert defaults["table-counts"].distinct and not defaults["table-practices"].distinct


def test_views_equal_store_on_seeds(built) -> None:
    assert_views_equal_store(Path(built.store.path))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """Synthetic reports, plus two of one body in one year that share most sentences, and one of the
    same body in another year: DISTINCT and ORDER BY must hold across reports, not only within."""
    folder = tmp_path / "corpus"
    files = generate(16, folder, SEEDS, seed=3)
    text = files[0].read_text(encoding="utf-8") + "在两个乡镇试点开展民生实事项目人大代表票决制，票决项目8个。\n"
    # the suggestions' count in both reports, their satisfaction rate in one; early on, with the year's work
    lines = text.split("\n", 3)
    files[0].write_text("\n".join([*lines[:3], "共办理代表建议1120件，满意率为96.5%。", lines[3]]), encoding="utf-8")
    (folder / "same_body_same_year.txt").write_text(
        "\n".join([*lines[:3], "共办理代表建议1130件。", lines[3]]) + "一年来，召开主任会议9次。\n", encoding="utf-8")
    year = re.search(r"\n(\d{4})年", text).group(1)
    (folder / "same_body_next_year.txt").write_text(text.replace(f"\n{year}年", f"\n{int(year) + 1}年", 1), encoding="utf-8")
    return folder


def partial_rows(out: Path, view: views.View) -> int:
    """How many rows the reports' answers to a view hold before they are put together."""
    v = Views(out / "store.views.sqlite", read_only=True)
    try:
        return sum(len(json.loads(r)) for (r,) in v.db.execute("SELECT rows FROM answer WHERE name = ?", (view.name,)))
    finally:
        v.close()


def test_views_equal_store_across_reports_and_after_an_edit(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    first = build([corpus], out, jobs=2)
    assert not first.failed
    store = OxigraphStore(out / "store", read_only=True, views=False)
    counts, edges, pilots = (views.views()[n] for n in ("counts", "body-mechanism-edges", "piloted-livelihood-voting"))
    assert partial_rows(out, counts) > len(store.query(counts.sparql)), "rows that only a global DISTINCT removes"
    assert partial_rows(out, edges) > len(store.query(edges.sparql)), "a body's mechanisms in several reports"
    piloted = store.query(pilots.sparql).rows
    assert partial_rows(out, pilots) > len(piloted), "one body's pilots in two reports of one year"
    assert len({(r["body"], r["year"]) for r in piloted}) == len(piloted)
    suggestions = views.views()["suggestion-satisfaction"]
    merged = [(r["suggestions"], r["satisfaction"]) for r in store.query(suggestions.sparql).rows]
    assert (1130, 96.5) in merged, "the count from one report, the rate from the other"
    store.close()
    assert_views_equal_store(out / "store")

    answers = binding_answers(out)
    edited = corpus / "same_body_same_year.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "开展执法检查3次。\n", encoding="utf-8")
    again = build([corpus], out, jobs=1)
    assert sum(not f.cached for f in again.files) == 1
    assert_views_equal_store(out / "store")
    # the report's other mechanisms have the same rows as before: their answers are not written again
    rewritten = {name for name, rowid in binding_answers(out).items() if answers[name] != rowid}
    assert rewritten == {"bodies-by-mechanism?mechanism=enforcement-inspection"}


def binding_answers(out: Path) -> dict[str, int]:
    """Each split binding's answer, by the SQLite row that holds it (a new one whenever it is written)."""
    db = sqlite3.connect(out / "store.views.sqlite")
    try:
        return dict(db.execute("SELECT name, rowid FROM binding"))
    finally:
        db.close()


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
    db.execute("DELETE FROM answer WHERE graph = ?", (lost,))
    db.commit()
    db.close()
    again = build([SEEDS], out)
    assert [f.graph for f in again.files if not f.cached] == [lost]
    assert_views_equal_store(out / "store")


def test_views_that_do_not_cover_every_report_graph_are_not_used(tmp_path: Path) -> None:
    out = tmp_path / "build"
    build([SEEDS / "004_73afdd1df5b9533d.txt"], out)
    db = sqlite3.connect(out / "store.views.sqlite")
    db.execute("UPDATE query SET digest = 'from an older kg' WHERE name = 'table-reports'")
    db.commit()
    db.close()
    # the next build starts the views over, but only answers its own file: the first report is not covered
    build([SEEDS / "003_ff0f401e9b94a24c.txt"], out)
    v = Views(out / "store.views.sqlite", read_only=True)
    assert v.graphs() and v.rows(views.views()["table-reports"].sparql, out / "store") is None
    v.close()
    store = OxigraphStore(out / "store", read_only=True)
    assert len(store.query(views.views()["table-reports"].sparql)) == 2  # both reports, from the store
    store.close()


def test_each_mechanism_is_kept_put_together_group_by_group(tmp_path: Path) -> None:
    out = build([SEEDS], tmp_path / "build")
    source = "bodies-by-mechanism?mechanism=*"
    db = sqlite3.connect(Path(out.out) / "store.views.sqlite")
    per_report = {n for (n,) in db.execute("SELECT DISTINCT name FROM answer")}
    assert not per_report & {v.name for v in views.views().values() if v.source or v.split}
    groups = db.execute("SELECT COUNT(DISTINCT key) FROM part WHERE name = ?", (source,)).fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM merged WHERE name = ?", (source,)).fetchone()[0] == groups > 0
    db.close()
    first_topic = views.views()["bodies-by-mechanism?mechanism=first-topic"]
    v = Views(Path(out.out) / "store.views.sqlite", read_only=True)
    rows = v.rows(first_topic.sparql, Path(out.out) / "store").rows
    v.close()
    assert [(r["body_zh"], r["stage"], r["year"]) for r in rows] == [
        ("绛县人大常委会", "expand", 2023), ("绛县人大常委会", "implement", 2023), ("绛县人大常委会", "plan", 2024)]
    assert "落实“第一议题”,推动理论武装走深走心" in rows[1]["example"]
    assert len(binding_answers(Path(out.out))) == len(lexicon.concepts("mechanism")), "every mechanism, with rows or not"
    db = sqlite3.connect(Path(out.out) / "store.views.sqlite")
    db.execute("DELETE FROM binding WHERE name = ?", (first_topic.name,))
    db.commit()
    db.close()
    v = Views(Path(out.out) / "store.views.sqlite", read_only=True)
    assert v.rows(first_topic.sparql, Path(out.out) / "store") is None, "a missing answer is not an empty one"
    v.close()
    store = OxigraphStore(Path(out.out) / "store", read_only=True)
    assert store.query(first_topic.sparql).rows == rows  # the store answers, the same rows
    store.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(*[st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=False, allow_infinity=False),
                                      st.text(max_size=6))] * 3), max_size=30))
def test_an_answer_taken_apart_into_columns_comes_back_the_same(rows: list[tuple]) -> None:
    back = views._from_columns(*views._columns([list(r) for r in rows], 3))
    assert [[(type(v), v) for v in r] for r in back] == [[(type(v), v) for v in r] for r in rows]


def test_a_query_split_per_concept_must_have_one_row_per_group(monkeypatch: pytest.MonkeyPatch) -> None:
    text = queries.get("bodies-by-mechanism").text.replace("#+ combine: {evidence_count: sum, example: min}\n", "")
    assert "combine" not in text
    monkeypatch.setattr(queries, "stored", lambda: {"bodies-by-mechanism": queries.parse(text)})
    views.views.cache_clear()
    try:
        with pytest.raises(ValueError, match="materialise-each needs rows that are one per group"):
            views.views()
    finally:
        views.views.cache_clear()
