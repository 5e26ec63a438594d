"""Tables for analysts, and the README's worked example answered three ways with the same numbers."""

from __future__ import annotations

import io

import pandas as pd
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
