"""Series: every year of an indicator from every source, with each plan's targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt

from pipeline.charts.bars import PHONE_WIDTH, _joined, _title_spec

# --------------------------------------------------------------------------
# Series: every year of an indicator from every source, with each plan's targets
# --------------------------------------------------------------------------

SERIES_COLORS = {"实际数": "#1f5f99", "其他来源": "#8a8a8a", "假定基数": "#b35900", "目标": "#b35900"}
SERIES_SHAPES = {"实际数": "circle", "其他来源": "circle", "假定基数": "circle", "目标": "diamond"}
SERIES_HOLLOW = ("其他来源", "假定基数")


@dataclass(frozen=True)
class SeriesPoint:
    """One point of series_chart.  ``role``: 实际数 (the figure judgments use), 其他来源 (a
    figure another, older source gave for the same year), 假定基数 (a baseline taken from
    another indicator under a stated assumption) or 目标.  ``low``/``high``: the range its
    written precision stands for (equal to value when exact).  ``text`` is written beside
    it; ``href`` is where the point links (its passage).  ``path`` joins a target to the
    baseline it was derived from with a dashed line; a point with ``draw=False`` only
    anchors such a line (a baseline already drawn as an actual)."""

    year: int
    value: float
    role: str
    text: str
    low: float | None = None
    high: float | None = None
    href: str = ""
    path: str = ""
    draw: bool = True


def series_chart(title: str | Sequence[str], points: Sequence[SeriesPoint], *, unit: str,
                 subtitle: str | Sequence[str] | None = None, description: str | None = None,
                 width: int = PHONE_WIDTH, height: int = 220, title_chars: int = 19) -> alt.LayerChart:
    """Years across, values up (from zero): actual figures as filled circles joined by a line
    (a figure an older source gave for the same year as a hollow grey circle, an assumed
    baseline as a hollow orange one), each plan's target as an orange diamond with a dashed
    line from the baseline it was derived from, every value written beside its point, each
    point a link to its passage.  A value whose written precision stands for a range gets a
    vertical bar over that range."""
    if not any(p.draw for p in points):
        raise ValueError("no points")
    for p in points:
        if p.role not in SERIES_COLORS:
            raise ValueError(f"unknown role {p.role!r}; expected one of {list(SERIES_COLORS)}")
    rows = [{"year": p.year, "value": float(p.value), "role": p.role, "text": p.text if p.draw else "",
             "low": float(p.low if p.low is not None else p.value), "high": float(p.high if p.high is not None else p.value),
             "href": p.href, "path": p.path, "draw": p.draw}
            for p in sorted(points, key=lambda p: (p.year, list(SERIES_COLORS).index(p.role), p.value))]
    drawn = [r for r in rows if r["draw"]]
    if description is None:
        description = f"{_joined(title)}。" + "；".join(f"{r['year']}年{r['role']}{r['text']}" for r in drawn) + "。"
    years = [r["year"] for r in rows]
    lo_year, hi_year = min(years), max(years)
    pad = max(1, round((hi_year - lo_year) * 0.15))
    top = max(r["high"] for r in rows) or 1.0
    x = alt.X("year:Q", title=None, scale=alt.Scale(domain=[lo_year - pad, hi_year + pad], nice=False),
              axis=alt.Axis(format="d", values=sorted(set(years)), labelFontSize=12, grid=False))
    y_scale = alt.Scale(domain=[0, top * 1.2], nice=False, zero=True)
    y = alt.Y("value:Q", title=None, scale=y_scale, axis=alt.Axis(labelFontSize=11, tickCount=4, gridColor="#eeeeee"))
    color = alt.Color("role:N", legend=None,
                      scale=alt.Scale(domain=list(SERIES_COLORS), range=list(SERIES_COLORS.values())))
    shape = alt.Shape("role:N", legend=None,
                      scale=alt.Scale(domain=list(SERIES_SHAPES), range=list(SERIES_SHAPES.values())))
    base = alt.Chart(alt.Data(values=rows)).encode(x=x)
    layers = [base.transform_filter("datum.draw && datum.low != datum.high").mark_rule(
        strokeWidth=2, opacity=0.5).encode(y=alt.Y("low:Q", scale=y_scale, title=None), y2="high:Q", color=color)]
    if any(r["path"] for r in rows):
        layers.append(base.transform_filter("datum.path != ''").mark_line(
            strokeDash=[4, 3], strokeWidth=1.5, color=SERIES_COLORS["目标"]).encode(y=y, detail="path:N", order="year:Q"))
    if sum(r["role"] == "实际数" for r in rows) > 1:
        layers.append(base.transform_filter("datum.role == '实际数'").mark_line(
            strokeWidth=1.5, color=SERIES_COLORS["实际数"], opacity=0.6).encode(y=y))
    hollow = " || ".join(f"datum.role == '{r}'" for r in SERIES_HOLLOW)
    layers.append(base.transform_filter(f"datum.draw && !({hollow})").mark_point(
        size=70, filled=True, opacity=1).encode(y=y, color=color, shape=shape, href="href:N"))
    layers.append(base.transform_filter(f"datum.draw && ({hollow})").mark_point(
        size=70, filled=False, strokeWidth=2, opacity=1).encode(y=y, color=color, href="href:N"))
    # Labels centred on their point: in each year the highest point's label above it, the
    # others below, each at least one line under the one before, so figures of one year
    # (an actual, a revised one, a target) never overlap however close they are.
    # Where neighbouring years are close on the chart, their top labels alternate above and
    # below the points, so 0.040 and 0.04 of two consecutive years do not run together.
    line = top * 1.2 * 0.075
    crowded = len(set(years)) > 1 and (hi_year - lo_year + 2 * pad) / len(set(years)) < 2.5
    ordered = sorted(set(years))
    several = {y for y in ordered if sum(r["year"] == y for r in drawn) > 1}   # their top label stays above
    above: dict[int, bool] = {}
    for k, year in enumerate(ordered):
        if year in several or not crowded:
            above[year] = True
        elif k + 1 < len(ordered) and ordered[k + 1] in several:
            above[year] = False
        else:
            above[year] = not above[ordered[k - 1]] if k else True
    for year in ordered:
        same = sorted((r for r in drawn if r["year"] == year), key=lambda r: -r["value"])
        below = not above[year]
        for i, r in enumerate(same):
            r["label_y"] = (r["value"] + line * (-0.9 if below else 0.9) if i == 0
                            else min(r["value"] - line * 0.9, same[i - 1]["label_y"] - line))
    for r in rows:
        r.setdefault("label_y", r["value"])
    layers.append(base.transform_filter("datum.draw").mark_text(
        align="center", baseline="middle", fontSize=11, color="#222").encode(
        y=alt.Y("label_y:Q", scale=y_scale, title=None), text="text:N", href="href:N"))
    return alt.layer(*layers).properties(
        width=width, height=height, title=_title_spec(title, subtitle or f"单位：{unit}", title_chars),
        description=description, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
