"""Charts for the site: each one rendered at build time to inline SVG (seen without
JavaScript), a PNG drawn with the CJK font (for downloading, sharing and og:image),
a standalone SVG and its Vega-Lite JSON, all under assets/charts/.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import altair as alt

from pipeline import charts
from pipeline.site.md import h, link

CHART_DIR = "assets/charts"   # relative to the docs root


@dataclass(frozen=True)
class Figure:
    """A rendered chart: where its files are and how to put it on a page."""

    key: str          # file stem, e.g. fyp12-road-deaths
    title: str
    summary: str      # what the chart shows, in words (the figcaption and the SVG's <desc>)
    svg: str          # responsive inline SVG

    @property
    def png(self) -> str:
        return f"{CHART_DIR}/{self.key}.png"

    @property
    def svg_file(self) -> str:
        return f"{CHART_DIR}/{self.key}.svg"

    @property
    def json(self) -> str:
        return f"{CHART_DIR}/{self.key}.vl.json"

    def markdown(self, from_md: str) -> str:
        """The figure (inline SVG + caption) and a line of links to its files."""
        return (
            f'<figure class="chart" id="fig-{self.key}">\n{self.svg}\n'
            f"<figcaption>{h(self.summary)}</figcaption>\n</figure>\n\n"
            f"图表文件：{link('PNG 图片', from_md, self.png)} · {link('SVG', from_md, self.svg_file)}"
            f" · {link('Vega-Lite JSON', from_md, self.json)}\n"
            "{: .chart-files }\n"
        )


def render(chart: alt.TopLevelMixin, key: str, summary: str, docs: Path, cache: Path | None = None) -> Figure:
    """Write assets/charts/<key>.{png,svg,vl.json} under the docs root; return the Figure.
    `cache`: where renders are kept between builds (a chart whose spec is unchanged is
    not rendered again)."""
    out = docs / CHART_DIR
    out.mkdir(parents=True, exist_ok=True)
    r = charts.render_chart(chart, chart_id=f"chart-{key}", cache=cache)
    (out / f"{key}.vl.json").write_text(r.vegalite_json, encoding="utf-8")
    (out / f"{key}.png").write_bytes(r.png)
    (out / f"{key}.svg").write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + r.svg_file + "\n", encoding="utf-8")
    return Figure(key=key, title=charts.spec_title(r.spec), summary=summary, svg=r.svg_inline.replace("\n", " "))
