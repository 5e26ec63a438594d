"""Tables for analysts, and the README's worked example answered three ways with the same numbers."""

from __future__ import annotations

import io

import pandas as pd
from conftest import SEEDS
from typer.testing import CliRunner

from kg.cli import app

EXPECTED = {("会东县人大常委会", 2020): (50, 100.0), ("大足区人大常委会", 2022): (330, None), ("大方县人大常委会", 2022): (492, None),
            ("巴彦淖尔市人大常委会", 2020): (140, 98.6), ("绛县人大常委会", 2023): (154, 97.5)}


def test_table_columns_and_dtypes(built, tmp_path):
    counts = built.table("counts")
    assert list(counts.columns) == ["id", "body", "body_zh", "place", "level", "province", "prefecture", "year", "period_start", "period_end", "measure",
                                    "measure_zh", "value", "unit", "bound", "low", "high", "modality", "report", "quote",
                                    "start", "end"]
    assert str(counts["year"].dtype) == "Int64" and str(counts["value"].dtype) == "Float64"
    assert len(counts) == counts["id"].nunique() == 106
    row = counts[(counts.body_zh == "会东县人大常委会") & (counts.measure_zh == "党组会")].iloc[0]
    assert (row.place, row.province, row.prefecture, row.year, row.value, row.unit) == ("会东县", "四川省", "凉山彝族自治州", 2020, 21, "次")
    assert "召开党组会21次" in row.quote
    practices = built.table("practices")
    pilot = practices[(practices.mechanism == "livelihood-project-voting") & (practices.stage == "pilot")]
    assert set(pilot.scope.dropna()) == {"嘎吉镇、野租乡", "21个苏木乡镇(街道)、4个旗县"}  # places in code-point order
    bodies = built.table("bodies")
    assert list(bodies.place_code) == ["140826", "1508", "500111", "513426", "520521"]
    laws = built.table("laws")
    assert laws[laws.action == "enforcement-inspection"].law.nunique() == 8
    parquet = tmp_path / "c.parquet"
    counts.to_parquet(parquet)
    assert pd.read_parquet(parquet).dtypes.equals(counts.dtypes)


def test_worked_example_three_ways(built):
    store = str(built.store.path.parent)
    # 1. CLI
    out = CliRunner().invoke(app, ["query", "suggestion-satisfaction", "--format", "csv", "--store", store]).output
    cli = pd.read_csv(io.StringIO(out))
    by_cli = {(r.body_zh, r.year): (r.suggestions, None if pd.isna(r.satisfaction) else r.satisfaction) for r in cli.itertuples()}
    # 2. SPARQL through the library
    by_sparql = {(r["body_zh"], r["year"]): (r["suggestions"], r["satisfaction"]) for r in built.rows("suggestion-satisfaction")}
    # 3. pandas on the tidy counts table
    c = built.table("counts")
    c = c[c.modality == "reported"]
    suggestions = c[(c.measure == "deputy-suggestion") & (c.unit == "件")]
    sugg = suggestions.groupby(["body_zh", "year"]).value.max()
    # a rate counts where it shares the sentence of a suggestion count
    same_sentence = suggestions[["body_zh", "year", "report", "start"]].drop_duplicates()
    rate = c[c.measure == "satisfaction-rate"].merge(same_sentence).groupby(["body_zh", "year"]).value.max()
    by_pandas = {k: (int(v), None if pd.isna(rate.get(k)) else float(rate.get(k))) for k, v in sugg.items()}
    assert by_cli == by_sparql == by_pandas == EXPECTED


def test_cli_table_csv(built):
    out = CliRunner().invoke(app, ["table", "bodies", "--store", str(built.store.path.parent)])
    assert out.exit_code == 0
    assert out.output.splitlines()[0] == "body,body_zh,place,place_code,level,province,prefecture"
    assert "\ufeff" not in out.output


def test_ontology_docs(tmp_path):
    import re

    from kg import lexicon
    from kg.docs import write

    page = write(tmp_path / "site").read_text(encoding="utf-8")
    for c in lexicon.concepts("mechanism"):
        assert f"<code>{c.id}</code>" in page and c.label_zh in page and c.label_en.replace("'", "&#x27;") in page
    for term in ("npc:StandingCommittee", "npc:MechanismPractice", "npc:measurePhrase", "人大常委会", "standing committee"):
        assert term in page
    assert not re.search(r"<(?:script|link|img)\b", page)  # one self-contained file
    anchors = set(re.findall(r"id='([^']+)'", page))  # every class, property and concept can be linked to
    assert {"StandingCommittee", "measurePhrase", "readByOCR", "mechanism-livelihood-project-voting", "unit-jian"} <= anchors
    terms = lexicon.ontology_graph()
    from rdflib import OWL, RDF

    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for t in terms.subjects(RDF.type, kind):
            if str(t).startswith(str(lexicon.NPC)):
                assert str(t).removeprefix(str(lexicon.NPC)) in anchors, t
    # what ontology users expect of such a page (pyLODE, Widoco): metadata, namespaces, the class tree with
    # the properties each class is the domain or range of, the shapes, and the files to download
    assert {"metadata", "namespaces", "classes", "properties", "shapes", "shape-Count", "shape-Evidence"} <= anchors
    assert "https://w3id.org/npc-kg/ontology/0.1.0" in page and "https://spdx.org/licenses/MIT" in page
    count = re.sub(r"<[^>]+>", "", page[page.index("<tr id='Count'>"): page.index("</tr>", page.index("<tr id='Count'>"))])
    assert "qb:Observation" in count and "npc:Fact" in count and "npc:measurePhrase" in count
    fact = re.sub(r"<[^>]+>", "", page[page.index("<tr id='Fact'>"): page.index("</tr>", page.index("<tr id='Fact'>"))])
    assert "npc:Count" in fact and "npc:modality" in fact  # its subclasses, and a property whose domain it is
    assert "a count has exactly one non-negative decimal value" in page and "Warning" in page
    for f in ("ontology/npc.ttl", "ontology/context.jsonld", "shapes/npc.ttl"):
        assert f"href='{f}'" in page and (tmp_path / "site" / f).exists(), f


def _by_query(out, name):
    from kg import queries
    from kg.stores import OxigraphStore
    from kg.tables import typed

    store = OxigraphStore(out / "store", read_only=True)
    try:
        rows = store.query(queries.get(f"table-{name}").bind())
    finally:
        store.close()
    return typed(pd.DataFrame(rows.data, columns=rows.vars))


def test_the_built_parquet_tables_equal_the_stored_queries_after_edits_and_deletions(tmp_path):
    """Each report's rows are replaced when it is built again and leave with it; what pandas reads
    from build/tables/ is what the table-* queries answer over the store, row for row."""
    import shutil

    import kg
    from kg.build import build
    from kg.tables import TABLES, _built

    src = tmp_path / "in"
    src.mkdir()
    for f in sorted(SEEDS.glob("*.txt")):
        shutil.copy(f, src / f.name)
    out = tmp_path / "out"
    build([src], out)
    (src / "002_58dfcc973063ed19.txt").unlink()
    edited = src / "004_73afdd1df5b9533d.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "一年来，开展专题询问3次。\n", encoding="utf-8")
    again = build([src], out)
    assert sum(not f.cached for f in again.files) == 1
    g = kg.open(out)
    for name in TABLES:
        built = _built(g.store, name)
        assert built is not None, name  # read from Parquet, not computed
        assert built.equals(_by_query(out, name)), name
    counts = g.table("counts")
    assert "大方县人大常委会" not in set(counts.body_zh)
    assert counts[(counts.measure_zh == "专题询问") & (counts.value == 3)].shape[0] == 1
    g.close()
    w = kg.open(out, read_only=False)  # a write outside the build: the files no longer answer
    w.store.update("INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }")
    w.close()
    g = kg.open(out)
    assert _built(g.store, "counts") is None and g.table("counts").equals(_by_query(out, "counts"))
    g.close()


def test_the_panel_puts_reported_and_planned_side_by_side(built):
    """One row per body × year × measure × unit; a value only where the counts agree, each with its
    sentence; a cell of several different counts says how many and gives no value."""
    panel = built.table("panel")
    counts = built.table("counts")
    known = counts[counts.measure.notna() & counts.year.notna()]
    key = ["body", "year", "measure", "unit"]
    assert len(panel) == len(known.drop_duplicates(key)) and not panel.duplicated(key).any()
    cell = panel[(panel.body_zh == "绛县人大常委会") & (panel.year == 2023) & (panel.measure == "council-of-chairpersons-meeting")].iloc[0]
    assert (cell.reported_value, cell.reported_values) == (14, 1) and "主任会议14次" in cell.reported_quote
    listed = panel[(panel.body_zh == "会东县人大常委会") & (panel.measure == "deputy-election")].iloc[0]
    assert pd.isna(listed.reported_value) and listed.reported_values == 3  # 补选州人大代表1名、县人大代表3名; 乡镇人大代表221名
    assert listed.reported_quote in set(counts[(counts.body_zh == "会东县人大常委会") & (counts.measure == "deputy-election")].quote)
    plan = panel[panel.planned_values > 0]
    assert len(plan) == len(known[known.modality == "planned"].drop_duplicates(key)) >= 1
    assert plan.planned_quote.notna().all()


def test_a_body_two_reports_name_stays_in_the_bodies_table_when_one_report_goes(tmp_path):
    """Rows that two reports share (a body, a law) are one row of the table; when one report leaves,
    the row stays for the other (it was kept only once, under the report that left)."""
    import kg
    from kg.build import build
    from kg.tables import TABLES, _built

    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("平遥县人大常委会2021年工作报告\n一年来，召开常委会会议8次，开展执法检查3次。\n", encoding="utf-8")
    (src / "b.txt").write_text("平遥县人大常委会2022年工作报告\n一年来，召开常委会会议7次，听取专项工作报告5个。\n", encoding="utf-8")
    out = tmp_path / "out"
    build([src], out)
    g = kg.open(out)
    assert list(g.table("bodies").body_zh) == ["平遥县人大常委会"]
    g.close()
    (src / "a.txt").unlink()
    build([src], out)
    g = kg.open(out)
    for name in TABLES:
        assert _built(g.store, name) is not None and _built(g.store, name).equals(_by_query(out, name)), name
    assert list(g.table("bodies").body_zh) == ["平遥县人大常委会"]
    assert sorted(g.table("counts").value) == [5, 7]
    g.close()


def test_tables_written_in_many_parts_equal_the_stored_queries(tmp_path, monkeypatch):
    """The build writes new rows to a part file every PART_ROWS rows and merges them at the end: the
    seams change nothing, and no part is left behind."""
    import kg
    from kg import tables

    monkeypatch.setattr(tables, "PART_ROWS", 7)
    out = tmp_path / "out"
    g = kg.build(SEEDS, out=out)
    for name in tables.TABLES:
        assert tables._built(g.store, name).equals(_by_query(out, name)), name
    assert len(g.table("counts")) == 106 and not (out / "tables" / tables.PARTS).exists()
    g.close()


def test_the_parquet_files_users_read_are_typed_and_hold_no_internal_column(built):
    """A reader of build/tables/*.parquet (pandas, R, DuckDB) gets each row once, dates as dates and
    categories as dictionaries, and nothing only the build needs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = built.store.path.parent / "tables"
    reports = pq.read_table(folder / "reports.parquet")
    assert reports.schema.field("date").type == pa.date32() and pa.types.is_dictionary(reports.schema.field("genre").type)
    for name in ("counts", "practices", "bodies", "laws", "reports"):
        table = pq.read_table(folder / f"{name}.parquet")
        assert not [c for c in table.column_names if c.startswith("_")], name
        assert table.num_rows == len(built.table(name)), name
    counts = pd.read_parquet(folder / "counts.parquet")
    assert str(counts.modality.dtype) == "category" and set(counts.modality.cat.categories) == {"planned", "reported"}
    assert sorted(str(d) for d in pd.read_parquet(folder / "reports.parquet").date.dropna()) == ["2021-03-29", "2024-02-21"]
