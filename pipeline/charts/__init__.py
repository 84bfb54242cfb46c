"""Static charts: Altair chart -> inline SVG, PNG bytes or Vega-Lite JSON, via vl-convert.

Everything here runs offline. Chinese text is laid out and rasterised with the
Noto Sans CJK font that Debian's ``fonts-noto-cjk`` installs; the SVG keeps its
text as ``<text>`` (selectable, searchable, read by screen readers) with a
font-family list that ends in the generic ``sans-serif``, so a browser without
Noto still shows Chinese with whatever CJK font it has.

The package: fonts.py (the CJK font), render.py (vl-convert, cache), bars.py, targets.py and
series.py (the chart types), checks.py (that PNG text was drawn with the CJK font).

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

from pipeline.charts.bars import (
    KIND_COLORS,
    KIND_ZH,
    PHONE_WIDTH,
    STATUS_COLORS,
    Bar,
    LabelledBar,
    indicator_bar_chart,
    labelled_bar_chart,
    twelfth_plan_bars,
    wrap_cjk,
)
from pipeline.charts.checks import (
    MISSING_FAMILY,
    CjkRenderCheck,
    check_cjk_rendering,
    decode_png,
    font_used_in_png,
    ink_pixels,
    iter_text_elements,
    render_text_png,
)
from pipeline.charts.fonts import (
    DEBIAN_NOTO_CJK_DIRS,
    FONT_FAMILY,
    FONT_STACK,
    CjkFontMissing,
    ensure_cjk_font,
    find_cjk_font_files,
)
from pipeline.charts.render import (
    BASE_CONFIG,
    RenderedChart,
    chart_to_png,
    chart_to_spec,
    chart_to_svg,
    chart_to_vegalite_json,
    render_chart,
    spec_title,
)
from pipeline.charts.series import (
    SERIES_COLORS,
    SERIES_HOLLOW,
    SERIES_SHAPES,
    SeriesPoint,
    series_chart,
)
from pipeline.charts.targets import (
    TARGET_COLORS,
    TargetRow,
    target_dot_chart,
    text_width_px,
)

__all__ = [
    "BASE_CONFIG",
    "DEBIAN_NOTO_CJK_DIRS",
    "FONT_FAMILY",
    "FONT_STACK",
    "KIND_COLORS",
    "KIND_ZH",
    "MISSING_FAMILY",
    "PHONE_WIDTH",
    "SERIES_COLORS",
    "SERIES_HOLLOW",
    "SERIES_SHAPES",
    "STATUS_COLORS",
    "TARGET_COLORS",
    "Bar",
    "CjkFontMissing",
    "CjkRenderCheck",
    "LabelledBar",
    "RenderedChart",
    "SeriesPoint",
    "TargetRow",
    "chart_to_png",
    "chart_to_spec",
    "chart_to_svg",
    "chart_to_vegalite_json",
    "check_cjk_rendering",
    "decode_png",
    "ensure_cjk_font",
    "find_cjk_font_files",
    "font_used_in_png",
    "indicator_bar_chart",
    "ink_pixels",
    "iter_text_elements",
    "labelled_bar_chart",
    "render_chart",
    "render_text_png",
    "series_chart",
    "spec_title",
    "target_dot_chart",
    "text_width_px",
    "twelfth_plan_bars",
    "wrap_cjk",
]
