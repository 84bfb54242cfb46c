"""Bar charts: an indicator's bars, and labelled bars whose long names sit above them (for phones)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt

from pipeline.numerals import plain

# --------------------------------------------------------------------------
# Indicator bar chart: 2010 actual / 2015 target / 2015 actual
# --------------------------------------------------------------------------

#: Drawn width in px; the whole chart (labels included) fits in a 375px phone
#: viewport minus Material's content padding, so it is shown at 1:1 there.
PHONE_WIDTH = 340

KIND_ZH = {"actual": "实际", "target": "目标", "实际": "实际", "目标": "目标"}
KIND_COLORS = {"实际": "#1f5f99", "目标": "#9dbfe0"}


@dataclass(frozen=True)
class Bar:
    """One bar: ``label`` on the axis (e.g. '2015年目标'), ``value`` (None = not
    published), ``kind`` 'actual'/'target' (or 实际/目标), optional ``text``
    to show instead of the formatted value."""

    label: str
    value: float | int | None
    kind: str = "actual"
    text: str | None = None


def twelfth_plan_bars(actual_2010=None, target_2015=None, actual_2015=None) -> list[Bar]:
    """The three bars of a 十二五 indicator table row."""
    return [
        Bar("2010年实际", actual_2010, "actual"),
        Bar("2015年目标", target_2015, "target"),
        Bar("2015年实际", actual_2015, "actual"),
    ]


def wrap_cjk(text: str, max_chars: int) -> list[str]:
    """Split a (mostly CJK) title into lines of at most ``max_chars`` characters,
    preferring to break after punctuation. Latin runs/numbers are not split."""
    if len(text) <= max_chars:
        return [text]
    tokens = re.findall(r"[A-Za-z0-9.,%/()（）]+|.", text)
    n_lines = -(-len(text) // max_chars)
    target = -(-len(text) // n_lines)  # balanced lines, no one-character orphan
    lines, cur = [], ""
    for tok in tokens:
        if cur and len(cur) + len(tok) > target and len(lines) < n_lines - 1:
            lines.append(cur)
            cur = ""
        cur += tok
    if cur:
        lines.append(cur)
    return lines


def indicator_bar_chart(
    indicator: str,
    bars: Sequence[Bar | Mapping[str, Any]],
    *,
    unit: str = "",
    description: str | None = None,
    width: int = PHONE_WIDTH,
    step: int = 34,
    title_chars: int = 19,
    subtitle: str | None = None,
) -> alt.LayerChart:
    """Horizontal bars with the value written at the end of each bar.

    ``bars`` are Bar objects or mappings with label/value/kind(/text), drawn in
    the given order top to bottom. Targets are drawn lighter than actuals. A
    None value draws no bar and writes 未公布. The title is the indicator name
    (wrapped to ``title_chars`` per line) with the unit as subtitle; the
    ``description`` (default: a sentence listing every value) goes into the
    spec and, through chart_to_svg, into the SVG's <desc>. ``subtitle``
    replaces the default subtitle (单位：unit).
    """
    rows = []
    for b in bars:
        b = b if isinstance(b, Bar) else Bar(**dict(b))
        kind = KIND_ZH.get(b.kind)
        if kind is None:
            raise ValueError(f"bar kind must be actual/target/实际/目标, not {b.kind!r}")
        text = b.text if b.text is not None else plain(b.value, missing="未公布")
        rows.append({
            "label": b.label,
            "value": None if b.value is None else float(b.value),
            "x": 0.0 if b.value is None else float(b.value),
            "kind": kind,
            "text": text,
        })
    if not rows:
        raise ValueError("no bars")
    if description is None:
        parts = "；".join(f"{r['label']}：{r['text']}" for r in rows)
        description = f"{indicator}（单位：{unit}）。{parts}。" if unit else f"{indicator}。{parts}。"
    max_value = max([r["value"] for r in rows if r["value"] is not None] or [1.0]) or 1.0
    # Leave room to the right of the longest bar for its value label.
    longest_text = max(len(r["text"]) for r in rows)
    headroom = 1.0 + min(0.6, 0.08 + 0.035 * longest_text)

    title: dict[str, Any] = {"text": wrap_cjk(indicator, title_chars)}
    if subtitle is None and unit:
        subtitle = f"单位：{unit}"
    if subtitle:
        title["subtitle"] = wrap_cjk(subtitle, title_chars + 5)

    data = alt.Data(values=rows)
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=None, title=None,
                axis=alt.Axis(labelFontSize=13, labelPadding=6, ticks=False, domain=False)),
    )
    scale = alt.Scale(domain=[0, max_value * headroom], nice=False, zero=True)
    bar_layer = base.mark_bar(height={"band": 0.7}, cornerRadiusEnd=2).encode(
        x=alt.X("value:Q", scale=scale, axis=None, title=None),
        color=alt.Color("kind:N", legend=None,
                        scale=alt.Scale(domain=list(KIND_COLORS), range=list(KIND_COLORS.values()))),
    )
    text_layer = base.mark_text(align="left", baseline="middle", dx=4, fontSize=13, color="#222").encode(
        x=alt.X("x:Q", scale=scale, axis=None, title=None),
        text="text:N",
    )
    return (
        alt.layer(bar_layer, text_layer)
        .properties(
            width=width,
            height=alt.Step(step),
            title=title,
            description=description,
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        )
    )


# --------------------------------------------------------------------------
# Labelled bars: the row's name above its bar (long Chinese names on a phone)
# --------------------------------------------------------------------------

#: Colours by category for labelled_bar_chart; every category is also written
#: out in the bar's text, so colour is never the only carrier of meaning.
STATUS_COLORS = {"达成": "#1f5f99", "未达成": "#b3261e", "无数据": "#8a8a8a", "数值": "#1f5f99"}


@dataclass(frozen=True)
class LabelledBar:
    """One row of labelled_bar_chart: ``label`` written above the bar, ``value``
    (may be negative; None draws no bar), ``text`` written beside the bar,
    ``category`` choosing the colour (a key of ``colors``)."""

    label: str
    value: float | int | None
    text: str
    category: str = "数值"


def labelled_bar_chart(
    title: str | Sequence[str],
    bars: Sequence[LabelledBar | Mapping[str, Any]],
    *,
    subtitle: str | Sequence[str] | None = None,
    description: str | None = None,
    colors: Mapping[str, str] = STATUS_COLORS,
    width: int = PHONE_WIDTH,
    step: int = 44,
    title_chars: int = 19,
    zero_rule: bool = True,
) -> alt.LayerChart:
    """Horizontal bars, each with its full name on a line above it.

    Made for long names (工矿商贸就业人员10万人生产安全事故死亡率) on a 340px
    phone column, where axis labels would leave no room for the bars. Values
    may be negative: bars then grow left from a zero line, and every value
    text sits right of zero (or right of a positive bar's end), so no text is
    ever cut off at the left edge.

    ``title`` and ``subtitle`` are strings (wrapped to ``title_chars``) or
    lists of lines the caller has already broken where they read best.
    """
    rows = []
    for i, b in enumerate(bars):
        b = b if isinstance(b, LabelledBar) else LabelledBar(**dict(b))
        if b.category not in colors:
            raise ValueError(f"unknown category {b.category!r}; expected one of {list(colors)}")
        v = None if b.value is None else float(b.value)
        rows.append({"i": i, "label": b.label, "value": v, "text": b.text, "category": b.category,
                     "x_text": max(v or 0.0, 0.0)})
    if not rows:
        raise ValueError("no bars")
    if description is None:
        description = f"{_joined(title)}。" + "；".join(f"{r['label']}：{r['text']}" for r in rows) + "。"
    values = [r["value"] for r in rows if r["value"] is not None] or [0.0]
    lo, hi = min(min(values), 0.0), max(max(values), 0.0)
    span = (hi - lo) or 1.0
    # Room right of zero (or of the longest positive bar) for the value text:
    # about 8px per character, as a share of the drawing width.
    longest_text = max(len(r["text"]) for r in rows)
    room = min(0.75, (8.0 * longest_text + 8) / width)
    hi_domain = hi + span * room / (1 - room)
    scale = alt.Scale(domain=[lo, hi_domain], nice=False, zero=True)

    title_spec = _title_spec(title, subtitle, title_chars)

    data = alt.Data(values=rows)
    y = alt.Y("i:O", axis=None, title=None)
    base = alt.Chart(data).encode(y=y)
    bar_layer = base.mark_bar(height=14, yOffset=9, cornerRadius=1).encode(
        x=alt.X("value:Q", scale=scale, axis=None, title=None),
        color=alt.Color("category:N", legend=None,
                        scale=alt.Scale(domain=list(colors), range=list(colors.values()))),
    )
    name_layer = base.mark_text(align="left", baseline="bottom", yOffset=-1, fontSize=13, color="#222").encode(
        x=alt.value(0), text="label:N",
    )
    value_layer = base.mark_text(align="left", baseline="middle", dx=4, yOffset=9, fontSize=13,
                                 color="#222").encode(
        x=alt.X("x_text:Q", scale=scale, axis=None, title=None),
        text="text:N",
    )
    layers = [bar_layer, name_layer, value_layer]
    if zero_rule and lo < 0:
        # A zero mark beside each bar only, so it never crosses a name.
        zero = base.mark_tick(orient="vertical", color="#444", thickness=1, size=22, yOffset=9).encode(
            x=alt.X("zero:Q", scale=scale, axis=None, title=None),
        ).transform_calculate(zero="0")
        layers.insert(0, zero)
    return (
        alt.layer(*layers)
        .properties(
            width=width,
            height=alt.Step(step),
            title=title_spec,
            description=description,
            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        )
    )


def _joined(text: str | Sequence[str]) -> str:
    return text if isinstance(text, str) else "".join(text)


def _lines(text: str | Sequence[str], max_chars: int) -> list[str]:
    """A string wrapped with wrap_cjk, or the caller's own lines (each still wrapped if too long)."""
    if isinstance(text, str):
        return wrap_cjk(text, max_chars)
    return [part for line in text for part in wrap_cjk(line, max_chars)]


def _title_spec(title: str | Sequence[str], subtitle: str | Sequence[str] | None,
                title_chars: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"text": _lines(title, title_chars)}
    if subtitle:
        spec["subtitle"] = _lines(subtitle, title_chars + 5)
    return spec
