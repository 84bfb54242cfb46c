"""Target dots: baseline, target and actual, each row on its own scale."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt

from pipeline.charts.bars import PHONE_WIDTH, _joined, _title_spec

# --------------------------------------------------------------------------
# Target dots: baseline, target and actual, each row on its own scale
# --------------------------------------------------------------------------

#: Colours by category for target_dot_chart. Every category is also written in
#: the row's text, so colour is never the only carrier of meaning. Callers with
#: other category names (e.g. 达成（目标宽于2010年）) pass their own mapping.
TARGET_COLORS = {
    "未达成": "#b3261e",
    "达成": "#1f5f99",
    "达成（目标宽于基数）": "#c27c0e",
    "无数据": "#8a8a8a",
}

@dataclass(frozen=True)
class TargetRow:
    """One row of target_dot_chart: ``label`` written above the row; ``baseline``,
    ``target``, ``actual`` in the indicator's own unit (None = not drawn);
    ``text`` written beside the row (a "\\n" starts a second line); ``category``
    choosing the actual's colour (a key of ``colors``)."""

    label: str
    baseline: float | int | None
    target: float | int | None
    actual: float | int | None
    text: str
    category: str


def text_width_px(text: str, font_size: float) -> float:
    """Rough drawn width of one line: wide and ambiguous-width characters (CJK,
    full-width punctuation, arrows) count 1 em, everything else 0.62 em.
    Errs on the wide side for Noto Sans CJK, so text sized with it fits."""
    return sum(font_size if unicodedata.east_asian_width(ch) in "WFA" else 0.62 * font_size for ch in text)


def target_dot_chart(
    title: str | Sequence[str],
    rows: Sequence[TargetRow | Mapping[str, Any]],
    *,
    subtitle: str | Sequence[str] | None = None,
    description: str | None = None,
    colors: Mapping[str, str] = TARGET_COLORS,
    width: int = PHONE_WIDTH,
    step: int = 62,
    title_chars: int = 19,
    font_size: int = 12,
    min_strip: int = 110,
) -> alt.LayerChart:
    """Baseline, target and actual of several indicators, one row each, no percentages.

    Each row has its full name on a line above it (long Chinese names on a
    340px phone column) and is drawn on its OWN scale, from 0 (or the row's
    lowest value, if negative) to the row's largest value: values are
    normalised to 0..1 here, so indicators in different units share one chart.
    On a light track: a hollow grey circle = baseline, a dark vertical tick =
    target, a filled circle coloured by ``category`` = actual, and a line from
    the baseline circle to the actual circle. Equal baseline and actual show
    as a dot inside a ring. The real numbers and the result, in words, are the
    row's ``text``, written to the right of the track (up to a few lines,
    separated by "\\n"); the track gets whatever width the longest text line
    leaves (at least ``min_strip`` px, else ValueError: shorten the text).

    Rows are drawn in the given order, top to bottom. ``description`` (default:
    the title and every row's text) goes into the spec and the SVG's <desc>.
    """
    data_rows = []
    for i, r in enumerate(rows):
        r = r if isinstance(r, TargetRow) else TargetRow(**dict(r))
        if r.category not in colors:
            raise ValueError(f"unknown category {r.category!r}; expected one of {list(colors)}")
        raw = {k: None if v is None else float(v)
               for k, v in (("baseline", r.baseline), ("target", r.target), ("actual", r.actual))}
        present = [v for v in raw.values() if v is not None]
        lo = min(present + [0.0])
        span = (max(present + [0.0]) - lo) or 1.0
        norm = {k: None if v is None else round((v - lo) / span, 9) for k, v in raw.items()}
        data_rows.append({
            "i": i, "label": r.label, "text": r.text, "category": r.category,
            "b": norm["baseline"], "t": norm["target"], "a": norm["actual"],
            "baseline_value": raw["baseline"], "target_value": raw["target"], "actual_value": raw["actual"],
            "x0": 0.0, "x1": 1.0,
        })
    if not data_rows:
        raise ValueError("no rows")
    if description is None:
        description = (f"{_joined(title)}。"
                       + "；".join(f"{d['label']}：{' '.join(d['text'].splitlines())}" for d in data_rows) + "。")

    # Horizontal layout in px of the plot area (autosize fit-x with 5px padding each side).
    plot_w = width - 10
    text_w = max(text_width_px(line, font_size) for d in data_rows for line in d["text"].split("\n")) + 2
    left = 8          # room left of 0 for the hollow circle's radius
    gap = 14          # from the track's end (1.0) to the text: circle radius plus air
    strip = plot_w - left - gap - text_w
    if strip < min_strip:
        raise ValueError(f"row text too wide ({text_w:.0f}px) for a {width}px chart; shorten or break it")
    scale = alt.Scale(domain=[-left / strip, (plot_w - left) / strip], nice=False, zero=False)
    for d in data_rows:
        d["x_text"] = round(1.0 + gap / strip, 9)

    mark_y = 10       # centre line of the dots, below the band's centre
    name_y = -8       # bottom of the name text, above the band's centre

    def x(field: str) -> alt.X:
        return alt.X(f"{field}:Q", scale=scale, axis=None, title=None)

    base = alt.Chart(alt.Data(values=data_rows)).encode(y=alt.Y("i:O", axis=None, title=None))
    track = base.mark_rule(color="#d4d4d4", strokeWidth=1, yOffset=mark_y).encode(x=x("x0"), x2="x1:Q")
    line = base.transform_filter("datum.b != null && datum.a != null").mark_rule(
        color="#8c8c8c", strokeWidth=2, yOffset=mark_y).encode(x=x("b"), x2="a:Q")
    tick = base.transform_filter("datum.t != null").mark_tick(
        orient="vertical", color="#222", thickness=2.5, size=20, opacity=1, yOffset=mark_y).encode(x=x("t"))
    baseline = base.transform_filter("datum.b != null").mark_point(
        shape="circle", filled=False, size=150, strokeWidth=1.6, color="#6b6b6b", opacity=1,
        yOffset=mark_y).encode(x=x("b"))
    actual = base.transform_filter("datum.a != null").mark_point(
        shape="circle", filled=True, size=75, opacity=1, stroke="white", strokeWidth=1,
        yOffset=mark_y).encode(
        x=x("a"),
        color=alt.Color("category:N", legend=None,
                        scale=alt.Scale(domain=list(colors), range=list(colors.values()))),
    )
    name = base.mark_text(align="left", baseline="bottom", yOffset=name_y, fontSize=13, color="#222").encode(
        x=alt.value(0), text="label:N")
    words = base.mark_text(align="left", baseline="middle", yOffset=mark_y, fontSize=font_size,
                           lineBreak="\n", lineHeight=font_size + 3, color="#222").encode(
        x=x("x_text"), text="text:N")
    return (
        alt.layer(track, line, tick, baseline, actual, name, words)
        .properties(
            width=width,
            height=alt.Step(step),
            title=_title_spec(title, subtitle, title_chars),
            description=description,
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        )
    )
