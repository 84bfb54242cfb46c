"""Static charts: Altair chart -> inline SVG, PNG bytes or Vega-Lite JSON, via vl-convert.

Everything here runs offline. Chinese text is laid out and rasterised with the
Noto Sans CJK font that Debian's ``fonts-noto-cjk`` installs; the SVG keeps its
text as ``<text>`` (selectable, searchable, read by screen readers) with a
font-family list that ends in the generic ``sans-serif``, so a browser without
Noto still shows Chinese with whatever CJK font it has.

Output is deterministic: the same chart gives byte-identical SVG, PNG and JSON
(tests/test_charts.py checks it, also across processes).

Public API
----------
- ``chart_to_svg(chart, *, title=None, description=None, responsive=True, chart_id=None) -> str``
- ``chart_to_png(chart, *, scale=2.0) -> bytes``
- ``chart_to_vegalite_json(chart) -> str`` / ``chart_to_spec(chart) -> dict``
- ``render_chart(chart, *, chart_id) -> RenderedChart``: all of the above from one render
- ``indicator_bar_chart(indicator, bars, *, unit="", description=None, ...) -> alt.LayerChart``
- ``twelfth_plan_bars(actual_2010, target_2015, actual_2015) -> list[Bar]``
- ``series_chart(title, points, *, unit, subtitle=None, ...) -> alt.LayerChart``: every year of an
  indicator from every source with each plan's target, points linked to their passages
- ``labelled_bar_chart(title, bars, *, subtitle=None, ...) -> alt.LayerChart``:
  long row names written above their bars (fits a phone), negative values allowed
- ``target_dot_chart(title, rows, *, subtitle=None, description=None, colors=TARGET_COLORS, ...)
  -> alt.LayerChart``: one row per indicator (``TargetRow``), name above, each row
  on its own 0..max scale: hollow circle = baseline, tick = target, filled circle
  (coloured by category) = actual, with the real numbers and the result in words beside it
- ``text_width_px(text, font_size) -> float``: rough drawn width of (mostly CJK) text
- ``ensure_cjk_font() -> Path`` (registers the Noto CJK directory once)
- ``check_cjk_rendering(sample=...) -> CjkRenderCheck`` and
  ``font_used_in_png(chart, family=FONT_FAMILY) -> bool``: honest checks that
  PNG text really was drawn with the CJK font, not as boxes or not at all.
- ``decode_png(data) -> (width, height, rows)``, ``ink_pixels(png) -> int``
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import unicodedata
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import altair as alt
import vl_convert as vlc

from pipeline.errors import PipelineError
from pipeline.numerals import plain

# --------------------------------------------------------------------------
# Fonts
# --------------------------------------------------------------------------

#: The family vl-convert measures and rasterises text with (Debian fonts-noto-cjk).
FONT_FAMILY = "Noto Sans CJK SC"

#: What goes into the chart config and therefore into every SVG font-family
#: attribute. vl-convert resolves the first entry; browsers fall through the
#: list and end at the generic family, so Chinese still shows without Noto.
FONT_STACK = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Source Han Sans CN', "
    "'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"
)

#: Where Debian puts the Noto CJK .ttc files; used when fc-list is missing.
DEBIAN_NOTO_CJK_DIRS = (
    Path("/usr/share/fonts/opentype/noto"),
    Path("/usr/share/fonts/truetype/noto"),
)

_font_lock = threading.Lock()
_font_dir: Path | None = None


class CjkFontMissing(PipelineError, RuntimeError):
    """No Noto Sans CJK font on this machine (Debian: apt-get install fonts-noto-cjk)."""


def find_cjk_font_files(family: str = FONT_FAMILY) -> list[Path]:
    """Font files that provide ``family``, as fontconfig lists them (``fc-list :lang=zh``)."""
    files: list[Path] = []
    if shutil.which("fc-list"):
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file", "family"],
            capture_output=True, text=True, check=False,
        ).stdout
        for line in out.splitlines():
            path, _, families = line.partition(":")
            if family in [f.strip() for f in families.split(",")]:
                files.append(Path(path.strip()))
    if not files:  # no fontconfig: look where Debian's package puts them
        for d in DEBIAN_NOTO_CJK_DIRS:
            files.extend(sorted(d.glob("NotoSansCJK*.tt[cf]")))
    return sorted(set(files))


def ensure_cjk_font() -> Path:
    """Register the directory holding Noto Sans CJK with vl-convert, once per process.

    vl-convert also loads system fonts by itself, so on Debian this is belt and
    braces; it matters when the fonts live outside the system font path.
    Returns the registered directory. Raises CjkFontMissing if there is none.
    """
    global _font_dir
    with _font_lock:
        if _font_dir is None:
            files = find_cjk_font_files()
            if not files:
                raise CjkFontMissing(
                    f"no font file for {FONT_FAMILY!r} found (fc-list :lang=zh); "
                    "install Debian's fonts-noto-cjk"
                )
            font_dir = files[0].parent
            vlc.register_font_directory(str(font_dir))
            _font_dir = font_dir
        return _font_dir


# --------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------

BASE_CONFIG: dict[str, Any] = {
    "font": FONT_STACK,
    "background": "white",
    "view": {"stroke": None},
    "title": {"anchor": "start", "fontSize": 16, "subtitleFontSize": 13,
              "subtitleColor": "#555", "offset": 10},
    "axis": {"labelFontSize": 13, "titleFontSize": 13, "labelColor": "#333"},
    "legend": {"labelFontSize": 13, "titleFontSize": 13},
}


def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes (e.g. '6.4'), if vl-convert bundles it."""
    m = re.match(r"v?(\d+)\.(\d+)", alt.SCHEMA_VERSION)
    if not m:
        return None
    version = f"{m.group(1)}.{m.group(2)}"
    return version if version in vlc.get_vegalite_versions() else None


def chart_to_spec(chart: alt.TopLevelMixin | Mapping[str, Any]) -> dict[str, Any]:
    """The Vega-Lite spec as a dict, with the project's base config merged under
    the chart's own config (the chart's own settings win)."""
    spec = copy.deepcopy(dict(chart)) if isinstance(chart, Mapping) else chart.to_dict()
    config = _deep_merge(BASE_CONFIG, spec.get("config", {}))
    spec["config"] = config
    return spec


def chart_to_vegalite_json(chart: alt.TopLevelMixin | Mapping[str, Any]) -> str:
    """Vega-Lite JSON (UTF-8 text, Chinese unescaped, 2-space indent, trailing newline)."""
    return json.dumps(chart_to_spec(chart), ensure_ascii=False, indent=2) + "\n"


def _render_svg(spec: Mapping[str, Any]) -> str:
    ensure_cjk_font()
    return vlc.vegalite_to_svg(dict(spec), vl_version=_vl_version())


def _render_png(spec: Mapping[str, Any], scale: float) -> bytes:
    ensure_cjk_font()
    return vlc.vegalite_to_png(dict(spec), vl_version=_vl_version(), scale=scale)


def chart_to_png(chart: alt.TopLevelMixin | Mapping[str, Any], *, scale: float = 2.0) -> bytes:
    """PNG bytes (RGBA). ``scale=2`` gives crisp images on phones and for og:image."""
    return _render_png(chart_to_spec(chart), scale)


_ROOT_SVG = re.compile(r"<svg\b[^>]*>")


def chart_to_svg(
    chart: alt.TopLevelMixin | Mapping[str, Any],
    *,
    title: str | None = None,
    description: str | None = None,
    responsive: bool = True,
    chart_id: str | None = None,
) -> str:
    """SVG text for inlining in HTML (or writing to a .svg file).

    - Text stays text (``<text>`` elements), font-family ends in ``sans-serif``.
    - ``title``/``description`` default to the spec's title text and
      ``description``; they become ``<title>``/``<desc>`` plus
      ``role="img" aria-labelledby=...`` on the root element.
    - ``responsive=True``: root gets ``width="100%"``, no height attribute, the
      viewBox kept, and ``style="max-width:Wpx;height:auto"`` so it shrinks to
      a 375px phone but never grows past its drawn size. ``responsive=False``
      keeps the pixel width/height (for standalone .svg downloads).
    - ``chart_id`` prefixes the title/desc ids (default: a hash of the spec),
      so several charts on one page don't clash.
    """
    spec = chart_to_spec(chart)
    svg = _render_svg(spec)
    if title is None:
        title = _spec_title(spec)
    if description is None:
        description = spec.get("description") or ""
    if chart_id is None:
        digest = hashlib.sha1(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        chart_id = f"chart-{digest[:10]}"
    return _postprocess_svg(svg, title=title, description=description,
                             responsive=responsive, chart_id=chart_id)


@dataclass(frozen=True)
class RenderedChart:
    """Every output of one chart, from a single Vega render (see render_chart)."""

    spec: dict[str, Any]
    svg_inline: str      # responsive, for inlining in HTML
    svg_file: str        # fixed pixel size, for a standalone .svg download
    png: bytes
    vegalite_json: str


def render_chart(
    chart: alt.TopLevelMixin | Mapping[str, Any],
    *,
    chart_id: str,
    title: str | None = None,
    description: str | None = None,
    scale: float = 2.0,
    cache: Path | None = None,
) -> RenderedChart:
    """SVG (inline and standalone), PNG and Vega-Lite JSON of one chart, rendering it once;
    with `cache`, a chart whose spec was rendered before is read from there instead.

    The PNG is rasterised from the rendered SVG (vl-convert's resvg, the same
    rasteriser and fonts chart_to_png uses), which gives the same pixels as
    chart_to_png at a third of the cost; tests/test_site.py checks the bytes
    are identical for every chart the site publishes.
    """
    spec = chart_to_spec(chart)
    key = None
    if cache is not None:   # same spec, id, scale and renderer: the same files (checked by tests/test_site.py)
        key = hashlib.sha256(json.dumps([spec, chart_id, title, description, scale, _vl_version()], sort_keys=True,
                                        ensure_ascii=False).encode("utf-8")).hexdigest()
        hit = cache / f"{key}.json"
        if hit.is_file():
            parts = json.loads(hit.read_text(encoding="utf-8"))
            return RenderedChart(spec=spec, svg_inline=parts["inline"], svg_file=parts["file"],
                                 png=(cache / f"{key}.png").read_bytes(), vegalite_json=parts["vegalite"])
    raw = _render_svg(spec)
    png = vlc.svg_to_png(raw, scale=scale)
    if title is None:
        title = _spec_title(spec)
    if description is None:
        description = spec.get("description") or ""
    inline = _postprocess_svg(raw, title=title, description=description, responsive=True, chart_id=chart_id)
    fixed = _postprocess_svg(raw, title=title, description=description, responsive=False, chart_id=chart_id)
    rendered = RenderedChart(spec=spec, svg_inline=inline, svg_file=fixed, png=png,
                             vegalite_json=json.dumps(spec, ensure_ascii=False, indent=2) + "\n")
    if cache is not None and key is not None:
        _store(cache, key, rendered)
    return rendered


def _store(cache: Path, key: str, r: RenderedChart) -> None:
    """Write a render to the cache, each file by rename (two builds may share a cache).  A
    cache that cannot be written is only slower next time."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
        for name, data in ((f"{key}.png", r.png),
                           (f"{key}.json", json.dumps({"inline": r.svg_inline, "file": r.svg_file,
                                                       "vegalite": r.vegalite_json}, ensure_ascii=False).encode())):
            tmp = cache / f".{name}.{os.getpid()}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, cache / name)   # the png first: a .json present means its png is too
    except OSError:
        pass


def _rename_ids(svg: str, chart_id: str) -> str:
    """Vega numbers clip paths/gradients from a process-wide counter (clip1,
    clip4, ...), which makes output depend on what was rendered before and
    clashes when several SVGs are inlined in one page. Rename every id, in
    order of appearance, to ``{chart_id}-{n}`` and update its references."""
    ids = list(dict.fromkeys(re.findall(r'\sid="([^"]+)"', svg)))
    if not ids:
        return svg
    mapping = {old: f"{chart_id}-{n}" for n, old in enumerate(ids, 1)}
    pattern = re.compile(r'(\sid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')(?=[")])')
    return pattern.sub(lambda m: m.group(1) + mapping[m.group(2)], svg)


#: Vega resolves a relative href against its loader's base URL, which vl-convert leaves at
#: Vega's sample-data site; the links are meant relative to the page, so the prefix goes.
_VEGA_BASE_URL = "https://vega.github.io/vega-datasets/"


def _postprocess_svg(svg: str, *, title: str, description: str, responsive: bool, chart_id: str) -> str:
    svg = _rename_ids(svg, chart_id)
    svg = svg.replace(f'href="{_VEGA_BASE_URL}', 'href="')
    m = _ROOT_SVG.search(svg)
    if not m:
        raise ValueError("vl-convert returned no <svg> root element")
    root = m.group(0)
    width = re.search(r'\swidth="([\d.]+)"', root)
    height = re.search(r'\sheight="([\d.]+)"', root)
    if not (width and height):
        raise ValueError(f"unexpected SVG root element: {root}")
    new = root
    if 'viewBox="' not in new:
        new = new[:-1] + f' viewBox="0 0 {width.group(1)} {height.group(1)}">'
    if responsive:
        new = new.replace(width.group(0), ' width="100%"', 1)
        new = new.replace(height.group(0), "", 1)
        new = new[:-1] + f' style="max-width:{width.group(1)}px;height:auto">'
    new = new.replace('class="marks"', 'class="marks chart"', 1)
    labelled = []
    children = ""
    if title:
        labelled.append(f"{chart_id}-title")
        children += f'<title id="{chart_id}-title">{xml_escape(title)}</title>'
    if description:
        labelled.append(f"{chart_id}-desc")
        children += f'<desc id="{chart_id}-desc">{xml_escape(description)}</desc>'
    new = new[:-1] + ' role="img"'
    if labelled:
        new += f' aria-labelledby="{" ".join(labelled)}"'
    new += ">"
    return svg[: m.start()] + new + children + svg[m.end():]


def spec_title(spec: Mapping[str, Any]) -> str:
    """The chart's title as one string (wrapped title lines joined)."""
    return _spec_title(spec)


def _spec_title(spec: Mapping[str, Any]) -> str:
    t = spec.get("title")
    if isinstance(t, Mapping):
        t = t.get("text")
    if isinstance(t, (list, tuple)):
        return "".join(str(x) for x in t)
    return str(t) if t else ""


def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


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


# --------------------------------------------------------------------------
# Checking that the CJK font was really used (no tofu, no missing text)
# --------------------------------------------------------------------------

def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Minimal PNG decoder (8-bit RGB/RGBA/grey, non-interlaced, as resvg writes).

    Returns (width, height, rows) with each row as RGBA bytes. No Pillow needed.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat = 8, b""
    width = height = color_type = bit_depth = interlace = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            width, height, bit_depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
    channels = {6: 4, 2: 3, 0: 1, 4: 2}.get(color_type)
    if bit_depth != 8 or interlace != 0 or channels is None:
        raise ValueError(f"unsupported PNG (depth {bit_depth}, colour type {color_type}, interlace {interlace})")
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    i = 0
    for _ in range(height):
        ftype = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if ftype == 1:
            for x in range(channels, stride):
                line[x] = (line[x] + line[x - channels]) & 0xFF
        elif ftype == 2:
            for x in range(stride):
                line[x] = (line[x] + prev[x]) & 0xFF
        elif ftype == 3:
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                line[x] = (line[x] + ((left + prev[x]) >> 1)) & 0xFF
        elif ftype == 4:
            for x in range(stride):
                a = line[x - channels] if x >= channels else 0
                b = prev[x]
                c = prev[x - channels] if x >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad PNG filter {ftype}")
        prev = line
        rows.append(bytes(_to_rgba(line, channels)))
    return width, height, rows


def _to_rgba(line: bytearray, channels: int) -> bytearray:
    if channels == 4:
        return line
    out = bytearray()
    for x in range(0, len(line), channels):
        px = line[x:x + channels]
        if channels == 3:
            out += px + b"\xff"
        elif channels == 1:
            out += bytes((px[0], px[0], px[0], 255))
        else:  # grey + alpha
            out += bytes((px[0], px[0], px[0], px[1]))
    return out


def ink_pixels(png: bytes, *, threshold: int = 128) -> int:
    """Pixels noticeably darker than the white background (alpha-composited on white)."""
    _, _, rows = decode_png(png)
    n = 0
    for row in rows:
        for x in range(0, len(row), 4):
            r, g, b, a = row[x:x + 4]
            lum = (r * 299 + g * 587 + b * 114) // 1000
            lum = (lum * a + 255 * (255 - a)) // 255
            if lum < threshold:
                n += 1
    return n


def render_text_png(text: str, *, family: str = FONT_FAMILY, font_size: int = 40) -> bytes:
    """A PNG of ``text`` alone, drawn with exactly ``family`` (no fallback list)."""
    spec = {
        "data": {"values": [{"t": text}]},
        "mark": {"type": "text", "fontSize": font_size, "font": family,
                 "align": "left", "baseline": "top", "color": "black"},
        "encoding": {"text": {"field": "t"}, "x": {"value": 4}, "y": {"value": 4}},
        "width": font_size * (len(text) + 1), "height": font_size + 16,
        "config": {"view": {"stroke": None}, "background": "white"},
    }
    return _render_png(spec, 1.0)


@dataclass(frozen=True)
class CjkRenderCheck:
    """Result of check_cjk_rendering. ``ok`` only if every part holds."""

    family: str
    sample: str
    ink_with_family: int          # dark pixels when drawn with ``family``
    ink_with_missing_family: int  # dark pixels with a family that does not exist (vl-convert draws nothing)
    distinct_glyphs: int          # how many different bitmaps the sample's characters gave
    differs_from_serif: bool      # Sans != Serif: the requested family was honoured

    @property
    def ok(self) -> bool:
        return (
            self.ink_with_family > 0
            and self.ink_with_missing_family == 0
            and self.distinct_glyphs == len(set(self.sample))
            and self.differs_from_serif
        )


MISSING_FAMILY = "No Such Font Family 7f3a"


def check_cjk_rendering(sample: str = "道路交通黑名单", *, family: str = FONT_FAMILY) -> CjkRenderCheck:
    """Prove the rasteriser draws real CJK glyphs with ``family``.

    - With a family that does not exist, vl-convert draws no text at all, so
      ink with ``family`` means the family was found (not silently replaced).
    - Tofu (.notdef boxes) looks the same for every character; drawing each
      character of ``sample`` alone must give as many different bitmaps as
      there are different characters.
    - The same text in 'Noto Serif CJK SC' must look different, showing the
      family name is honoured rather than one fallback font drawing everything.
    """
    with_family = render_text_png(sample, family=family)
    missing = render_text_png(sample, family=MISSING_FAMILY)
    serif = render_text_png(sample, family=family.replace("Sans", "Serif"))
    bitmaps = {hashlib.sha1(b"".join(decode_png(render_text_png(ch, family=family))[2])).digest()
               for ch in set(sample)}
    return CjkRenderCheck(
        family=family,
        sample=sample,
        ink_with_family=ink_pixels(with_family),
        ink_with_missing_family=ink_pixels(missing),
        distinct_glyphs=len(bitmaps),
        differs_from_serif=decode_png(serif)[2] != decode_png(with_family)[2],
    )


def font_used_in_png(chart: alt.TopLevelMixin | Mapping[str, Any], *, family: str = FONT_FAMILY,
                     scale: float = 2.0) -> bool:
    """True if chart_to_png(chart) drew its text with exactly ``family``.

    The production PNG (font list FONT_STACK) must be byte-identical to the
    chart rendered with ``family`` alone, and must differ from the chart
    rendered with a family that does not exist (which vl-convert draws with
    no text). Together: the text is there, and it is ``family``'s glyphs.
    """
    spec = chart_to_spec(chart)
    produced = _render_png(spec, scale)
    exact = _render_png(_with_font(spec, family), scale)
    missing = _render_png(_with_font(spec, MISSING_FAMILY), scale)
    return produced == exact and decode_png(produced)[2] != decode_png(missing)[2]


def _with_font(spec: Mapping[str, Any], family: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(spec))
    out.setdefault("config", {})["font"] = family
    return out


def iter_text_elements(svg: str) -> Iterable[str]:
    """Text content of every <text> element in an SVG string (unescaped)."""
    from xml.sax.saxutils import unescape

    for m in re.finditer(r"<text\b[^>]*>(.*?)</text>", svg, re.DOTALL):
        inner = re.sub(r"<[^>]+>", "", m.group(1))
        yield unescape(inner, {"&quot;": '"', "&#39;": "'"})
