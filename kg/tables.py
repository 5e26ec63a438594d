"""Tidy tables for analysts: one fact a row, produced by the stored ``table-*`` queries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kg import queries
from kg.store import Store

TABLES = ("counts", "practices", "bodies", "laws", "reports")
FORMATS = ("csv", "parquet", "json", "table")
_INTS = ("year", "period_start", "period_end", "start", "end")


def table(store: Store, name: str) -> pd.DataFrame:
    """The table as a DataFrame with analyst-friendly dtypes (nullable integers, floats, strings).

    >>> import kg
    >>> g = kg.build("seeds/004_73afdd1df5b9533d.txt", out="build/doctest-tables")
    >>> t = table(g.store, "counts")
    >>> t[["year", "value", "unit"]].dtypes.astype(str).tolist()
    ['Int64', 'Float64', 'string']
    >>> t.loc[t.measure_zh == "主任会议", ["year", "value", "unit"]].values.tolist()
    [[2023, 14.0, '次']]
    >>> g.close()
    """
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(TABLES)}")
    rows = store.query(queries.get(f"table-{name}").bind())
    df = pd.DataFrame(rows.data, columns=rows.vars)
    for col in df.columns:
        if col in _INTS:
            df[col] = pd.to_numeric(df[col]).astype("Int64")
        elif col in ("value", "low", "high"):
            df[col] = pd.to_numeric(df[col]).astype("Float64")
        else:
            df[col] = df[col].astype("string")
    return df


def write(df: pd.DataFrame, fmt: str, out: str | Path | None, bom: bool = False) -> str | None:
    """CSV is UTF-8, with a byte-order mark when ``bom`` (Excel then opens it by double-click with the
    Chinese intact); Parquet keeps dtypes. Without ``out`` the table is returned as text (not for parquet)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown table format {fmt!r}: {', '.join(FORMATS)}")
    if fmt == "parquet":
        if not out:
            raise ValueError("parquet needs an output file (-o)")
        df.to_parquet(out, index=False)
        return None
    text = {"csv": lambda: df.to_csv(index=False, lineterminator="\n"),
            "json": lambda: df.to_json(orient="records", force_ascii=False, indent=1),
            "table": lambda: df.to_string(index=False, max_colwidth=40)}[fmt]()
    if bom and fmt == "csv":
        text = "\ufeff" + text
    if out:
        Path(out).write_text(text, encoding="utf-8")
        return None
    return text
