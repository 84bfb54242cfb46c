"""Charts render Chinese with the CJK font, deterministically; the MkDocs site
builds strictly, loads nothing from other hosts, works at 375px and finds
Chinese words with its search box."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline import charts

ROOT = Path(__file__).resolve().parent.parent


def sample_chart():
    return charts.indicator_bar_chart(
        "工矿商贸就业人员10万人生产安全事故死亡率",
        charts.twelfth_plan_bars(2.1, 1.9, 1.37),
        unit="人/10万人",
    )


# --------------------------------------------------------------------------
# Fonts: the PNG really uses Noto Sans CJK, not tofu and not nothing
# --------------------------------------------------------------------------

def test_cjk_font_found_and_registered():
    files = charts.find_cjk_font_files()
    assert files, "fonts-noto-cjk is not installed"
    assert any("NotoSansCJK" in f.name for f in files)
    font_dir = charts.ensure_cjk_font()
    assert font_dir == files[0].parent
    assert charts.ensure_cjk_font() is font_dir  # registered once


def test_png_chinese_glyphs_are_real_glyphs_not_boxes():
    check = charts.check_cjk_rendering("道路交通黑名单")
    # text is drawn...
    assert check.ink_with_family > 500
    # ...and only because the family resolved: an unknown family draws nothing
    assert check.ink_with_missing_family == 0
    # tofu boxes all look alike; real glyphs differ per character
    assert check.distinct_glyphs == len(set("道路交通黑名单")) == 7
    # the family name is honoured (Sans != Serif), not one fallback for all
    assert check.differs_from_serif
    assert check.ok


def test_chart_png_was_drawn_with_the_cjk_font():
    chart = sample_chart()
    assert charts.font_used_in_png(chart)
    # negative control: the same check says no for a family that isn't there,
    # so the check is not vacuous
    assert not charts.font_used_in_png(chart, family=charts.MISSING_FAMILY)


def test_png_is_a_readable_rgba_image():
    png = charts.chart_to_png(sample_chart(), scale=1.0)
    width, height, rows = charts.decode_png(png)
    assert width <= 343 and height > 100  # fits a 375px phone at 1:1
    assert len(rows) == height and all(len(r) == width * 4 for r in rows)
    assert charts.ink_pixels(png) > 0


# --------------------------------------------------------------------------
# SVG: Chinese text as text, font fallback, responsive, accessible
# --------------------------------------------------------------------------

def test_svg_contains_chinese_title_as_text():
    svg = charts.chart_to_svg(sample_chart())
    texts = list(charts.iter_text_elements(svg))
    assert "".join(texts).count("工矿商贸就业人员10万人生产安全事故死亡率") == 1  # title (wrapped over tspans)
    assert {"2010年实际", "2015年目标", "2015年实际", "2.1", "1.9", "1.37"} <= set(texts)
    assert "单位：人/10万人" in texts
    assert "<path" in svg and "<text" in svg


def test_svg_font_family_falls_back_to_sans_serif():
    svg = charts.chart_to_svg(sample_chart())
    families = set(re.findall(r'font-family="([^"]*)"', svg))
    assert families, "no font-family attributes"
    for fam in families:
        fam = fam.replace("&#39;", "'").replace("&quot;", '"')
        assert fam.startswith("'Noto Sans CJK SC'")
        assert fam.rstrip().endswith("sans-serif")


def test_svg_is_responsive_and_accessible():
    svg = charts.chart_to_svg(sample_chart(), chart_id="c1")
    root = re.match(r"<svg\b[^>]*>", svg).group(0)
    assert 'width="100%"' in root
    assert " height=" not in root
    vb = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', root)
    assert vb and float(vb.group(1)) <= 343
    assert f"max-width:{vb.group(1)}px" in root
    assert 'role="img"' in root and 'aria-labelledby="c1-title c1-desc"' in root
    assert '<title id="c1-title">工矿商贸就业人员10万人生产安全事故死亡率</title>' in svg
    desc = re.search(r'<desc id="c1-desc">([^<]*)</desc>', svg).group(1)
    assert "2015年实际：1.37" in desc and "人/10万人" in desc
    assert 'class="marks chart"' in root

    fixed = charts.chart_to_svg(sample_chart(), responsive=False)
    fixed_root = re.match(r"<svg\b[^>]*>", fixed).group(0)
    assert re.search(r' width="\d+" height="\d+"', fixed_root)


def test_missing_value_is_written_not_drawn():
    chart = charts.indicator_bar_chart("各类事故死亡人数", charts.twelfth_plan_bars(259, 250, None), unit="人")
    texts = list(charts.iter_text_elements(charts.chart_to_svg(chart)))
    assert "未公布" in texts and "259" in texts and "250" in texts


def test_vegalite_json():
    text = charts.chart_to_vegalite_json(sample_chart())
    spec = json.loads(text)
    assert "工矿商贸" in text  # not \u-escaped
    assert spec["config"]["font"] == charts.FONT_STACK
    assert spec["description"].startswith("工矿商贸就业人员10万人生产安全事故死亡率")
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    assert text.endswith("}\n")


# --------------------------------------------------------------------------
# Target dots: baseline / target / actual, each row on its own scale
# --------------------------------------------------------------------------

def target_dots():
    return charts.target_dot_chart(
        "示例（虚构）目标对照",
        [charts.TargetRow("示例（虚构）指标甲", 3, 5, 3, "3→3 目标5\n达成·目标宽于基数", "达成（目标宽于基数）"),
         charts.TargetRow("示例（虚构）指标乙就业人员10万人生产安全事故死亡率", 0.9, 0.71, 0.6,
                          "0.9→0.6 目标0.71\n达成", "达成"),
         charts.TargetRow("示例（虚构）指标丙", 7, 6, None, "7→— 目标6\n无数据", "无数据")],
        subtitle=["空心圆=基数　竖线=目标", "实心圆=实际"],
    )


def test_target_dots_are_normalised_per_row():
    # Guards against: rows in different units sharing one axis (0.6 next to 259), or a
    # percentage gap being drawn instead of the values themselves.
    values = charts.chart_to_spec(target_dots())["data"]["values"]
    assert [(d["b"], d["t"], d["a"]) for d in values] == [
        (0.6, 1.0, 0.6), (1.0, pytest.approx(0.71 / 0.9), pytest.approx(0.6 / 0.9)), (1.0, pytest.approx(6 / 7), None)]
    assert [d["actual_value"] for d in values] == [3.0, 0.6, None]   # the real numbers stay in the JSON


def test_target_dots_text_and_width():
    # Guards against: the result words (colour must not be the only carrier) missing from
    # the image, or a chart wider than a 340px phone column.
    svg = charts.chart_to_svg(target_dots(), responsive=False)
    texts = "".join(charts.iter_text_elements(svg))
    for words in ("示例（虚构）目标对照", "3→3 目标5", "达成·目标宽于基数", "无数据", "空心圆=基数"):
        assert words in texts
    width = float(re.search(r'<svg\b[^>]* width="([\d.]+)"', svg).group(1))
    assert width <= charts.PHONE_WIDTH
    assert charts.font_used_in_png(target_dots())


def test_target_dots_reject_unknown_category_and_overlong_text():
    with pytest.raises(ValueError, match="unknown category"):
        charts.target_dot_chart("t", [charts.TargetRow("a", 1, 2, 3, "x", "好")])
    with pytest.raises(ValueError, match="too wide"):
        charts.target_dot_chart("t", [charts.TargetRow("a", 1, 2, 3, "很长的文字" * 6, "达成")])


def test_target_dots_are_byte_identical():
    # Guards against: the home page's share image changing from one build to the next.
    assert _digests(target_dots()) == _digests(target_dots())


# --------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------

_DIGEST_SCRIPT = """
import hashlib, sys
sys.path.insert(0, {root!r})
from pipeline import charts
ch = charts.indicator_bar_chart("工矿商贸就业人员10万人生产安全事故死亡率",
                                charts.twelfth_plan_bars(2.1, 1.9, 1.37), unit="人/10万人")
for b in (charts.chart_to_svg(ch).encode(), charts.chart_to_png(ch), charts.chart_to_vegalite_json(ch).encode()):
    print(hashlib.sha256(b).hexdigest())
"""


def _digests(chart) -> list[str]:
    return [hashlib.sha256(b).hexdigest() for b in (
        charts.chart_to_svg(chart).encode(),
        charts.chart_to_png(chart),
        charts.chart_to_vegalite_json(chart).encode(),
    )]


def test_output_is_byte_identical_in_process():
    assert _digests(sample_chart()) == _digests(sample_chart())


def test_output_is_byte_identical_across_processes():
    here = _digests(sample_chart())
    out = subprocess.run([sys.executable, "-c", _DIGEST_SCRIPT.format(root=str(ROOT))],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == here


# --------------------------------------------------------------------------
# The MkDocs site (stub pages from site/)
# --------------------------------------------------------------------------

SITE_URL = "https://example.org/"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """Build the hand-written site/ exactly as the pipeline does (copy site/
    into docs_dir, then mkdocs build --strict), in a scratch copy so build/
    is left alone. Adds one scratch page with an inline chart."""
    work = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "mkdocs.yml", work / "mkdocs.yml")
    shutil.copytree(ROOT / "site", work / "site")
    shutil.copytree(ROOT / "theme", work / "theme")
    src = work / "build" / "site-src"
    shutil.copytree(ROOT / "site", src)
    svg = charts.chart_to_svg(sample_chart(), chart_id="c1")
    (src / "chart-check.md").write_text(
        "# 图表检查\n\n<figure class=\"chart\">\n" + svg + "\n</figure>\n", encoding="utf-8")
    env = {**os.environ, "SITE_URL": SITE_URL, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1795000000"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml"],
                          cwd=work, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work / "build" / "site"


class _AssetRefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed") and a.get("src"):
            self.refs.append(a["src"])
        if tag == "link" and a.get("href"):
            self.refs.append(a["href"])
        if tag == "object" and a.get("data"):
            self.refs.append(a["data"])
        if a.get("style"):
            self.inline_css.append(a["style"])
        self._in_style = tag == "style"

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)

    def handle_endtag(self, tag):
        self._in_style = False


_CSS_URL = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+)""")


def _third_party(url: str) -> bool:
    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") or url.strip().startswith("//"):
        return parts.hostname != urlsplit(SITE_URL).hostname
    return False


def test_built_site_loads_nothing_from_other_hosts(built_site):
    bad = []
    for f in sorted(built_site.rglob("*")):
        if f.suffix == ".html":
            p = _AssetRefs()
            p.feed(f.read_text(encoding="utf-8"))
            css = "\n".join(p.inline_css)
            bad += [(f.name, u) for u in p.refs if _third_party(u)]
        elif f.suffix == ".css":
            css = f.read_text(encoding="utf-8")
        else:
            continue
        for m in _CSS_URL.finditer(css):
            u = m.group(1) or m.group(2)
            if _third_party(u):
                bad.append((f.name, u))
    assert bad == []
    html = (built_site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html


def test_built_site_meta_sitemap_and_404(built_site):
    about = (built_site / "about" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in about
    assert '<meta property="og:title" content="关于 - 南昌市安全生产“十三五”规划开放数据">' in about
    assert '<meta property="og:url" content="https://example.org/about/">' in about
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', about, re.DOTALL).group(1)
    assert json.loads(ld)["@type"] == "Dataset"
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/blacklist/</loc>" in sitemap
    assert "页面未找到" in (built_site / "404.html").read_text(encoding="utf-8")
    assert not (built_site / "overrides").exists()  # theme input, not published
    nav = re.findall(r'class="md-nav__link[^"]*"[^>]*>\s*<span class="md-ellipsis">\s*([^<]+?)\s*</span>',
                     (built_site / "index.html").read_text(encoding="utf-8"))
    for label in ["首页", "规划", "数据缺口", "指标", "执法", "黑名单", "数据下载", "API",
                  "方法说明", "关于", "更新记录", "来源文件", "规划原文"]:
        assert label in nav, label


def test_search_index_is_segmented_chinese(built_site):
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "\\u200b" in index["config"]["separator"]
    text = " ".join(d["text"] for d in index["docs"])
    assert "\u200b道路交通\u200b" in text, "Chinese not segmented: is the pip package jieba installed?"


# --------------------------------------------------------------------------
# In a real browser (Debian chromium), at phone width
# --------------------------------------------------------------------------

browser = pytest.mark.browser


@pytest.fixture(scope="module")
def site_server(built_site):
    from tests.browser import serve_directory

    with serve_directory(built_site) as base:
        yield base


@pytest.fixture(scope="module")
def chromium():
    from tests.browser import chromium_available, launch_chromium

    if not chromium_available():
        pytest.fail("Debian chromium (/usr/bin/chromium) or playwright missing")
    with launch_chromium() as b:
        yield b


@browser
@pytest.mark.parametrize("javascript_enabled", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("path", ["", "indicators/", "about/", "chart-check/"])
def test_pages_at_375px(chromium, site_server, path, javascript_enabled):
    from tests.browser import visit

    v = visit(chromium, site_server + path, javascript_enabled=javascript_enabled, width=375)
    assert v.log.status == 200
    assert v.log.errors == []
    assert v.log.foreign_requests() == []
    assert v.log.failed_requests == []
    assert v.inner_width == 375
    assert v.scroll_width <= v.inner_width, "page scrolls horizontally at 375px"


@browser
def test_wide_table_scrolls_inside_its_box(chromium, site_server):
    from tests.browser import open_page

    for js in (True, False):
        with open_page(chromium, site_server + "indicators/", javascript_enabled=js) as (page, _log):
            box = page.evaluate("""() => {
                const t = document.querySelector('.md-typeset table');
                const s = t.closest('.md-typeset__scrollwrap') || t;
                return [s.scrollWidth, s.clientWidth, document.documentElement.scrollWidth, window.innerWidth];
            }""")
            scroll_w, client_w, doc_w, inner_w = box
            assert scroll_w > client_w, "table should be wider than its box (test table too narrow?)"
            assert doc_w <= inner_w


@browser
@pytest.mark.parametrize("width", [375, 320])
def test_chart_svg_fits_phone_width(chromium, site_server, width):
    from tests.browser import horizontal_overflow, open_page

    with open_page(chromium, site_server + "chart-check/", width=width) as (page, log):
        w, natural, column, text = page.evaluate("""() => {
            const s = document.querySelector('svg.chart');
            return [s.getBoundingClientRect().width, s.viewBox.baseVal.width,
                    document.querySelector('.md-content__inner').clientWidth, s.textContent];
        }""")
        # drawn 1:1 when the column is wide enough, scaled down (never up) otherwise
        assert w == pytest.approx(min(natural, column), abs=1)
        assert "2015年目标" in text
        assert page.get_by_role("img", name="工矿商贸就业人员10万人生产安全事故死亡率").count() == 1
        assert horizontal_overflow(page) == 0
        assert log.errors == [] and log.foreign_requests() == []


@browser
@pytest.mark.parametrize("query, expected_path", [("道路交通", "enforcement/"), ("黑名单", "blacklist/"),
                                                  ("安全生产", "")])
def test_search_finds_chinese_words(chromium, site_server, query, expected_path):
    from tests.browser import material_search, open_page

    with open_page(chromium, site_server, width=375) as (page, log):
        results = material_search(page, query)
        paths = {urlsplit(r["href"]).path for r in results}
        assert "/" + expected_path in paths, results
        assert log.errors == [] and log.foreign_requests() == []
        assert any(u.endswith("/search/search_index.json") for u in log.requests)


@browser
def test_search_reports_no_match_for_absent_word(chromium, site_server):
    from tests.browser import material_search, open_page

    with open_page(chromium, site_server, width=375) as (page, _log):
        assert material_search(page, "甲乙丙丁戊己") == []


@browser
def test_404_page(chromium, site_server):
    from tests.browser import visit

    v = visit(chromium, site_server + "no/such/page/", width=375)
    assert v.log.status == 404
    assert v.log.foreign_requests() == []
    # the only error is the browser's note about the 404 itself
    assert all("404" in e for e in v.log.errors)
    assert v.scroll_width <= v.inner_width
