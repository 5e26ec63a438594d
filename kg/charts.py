"""Charts of how a mechanism spread (kg.adoption): adoption curves beside the coverage that bounds
them, and a province tile grid.

Why a grid and not borders: a choropleth of provinces gives Xinjiang, Tibet and Inner Mongolia most of
the ink although they hold few of the bodies, and it needs boundary files whose lines are themselves
contested; a grid gives every province the same tile, keeps the country's rough shape (north-east at
the top right, the south-west at the bottom left) and needs nothing but a small committed table
(``kg/data/province-grid.csv``).

PNG, SVG and PDF by matplotlib with a real CJK font (kg.drawing.cjk_font); HTML as a page that shows the
PNG and the numbers behind it as a table.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

import pandas as pd

from kg import names
from kg.drawing import pyplot
from kg.paths import DATA
from kg.places import gazetteer

FORMATS = names.PICTURE_FORMATS


def _save(fig, out: Path, title: str, numbers: pd.DataFrame) -> Path:
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(f"{out}: a chart is written as {', '.join(FORMATS)}")
    if fmt == "html":
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        table = numbers.to_html(index=False, na_rep="", border=0)
        out.write_text(f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                       "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;"
                       "border-bottom:1px solid #ddd;text-align:right}</style></head><body>"
                       f"<h1>{html.escape(title)}</h1><img alt='{html.escape(title)}' src='data:image/png;base64,{png}'>"
                       f"<h2>数字 / the numbers</h2>{table}</body></html>", encoding="utf-8")
    else:
        fig.savefig(out, format=fmt, dpi=130, bbox_inches="tight")
    return out


def adoption_curves(curves: pd.DataFrame, out: str | Path, mechanism_label: str, by: str = "level") -> Path:
    """Cumulative bodies that report the mechanism by year, one line per group, with the bodies
    observed each year drawn alongside as bars: a curve of coverage is not read as adoption."""
    plt = pyplot()
    out = Path(out)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    groups = list(dict.fromkeys(curves[by]))
    width = 0.8 / max(1, len(groups))
    colours = plt.get_cmap("tab10")
    for i, group in enumerate(groups):
        g = curves[curves[by] == group]
        label = "?" if pd.isna(group) else str(group)
        ax.bar(g.year + (i - (len(groups) - 1) / 2) * width, g.observed, width=width, color=colours(i), alpha=0.22,
               label=f"{label}：当年有报告的机构 / bodies observed")
        ax.plot(g.year, g.adopted, marker="o", color=colours(i), linewidth=2, label=f"{label}：累计报告采用 / cumulative adopters")
    ax.set_xlabel("年份 / year")
    ax.set_ylabel("机构数 / bodies")
    if len(curves):
        ax.set_xticks(sorted(curves.year.unique()))
    ax.yaxis.get_major_locator().set_params(integer=True)
    title = f"{mechanism_label}：采用曲线 / adoption by {by}"
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    try:
        return _save(fig, out, title, curves)
    finally:
        plt.close(fig)


def province_grid(shares: pd.DataFrame, out: str | Path, mechanism_label: str, year: int) -> Path:
    """Each province a tile, shaded by the share of its observed bodies that had reported the mechanism
    by ``year``; a province with no body observed that year is grey and says so."""
    plt = pyplot()
    out = Path(out)
    cells = _grid()
    by_province = {str(r.province): r for r in shares.itertuples()}
    fig, ax = plt.subplots(figsize=(8.5, 8))
    cmap = plt.get_cmap("YlGnBu")
    for name, short, row, col in cells:
        r = by_province.get(name)
        colour = cmap(0.15 + 0.85 * float(r.share)) if r is not None else "#e6e6e6"
        ax.add_patch(plt.Rectangle((col, -row), 0.94, 0.94, color=colour, ec="white"))
        note = f"{r.adopted}/{r.observed}" if r is not None else "无报告"
        dark = r is not None and float(r.share) > 0.55
        ax.text(col + 0.47, -row + 0.6, short, ha="center", va="center", fontsize=11, color="white" if dark else "#222")
        ax.text(col + 0.47, -row + 0.28, note, ha="center", va="center", fontsize=8, color="white" if dark else "#555")
    ax.set_xlim(-0.2, 9)
    ax.set_ylim(-8.2, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(0, 1))
    fig.colorbar(sm, ax=ax, shrink=0.5, label="当年有报告的机构中已报告采用的比例 / share of observed bodies that had adopted")
    title = f"{mechanism_label}：{year}年各省采用比例 / share adopted by province, {year}"
    ax.set_title(title + "\n（方格图：每省一格，大致按地理位置排列 / one tile a province, in rough geographic order）", fontsize=11)
    try:
        return _save(fig, out, title, shares)
    finally:
        plt.close(fig)


def _grid() -> list[tuple[str, str, int, int]]:
    """(full name as the gazetteer writes it, short name, row, column) of every province's tile."""
    gaz = gazetteer()
    with (DATA / "province-grid.csv").open(encoding="utf-8") as f:
        return [(gaz.by_code[r["code"]].name if r["code"] in gaz.by_code else r["short"], r["short"], int(r["row"]), int(r["col"]))
                for r in csv.DictReader(f)]
