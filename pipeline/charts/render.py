"""Rendering: an Altair chart to inline SVG, PNG and Vega-Lite JSON in one vl-convert call, cached."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import altair as alt
import vl_convert as vlc

from pipeline.charts.fonts import FONT_STACK, ensure_cjk_font

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


# A cached render is reused only by the code that made it: a change to the SVG post-processing
# below must not be hidden by renders cached before it.
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


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
    if cache is not None:   # same spec, id, scale, renderer and this module's code: the same files
        key = hashlib.sha256(json.dumps([spec, chart_id, title, description, scale, _vl_version(), _CODE], sort_keys=True,
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
