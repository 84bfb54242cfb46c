"""Issue 14's acceptance, end to end: on a copy of the package, a maintainer registers short
fictional documents with `source add`, ingests a successor plan's targets and yearly figures
with `ingest`, and builds.  Every status is checked against a value computed by hand here,
from the written figures, by the rule on the methodology page.

Everything added is fictional (示例（虚构）) and lives only in the test's temporary copy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import paths
from pipeline.cli import main as cli
from tests.conftest import BUILD_DATE, codes, validate

DOCS = {
    # file: (source id, title, kind, date, text)
    "b2016.txt": ("test-bulletin-2016", "示例（虚构）2016年安全生产统计公报", "statistical_bulletin", "2017-03-01",
                  "示例（虚构）2016年安全生产统计公报\n\n本文件为虚构示例。\n\n"
                  "2016年亿元生产总值生产安全事故死亡率为0.052，上年为0.061。\n"),
    "b2020.txt": ("test-bulletin-2020", "示例（虚构）2020年安全生产统计公报", "statistical_bulletin", "2021-03-01",
                  "示例（虚构）2020年安全生产统计公报\n\n本文件为虚构示例。\n\n"
                  "2020年初步统计，全市生产安全事故死亡205人。亿元生产总值生产安全事故死亡率为0.030。"
                  "工矿商贸就业人员十万人生产安全事故死亡率为0.5。道路交通万车死亡率为1.9。\n"),
    "y2021.txt": ("test-yearbook-2021", "示例（虚构）2021年统计年鉴", "other", "2021-10-01",
                  "示例（虚构）2021年统计年鉴\n\n本文件为虚构示例。\n\n"
                  "经核实，2020年全市生产安全事故死亡人数修订为212人。\n"),
    "p14.txt": ("test-plan-14", "示例（虚构）十四五安全生产规划", "plan", "2021-12-01",
                "示例（虚构）十四五安全生产规划\n\n本文件为虚构示例。\n\n"
                "到2023年，较大事故起数控制在3起以内。到2025年，生产安全事故死亡人数控制在190人以内。\n"),
    "b2023.txt": ("test-bulletin-2023", "示例（虚构）2023年安全生产统计公报", "statistical_bulletin", "2024-03-01",
                  "示例（虚构）2023年安全生产统计公报\n\n本文件为虚构示例。\n\n2023年全市发生较大事故2起。\n"),
}

OBSERVATIONS = [
    ["indicator_id", "year", "kind", "value", "unit", "source_id", "quote"],
    ["fyp13-death-rate-gdp", "2015", "actual", "0.061", "人/亿元", "test-bulletin-2016", "上年为0.061"],
    ["fyp13-death-rate-gdp", "2016", "actual", "0.052", "人/亿元", "test-bulletin-2016", "死亡率为0.052"],
    ["fyp13-deaths", "2020", "actual", "205", "人", "test-bulletin-2020", "全市生产安全事故死亡205人"],
    ["fyp13-death-rate-gdp", "2020", "actual", "0.030", "人/亿元", "test-bulletin-2020", "死亡率为0.030"],
    ["fyp13-death-rate-imt-workers", "2020", "actual", "0.5", "人/10万人", "test-bulletin-2020",
     "工矿商贸就业人员十万人生产安全事故死亡率为0.5"],
    ["fyp13-road-death-rate-vehicles", "2020", "actual", "1.9", "人/万车", "test-bulletin-2020", "道路交通万车死亡率为1.9"],
    ["fyp13-deaths", "2020", "actual", "212", "人", "test-yearbook-2021", "2020年全市生产安全事故死亡人数修订为212人"],
    # rejected: a quote that is not in its source; a value that is not in its quote
    ["fyp13-deaths", "2019", "actual", "209", "人", "test-bulletin-2020", "2019年全市死亡209人"],
    ["fyp13-major-accidents", "2020", "actual", "4", "起", "test-bulletin-2020", "全市生产安全事故死亡205人"],
]

TARGETS = [
    ["plan_id", "plan_name_zh", "plan_name_en", "plan_start", "plan_end", "indicator_id", "name_zh", "name_en", "unit",
     "unit_en", "direction", "target_kind", "value", "base_year", "base_value", "target_year", "same_as", "source_id",
     "quote"],
    ["test-fyp14", "示例（虚构）十四五", "Example (fictional) 14th", "2021", "2025", "test14-major-accidents",
     "较大事故起数", "Relatively serious accidents", "起", "accidents", "lower_is_better", "level", "3", "2020", "",
     "2023", "fyp13-major-accidents", "test-plan-14", "到2023年，较大事故起数控制在3起以内"],
    ["test-fyp14", "示例（虚构）十四五", "Example (fictional) 14th", "2021", "2025", "test14-deaths",
     "生产安全事故死亡人数", "Work-safety accident deaths", "人", "persons", "lower_is_better", "level", "190", "2020", "",
     "2025", "fyp13-deaths", "test-plan-14", "到2025年，生产安全事故死亡人数控制在190人以内"],
]

LATER = [
    ["indicator_id", "year", "kind", "value", "unit", "source_id", "quote"],
    ["test14-major-accidents", "2023", "actual", "2", "起", "test-bulletin-2023", "2023年全市发生较大事故2起"],
]


def sheet(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def package_digest(package: Path) -> dict[str, str]:
    root = package.parent
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".lock" not in p.name}


def add_everything(package: Path, inbox: Path) -> list[int]:
    """What the maintainer types: source add for each document, then ingest the sheets."""
    codes_ = []
    for file, (sid, title, kind, date, _) in DOCS.items():
        codes_.append(cli(["source", "add", str(inbox / file), "--id", sid, "--title", title, "--kind", kind,
                           "--date", date, "--package", str(package)]))
    codes_.append(cli(["ingest", str(inbox / "figures.csv"), "--into", "observations", "--package", str(package),
                       "--date", BUILD_DATE.isoformat()]))
    codes_.append(cli(["ingest", str(inbox / "targets.csv"), "--into", "targets", "--package", str(package),
                       "--date", BUILD_DATE.isoformat()]))
    codes_.append(cli(["ingest", str(inbox / "later.csv"), "--into", "observations", "--package", str(package),
                       "--date", BUILD_DATE.isoformat()]))
    return codes_


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    """The package copy after the maintainer's steps, built with its site."""
    import shutil

    root = tmp_path_factory.mktemp("living")
    shutil.copytree(paths.DATASETS, root / "datasets")
    package = root / "datasets" / "datapackage.json"
    inbox = root / "inbox"
    inbox.mkdir()
    for file, (*_, text) in DOCS.items():
        (inbox / file).write_text(text, encoding="utf-8")
    sheet(inbox / "figures.csv", OBSERVATIONS)
    sheet(inbox / "targets.csv", TARGETS)
    sheet(inbox / "later.csv", LATER)
    first = add_everything(package, inbox)
    after_first = package_digest(package)
    again = add_everything(package, inbox)
    after_again = package_digest(package)
    out = root / "build"
    proc = subprocess.run([sys.executable, "-m", "pipeline", "build", str(package), "--out", str(out), "--date",
                           BUILD_DATE.isoformat(), "--demo"], capture_output=True, text=True, cwd=paths.ROOT,
                          check=False)  # --demo: the production build refuses fictional data
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    cur = con.execute("select * from indicator_status")
    names = [d[0] for d in cur.description]
    status = {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
    con.close()
    return {"package": package, "inbox": inbox, "first": first, "again": again, "after_first": after_first,
            "after_again": after_again, "status": status, "out": out}


def target(record, target_id: str) -> dict:
    return record["status"][target_id]


def test_the_plans_table_1_is_unchanged(record):
    rows = [r for r in record["status"].values() if r["plan_id"] == "fyp12"]
    assert sorted(r["status"] for r in rows) == ["met"] * 7 + ["missed"]


def test_a_level_target_met(record):
    # successor plan: 较大事故起数 at most 3 in 2023; the 2023 bulletin: 2 (a count, exact) -> met
    t = target(record, "test14-major-accidents:target:2023:test-plan-14")
    assert (t["target"], t["actual"], t["actual_source_id"], t["status"]) == (3.0, 2.0, "test-bulletin-2023", "met")


def test_a_reduction_missed_only_because_a_revision_replaced_the_preliminary_figure(record):
    # 表2: −10% from the assumed 2015 base 234 (表1): 234 × 0.9 = 210.6, exact (a count).
    # The bulletin's preliminary 205 would meet it; the later yearbook's 212 misses it.
    t = target(record, "fyp13-deaths:cumulative_reduction_target:2020")
    assert t["baseline"] == 234.0 and t["baseline_method"] == "assumption_link"
    assert t["target"] == pytest.approx(210.6) and t["target_low"] == t["target_high"]
    assert 205 <= t["target"] < 212
    assert (t["actual"], t["actual_source_id"], t["sources_disagree"], t["status"]) == (
        212.0, "test-yearbook-2021", True, "missed")


def test_a_rate_whose_written_precision_cannot_decide(record):
    # 表2: −19% from the assumed base 0.6 (0.55 to 0.65): target 0.4455 to 0.5265.
    # 2020: 0.5 stands for 0.45 to 0.55, which overlaps it -> indeterminate.
    t = target(record, "fyp13-death-rate-imt-workers:cumulative_reduction_target:2020")
    assert (t["target_low"], t["target_high"]) == (pytest.approx(0.55 * 0.81), pytest.approx(0.65 * 0.81))
    assert (t["actual_low"], t["actual_high"]) == (pytest.approx(0.45), pytest.approx(0.55))
    assert t["status"] == "indeterminate" and t["status_zh"] == "无法判断"


def test_a_target_without_any_baseline_has_no_data(record):
    # 道路交通万车死亡率: a 2020 figure (1.9) but no 2015 figure anywhere -> no level, no judgment
    t = target(record, "fyp13-road-death-rate-vehicles:cumulative_reduction_target:2020")
    assert (t["baseline"], t["target"], t["actual"], t["status"]) == (None, None, 1.9, "no_data")


def test_a_baseline_from_a_bulletin_not_from_the_assumption_link(record):
    # The 2016 bulletin gives the 2015 rate itself, 0.061 (0.0605 to 0.0615): it replaces the
    # assumption (表1's 0.06).  −40%: 0.0363 to 0.0369; 2020: 0.030 (0.0295 to 0.0305) -> met.
    t = target(record, "fyp13-death-rate-gdp:cumulative_reduction_target:2020")
    assert (t["baseline"], t["baseline_method"], t["baseline_source_id"]) == (0.061, "series", "test-bulletin-2016")
    assert (t["target_low"], t["target_high"]) == (pytest.approx(0.0363), pytest.approx(0.0369))
    assert (t["actual_low"], t["actual_high"]) == (pytest.approx(0.0295), pytest.approx(0.0305))
    assert t["status"] == "met"
    assert "假定" not in (t["summary_zh"] or "")


def test_the_successor_plans_indicator_page_shows_the_earlier_plans_years(record):
    site = record["out"] / "site"
    html = (site / "indicators" / "test14-deaths" / "index.html").read_text(encoding="utf-8")
    for figure in ("205", "212", "210.6", "190"):   # 2020 from both sources, 表2's target, its own target
        assert figure in html, figure
    assert 'href="../fyp13-deaths/"' in html        # the earlier plan's indicator of the same series
    assert "test-yearbook-2021--" in html           # a point of the chart links to its passage
    plan = (site / "plans" / "test-fyp14" / "index.html").read_text(encoding="utf-8")
    assert "1项达成" in plan
    nav = (site / "index.html").read_text(encoding="utf-8")
    assert "“示例（虚构）十四五”" in nav            # the new plan is in the navigation by itself


def test_running_source_add_and_ingest_again_changes_nothing(record):
    assert record["first"][:len(DOCS)] == [0] * len(DOCS)
    assert record["after_again"] == record["after_first"]
    assert record["again"][:len(DOCS)] == [0] * len(DOCS)


def test_a_quote_not_in_its_source_and_a_value_not_in_its_quote_are_quarantined(record):
    reports = sorted(record["inbox"].glob("figures*quarantine*.csv")) or sorted(record["inbox"].glob("*隔离*.csv"))
    assert reports, sorted(p.name for p in record["inbox"].iterdir())
    data = reports[0].read_bytes().removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    rows = {int(r["输入行号/input_row"]): r for r in csv.DictReader(io.StringIO(data))}
    assert rows[9]["错误代码/code"] == "quote-not-in-source" and rows[9]["原因/reason"]
    assert rows[10]["错误代码/code"] == "figure-not-in-quote" and rows[10]["原因/reason"]
    assert set(rows) == {9, 10}


# --------------------------------------------------------------------------
# validate: sources, plans and their references
# --------------------------------------------------------------------------

def _edit(package: Path, resource: str, edit) -> None:
    path = package.parent / "data" / f"{resource}.csv"
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    rows = edit(rows)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _with(rows, key_value, key="observation_id", **changes):
    return [{**r, **changes} if r[key] == key_value else r for r in rows]


def _first(rows, **changes):
    rows[0] = {**rows[0], **changes}
    return rows


@pytest.mark.parametrize("resource, edit, expected", [
    ("passages", lambda rows: _first(rows, source_id="no-such-source"), ("foreign-key", "passages", "source_id")),
    ("observations", lambda rows: _first(rows, source_id="no-such-source"), ("foreign-key", "observations", "source_id")),
    ("indicators", lambda rows: _first(rows, plan="没有这个规划"), ("foreign-key", "indicators", "plan")),
    ("plans", lambda rows: rows + [{**rows[0], "name_zh": "另一个", "page": "other"}], ("primary-key", "plans", "plan_id")),
    # a plan page is a URL of the site: never one of its own pages, never another plan's
    ("plans", lambda rows: _first(rows, page="downloads"), ("plan-page-reserved", "plans", "page")),
    ("plans", lambda rows: rows + [{**rows[0], "plan_id": "other", "name_zh": "另一个"}],
     ("plan-page-reserved", "plans", "page")),
    ("plans", lambda rows: _first(rows, page="../index"), ("pattern", "plans", "page")),
    # ids that would take the place of a page or a chart of the site (issue 14 review)
    ("indicators", lambda rows: _first(rows, indicator_id="index"), ("reserved-id", "indicators", "indicator_id")),
    ("indicators", lambda rows: _first(rows, indicator_id="results-12th-gap"),
     ("reserved-id", "indicators", "indicator_id")),
    # a name that looks like another: invisible characters are refused in every text field
    ("plans", lambda rows: _first(rows, name_zh="十\u200b二五"), ("control-character", "plans", "name_zh")),
    # what judging takes for granted
    ("observations", lambda rows: _with(rows, "fyp13-deaths:cumulative_reduction_target:2020", value="100",
                                        value_as_written="100%", quote="100%"),
     ("target-out-of-range", "observations", "value")),
    ("observations", lambda rows: _with(rows, "fyp12-deaths-all:target:2015", period_start="2016"),
     ("period-order", "observations", "period_end")),
    ("observations", lambda rows: _with(rows, "fyp13-deaths:cumulative_reduction_target:2020", base_year="2020"),
     ("period-order", "observations", "base_year")),
    ("observations", lambda rows: _with(rows, "fyp12-deaths-all:actual:2015", period_start="2030", period_end="2030"),
     ("future-date", "observations", "period_end")),
    ("indicators", lambda rows: _with(rows, "fyp13-deaths", series_id="fyp12-road-deaths", unit="起", key="indicator_id"),
     ("series-mismatch", "indicators", "series_id")),
])
def test_validate_rejects_a_missing_source_or_plan_and_a_duplicate_plan_id(package_copy, resource, edit, expected):
    _edit(package_copy, resource, edit)
    found = [(c, r, f) for c, r, _, f in codes(validate(package_copy))]
    assert expected in found, found

