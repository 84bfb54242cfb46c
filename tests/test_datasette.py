"""Datasette: metadata that matches the database, saved queries, the Atom feed, limits, serve.

The server tests start the real `datasette` process, with the command line `make serve`
uses (pipeline.datasette.datasette_command), against a database built from the demo
package (fictional penalties and blacklist) on the fixed date 2026-11-28.
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime as dt
import http.client
import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from email.message import Message
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.datasette import (
    DEFAULT_DATASETTE_URL,
    METADATA_JSON,
    SETTINGS,
    datasette_command,
    inspect_data,
    load_queries,
    render_metadata,
    write_inspect_file,
)
from pipeline.datasette.metadata import dumps, table_page
from pipeline.registry import SEARCH, TABLES

BUILD_DATE = dt.date(2026, 11, 28)
FICTIONAL = paths.DEMO
ATOM = "{http://www.w3.org/2005/Atom}"
SERVED_SITE_URL = "https://safety.example.org/"  # where the served metadata says the site lives


# ---------------------------------------------------------------------------
# Fixtures: one demo build and one Datasette process for the whole session
# ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture(scope="session")
def datasette(demo, demo_db, tmp_path_factory):
    """Base URL (with trailing slash) of a running Datasette serving the demo database."""
    work = tmp_path_factory.mktemp("datasette-run")
    inspect_file = write_inspect_file(demo_db, work / "inspect.json")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    # As `pipeline serve` does: metadata rendered with the addresses of this deployment.
    metadata = work / "metadata.json"
    metadata.write_text(dumps(render_metadata(site=SERVED_SITE_URL, dsurl=base, use_env=False)), encoding="utf-8")
    with open(work / "datasette.log", "w") as log:
        proc = subprocess.Popen(datasette_command(demo_db, metadata, inspect_file, port=port),
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(base + "-/versions.json", proc)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def get(base: str, path: str, **params) -> tuple[int, Message, bytes]:
    """(status, headers, body) of a GET; params are URL-encoded (Chinese included)."""
    url = base + path + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def get_json(base: str, path: str, **params):
    status, _, body = get(base, path, **params)
    assert status == 200, (path, params, body[:500])
    return json.loads(body)


def rows_of(db: Path, sql: str, params=()) -> list[dict]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(sql, params)]
    finally:
        con.close()


def canonical(row: dict) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


def public_tables(db: Path) -> list[str]:
    """Tables a user sees: everything but the full-text index and its shadow tables."""
    names = [r["name"] for r in rows_of(db, "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")]
    fts = {f"{t}_fts" for t in SEARCH}
    return [n for n in names if not any(n == f or n.startswith(f + "_") for f in fts)]


# ---------------------------------------------------------------------------
# metadata.json: generated, current, and describing exactly what safety.db holds
# ---------------------------------------------------------------------------

def test_committed_metadata_is_what_the_generator_writes(monkeypatch):
    # Guards against editing metadata.json by hand, or changing the package, a mart's
    # YAML or queries.yml without regenerating: `python -m pipeline datasette-metadata`.
    monkeypatch.setenv("SITE_URL", "https://ignored.example.org/")  # the committed file ignores the environment
    expected = dumps(render_metadata(use_env=False))
    assert METADATA_JSON.read_text(encoding="utf-8") == expected


def test_committed_metadata_points_nowhere_it_cannot_know():
    # Guards against publishing localhost: the committed file used to link every table to
    # http://localhost:8000/.  It carries no base URL at all; a build renders its own.
    text = METADATA_JSON.read_text(encoding="utf-8")
    assert "localhost" not in text and "127.0.0.1" not in text
    meta = json.loads(text)
    assert "about_url" not in meta and "source_url" not in meta
    for t in meta["databases"]["safety"]["tables"].values():
        assert "about_url" not in t


def test_metadata_without_addresses_links_only_within_datasette():
    meta = render_metadata(use_env=False)
    atom = meta["databases"]["safety"]["queries"]["blacklist_changes"]["sql"]
    assert "'/safety/blacklist/'" in atom and "{{" not in atom  # root-relative on the Datasette host


def test_metadata_check_command_agrees():
    r = subprocess.run([sys.executable, "-m", "pipeline", "datasette-metadata", "--check"],
                       check=False, capture_output=True, text=True, cwd=paths.ROOT)
    assert r.returncode == 0, r.stderr


def test_every_table_and_column_is_described_and_nothing_else(demo_db):
    tables = json.loads(METADATA_JSON.read_text(encoding="utf-8"))["databases"]["safety"]["tables"]
    in_db = {t: [r["name"] for r in rows_of(demo_db, f'pragma table_info("{t}")')] for t in public_tables(demo_db)}
    assert sorted(tables) == sorted(in_db)
    for name, columns in in_db.items():
        described = tables[name]["columns"]
        assert list(described) == columns, name
        assert all(d.strip() for d in described.values()), name
        assert tables[name]["title"] and tables[name]["description"], name


def test_every_numeric_column_has_a_unit_or_is_an_ordinal(demo_db):
    # A number without a unit is not citable; ordinals (row numbers, sequence) are exempt.
    tables = json.loads(METADATA_JSON.read_text(encoding="utf-8"))["databases"]["safety"]["tables"]
    for name in public_tables(demo_db):
        numeric = {r["name"] for r in rows_of(demo_db, f'pragma table_info("{name}")') if r["type"] in ("INTEGER", "REAL")}
        booleans = {c for c, d in tables[name]["columns"].items() if "1 = 是 / true" in d}
        table = TABLES.get(name)  # (build_info: a date and a version, no number)
        units, ordinals = (table.units, table.ordinals) if table else ({}, set())
        assert set(units) | ordinals | booleans == numeric, name
        for column in units:
            assert "单位 / unit:" in tables[name]["columns"][column]


def test_metadata_links_back_to_the_site_and_source(demo_db):
    meta = render_metadata(site="https://data.example.org/nanchang/", dsurl="https://query.example.org/")
    db = meta["databases"]["safety"]
    for name, table in db["tables"].items():
        assert table["about_url"] == "https://data.example.org/nanchang/" + table_page(name)
        assert table["source_url"].startswith("https://data.example.org/nanchang/")
    for query in db["queries"].values():
        assert query["about_url"].startswith("https://data.example.org/nanchang/")
        assert "{{" not in query["sql"]
    assert "'https://query.example.org/safety/blacklist/'" in db["queries"]["blacklist_changes"]["sql"]
    assert meta["plugins"]["nanchang-links"]["site_url"] == "https://data.example.org/nanchang/"


def test_required_saved_queries_exist():
    assert {"targets_missed", "indicator_status_all", "blacklist_on_date", "enterprise_history", "enforcement_lookup",
            "penalties_by_category_amount", "blacklist_changes"} <= set(load_queries())


def test_inspect_file_matches_datasette_inspect(demo_db, tmp_path):
    out = tmp_path / "datasette-inspect.json"
    subprocess.run([sys.executable, "-m", "datasette", "inspect", str(demo_db), "--inspect-file", str(out)], check=True)
    theirs = json.loads(out.read_text())
    ours = inspect_data(demo_db)
    theirs["safety"]["file"] = ours["safety"]["file"]
    assert ours == theirs
    # and it is reproducible byte for byte
    a = write_inspect_file(demo_db, tmp_path / "a.json").read_bytes()
    assert write_inspect_file(demo_db, tmp_path / "b.json").read_bytes() == a


def test_build_files_for_a_deployment(demo_db, tmp_path, monkeypatch):
    # What pipeline/build.py writes next to a build: base URLs come from the environment,
    # as for the site, and the inspect file describes the very database of the build.
    from pipeline.datasette import write_build_files

    monkeypatch.setenv("SITE_URL", "https://data.example.org")
    monkeypatch.setenv("DATASETTE_URL", "https://query.example.org/")
    files = write_build_files(tmp_path / "datasette", demo_db, demo=True)
    assert sorted(p.name for p in (tmp_path / "datasette").iterdir()) == ["inspect.json", "metadata.json"]
    meta = json.loads(files["metadata"].read_text(encoding="utf-8"))
    assert meta["about_url"] == "https://data.example.org/" and meta["title"].startswith("【演示")
    assert "'https://query.example.org/safety/blacklist/'" in meta["databases"]["safety"]["queries"]["blacklist_changes"]["sql"]
    assert json.loads(files["inspect"].read_text()) == inspect_data(demo_db)


def band(fine: str) -> int:
    if not fine:
        return 0
    value = float(fine)
    return next(i for i, upper in enumerate((1, 5, 10, 50, 100), start=1) if value < upper) if value < 100 else 6


def test_penalty_stats_split_categories_and_band_amounts(demo_db):
    # Independent oracle over the raw fixture: penalties on display on 2026-11-28, each
    # counted once under every category it carries, in the band of its fine.
    with open(FICTIONAL / "penalties.csv", encoding="utf-8") as f:
        public = [r for r in csv.DictReader(f) if r["decision_date"] <= "2026-11-28"
                  and (not r["publicity_until"] or r["publicity_until"] >= "2026-11-28")]
    assert public, "the fixture needs penalties still on display"
    expected: dict[tuple, list] = {}
    for r in public:
        for category in r["penalty_category"].split(";"):
            key = (int(r["decision_date"][:4]), category, band(r["fine_amount_wan"]))
            n, total = expected.get(key, (0, None))
            if r["fine_amount_wan"]:
                total = round((total or 0.0) + float(r["fine_amount_wan"]), 6)
            expected[key] = (n + 1, total)  # no recorded amount stays None, never 0
    got = {(r["decision_year"], r["penalty_category"], r["amount_band"]): (r["decisions"], r["fines_wan"])
           for r in rows_of(demo_db, "select * from penalty_stats")}
    assert got == expected


# ---------------------------------------------------------------------------
# The running server: tables, saved queries, feed, settings, limits
# ---------------------------------------------------------------------------

@pytest.mark.server
def test_every_table_answers_with_its_rows(datasette, demo_db):
    for name in public_tables(demo_db):
        data = get_json(datasette, f"safety/{name}.json", _shape="objects", _size="max")
        expected = rows_of(demo_db, f'select * from "{name}"')
        served = [{k: v for k, v in r.items() if k != "rowid"} for r in data["rows"]]  # tables without a key
        assert sorted(map(canonical, served)) == sorted(map(canonical, expected)), name
        assert data["filtered_table_rows_count"] == len(expected), name


@pytest.mark.server
def test_every_saved_query_answers(datasette):
    for name in load_queries():
        data = get_json(datasette, f"safety/{name}.json")
        assert data["ok"] is True, name
        assert data["columns"], name


@pytest.mark.server
def test_targets_missed(datasette):
    rows = get_json(datasette, "safety/targets_missed.json", _shape="array")
    # the demo's fictional 2020 figures: 生产安全事故死亡人数 revised from 205 to 212 misses 210.6
    assert [(r["indicator_id"], r["target"], r["actual"], r["passage_id"]) for r in rows] == [
        ("fyp12-road-deaths", 216.0, 221.0, "t1-r7"), ("fyp13-deaths", 210.6, 212.0, "t2-r2")]


@pytest.mark.server
def test_status_of_every_indicator(datasette, demo_db):
    rows = get_json(datasette, "safety/indicator_status_all.json", _shape="array")
    # 表1 (8), 表2 (6) and the demo's fictional successor plan (3), in time order
    assert len(rows) == rows_of(demo_db, "select count(*) n from indicator_status")[0]["n"] == 17
    assert {r["status"] for r in rows} == {"met", "missed", "no_data", "indeterminate"}
    assert [r["plan"] for r in rows] == ["十二五"] * 8 + ["十三五"] * 6 + ["示例（虚构）十四五"] * 3


@pytest.mark.server
def test_living_record_queries(datasette):
    # The journalist's three questions of issue 14, on the demo's fictional bulletins: the
    # latest figure of each series, targets by status, and where sources disagree.
    latest = {r["series_id"]: r for r in get_json(datasette, "safety/latest_figures.json", _shape="array")}
    assert (latest["fyp13-deaths"]["year"], latest["fyp13-deaths"]["value"]) == (2020, 212.0)
    assert (latest["fyp12-road-deaths"]["year"], latest["fyp12-road-deaths"]["value"]) == (2015, 221.0)
    assert "fyp12-accidents-total" not in latest  # a five-year total is not a year's figure
    undecided = get_json(datasette, "safety/targets_by_status.json", status="无法判断", _shape="array")
    assert [(r["indicator_id"], r["actual"], r["target_low"], r["target_high"]) for r in undecided] == [
        ("fyp13-death-rate-gdp", 0.04, 0.0363, 0.0369)]
    assert undecided[0]["needed_zh"]  # what would decide it, from data_gaps
    everything = get_json(datasette, "safety/targets_by_status.json", status="", _shape="array")
    assert len(everything) == 17
    disagree = get_json(datasette, "safety/sources_disagree.json", _shape="array")
    deaths_2020 = [(r["value"], r["source_id"], r["is_latest"]) for r in disagree
                   if r["series_id"] == "fyp13-deaths" and r["period_end"] == 2020]
    assert sorted(deaths_2020) == [(205.0, "demo-bulletin-2020", 0), (212.0, "demo-yearbook-2021", 1)]


def on_list(rows: list[dict], day: str) -> list[dict]:
    """Independent oracle over the raw fixture: entries on the blacklist on `day`."""
    return [r for r in rows if r["listing_date"] <= day <= r["display_until"]
            and (not r["removal_date"] or r["removal_date"] > day)]


@pytest.fixture(scope="module")
def fixture_blacklist() -> list[dict]:
    with open(FICTIONAL / "blacklist.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.server
@pytest.mark.parametrize("day, expected", [
    # display_until 2026-11-27 (0014): on the list that day, but taken down before the
    # build date, so it can be counted and never named.
    ("2026-11-27", {"物流有限公司0011", "建筑工程股份有限公司0004", "矿业有限公司0003"}),
    # display_until 2026-11-28 (0004): its last day, still named
    ("2026-11-28", {"物流有限公司0011", "建筑工程股份有限公司0004", "矿业有限公司0003"}),
    # the day after: 0004 is off; 0011 (display_until 2026-11-29) stays
    ("2026-11-29", {"物流有限公司0011", "矿业有限公司0003"}),
    ("2026-11-30", {"矿业有限公司0003"}),
    ("2023-11-28", {"建筑工程股份有限公司0004"}),  # listed that very day
    ("2023-11-27", set()),
    ("", {"物流有限公司0011", "建筑工程股份有限公司0004", "矿业有限公司0003"}),  # empty = build date
    ("28/11/2026", set()),  # not YYYY-MM-DD: nothing, rather than a guess
])
def test_blacklist_on_a_date(datasette, fixture_blacklist, day, expected):
    rows = get_json(datasette, "safety/blacklist_on_date.json", _shape="array", date=day)
    names = {r["enterprise_name"].removeprefix("示例（虚构）") for r in rows}
    assert names == expected
    if day and expected:
        assert {r["as_of"] for r in rows} == {day}
    # everything named is on the list that day by the raw data too
    truth = {(r["uscc"], r["listing_date"]) for r in on_list(fixture_blacklist, day or BUILD_DATE.isoformat())}
    assert {(r["uscc"], r["listing_date"]) for r in rows} <= truth


@pytest.mark.server
@pytest.mark.parametrize("day", ["2026-11-27", "2026-11-28", "2026-11-29", "2024-12-15", "2024-12-16", "2023-10-12",
                                 "2021-02-28", "2021-03-01", "2018-05-09", "2018-05-10"])
def test_blacklist_size_on_a_date_counts_named_and_taken_down(datasette, fixture_blacklist, day):
    [row] = get_json(datasette, "safety/blacklist_count_on_date.json", _shape="array", date=day)
    named = get_json(datasette, "safety/blacklist_on_date.json", _shape="array", date=day)
    assert row["as_of"] == day
    assert row["named_entries"] == len(named)
    assert row["total_entries"] == row["named_entries"] + row["unnamed_entries"] == len(on_list(fixture_blacklist, day))


@pytest.mark.server
def test_blacklist_size_around_the_display_until_boundary(datasette):
    sizes = {d: get_json(datasette, "safety/blacklist_count_on_date.json", _shape="array", date=d)[0]
             for d in ("2026-11-27", "2026-11-28", "2026-11-29")}
    assert [(s["named_entries"], s["unnamed_entries"]) for s in sizes.values()] == [(3, 1), (3, 0), (2, 0)]


@pytest.mark.server
def test_enterprise_history_by_code_and_by_name(datasette):
    by_code = get_json(datasette, "safety/enterprise_history.json", _shape="array", q="91360124mar2mayk5r")
    # the 2017 listing of the same code is past its display period: not named
    assert [(r["event"], r["event_date"]) for r in by_code] == [
        ("blacklist_display_until", "2027-05-20"), ("blacklist_listed", "2024-05-20")]
    by_name = get_json(datasette, "safety/enterprise_history.json", _shape="array", q="物流有限公司0011")
    assert {r["uscc"] for r in by_name} == {"91360123MAHG8UYX4B"}
    assert get_json(datasette, "safety/enterprise_history.json", _shape="array", q="") == []
    assert get_json(datasette, "safety/enterprise_history.json", _shape="array", q="化工有限公司0001") == []


@pytest.mark.server
def test_enforcement_lookup_says_one_campaign_not_the_year(datasette):
    # Guards against presenting the 2015 campaign's results as the year's totals: the
    # query's rows name the campaign and say what they cover.
    rows = get_json(datasette, "safety/enforcement_lookup.json", _shape="array", year="2015", measure="停产整顿")
    assert [(r["year"], r["measure_zh"], r["value"], r["unit"], r["passage_id"]) for r in rows] == [
        (2015, "停产整顿", 211.0, "家", "c1-s4")]
    assert rows[0]["campaign_zh"] == "安全大检查深化“打非治违”和专项整治工作"
    assert "不是2015年全年的执法总数" in rows[0]["scope_zh"]
    every = get_json(datasette, "safety/enforcement_lookup.json", _shape="array")
    assert len([r for r in every if r["source"] == "campaign"]) == 7
    assert {r["year"] for r in every if r["source"] == "case_level"} == {2024, 2026}  # fictional cases on display
    meta = json.loads(METADATA_JSON.read_text(encoding="utf-8"))["databases"]["safety"]
    assert "2015年停产整顿多少家" not in json.dumps(meta, ensure_ascii=False)
    assert "不是2015年全年的执法总数" in meta["queries"]["enforcement_lookup"]["description"]
    assert "不是当年全年的执法总数" in meta["tables"]["enforcement_results"]["description"]


@pytest.mark.server
def test_renamed_table_and_query_redirect(datasette):
    # Guards against breaking cited URLs: enforcement_by_year and enforcement_totals were
    # renamed; their old addresses (with format and query string) move permanently.
    for old, new in (("safety/enforcement_by_year.json?year=2015", "/safety/enforcement_results.json?year=2015"),
                     ("safety/enforcement_totals?year=2015&measure=x", "/safety/enforcement_lookup?year=2015&measure=x")):
        conn = http.client.HTTPConnection(urllib.parse.urlsplit(datasette).netloc, timeout=10)
        conn.request("GET", "/" + old)
        r = conn.getresponse()
        assert (r.status, r.getheader("location")) == (301, new), old
        conn.close()
    assert get(datasette, "safety/enforcement_by_year.csv")[0] == 200  # followed to the new table


@pytest.mark.server
def test_penalty_query_on_the_served_database(datasette, demo_db):
    data = get_json(datasette, "safety/penalties_by_category_amount.json")
    assert data["columns"] == ["penalty_category", "amount_band", "amount_range", "decisions", "fines_wan"]
    stats = rows_of(demo_db, "select penalty_category, amount_band, sum(decisions) n from penalty_stats group by 1, 2")
    assert sorted((r[0], r[1], r[3]) for r in data["rows"]) == sorted((s["penalty_category"], s["amount_band"], s["n"]) for s in stats)
    assert stats, "the demo database has penalties on display"
    one_year = get_json(datasette, "safety/penalties_by_category_amount.json", year="2026", _shape="array")
    assert {r["penalty_category"] for r in one_year} == {"罚款", "责令停产停业"}


@pytest.mark.server
def test_atom_feed_of_blacklist_changes(datasette):
    status, headers, body = get(datasette, "safety/blacklist_changes.atom")
    assert status == 200 and headers["content-type"].startswith("application/xml")
    feed = ET.fromstring(body)
    entries = feed.findall(f"{ATOM}entry")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    assert len(ids) == len(set(ids)) == 3 + 10 + 1  # 3 public listings, 10 takedown groups, the 2023 rules
    assert updated == sorted(updated, reverse=True)
    # dates from the data, not the clock
    assert feed.findtext(f"{ATOM}updated") == updated[0] == "2026-11-28T00:00:00+08:00"
    assert "urn:x-nanchang-work-safety:blacklist:listed:91360123MAHG8UYX4B:2023-11-29" in ids
    text = body.decode("utf-8")
    # the entry whose display ended on 2026-11-27 appears only as an anonymous takedown
    assert "燃气有限公司0014" not in text and "91360100MAUX0W9KXM" not in text
    assert "urn:x-nanchang-work-safety:blacklist:taken-down:2026-11-28:2023-11-27:2026-11-27:" in text
    # stable: the same bytes on a second request
    assert get(datasette, "safety/blacklist_changes.atom")[2] == body


@pytest.mark.server
def test_full_text_search_facets_and_sort(datasette):
    rows = get_json(datasette, "safety/passages.json", _search="打非治违", _shape="array")
    assert rows and all("打非治违" in r["text"] or "打非治违" in r["locator_zh"] for r in rows)
    found = get_json(datasette, "safety/blacklist.json", _search="物流有限公司", _shape="array")
    assert [r["uscc"] for r in found] == ["91360123MAHG8UYX4B"]
    data = get_json(datasette, "safety/blacklist.json")
    assert set(data["facet_results"]) == {"regime", "deciding_authority"}
    dates = [r[data["columns"].index("listing_date")] for r in data["rows"]]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.server
def test_html_links_to_the_site_passage_and_enterprise_history(datasette):
    _, _, body = get(datasette, "safety/observations", indicator_id="fyp12-road-deaths")
    html = body.decode("utf-8")
    assert f'href="{SERVED_SITE_URL}source/#t1-r7"' in html
    assert f'href="{SERVED_SITE_URL}indicators/"' in html  # about_url of the table
    # a passage of another source links to that source's page (the demo's fictional yearbook)
    _, _, body = get(datasette, "safety/observations", source_id="demo-yearbook-2021")
    assert f'href="{SERVED_SITE_URL}sources/demo-yearbook-2021/#demo-yearbook-2021--' in body.decode("utf-8")
    _, _, body = get(datasette, "safety/blacklist")
    assert "/safety/enterprise_history?q=91360123MAHG8UYX4B" in body.decode("utf-8")
    # and to the enterprise's page on the site (issue 15), from the tables of records on display
    assert f'href="{SERVED_SITE_URL}enterprises/91360123MAHG8UYX4B/"' in body.decode("utf-8")


@pytest.mark.server
def test_read_only_immutable_cors_and_settings(datasette):
    [db] = get_json(datasette, "-/databases.json")
    assert db["name"] == "safety" and db["is_mutable"] is False
    settings = get_json(datasette, "-/settings.json")
    for name, value in SETTINGS.items():
        assert str(settings[name]).lower() in (value, {"on": "true", "off": "false"}.get(value)), name
    status, headers, _ = get(datasette, "safety/indicators.json")
    assert status == 200 and headers["access-control-allow-origin"] == "*"
    assert get(datasette, "safety.db")[0] == 403  # the file is on the static site instead
    # only these plugins, and none that writes (no startup, routes or write queries)
    plugins = get_json(datasette, "-/plugins.json")
    assert sorted(p["name"] for p in plugins) == [
        "chinese_search.py", "datasette-atom", "immutable_schema.py", "nanchang_links.py", "no_server_paths.py", "plain_errors.py",
        "query_isolation.py", "renamed.py", "request_overhead.py", "response_cache.py", "response_limit.py",
        "sql_sandbox.py", "sqlite_limits.py", "static_metadata.py"]
    hooks = {h for p in plugins for h in p["hooks"]}
    # register_routes: only renamed.py's redirects and no_server_paths.py's /-/databases (GET, no data read)
    # filters_from_request: chinese_search.py refusing an over-long ?_search= before the query
    assert hooks <= {"register_output_renderer", "render_cell", "prepare_connection", "asgi_wrapper", "register_routes",
                     "filters_from_request"}
    queries = json.loads(METADATA_JSON.read_text(encoding="utf-8"))["databases"]["safety"]["queries"]
    assert not any(q.get("write") for q in queries.values())
    assert get(datasette, "safety.json", sql="create table x (a)")[0] == 400


@pytest.mark.server
def test_huge_values_are_refused_at_once(datasette):
    t = time.monotonic()
    _, _, body = get(datasette, "safety.json", sql="select length(randomblob(1000000000))")
    assert time.monotonic() - t < 2
    assert b"string or blob too big" in body


HOSTILE = "select count(*) from passages a, passages b, passages c, passages d"


@pytest.mark.server
def test_hostile_query_is_stopped_while_others_keep_answering(datasette):
    # Guards against four failures: the time limit not applying; one slow query (or
    # Datasette printing its traceback) stalling every other request; hostile queries
    # taking every SQL thread (4 of them here, as many as num_sql_threads): arbitrary SQL
    # has its own two low-priority threads (plugins/query_isolation.py), so the table
    # pages' threads stay free and the extra hostile queries wait their turn; and the
    # event loop freezing for a whole second when it frees an interrupted query's cursor
    # while the next hostile query runs on that connection.
    def hostile():
        t = time.monotonic()
        return (*get(datasette, "safety.json", sql=HOSTILE), time.monotonic() - t)

    served = iter(range(10**6))

    def normal():
        # a new URL each time (an ignored _-parameter), so no answer comes from the cache
        t = time.monotonic()
        status, headers, _ = get(datasette, "safety/indicator_status.json", _n=next(served))
        assert headers["x-response-cache"] == "miss"
        return status, time.monotonic() - t

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        attacks = [pool.submit(hostile) for _ in range(4)]
        time.sleep(0.2)  # two hostile queries are running now, two are waiting for them
        others = []
        while not all(a.done() for a in attacks):
            others.append(normal())
        results = [a.result() for a in attacks]
    for status, headers, body, took in results:
        assert status == 400
        error = json.loads(body)
        assert error["ok"] is False and error["title"] == "SQL Interrupted"
        assert "SQL query took too long" in error["error"]
        assert took < 5, took
    times = sorted(took for *_, took in results)
    assert times[1] < 1.9 <= times[2], times  # two at a time: the other two waited for a thread
    assert others and all(status == 200 for status, _ in others)
    assert max(took for _, took in others) < 1.0, others


@pytest.mark.server
def test_repeated_answers_come_from_memory_and_arbitrary_sql_never_does(datasette):
    first = get(datasette, "safety/blacklist.json", regime="2023")
    second = get(datasette, "safety/blacklist.json", regime="2023")
    assert (first[1]["x-response-cache"], second[1]["x-response-cache"]) == ("miss", "hit")
    assert first[2] == second[2] and second[1]["content-type"] == first[1]["content-type"]
    assert second[1]["access-control-allow-origin"] == "*"
    # ?sql= may call random() or date('now'): never kept
    a, b = (get(datasette, "safety.json", sql="select random() as r") for _ in range(2))
    assert "x-response-cache" not in a[1] and a[2] != b[2]
    # errors are never kept
    again = [get(datasette, "safety/no_such_table.json") for _ in range(2)]
    assert [r[0] for r in again] == [404, 404]
    assert [r[1]["x-response-cache"] for r in again] == ["bypass", "bypass"]


# ---------------------------------------------------------------------------
# The pages that explain it: site/api.md and site/deploy.md
# ---------------------------------------------------------------------------

SITE = paths.ROOT / "site"


@pytest.mark.server
def test_every_example_url_on_the_api_page_answers(datasette):
    # Guards against documenting a URL, parameter or query name that does not work.
    text = (SITE / "api.md").read_text(encoding="utf-8")
    urls = sorted({u for u in re.findall(r"http://localhost:8001/[^\s)<>`\"]*", text) if "..." not in u})
    assert len(urls) >= 25
    for url in urls:
        path = urllib.parse.quote(url.removeprefix(DEFAULT_DATASETTE_URL), safe="/?&=,.:;%*()+_-~")
        status, _, body = get(datasette, path)
        assert status == 200, (url, body[:300])


def test_deploy_page_lists_every_setting_with_its_value():
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|", (SITE / "deploy.md").read_text(encoding="utf-8"), re.MULTILINE))
    assert rows == SETTINGS


def test_pages_quote_no_fictional_data():
    # The production site build refuses pages that contain fictional-fixture markers.
    for page in ("api.md", "deploy.md"):
        text = (SITE / page).read_text(encoding="utf-8")
        assert "虚构" not in text and "example.invalid" not in text, page


# ---------------------------------------------------------------------------
# python -m pipeline serve: both servers up, both down on SIGINT / SIGTERM
# ---------------------------------------------------------------------------

def port_is_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.server
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_runs_site_and_datasette_and_stops_both(demo, tmp_path, sig):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<h1>南昌</h1>", encoding="utf-8")
    (site / "404.html").write_text("<h1>404</h1>", encoding="utf-8")
    site_port, ds_port = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--build", str(demo), "--site-dir", str(site),
         "--site-port", str(site_port), "--datasette-port", str(ds_port)],
        cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(f"http://127.0.0.1:{ds_port}/-/versions.json", proc)
        wait_for(f"http://127.0.0.1:{site_port}/", proc)
        assert get(f"http://127.0.0.1:{site_port}/", "")[2].decode() == "<h1>南昌</h1>"
        assert get(f"http://127.0.0.1:{site_port}/", "nope/")[0] == 404
        assert get_json(f"http://127.0.0.1:{ds_port}/", "safety/targets_missed.json", _shape="array")
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert f"http://localhost:{site_port}/" in out and f"http://localhost:{ds_port}/" in out
    assert port_is_closed(site_port) and port_is_closed(ds_port)


def _haproxy() -> None:
    import shutil

    if not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").is_file()):
        pytest.fail("Debian's haproxy is missing (.ci/run installs it: apt-get install haproxy)")


def _children(pid: int) -> list[str]:
    """Command lines of a process's children."""
    return subprocess.run(["pgrep", "-a", "-P", str(pid)], capture_output=True, text=True, check=False).stdout.splitlines()


@pytest.mark.server
def test_serve_with_replicas_behind_haproxy_in_one_command(demo, tmp_path):
    # Issue 16: several Datasette processes behind a real load balancer, started and stopped
    # by one command; the visitor sees one address.
    _haproxy()
    ds_port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--build", str(demo), "--no-site", "--replicas", "2",
         "--datasette-port", str(ds_port)],
        cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{ds_port}/"
    try:
        wait_for(base + "-/versions.json", proc)
        assert get_json(base, "safety/passages.json", _search="道路", _shape="array")
        children = _children(proc.pid)
        assert len([c for c in children if "datasette serve" in c]) == 2 and len([c for c in children if "haproxy" in c]) == 1
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:  # the test failed before the SIGTERM: its children go too, not left running
            for line in _children(proc.pid):
                subprocess.run(["kill", line.split()[0]], capture_output=True, check=False)
            proc.kill()
    assert proc.returncode == 0, out
    assert "2 replicas behind haproxy" in out
    assert port_is_closed(ds_port)
    assert not [p for p in children if subprocess.run(["kill", "-0", p.split()[0]], capture_output=True).returncode == 0]


@pytest.mark.server
def test_a_replica_that_dies_costs_no_request(demo_db, tmp_path):
    from pipeline.datasette import replicas

    _haproxy()
    inspect_file = write_inspect_file(demo_db, tmp_path / "inspect.json")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    metadata = tmp_path / "metadata.json"
    metadata.write_text(dumps(render_metadata(site=SERVED_SITE_URL, dsurl=base, use_env=False)), encoding="utf-8")
    group = replicas.start(demo_db, metadata, inspect_file, port=port, replicas=2,
                           popen_kwargs={"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL})
    try:
        for p in group.ports:
            wait_for(f"http://127.0.0.1:{p}/-/versions.json", group.replicas[0])
        wait_for(base + "-/versions.json", group.balancer)
        group.replicas[0].kill()
        group.replicas[0].wait()
        # every request still answered: haproxy retries a refused connection on the other replica
        assert [get(base, "safety/passages.json", _search=w)[0] for w in ("死亡", "道路", "罚款") * 7] == [200] * 21
        assert group.serving() and group.dead() == [f"Datasette :{group.ports[0]} (status -9)"]
    finally:
        group.stop()


def test_serve_says_what_to_do_when_nothing_is_built(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pipeline", "serve", "--build", str(tmp_path / "none")],
                       check=False, capture_output=True, text=True, cwd=paths.ROOT)
    assert r.returncode == 2 and "make build" in r.stderr


def test_links_from_the_site_into_datasette(monkeypatch):
    monkeypatch.delenv("DATASETTE_URL", raising=False)
    from pipeline.datasette import query_url, table_url

    assert table_url("blacklist", base="https://q.example.org") == "https://q.example.org/safety/blacklist"
    assert query_url("blacklist_on_date", fmt="json", date="2026-11-28") == (
        "http://localhost:8001/safety/blacklist_on_date.json?date=2026-11-28")
    assert re.fullmatch(r"http://localhost:8001/safety/enforcement_lookup\?year=2015&measure=%E5%81%9C.*",
                        query_url("enforcement_lookup", year=2015, measure="停产整顿"))
    assert set(render_metadata()["databases"]["safety"]["tables"]) == {*TABLES, "build_info"}


# ---------------------------------------------------------------------------
# Search that finds Chinese words of any length (issue 16)
# ---------------------------------------------------------------------------

def _contains(db: Path, table: str, query: str) -> set:
    """The truth for ?_search=: rows where every term is a substring of a searched column."""
    from pipeline.datasette.plugins.chinese_search import normalize

    cols = SEARCH[table]
    terms = [normalize(t) for t in query.split()]
    return {r["rowid"] for r in rows_of(db, f"select rowid, {', '.join(cols)} from {table}")
            if all(any(t in normalize(r[c] or "") for c in cols) for t in terms)}


@pytest.mark.server
@pytest.mark.parametrize("table, query", [
    ("passages", "死"), ("passages", "道路"), ("passages", "死亡"), ("passages", "罚款"), ("passages", "安全生"),
    ("passages", "道路交通"), ("passages", "GDP"), ("passages", "亿元gdp"), ("passages", "2015"),
    ("passages", "道路 死亡"), ("passages", "死亡 下降 2015"),
    ("penalties", "罚款"), ("penalties", "公司0012"), ("penalties", "危险化学品 仓库"), ("blacklist", "物流"),
    ("blacklist", "0011"),
])
def test_the_search_box_finds_exactly_the_rows_containing_every_term(datasette, demo_db, table, query):
    # Before issue 16: ?_search=道路 found nothing (trigrams need 3 characters).
    data = get_json(datasette, f"safety/{table}.json", _search=query, _shape="array", _size="max")
    truth = _contains(demo_db, table, query)
    expected = rows_of(demo_db, f"select * from {table} where rowid in ({', '.join(map(str, truth)) or 'null'})")
    key = lambda r: json.dumps(r, sort_keys=True, ensure_ascii=False)
    assert sorted(map(key, data)) == sorted(map(key, expected))
    assert data, query


@pytest.mark.server
def test_a_search_for_one_column_and_the_ranked_saved_query(datasette, demo_db):
    rows = get_json(datasette, "safety/passages.json", _search_locator_zh="表", _shape="array", _size="max")
    assert rows and all("表" in r["locator_zh"] for r in rows)
    ranked = get_json(datasette, "safety/search_passages.json", q="死亡 道路", _shape="array")
    assert {r["passage_id"] for r in ranked} == {
        r["passage_id"] for r in rows_of(demo_db, "select passage_id, text, locator_zh from passages")
        if all(w in r["text"] + r["locator_zh"] for w in ("死亡", "道路"))}
    assert all("【" in r["match_zh"] for r in ranked)
    [hit] = get_json(datasette, "safety/search_penalties.json", q="防火间距", _shape="array")
    assert "【防火间距】" in hit["match_zh"]
    assert get_json(datasette, "safety/search_blacklist.json", q="", _shape="array") == []


def test_safety_db_holds_each_searchable_table_in_the_order_of_its_pages(demo_db):
    # The search plugin reads a searched page in rowid order where the metadata says the table is
    # stored in its pages' order (export._sqlite_order writes it so).  If a table were not, its
    # searched pages would come in the wrong order: this checks the claim against the file.
    layout = render_metadata(use_env=False)["databases"]["safety"]["plugins"]["nanchang-chinese-search"]
    assert {"penalties", "blacklist", "passages"} <= set(layout["rowid_order"])
    for table, (first, full) in layout["rowid_order"].items():
        assert full.startswith(first)
        rowids = [r["rowid"] for r in rows_of(demo_db, f"select rowid from {table} order by {full}")]
        assert rowids == sorted(rowids) and len(set(rowids)) == len(rowids), table
    for table in layout["pair_counts"]:  # and every searchable table has its pair counts
        rows_of(demo_db, f"select pair, row_count from {table}_fts_pairs limit 1")


@pytest.mark.server
@pytest.mark.parametrize("query", ["安全", "事故", "死"])
def test_paging_through_a_search_gives_every_row_once_in_the_pages_order(datasette, demo_db, query):
    # A searched page is read from the full-text table in rowid order (chinese_search.search_sql):
    # following ?_next= must give each matching row exactly once, in the table's order.
    seen, url = [], f"safety/passages.json?{urllib.parse.urlencode({'_search': query, '_size': 7})}"
    while url:
        page = get_json(datasette, url.removeprefix(datasette))
        seen += [dict(zip(page["columns"], r)) for r in page["rows"]]
        url = page["next_url"]
    keys = [(r["seq"], r["passage_id"]) for r in seen]
    assert keys == sorted(keys) and len(keys) > 14, query
    # the pair counts behind the count are hidden with the index they belong to
    tables = {t["name"]: t for t in get_json(datasette, "safety.json")["tables"]}
    assert tables["penalties_fts_pairs"]["hidden"] and not tables["penalties"]["hidden"]
    assert {k[1] for k in keys} == {r["passage_id"] for r in rows_of(
        demo_db, f"select passage_id from passages where rowid in "
                 f"({', '.join(map(str, _contains(demo_db, 'passages', query))) or 'null'})")}


@pytest.mark.server
def test_a_search_too_long_is_refused_with_a_reason(datasette):
    status, _, body = get(datasette, "safety/passages.json", _search="道" * 300)
    assert status == 400 and "最多 200 个字符" in json.loads(body)["error"], body[:300]
    status, _, body = get(datasette, "safety/passages", _search="道" * 300)  # the HTML page says it too
    assert status == 400 and "最多 200 个字符" in body.decode("utf-8")
