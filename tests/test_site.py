"""The public site, built by the real pipeline from the real package (and the demo from the
fictional fixtures), checked file by file and then page by page in Debian chromium.

One production build, one rebuild of the same inputs (to prove byte-identical output) and
one demo build per session, shared with the other test files (tests/conftest.py); one browser
for every browser test.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from pipeline import charts, paths
from pipeline.site import DEMO_BANNER
from tests.conftest import (  # the builds (prod, demo, site, served) are conftest's
    BUILD_DATE,
    DATASETTE_URL,
    SITE_URL,
)

FICTIONAL = paths.DEMO
ROAD_DEATHS = "fyp12-road-deaths"


def html_pages(site_dir: Path) -> list[Path]:
    return sorted(site_dir.rglob("index.html"))


def page_path(site_dir: Path, f: Path) -> str:
    """index.html file -> URL path relative to the site root ('' for home, 'blacklist/')."""
    rel = f.parent.relative_to(site_dir).as_posix()
    return "" if rel == "." else rel + "/"


def read(site_dir: Path, path: str) -> str:
    return (site_dir / path / "index.html").read_text(encoding="utf-8")


def indicator_ids() -> list[str]:
    with open(paths.DATASETS / "data" / "indicators.csv", encoding="utf-8") as f:
        return [r["indicator_id"] for r in csv.DictReader(f)]


class _Html(HTMLParser):
    """Ids, links, meta tags and JSON-LD of one page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.meta: dict[str, str] = {}
        self.jsonld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "meta" and (a.get("property") or a.get("name")):
            self.meta[a.get("property") or a.get("name")] = a.get("content", "")
        self._in_ld = tag == "script" and a.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_ld:
            self.jsonld.append(data)

    def handle_endtag(self, tag):
        self._in_ld = False


def parse(html: str) -> _Html:
    p = _Html()
    p.feed(html)
    return p


# --------------------------------------------------------------------------
# Pages built, reproducibly
# --------------------------------------------------------------------------

EXPECTED_PAGES = ["", "results-12th/", "targets-13th/", "plans/", "gaps/", "sources/", "indicators/", "enforcement/", "blacklist/", "downloads/",
                  "api/", "methodology/", "about/", "changelog/", "source/"]


def test_every_page_is_built(site):
    built = {page_path(site, f) for f in html_pages(site)}
    wanted = set(EXPECTED_PAGES) | {f"indicators/{i}/" for i in indicator_ids()}
    assert wanted <= built, sorted(wanted - built)
    assert len(indicator_ids()) == 17  # one page per indicator: 8 (表1) + 3 (five-year totals) + 6 (表2)
    assert (site / "404.html").is_file() and "页面未找到" in (site / "404.html").read_text(encoding="utf-8")
    assert not (site / "overrides").exists()


def test_same_inputs_same_date_give_byte_identical_site(prod, prod_again):
    # Guards against clock-dependent output (sitemap dates, gzip mtimes) and render-order
    # dependent ids in the inline SVG.
    def digests(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    for part in ("site", "site-src"):
        a, b = digests(prod / part), digests(prod_again / part)
        assert a.keys() == b.keys()
        assert [k for k in a if a[k] != b[k]] == [], part


def test_sitemap_lists_every_page_with_the_build_date(site):
    xml = (site / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", xml)
    assert {SITE_URL + page_path(site, f) for f in html_pages(site)} == set(locs)
    assert set(re.findall(r"<lastmod>([^<]+)</lastmod>", xml)) == {BUILD_DATE.isoformat()}
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {SITE_URL}sitemap.xml" in robots and "Disallow" not in robots


def test_site_src_is_plain_markdown_and_assets(prod):
    # Engine-agnostic: the pipeline writes Markdown and files; nothing MkDocs-specific
    # beyond front matter and the attr_list/admonition syntax.
    src = prod / "site-src"
    kinds = {p.suffix for p in src.rglob("*") if p.is_file() and "overrides" not in p.parts
             and "downloads" not in p.parts}
    assert kinds <= {".md", ".css", ".js", ".png", ".svg", ".json", ".txt"}, kinds


# --------------------------------------------------------------------------
# Content: every figure from the warehouse, said plainly
# --------------------------------------------------------------------------

def test_home_answers_with_every_status_and_the_date(site):
    html = read(site, "")
    assert "表1共8项指标：<strong>7项达成，1项未达成</strong>" in html
    assert "表2共6项指标：<strong>6项无数据</strong>" in html
    assert "2026年11月28日" in html
    assert "不是政府网站" in html
    # every target of both plans, each with its status word and a link to its page
    for iid in indicator_ids():
        if not iid.endswith("-total"):
            assert f'href="indicators/{iid}/"' in html, iid
    assert html.count('status--met">达成') == 7
    assert html.count('status--missed">未达成') == 1
    assert html.count('status--nodata">无数据') == 6


def test_road_deaths_page_states_the_miss_and_cites_its_row(site):
    html = read(site, f"indicators/{ROAD_DEATHS}/")
    assert "2015年道路交通死亡人数为221人，高于规划目标216人，未达成。" in html
    assert 'href="../../source/#t1-r7"' in html
    assert "7 道路交通死亡人数 235 216 221" in html  # the verbatim quote
    assert f'href="{DATASETTE_URL}safety/indicator_status?indicator_id={ROAD_DEATHS}"' in html
    assert 'href="../../downloads/csv/indicator_status.csv"' in html
    assert 'href="../../assets/charts/fyp12-road-deaths.png"' in html


def test_results_12th_names_the_miss_and_the_loose_targets(site):
    html = read(site, "results-12th/")
    assert "7项达成，1项未达成。" in html
    assert "2015年道路交通死亡人数为221人，高于规划目标216人，未达成。" in html
    assert "4项目标比自身基数还宽" in html
    assert html.count("目标高于2010年基数") >= 4  # each of the 4 rows of the table
    # the five-year totals and their ambiguity note
    for figure in ("1598起", "1204人", "19起"):
        assert figure in html
    assert "不含火灾事故" in html


def test_targets_13th_states_assumptions_and_no_data(site):
    html = read(site, "targets-13th/")
    for level in ("210.6人", "2.7起", "0.036人/亿元", "0.486人/10万人"):
        assert level in html
    assert html.count(">无法推算</td>") == 2   # the two indicators without a baseline
    assert "假定：以表1“各类事故死亡人数”2015年实际数为表2“生产安全事故死亡人数”的基数" in html
    # table 2 (6) + each commitment that is not a reported result (21) + the two sentences saying why
    assert html.count('status--nodata">无数据') == 6 + 21 + 2
    assert "完善安全生产“黑名单”制度" in html  # the plan's blacklist commitment, cited (domain.md)


def test_enforcement_and_blacklist_have_honest_empty_states(site):
    enf = read(site, "enforcement/")
    for figure in ("288起", "594起", "211家", "8个", "31家", "41.1万元", "1人"):
        assert figure in enf
    assert "还没有收录任何处罚记录" in enf and "空表不代表南昌没有安全生产行政处罚" in enf
    bl = read(site, "blacklist/")
    assert "还没有收录任何名单记录" in bl and "空表不代表南昌没有被列入名单的单位" in bl
    for words in ("安监总办〔2017〕49号", "应急管理部令第11号", "发改办财金〔2019〕527号", "如何提出异议"):
        assert words in bl
    assert f'href="{DATASETTE_URL}safety/blacklist"' in bl


def test_source_page_has_an_anchor_for_every_passage(site):
    ids = parse(read(site, "source/")).ids
    with open(paths.PASSAGES_CSV, encoding="utf-8") as f:
        passage_ids = [r["passage_id"] for r in csv.DictReader(f)]
    assert set(passage_ids) <= ids, sorted(set(passage_ids) - ids)[:10]


def test_every_internal_link_and_anchor_resolves(site):
    pages = {page_path(site, f): parse(f.read_text(encoding="utf-8")) for f in html_pages(site)}
    broken = []
    for path, page in pages.items():
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("//", "mailto:")):
                continue
            target = urlsplit(urljoin("/" + path, href))
            rel = unquote(target.path).lstrip("/")
            if rel == "" or rel.endswith("/"):
                if rel not in pages or target.fragment and target.fragment not in pages[rel].ids:
                    broken.append((path, href))
            elif not (site / rel).is_file():
                broken.append((path, href))
    assert broken == []


# --------------------------------------------------------------------------
# Downloads, Open Graph, JSON-LD
# --------------------------------------------------------------------------

def test_downloads_page_lists_every_file_with_size_and_sha256(prod, site):
    html = read(site, "downloads/")
    data = prod / "data"
    for f in sorted(p for p in data.rglob("*") if p.is_file()):
        rel = f.relative_to(data).as_posix()
        served = site / "downloads" / rel
        assert served.read_bytes() == f.read_bytes(), rel      # same origin, same bytes
        assert f'href="{rel}"' in html, rel  # the page is /downloads/, the files under it
        assert hashlib.sha256(f.read_bytes()).hexdigest() in html, rel
    sums = (data / "SHA256SUMS").read_text(encoding="utf-8")
    assert "datapackage.json" in sums and "nanchang-work-safety.zip" in sums
    assert "如何引用" in html and "CC0" in html


def test_open_graph_image_is_the_pages_chart(site):
    for iid in indicator_ids():
        meta = parse(read(site, f"indicators/{iid}/")).meta
        assert meta["og:image"] == f"{SITE_URL}assets/charts/{iid}.png"
        assert (site / "assets" / "charts" / f"{iid}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert meta["og:url"] == f"{SITE_URL}indicators/{iid}/"
        assert meta["og:image:alt"] and meta["description"]
    # pages without a chart of their own share the 表1 chart
    for path in ("", "blacklist/", "about/", "source/"):
        assert parse(read(site, path)).meta["og:image"] == f"{SITE_URL}assets/charts/results-12th-gap.png"
    for f in html_pages(site):
        meta = parse(f.read_text(encoding="utf-8")).meta
        assert meta["og:image"].startswith(SITE_URL + "assets/charts/") and meta["og:title"], f


def test_json_ld_dataset_on_dataset_pages(site):
    dataset_pages = ["downloads/", *[f"indicators/{i}/" for i in indicator_ids()]]
    for path in dataset_pages:
        (ld,) = parse(read(site, path)).jsonld
        doc = json.loads(ld)
        assert doc["@context"] == "https://schema.org" and doc["@type"] == "Dataset", path
        assert doc["name"] and len(doc["description"]) >= 50
        assert doc["license"] == "https://creativecommons.org/publicdomain/zero/1.0/"
        assert doc["creator"]["name"]
        assert doc["spatialCoverage"]["name"] == "南昌市"
        assert re.fullmatch(r"\d{4}/\d{4}", doc["temporalCoverage"])
        assert doc["url"] == SITE_URL + path
        assert doc["distribution"]
        for d in doc["distribution"]:
            assert d["@type"] == "DataDownload" and d["encodingFormat"]
            assert d["contentUrl"].startswith(SITE_URL + "downloads/")
            assert (site / d["contentUrl"].removeprefix(SITE_URL)).is_file(), d["contentUrl"]
    # every JSON-LD block on every page parses
    for f in html_pages(site):
        for ld in parse(f.read_text(encoding="utf-8")).jsonld:
            json.loads(ld)


# --------------------------------------------------------------------------
# Charts: PNG drawn with the CJK font, SVG inline with its data in words
# --------------------------------------------------------------------------

def test_png_charts_are_drawn_with_the_cjk_font(site):
    pngs = sorted((site / "assets" / "charts").glob("*.png"))
    assert len(pngs) == len(indicator_ids()) + 3
    for png in pngs:
        spec = json.loads(png.with_name(png.name.removesuffix(".png") + ".vl.json").read_text(encoding="utf-8"))
        # the published PNG is exactly what the published Vega-Lite spec renders to...
        assert charts.chart_to_png(spec) == png.read_bytes(), png.name
        # ...and its text was drawn with Noto Sans CJK, not boxes, not left out
        assert charts.font_used_in_png(spec), png.name
        assert charts.ink_pixels(png.read_bytes()) > 1000
        assert png.with_suffix(".svg").is_file()


def test_every_chart_is_inline_svg_with_title_summary_and_table(site):
    for f in html_pages(site):
        html = f.read_text(encoding="utf-8")
        for fig in re.findall(r'<figure class="chart".*?</figure>', html, re.DOTALL):
            assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+-title [^"]+-desc"', fig)
            assert re.search(r"<title id=[^>]+>[^<]+</title>", fig)
            assert re.search(r"<figcaption>[^<]+</figcaption>", fig)
            after = html.split(fig, 1)[1]
            assert "<table" in after, f"{page_path(site, f)}: a chart without a data table after it"


# --------------------------------------------------------------------------
# Demo: fictional data, labelled on every page; production: none of it
# --------------------------------------------------------------------------

class _AssetRefs(HTMLParser):
    """What a page loads: src of scripts, images, frames and media, href of <link>, data of
    <object>, and its inline CSS (for url() and @import)."""

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


def test_no_page_or_stylesheet_loads_anything_from_another_host(site):
    # Google Fonts, jsdelivr and unpkg are slow or blocked for readers in mainland China.
    bad = []
    for f in sorted(site.rglob("*")):
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
    html = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html


def test_meta_sitemap_404_and_nav(site):
    about = (site / "about" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh"' in about
    assert '<meta property="og:title" content="关于 - 南昌市安全生产“十三五”规划开放数据">' in about
    assert f'<meta property="og:url" content="{SITE_URL}about/">' in about
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{SITE_URL}blacklist/</loc>" in sitemap
    assert "页面未找到" in (site / "404.html").read_text(encoding="utf-8")
    assert not (site / "overrides").exists()  # theme input, not published
    nav = re.findall(r'class="md-nav__link[^"]*"[^>]*>\s*<span class="md-ellipsis">\s*([^<]+?)\s*</span>',
                     (site / "index.html").read_text(encoding="utf-8"))
    for label in ["首页", "规划", "数据缺口", "指标", "执法", "黑名单", "数据下载", "API",
                  "方法说明", "关于", "更新记录", "来源文件", "规划原文"]:
        assert label in nav, label


def test_search_index_is_segmented_chinese(site):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "\\u200b" in index["config"]["separator"]
    text = " ".join(d["text"] for d in index["docs"])
    assert "\u200b道路交通\u200b" in text, "Chinese not segmented: is the pip package jieba installed?"


def test_production_build_contains_no_fictional_data(prod):
    markers = [m.encode() for m in ("虚构", "示例（虚构）", "example.invalid")]
    found = [(p.relative_to(prod).as_posix(), m.decode()) for p in sorted(prod.rglob("*")) if p.is_file()
             for m in markers if m in p.read_bytes()]
    assert found == []


def test_demo_banner_on_every_demo_page(demo):
    site = demo / "site"
    pages = [*html_pages(site), site / "404.html"]
    assert len(pages) > 25
    for f in pages:
        html = f.read_text(encoding="utf-8")
        assert DEMO_BANNER in html, f
        assert '<meta name="robots" content="noindex, nofollow">' in html, f
    assert "Disallow: /" in (site / "robots.txt").read_text(encoding="utf-8")


def test_demo_shows_only_entries_public_on_the_build_date(demo):
    html = read(demo / "site", "blacklist/")
    with open(FICTIONAL / "blacklist.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    def public(r):
        return (dt.date.fromisoformat(r["listing_date"]) <= BUILD_DATE <= dt.date.fromisoformat(r["display_until"])
                and not (r["removal_date"] and dt.date.fromisoformat(r["removal_date"]) <= BUILD_DATE))

    shown = {r["uscc"] for r in rows if public(r)}
    hidden = {r["uscc"] for r in rows if not public(r)} - shown
    assert shown and hidden
    assert all(code in html for code in shown)
    # an expired listing is gone from every page and file of the site, not just hidden
    for p in (demo / "site").rglob("*"):
        if p.is_file() and p.suffix in (".html", ".json", ".csv", ".md"):
            body = p.read_text(encoding="utf-8", errors="replace")
            assert not [c for c in hidden if c in body], p
    # display_until == build date is still public: marked on the list and on its enterprise's page
    last_day = [r["uscc"] for r in rows if public(r) and r["display_until"] == BUILD_DATE.isoformat()]
    assert last_day and "（最后一天）" in html
    for code in last_day:
        assert "今天是公示的最后一天" in read(demo / "site", f"enterprises/{code}/")


# --------------------------------------------------------------------------
# In a real browser: every page, phone width, with and without JavaScript
# --------------------------------------------------------------------------

browser = pytest.mark.browser


def all_paths(site_dir: Path) -> list[str]:
    return [page_path(site_dir, f) for f in html_pages(site_dir)]


def _chart_texts(site_dir: Path, html: str) -> dict[str, list[str]]:
    """figure id -> the value texts its chart writes beside the bars (from its Vega-Lite data)."""
    out = {}
    for key in re.findall(r'<figure class="chart" id="fig-([^"]+)"', html):
        spec = json.loads((site_dir / "assets" / "charts" / f"{key}.vl.json").read_text(encoding="utf-8"))
        # a two-line text is two <tspan>s in the SVG: each line must be there
        out[key] = [line for v in spec["data"]["values"] for line in v["text"].split("\n")]
    return out


@browser
def test_every_page_with_javascript(chromium_session, served, site):
    from tests.browser import visit

    problems = []
    for path in all_paths(site):
        v = visit(chromium_session, served + path, settle_ms=100)
        if v.log.status != 200 or v.log.errors or v.log.foreign_requests() or v.log.failed_requests:
            problems.append((path, v.log.status, v.log.errors, v.log.foreign_requests(), v.log.failed_requests))
        if v.horizontal_overflow:
            problems.append((path, "scrolls sideways by", v.horizontal_overflow))
    assert problems == []


@browser
def test_every_page_without_javascript_shows_every_chart_and_figure(chromium_session, served, site):
    from tests.browser import horizontal_overflow, open_page

    problems, charts_seen = [], 0
    for path in all_paths(site):
        texts = _chart_texts(site, read(site, path))
        with open_page(chromium_session, served + path, javascript_enabled=False) as (page, log):
            if log.status != 200 or log.errors or log.foreign_requests() or log.failed_requests:
                problems.append((path, log.status, log.errors, log.foreign_requests(), log.failed_requests))
            if horizontal_overflow(page):
                problems.append((path, "scrolls sideways"))
            body_text = page.evaluate("() => document.body.innerText")
            for key, values in texts.items():
                charts_seen += 1
                box, svg_text = page.evaluate("""id => {
                    const s = document.querySelector('#fig-' + id + ' svg');
                    const r = s.getBoundingClientRect();
                    return [[r.width, r.height], s.textContent];
                }""", key)
                if not (box[0] > 100 and box[1] > 50):
                    problems.append((path, key, "chart not visible", box))
                for t in values:
                    if t not in svg_text:
                        problems.append((path, key, "value missing from the chart", t))
                    for number in re.findall(r"\d+(?:\.\d+)?", t):
                        if number not in body_text:
                            problems.append((path, key, "figure not in the page text", number))
    assert charts_seen >= 20
    assert problems == []


@browser
def test_home_answers_in_the_first_screen(chromium_session, served):
    from tests.browser import open_page

    for js in (True, False):
        with open_page(chromium_session, served, javascript_enabled=js, width=375, height=812) as (page, _):
            bottom = page.evaluate("""() => {
                const el = [...document.querySelectorAll('.grid.cards li')].find(li => li.textContent.includes('7项达成'));
                return el.getBoundingClientRect().bottom;
            }""")
            assert bottom <= 812, "the 十二五 answer is below the first screen at 375x812"


@browser
@pytest.mark.parametrize("query, expected", [("道路交通", f"/indicators/{ROAD_DEATHS}/"), ("黑名单", "/blacklist/"),
                                             ("安全生产", "/")])
def test_search_finds_chinese_words(chromium_session, served, query, expected):
    from tests.browser import material_search, open_page

    with open_page(chromium_session, served, width=375) as (page, log):
        results = material_search(page, query)
        assert expected in {urlsplit(r["href"]).path for r in results}, results
        assert log.errors == [] and log.foreign_requests() == []


@browser
def test_search_reports_no_match_for_an_absent_word(chromium_session, served):
    from tests.browser import material_search, open_page

    with open_page(chromium_session, served, width=375) as (page, _log):
        assert material_search(page, "甲乙丙丁戊己") == []


@browser
def test_a_wide_table_scrolls_inside_its_box(chromium_session, served):
    # Guards against a table wider than a phone pushing the whole page sideways.
    from tests.browser import open_page

    for js in (True, False):
        with open_page(chromium_session, served + "targets-13th/", javascript_enabled=js) as (page, _log):
            widths = page.evaluate("""() => [...document.querySelectorAll('.md-typeset table')].map(t => {
                const s = t.closest('.md-typeset__scrollwrap') || t;
                return [s.scrollWidth, s.clientWidth];
            })""")
            doc_w, inner_w = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
            assert any(scroll > client for scroll, client in widths), "no table wider than the phone: test page changed?"
            assert doc_w <= inner_w


@browser
@pytest.mark.parametrize("width", [375, 320])
def test_a_chart_fits_the_phone_width(chromium_session, served, width):
    from tests.browser import horizontal_overflow, open_page

    with open_page(chromium_session, served + f"indicators/{ROAD_DEATHS}/", width=width) as (page, log):
        w, natural, column, label = page.evaluate("""() => {
            const s = document.querySelector('figure.chart svg');
            return [s.getBoundingClientRect().width, s.viewBox.baseVal.width,
                    document.querySelector('.md-content__inner').clientWidth, s.getAttribute('aria-label')
                    || (s.querySelector('title') || {}).textContent];
        }""")
        # drawn 1:1 when the column is wide enough, scaled down (never up) otherwise
        assert w == pytest.approx(min(natural, column), abs=1)
        assert label and page.get_by_role("img", name=label).count() >= 1
        assert horizontal_overflow(page) == 0
        assert log.errors == [] and log.foreign_requests() == []


@browser
def test_404_page_in_the_browser(chromium_session, served):
    from tests.browser import visit

    v = visit(chromium_session, served + "no/such/page/", settle_ms=100)
    assert v.log.status == 404
    assert v.log.foreign_requests() == []
    assert all("404" in e for e in v.log.errors)
    assert v.horizontal_overflow == 0


@browser
def test_demo_pages_show_the_banner_in_the_browser(chromium_session, demo):
    from tests.browser import open_page, serve_directory

    with serve_directory(demo / "site") as base:
        for path in ("", "blacklist/", f"indicators/{ROAD_DEATHS}/"):
            with open_page(chromium_session, base + path, javascript_enabled=False) as (page, log):
                banner = page.locator(".md-banner .demo-banner")
                assert banner.is_visible() and DEMO_BANNER in banner.inner_text()
                assert banner.bounding_box()["y"] < 100  # at the very top
                assert log.foreign_requests() == []


# --------------------------------------------------------------------------
# Say exactly what the source says (issue 12): the pages against the data
# --------------------------------------------------------------------------

def _warehouse_rows(prod: Path, sql: str) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(prod / "warehouse.duckdb"), read_only=True)
    try:
        cur = con.execute(sql)
        return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]
    finally:
        con.close()


def _text(html: str) -> str:
    """The page's words without tags (so a sentence split by a link still matches)."""
    import html as html_lib

    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))


def test_pages_do_not_name_a_publisher_the_copy_does_not_name(site):
    # Guards against "规划原文取自南昌市人民政府网站" on the strength of a breadcrumb that names
    # no site, against calling the plan 国家机关的文件 while its issuer is unknown, and
    # against stating the inference "规划印发时2020年还没有到来" as a fact.
    for path in all_paths(site):
        text = _text(read(site, path))
        assert "人民政府网站" not in text, path
        assert "规划原文是国家机关的文件" not in text and "规划原文为国家机关文件" not in text, path
        assert "规划印发时2020年还没有到来" not in text, path
    source = _text(read(site, "source/"))
    assert "网址：未知" in source and "印发机关：未知" in source and "没有写网站名称" in source
    assert "首页>政府信息公开>法定主动公开内容>规划信息" in source
    about = _text(read(site, "about/"))
    assert "没有写是哪个网站、哪个机关" in about and "推断" in about


def test_the_campaign_is_one_campaign_not_the_year(site):
    # Guards against presenting the 2015 打非治违 figures as the year's enforcement totals.
    enf = read(site, "enforcement/")
    text = _text(enf)
    assert "2015年安全大检查深化“打非治违”和专项整治工作的结果" in text
    assert "不是2015年全年的执法总数" in text
    assert 'id="campaign-2015"' in enf  # the cited anchor stays
    assert "2015年“打非治违”结果" not in text
    spec = json.loads((site / "assets" / "charts" / "campaign-2015.vl.json").read_text(encoding="utf-8"))
    title = "".join(spec["title"]["text"])
    assert "安全大检查深化" in title and "专项整治工作" in title
    assert "不是全年执法总数" in "".join(spec["title"]["subtitle"])
    home = _text(read(site, ""))
    assert "规划举出的2015年一次专项行动的结果" in home
    assert "enforcement_by_year" not in enf and 'href="../downloads/csv/enforcement_results.csv"' in enf


def test_gap_chart_marks_loose_targets_and_draws_no_percentages(prod, site):
    # Guards against the chart (also the share image) whose four longest "达成" bars were the
    # four targets looser than their own 2010 level, unmarked.
    loose = {r["name_zh"] for r in _warehouse_rows(
        prod, "select name_zh from indicator_status where plan = '十二五' and target_looser_than_baseline")}
    assert len(loose) == 4
    spec = json.loads((site / "assets" / "charts" / "results-12th-gap.vl.json").read_text(encoding="utf-8"))
    values = [v for v in json.dumps(spec["data"], ensure_ascii=False).split('"') if "%" in v]
    assert values == []  # no percentage anywhere in the drawn data
    rows = spec["data"]["values"]
    marked = {r["label"] for r in rows if "目标宽于" in r["text"]}
    assert marked == loose
    # the loosest targets are not drawn as the best results: they come last
    labels = [r["label"] for r in rows]
    assert set(labels[-len(loose):]) == loose
    home = parse(read(site, ""))
    assert "4项的目标本身比2010年实际数还宽" in home.meta["og:image:alt"]


def test_commitment_counts_come_from_the_data(prod, site):
    # Guards against "规划正文另有13项量化承诺" counting items without a figure: every count
    # the pages state is computed from value and due_year.
    rows = _warehouse_rows(prod, "select kind, value, due_year from stg_commitments")
    promised = [r for r in rows if r["kind"] != "reported_result"]
    with_value = sum(r["value"] is not None for r in promised)
    dated = sum(r["value"] is None and r["due_year"] is not None for r in promised)
    neither = len(promised) - with_value - dated
    sentence = (f"收录了{len(promised)}项承诺：{with_value}项有数值，{dated}项只有期限（没有数值），"
                f"{neither}项既没有数值也没有期限")
    assert sentence in _text(read(site, "")) and sentence in _text(read(site, "targets-13th/"))
    for path in all_paths(site):
        assert "量化承诺" not in _text(read(site, path)), path


def test_looser_than_baseline_is_null_where_nothing_compares(prod):
    # Guards against false for 13th-plan rows with no baseline: not applicable is not false.
    rows = _warehouse_rows(prod, "select indicator_id, baseline, target, target_looser_than_baseline, null_reasons_zh "
                                 "from indicator_status")
    for r in rows:
        if r["baseline"] is None or r["target"] is None:
            assert r["target_looser_than_baseline"] is None, r["indicator_id"]
            assert "target_looser_than_baseline" in r["null_reasons_zh"], r["indicator_id"]
    with open(prod / "data" / "csv" / "indicator_status.csv", encoding="utf-8") as f:
        csv_rows = list(csv.DictReader(f))
    no_base = [r for r in csv_rows if r["baseline"] == ""]
    assert len(no_base) == 2 and all(r["target_looser_than_baseline"] == "" for r in no_base)


def test_methodology_lists_what_we_infer_and_what_we_do_not(site):
    html = read(site, "methodology/")
    assert 'id="inferences"' in html
    text = _text(html)
    assert "我们没有做的推断 / what we do not infer" in text
    for words in ("基期是2015年", "单位由指标名称推断", "很可能包括道路交通", "不把网页栏目文字当作刊载网站",
                  "不把2015年那次专项行动的结果当作2015年全年的执法总数", "以一个空格连接"):
        assert words in text, words


def test_blacklist_rules_are_marked_as_from_outside_the_plan(site):
    text = _text(read(site, "blacklist/"))
    assert "以下是规划之外的规定" in text
    for number, body, date in (("安委办〔2015〕14号", "国务院安全生产委员会办公室", "2015-07-29"),
                               ("安监总办〔2017〕49号", "国家安全生产监督管理总局", "2017-05-09"),
                               ("应急管理部令第11号", "应急管理部", "2023-08-08"),
                               ("发改办财金〔2019〕527号", "国家发展和改革委员会办公厅", "未能核对")):
        assert re.search(re.escape(number) + r"）\s*" + re.escape(body) + r"\s*" + re.escape(date), text), number
    assert "信用中国”网站和该部门网站公示" not in text


_ATTR_URL = re.compile(r'(?:href|src|content)="([^"]*)"')


def _absolute_urls(html: str) -> list[str]:
    urls = [u for u in _ATTR_URL.findall(html) if u.startswith(("http://", "https://", "//"))]
    for ld in parse(html).jsonld:
        urls += re.findall(r'"(https?://[^"]+)"', ld)
    return urls


def test_no_page_points_at_this_machine(site):
    # Guards against publishing http://localhost:8000/8001 in links, meta tags and JSON-LD.
    for f in [*html_pages(site), site / "404.html", site / "releases.xml", site / "robots.txt"]:
        text = f.read_text(encoding="utf-8")
        local = [u for u in _absolute_urls(text) if "localhost" in u or "127.0.0.1" in u]
        assert local == [], (f, local)
        if f.suffix in (".xml", ".txt"):
            assert "localhost" not in text, f


def test_without_addresses_the_build_leaves_absolute_urls_out(prod_without_urls):
    # Guards against the old default (localhost) being published when SITE_URL and
    # DATASETTE_URL are not set: absolute URLs are left out, relative links still work.
    site = prod_without_urls / "site"
    # links to other projects (licence, Datasette docs, the theme credit in the footer) are fine
    allowed = ("https://creativecommons.org/", "https://docs.datasette.io/", "https://schema.org",
               "https://squidfunk.github.io/mkdocs-material/")
    for f in html_pages(site):
        html = f.read_text(encoding="utf-8")
        stray = [u for u in _absolute_urls(html) if not u.startswith(allowed)]
        assert stray == [], (f, stray)
        for ld in parse(html).jsonld:
            assert '"url"' not in ld and '"contentUrl"' not in ld, f
    assert not (site / "sitemap.xml").exists()
    assert "Sitemap" not in (site / "robots.txt").read_text(encoding="utf-8")
    api = _text(read(site, "api/"))
    assert "本次构建没有设定 Datasette 的地址" in api and "/safety/targets_missed" in api
    feed = (site / "releases.xml").read_text(encoding="utf-8")
    assert "localhost" not in feed
    meta = json.loads((prod_without_urls / "datasette" / "metadata.json").read_text(encoding="utf-8"))
    assert "about_url" not in meta and "localhost" not in json.dumps(meta)


# --------------------------------------------------------------------------
# A living record (issue 14): plans as data, what is missing said plainly
# --------------------------------------------------------------------------

def test_every_plan_has_its_page_and_nav_entry_from_the_data(prod, site):
    plans = _warehouse_rows(prod, "select plan_id, name_zh, page from stg_plans order by start_year")
    assert [p["page"] for p in plans] == ["results-12th", "targets-13th"]  # the published URLs
    home = read(site, "")
    for p in plans:
        assert f'id="{p["plan_id"]}"' in home                  # each plan's answer on the home page
        assert f"“{p['name_zh']}”" in _text(read(site, p["page"] + "/"))
        assert f'href="{p["page"]}/"' in home
    nav = re.findall(r'class="md-nav__link[^"]*"[^>]*>\s*<span class="md-ellipsis">\s*([^<]+?)\s*</span>', home)
    assert "“十二五”" in nav and "“十三五”" in nav and "数据缺口" in nav


def test_the_gaps_page_lists_every_undecided_target_with_what_would_decide_it(prod, site):
    # Guards against 无数据 as a dead end: every no_data / indeterminate target is on the
    # 数据缺口 page with the figure needed, its precision and the documents that publish it.
    gaps = _warehouse_rows(prod, "select indicator_id, needed_zh, precision_zh, usual_sources_zh from data_gaps")
    undecided = _warehouse_rows(prod, "select target_id from indicator_status where status in ('no_data', 'indeterminate')")
    assert len(gaps) == len(undecided) == 6
    html = read(site, "gaps/")
    text = _text(html)
    for g in gaps:
        assert f'href="../indicators/{g["indicator_id"]}/"' in html
        for column in ("needed_zh", "precision_zh", "usual_sources_zh"):
            assert g[column] in text, (g["indicator_id"], column)
    assert "怎样提交一个数字" in text and 'href="../methodology/#new-source"' in html
    assert 'href="gaps/"' in read(site, "")   # the home page invites, not only states 无数据


# --------------------------------------------------------------------------
# Records at a city's volume (issue 15): enterprise pages, bounded lists, the finder
# --------------------------------------------------------------------------

def _enterprise_with_penalties(demo: Path) -> tuple[str, str]:
    """(page path, name) of a fictional enterprise of the demo with a penalty on display."""
    import duckdb

    con = duckdb.connect(str(demo / "warehouse.duckdb"), read_only=True)
    try:
        uscc, name = con.execute("select uscc, party_name from penalties_public where uscc is not null "
                                 "order by decision_date desc, decision_number limit 1").fetchone()
    finally:
        con.close()
    return f"enterprises/{uscc}/", name


@browser
def test_an_enterprise_is_three_clicks_from_the_enforcement_page_without_javascript(chromium_session, demo):
    # Guards against an enterprise reachable only through search or a page too long to use:
    # with JavaScript off, 执法 -> 单位名录 -> a page of the directory -> the enterprise.
    from tests.browser import open_page, serve_directory

    path, name = _enterprise_with_penalties(demo)
    with serve_directory(demo / "site") as base:
        with open_page(chromium_session, base + "enforcement/", javascript_enabled=False) as (page, log):
            page.get_by_role("link", name="单位名录").first.click()                       # 1
            page.wait_for_url("**/enterprises/")
            directory = [a.get_attribute("href") for a in page.locator("ul.directory a").all()]
            for href in directory:
                page.goto(base + "enterprises/" + href.removeprefix("../enterprises/"))
                link = page.get_by_role("link", name=name, exact=True)
                if link.count():
                    break
            else:
                pytest.fail(f"{name} is on no directory page")
            link.first.click()                                                            # 3 (2 was the page)
            page.wait_for_url(f"**/{path}")
            assert page.locator("h1").inner_text() == name
            assert "行政处罚" in page.locator("article").inner_text()
            assert log.foreign_requests() == [] and log.errors == []


@browser
def test_the_finder_finds_an_enterprise_by_part_of_its_name_or_code(chromium_session, demo):
    from tests.browser import open_page, serve_directory

    path, name = _enterprise_with_penalties(demo)
    code = path.split("/")[1]
    part = name.removeprefix("示例（虚构）")[:4]
    with serve_directory(demo / "site") as base:
        with open_page(chromium_session, base + "enforcement/") as (page, log):
            for query in (part, code[-6:].lower()):
                page.fill("#finder-q", query)
                page.click("#finder button")
                page.wait_for_selector("#finder-results li a")
                hrefs = [a.get_attribute("href") for a in page.locator("#finder-results li a").all()]
                assert f"../{path}" in hrefs, (query, hrefs)
            page.locator(f'#finder-results a[href="../{path}"]').click()
            page.wait_for_url(f"**/{path}")
            assert log.foreign_requests() == [] and log.errors == []


def test_record_pages_are_bounded_and_every_record_is_on_one(demo):
    # Guards against pages that grow with the data (issue 15: a 6.5 MB enforcement page):
    # the enforcement and 黑名单 pages show a bounded number of records, and every record
    # on display is on its year's list page and (unless a natural person's) its enterprise's page.
    import duckdb

    con = duckdb.connect(str(demo / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("select decision_number, decision_year, uscc, party_category from penalties_public").fetchall()
    finally:
        con.close()
    site = demo / "site"
    enforcement = read(site, "enforcement/")
    assert enforcement.count("<tr>") <= 20 + 60      # the newest 20, and the summary tables
    for number, year, uscc, category in rows:
        listed = "".join(p.read_text(encoding="utf-8") for p in site.glob(f"enforcement/{year}*/index.html"))
        assert html_lib_escape(number) in listed, number
        if uscc:
            assert html_lib_escape(number) in read(site, f"enterprises/{uscc}/"), number


def html_lib_escape(text: str) -> str:
    import html as html_lib

    return html_lib.escape(text, quote=True)
