"""The site at a city's volume (issue 15): the bench's scale package (20,000 fictional penalties
on display, 10 past their display period, 2,000 fictional 黑名单 rows) built with --demo, as
`make bench --only scale` builds it, and checked file by file and in Debian chromium.

Guards against pages that grow with the data, against a record past its display date that
survives on some page at volume (a list page, an enterprise page, a finder shard, the search
index), and against an enterprise a citizen without JavaScript cannot reach.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest

from bench import scale as bench_scale
from pipeline.site.records import enterprise_key, enterprise_path

browser = pytest.mark.browser


@pytest.fixture(scope="module")
def scale(tmp_path_factory) -> tuple[Path, dict]:
    """(generation directory of the 20,000-row demo build, the generator's manifest)."""
    from pipeline.build import build

    root = tmp_path_factory.mktemp("scale")
    manifest = bench_scale.make_scale_package(root / "package")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SITE_URL", "https://safety.example.org/")
        mp.delenv("DATASETTE_URL", raising=False)
        assert build(package=root / "package" / "datapackage.json", out=root / "build",
                     on_date=bench_scale.BUILD_DATE, demo=True) == 0
    return (root / "build" / "current").resolve(), manifest


def _published_files(site: Path):
    """Every file a visitor can fetch that carries text: pages, search index, finder shards, feeds."""
    for p in sorted(site.rglob("*")):
        if p.is_file() and p.suffix in (".html", ".json", ".xml", ".txt", ".js"):
            yield p


def test_the_build_has_every_record_on_display(scale):
    gen, manifest = scale
    import duckdb

    con = duckdb.connect(str(gen / "warehouse.duckdb"), read_only=True)
    try:
        shown = con.execute("select count(*) from penalties_public").fetchone()[0]
        listed = con.execute("select count(*) from blacklist_public").fetchone()[0]
    finally:
        con.close()
    assert shown == manifest["penalties"]["on_display"] == bench_scale.PENALTIES
    assert listed == manifest["blacklist"]["on_display"]


def test_safety_db_holds_penalties_and_blacklist_in_the_order_of_their_pages(scale):
    # At volume as in the demo (test_datasette): the search plugin reads a searched page in rowid
    # order because export writes the rows in the pages' order.
    import sqlite3

    from pipeline.datasette.metadata import render_metadata

    orders = render_metadata(use_env=False)["databases"]["safety"]["plugins"]["nanchang-chinese-search"]["rowid_order"]
    con = sqlite3.connect(f"file:{scale[0] / 'data' / 'safety.db'}?mode=ro", uri=True)
    try:
        for table in ("penalties", "blacklist"):
            rowids = [r for (r,) in con.execute(f"select rowid from {table} order by {orders[table][1]}")]
            assert len(rowids) > 400 and rowids == sorted(rowids), table
    finally:
        con.close()


def test_a_record_past_its_display_date_is_on_no_page(scale):
    # Every past penalty's decision number and every 黑名单 listing decision number not on
    # display: in no HTML page, search index, finder shard or feed of the 20,000-row site.
    gen, manifest = scale
    site = gen / "site"
    gone = [r["decision_number"] for r in manifest["penalties"]["past_display"]]
    gone += manifest["blacklist"]["not_on_display_listing_numbers"]
    assert len(gone) > 100
    import duckdb

    con = duckdb.connect(str(gen / "warehouse.duckdb"), read_only=True)
    try:  # a control: a number on display, which the same scan must find
        (shown,) = con.execute("select decision_number from penalties_public order by decision_date limit 1").fetchone()
    finally:
        con.close()
    gone.append(shown)
    needles = {t: (t.encode(), html.escape(t).encode(), json.dumps(t).strip('"').encode()) for t in gone}
    found = []
    for p in _published_files(site):
        body = p.read_bytes()
        found += [(t, str(p.relative_to(site))) for t, forms in needles.items() if any(f in body for f in forms)]
    assert {t for t, _ in found} == {shown}, found


@browser
def test_a_past_record_is_not_on_its_enterprise_page_in_the_browser(chromium_session, scale):
    # In Chromium: the enterprise of each past penalty either has no page (nothing of it on
    # display: 404) or a page without that penalty; the finder does not lead to it either.
    from tests.browser import open_page, serve_directory

    gen, manifest = scale
    with serve_directory(gen / "site") as base:
        for r in manifest["penalties"]["past_display"]:
            key = enterprise_key(r["uscc"], name=r["party_name"])
            if key is None:
                continue
            with open_page(chromium_session, base + enterprise_path(key)) as (page, log):
                if log.status == 404:
                    continue
                assert log.status == 200
                assert r["decision_number"] not in page.locator("body").inner_text(), r


@browser
def test_an_enterprise_is_three_clicks_from_the_enforcement_page_without_javascript(chromium_session, scale):
    # With JavaScript off at 20,000 penalties: 执法 -> 单位名录 (1) -> the directory page whose
    # name range holds the enterprise (2) -> the enterprise (3).
    import duckdb

    from tests.browser import open_page, serve_directory

    gen, _ = scale
    con = duckdb.connect(str(gen / "warehouse.duckdb"), read_only=True)
    try:  # an enterprise in the middle of the directory, not the first one listed
        uscc, name = con.execute("select uscc, party_name from penalties_public where uscc is not null "
                                 "order by party_name limit 1 offset 9000").fetchone()
    finally:
        con.close()
    site = gen / "site"
    target = f"enterprises/{uscc}/"
    with serve_directory(site) as base, \
            open_page(chromium_session, base + "enforcement/", javascript_enabled=False) as (page, log):
        page.get_by_role("link", name="单位名录").first.click()                          # 1
        page.wait_for_url("**/enterprises/")
        links = page.locator("ul.directory a")
        # the page a reader picks by its name range: the one that lists the enterprise
        hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
        pick = next(i for i, h in enumerate(hrefs)
                    if html.escape(name) in (site / "enterprises" / h.split("enterprises/")[-1] / "index.html")
                    .read_text(encoding="utf-8"))
        links.nth(pick).click()                                                           # 2
        page.get_by_role("link", name=name, exact=True).first.click()                     # 3
        page.wait_for_url(f"**/{target}")
        assert page.locator("h1").inner_text() == name
        assert log.foreign_requests() == [] and log.errors == []


def test_no_page_grows_with_the_data(scale):
    # The targets of issue 15, checked statically on every HTML file: under 5,000 elements and
    # a page's own HTML well under the 300 KB budget (the shared CSS, JS and search index are
    # measured by `make bench --only scale`).
    gen, _ = scale
    pages = bench_scale.static_pages(gen / "site")
    assert len(pages) > 5000
    worst = max(pages, key=lambda p: p["elements"])
    assert worst["elements"] < 5000, worst
    heaviest = max(pages, key=lambda p: p["gzip"])
    assert heaviest["gzip"] < 100_000, heaviest
    index = gen / "site" / "search" / "search_index.json"
    assert index.stat().st_size < 2_000_000  # the record pages are not in Material's index
