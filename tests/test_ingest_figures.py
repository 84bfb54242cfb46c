"""python -m pipeline ingest --into observations | targets: figures quoted from a source.

Every test works on a copy of datasets/ (`package_copy`) in which a short, obviously
fictional bulletin is registered the way `python -m pipeline source add` registers a
document: its text under source/, a sources.csv row with its sha256, and its passages from
pipeline.source.passage_rows with the prefix "<id>--".  The date rules run at BUILD_DATE.
"""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.ingest import ingest, summary
from pipeline.ingest.citations import (
    Passages,
    find_figure,
    find_quote,
    parse_value,
    parse_years,
    table_column,
)
from pipeline.ingest.figures import input_aliases
from pipeline.ingest.headers import locate
from pipeline.ingest.normalize import format_decimal
from pipeline.ingest.read import Sheet
from pipeline.source import passage_rows
from pipeline.validate.citations import figure_of
from tests.conftest import BUILD_DATE, validate

DEMO = "demo-bulletin-2021"
DEMO_TITLE = "示例（虚构）城市安全生产统计公报"
PLAN = "nanchang-safety-13th-fyp"
# Laid out as retrieved texts are (one block a line, blank lines between); the second
# paragraph keeps full-width digits and two spaces, the third a full-width comma and two
# spaces, the fourth repeats the third's last words, and 表3 is a table with years.
DEMO_TEXT = """示例（虚构）城市安全生产统计公报

一、总体情况

二〇二一年，示例（虚构）城市发生生产安全事故一千二百零四起，死亡二人。

全市各类事故死亡人数为２３４人，  比上年下降百分之十。

全市亿元生产总值生产安全事故死亡率为0.05，  安全形势总体稳定。

全年共检查单位1.2万家次，罚没款41.1万元，安全形势总体稳定。

二、主要指标

表3：示例（虚构）主要指标

序号

指标名称

2020年实际数

2021年实际数

1

较大事故起数

3

5

三、示例规划目标

到2025年，示例（虚构）生产安全事故死亡人数比2020年累计下降15%，2020年为198人。

示例（虚构）亿元生产总值死亡率控制在0.04以下。

工矿商贸就业人员十万人死亡率累计下降百分之二十。
"""


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def register_demo_source(package: Path) -> None:
    """What `python -m pipeline source add` will do: text, sources.csv row, passages."""
    base = package.parent
    text = base / "source" / f"{DEMO}.txt"
    text.write_text(DEMO_TEXT, encoding="utf-8")
    with open(base / "data" / "sources.csv", newline="", encoding="utf-8") as f:
        names = next(csv.reader(f))
    row = dict.fromkeys(names, "") | {
        "source_id": DEMO, "title": DEMO_TITLE, "kind": "statistical_bulletin", "path": f"source/{DEMO}.txt",
        "sha256": hashlib.sha256(text.read_bytes()).hexdigest(), "passage_id_prefix": f"{DEMO}--",
        "note_zh": "测试用的虚构文件。", "note_en": "A fictional document for tests."}
    with open(base / "data" / "sources.csv", "a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, fieldnames=names, lineterminator="\n").writerow(row)
    with open(base / "data" / "passages.csv", newline="", encoding="utf-8") as f:
        names = next(csv.reader(f))
    with open(base / "data" / "passages.csv", "a", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=names, lineterminator="\n")
        w.writerows(passage_rows(text, title=DEMO_TITLE, prefix=f"{DEMO}--", source_id=DEMO))


@pytest.fixture
def package(package_copy) -> Path:
    register_demo_source(package_copy)
    return package_copy


def write_sheet(tmp: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    (tmp / "inbox").mkdir(exist_ok=True)
    path = tmp / "inbox" / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def data_lines(package: Path, resource: str) -> list[str]:
    return (package.parent / "data" / f"{resource}.csv").read_text(encoding="utf-8").splitlines()


def rows_of(package: Path, resource: str) -> list[dict]:
    with open(package.parent / "data" / f"{resource}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file()}


def codes(out) -> dict[int, list[str]]:
    return {row: [f.code for f in fs] for row, fs in out.rejected.items()}


def quarantine_rows(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))


def line_of(package: Path, resource: str, key: str) -> int:
    """The line of the row whose first cell is `key` (the header is line 1)."""
    return next(i for i, line in enumerate(data_lines(package, resource), start=1) if line.startswith(key + ","))


# The validator's figure_of does not read every form a source writes: then ingest
# quarantines the row (figure-form-unsupported) rather than write what the package rejects.
READS_FULL_WIDTH = figure_of("２３４") == 234


def reads(written: str, value: float) -> bool:
    try:
        return figure_of(written) == value
    except (ValueError, KeyError):
        return False


# ---------------------------------------------------------------------------
# Figures and quotes (citations.py)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("quote, value, unit, written", [
    ("全市各类事故死亡人数为２３４人", "234", "人", "２３４"),
    ("发生生产安全事故一千二百零四起", "1204", "起", "一千二百零四"),
    ("死亡二人", "2", "人", "二"),
    ("二〇二〇年", "2020", "年", "二〇二〇"),
    ("罚没款41.1万元", "41.1", "万元", "41.1万"),  # the unit is 万元: 万 does not multiply
    ("罚没款41.1万元", "411000", "元", "41.1万"),
    ("检查单位1.2亿家次", "120000000", "家次", "1.2亿"),
    ("比上年下降10%", "10", "%", "10%"),
    ("比上年下降１０％", "10", "%", "１０％"),
    ("比上年下降百分之十", "10", "%", "百分之十"),
    ("五年共1,598起", "1598", "起", "1,598"),
    ("死亡率为0.05，安全形势", "0.05", "人/亿元", "0.05"),
    ("死亡率为零点零五", "0.05", "人/亿元", "零点零五"),
    ("一年内死亡3人", "3", "人", "3"),  # digits before Chinese numerals
    ("2010,2015年", "2015", "年", "2015"),
])
def test_a_figure_is_found_as_the_source_writes_it(quote, value, unit, written):
    # Guards against a figure the source writes in Chinese numerals, full width or with 万
    # being reported as missing from its quote (and against value_as_written being retyped).
    figure = find_figure(quote, Decimal(value), unit)
    assert figure is not None and figure.written == written


@pytest.mark.parametrize("quote, value, unit", [
    ("死亡1234人", "234", "人"),  # part of a longer number
    ("死亡1234人", "123", "人"),
    ("“十三五”时期", "13", ""),  # a name, not a figure
    ("道路交通万车死亡率", "10000", ""),
    ("比上年下降10%", "10", "人"),  # a percentage states no count
    ("死亡10人", "10", "%"),
    ("罚没款41.1万元", "41.1", "元"),  # 41.1万 yuan is 411,000 yuan
    ("第一批", "1", "批"),  # an ordinal
    ("2010,2015年", "2010201", "年"),  # a comma before four digits is no thousands separator
])
def test_a_figure_is_not_found_inside_another_nor_in_a_name(quote, value, unit):
    # Guards against a value "found" inside a longer number, a plan name or a unit word.
    assert find_figure(quote, Decimal(value), unit) is None


def test_a_quote_is_found_after_nfkc_and_whitespace_and_stored_as_the_passage_writes_it():
    # Guards against storing the person's retyping (ASCII digits, a line break) as the quote:
    # the package's validator compares after collapsing whitespace only.
    passages = Passages([{"passage_id": "a", "text": "全市各类事故死亡人数为２３４人， 比上年下降百分之十。"},
                         {"passage_id": "b", "text": "安全形势总体稳定。"},
                         {"passage_id": "c", "text": "总体稳定，死亡二人。"}])
    m = find_quote(passages, "死亡人数为234人,\n  比上年")
    assert (m.passage["passage_id"], m.quote) == ("a", "死亡人数为２３４人， 比上年")
    assert find_quote(passages, "总体稳定").ambiguous == ["b", "c"]
    assert find_quote(passages, "总体稳定。 总体稳定，死亡").spans == ["b", "c"]
    assert find_quote(passages, "死亡三人").passage is None


@pytest.mark.parametrize("text, unit, expected", [
    ("234", "人", "234"), ("２３４", "人", "234"), ("二百三十四", "人", "234"), ("1,598", "起", "1598"),
    ("41.1万", "人", "411000"), ("41.1万", "万元", "41.1"), ("10%", "%", "10"), ("百分之十", "%", "10"),
    ("0.05", "人/亿元", "0.05"), ("很多", "人", None),
])
def test_typed_values(text, unit, expected):
    got = parse_value(text, unit)
    assert (None if got is None else format_decimal(got)) == expected


@pytest.mark.parametrize("text, expected", [
    ("2015", (2015, 2015)), ("2015年", (2015, 2015)), ("二〇一五年", (2015, 2015)), ("２０１５", (2015, 2015)),
    ("2011-2015", (2011, 2015)), ("2011—2015年", (2011, 2015)), ("2011年至2015年", (2011, 2015)),
    ("去年", None), ("15", None),
])
def test_typed_years(text, expected):
    assert parse_years(text) == expected


def test_table_column_is_the_header_of_the_one_cell_of_the_row_year():
    header = "序号 指标名称 2010年实际数 十二五期末规划数 2015年实际数"
    assert table_column("4 较大事故起数 3 5 3", header, "3", 2015) == ("2015年实际数", "")
    assert table_column("4 较大事故起数 3 5 3", header, "5", 2015) == ("十二五期末规划数", "")
    # 259 stands under 2010: a row saying it is 2015's is wrong, not a table without column.
    assert table_column("1 各类事故死亡人数 259 250 234", header, "259", 2015) == ("", "2010年实际数")
    assert table_column("1 各类事故 死亡人数 259 250 234", header, "259", 2010) == ("", "")  # cells do not line up


def test_chinese_and_english_headers_map_to_the_input_columns():
    for into, labels in {
        "observations": (["指标编号", "年度", "类型", "数值", "单位", "来源编号", "原文引文"],
                         ["indicator_id", "year", "kind", "value", "unit", "source_id", "quote"]),
        "targets": (["规划编号", "规划名称", "规划英文名称", "起始年", "终止年", "指标编号", "指标名称", "指标名称（英文）",
                     "单位", "单位（英文）", "方向", "目标类型", "目标值", "基期", "基期值", "目标年", "同一序列",
                     "来源编号", "原文引文", "基期值引文", "指标说明", "指标说明（英文）"],
                    ["plan_id", "plan_name_zh", "plan_name_en", "plan_start", "plan_end", "indicator_id", "name_zh",
                     "name_en", "unit", "unit_en", "direction", "target_kind", "value", "base_year", "base_value",
                     "target_year", "same_as", "source_id", "quote", "base_quote", "definition_zh", "definition_en"]),
    }.items():
        for row in labels:
            mapped = locate(Sheet("s", [(1, row), (2, ["x"] * len(row))]), input_aliases(into))
            assert [c.field for c in mapped.columns] == labels[1], (into, row)


# ---------------------------------------------------------------------------
# --into observations
# ---------------------------------------------------------------------------

OBS_HEADER = ["指标编号", "年份", "类型", "数值", "单位", "来源编号", "原文引文"]
OBS_ROWS = [
    # 2-4: accepted; Chinese year, Chinese numerals in value and text, English kind, a table row
    ["fyp13-accidents", "二〇二一年", "实际数", "一千二百零四", "起", DEMO, "发生生产安全事故一千二百零四起"],
    ["fyp13-deaths", "2021", "实际数", "2", "人", DEMO, "死亡二人"],
    ["fyp13-major-accidents", "2021", "actual", "5", "起", DEMO, "1 较大事故起数 3 5"],
    # 5-6: the plan's own figures, already curated: duplicates, not a second row
    ["fyp12-deaths-all", "2010", "实际数", "259", "人", PLAN, "1 各类事故死亡人数 259 250 234"],
    ["fyp12-accidents-total", "2011-2015", "实际数", "1598", "起", PLAN, "五年发生各类生产安全事故1598起"],
    # 7: the quote retyped with an ASCII comma and a line break: found, stored as written
    ["fyp13-death-rate-gdp", "2021", "目标", "0.05", "人/亿元", DEMO, "死亡率为0.05,\n安全形势"],
    # 8-19: rejected, one reason each
    ["fyp13-nope", "2021", "实际数", "2", "人", DEMO, "死亡二人"],
    ["fyp13-deaths", "2020", "实际数", "2", "起", DEMO, "死亡二人"],
    ["fyp13-deaths", "2020", "实际数", "2", "人", "no-such-source", "死亡二人"],
    ["fyp13-deaths", "2020", "实际数", "2", "人", PLAN, "死亡二人"],  # in the bulletin, not in the plan
    ["fyp13-deaths", "2020", "实际数", "2", "人", DEMO, "死亡二人。 全市各类事故"],
    ["fyp13-death-rate-gdp", "2020", "实际数", "0.05", "人/亿元", DEMO, "安全形势总体稳定"],
    ["fyp13-death-rate-gdp", "2020", "实际数", "0.06", "人/亿元", DEMO, "死亡率为0.05"],
    ["fyp12-deaths-all", "2015", "实际数", "259", "人", PLAN, "1 各类事故死亡人数 259 250 234"],
    ["fyp13-deaths", "2020", "累计降幅", "2", "人", DEMO, "死亡二人"],
    ["fyp13-deaths", "去年", "实际数", "2", "人", DEMO, "死亡二人"],
    ["fyp13-deaths", "2019", "实际数", "41.1", "人", DEMO, "罚没款41.1万元"],  # 41.1万 of 人 is 411000
    ["fyp13-deaths", "2021", "实际数", "1204", "人", DEMO, "一千二百零四起"],  # row 3's ID, another figure
    # 20: blank (not a row); 21: row 2 again
    [""] * 7,
    ["fyp13-accidents", "二〇二一年", "实际数", "一千二百零四", "起", DEMO, "发生生产安全事故一千二百零四起"],
    # 22-23: one year of a five-year total, a period of an annual indicator
    ["fyp12-accidents-total", "2015", "实际数", "1598", "起", PLAN, "五年发生各类生产安全事故1598起"],
    ["fyp13-deaths", "2016-2020", "实际数", "2", "人", DEMO, "死亡二人"],
]
OBS_REJECTED = {8: ["indicator-unknown"], 9: ["unit-mismatch"], 10: ["source-unknown"], 11: ["quote-not-in-source"],
                12: ["quote-not-in-source"], 13: ["quote-ambiguous"], 14: ["figure-not-in-quote"],
                15: ["table-column-mismatch"], 16: ["choice-invalid"], 17: ["year-invalid"],
                18: ["figure-not-in-quote"], 19: ["key-conflict", "key-conflict"],  # 19: value and quote
                22: ["year-invalid"], 23: ["year-invalid"]}
OBS_WRITTEN = f"""\
fyp13-accidents:actual:2021:{DEMO},fyp13-accidents,actual,2021,2021,,1204,一千二百零四,起,{DEMO},{DEMO}--c1-p1,,发生生产安全事故一千二百零四起,,,,
fyp13-deaths:actual:2021:{DEMO},fyp13-deaths,actual,2021,2021,,2,二,人,{DEMO},{DEMO}--c1-p1,,死亡二人,,,,
fyp13-major-accidents:actual:2021:{DEMO},fyp13-major-accidents,actual,2021,2021,,5,5,起,{DEMO},{DEMO}--t3-r1,2021年实际数,1 较大事故起数 3 5,,,,
fyp13-death-rate-gdp:target:2021:{DEMO},fyp13-death-rate-gdp,target,2021,2021,,0.05,0.05,人/亿元,{DEMO},{DEMO}--c1-p3,,死亡率为0.05， 安全形势,,,,
"""


def test_observations_are_cited_written_and_the_rest_quarantined(package, tmp_path):
    sheet = write_sheet(tmp_path, "bulletin-figures.csv", OBS_HEADER, OBS_ROWS)
    before = data_lines(package, "observations")
    out = ingest(sheet, "observations", package, on_date=BUILD_DATE)
    assert out.error is None
    assert out.accepted == [2, 3, 4, 7]
    assert codes(out) == OBS_REJECTED
    deaths = line_of(package, "observations", "fyp12-deaths-all:actual:2010")
    accidents = line_of(package, "observations", "fyp12-accidents-total:actual:2011-2015")
    assert out.duplicates == [(5, f"observations.csv 第{deaths}行 / observations.csv row {deaths}"),
                              (6, f"observations.csv 第{accidents}行 / observations.csv row {accidents}"),
                              (21, "本文件第2行 / row 2 of this file")]
    assert out.rows_read == 21 and out.blank_rows == 1
    assert out.exit_code == 1
    # Only observations.csv changes, by exactly these rows at its end.
    assert data_lines(package, "observations") == before + OBS_WRITTEN.splitlines()
    assert validate(package).ok
    # The quarantine names the cell and the reason, in both languages, for every rejected row.
    lines = quarantine_rows(out.quarantine)
    assert [(int(r["输入行号/input_row"]), r["错误代码/code"]) for r in lines] == [
        (row, code) for row, cs in OBS_REJECTED.items() for code in cs]
    for r in lines:
        zh, _, en = r["原因/reason"].partition(" / ")
        assert zh and en
    by_row = {int(r["输入行号/input_row"]): r for r in lines}
    assert by_row[11]["列/column"] == "G列「原文引文」"
    assert by_row[13]["原因/reason"].startswith(
        f"引文在来源的多个段落中都出现（{DEMO}--c1-p3、{DEMO}--c1-p4）")
    assert "2010年实际数" in by_row[15]["原因/reason"]
    # 41.1万 multiplies (the unit 人 does not start with 万): the validator and ingest read it alike
    assert by_row[18]["错误代码/code"] == "figure-not-in-quote"
    assert "本文件第3行" in by_row[19]["原因/reason"]


def test_an_xlsx_sheet_with_a_title_row_and_number_cells(package, tmp_path):
    # Guards against Excel's number cells (a year 2021, a rate 0.05) reading otherwise than
    # the same text in a CSV, and against a title row above the header.
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["示例（虚构）统计公报摘录"])
    ws.append(OBS_HEADER)
    ws.append(["fyp13-death-rate-gdp", 2021, "实际数", 0.05, "人/亿元", DEMO, "死亡率为0.05，  安全形势"])
    path = tmp_path / "bulletin.xlsx"
    wb.save(path)
    out = ingest(path, "observations", package, on_date=BUILD_DATE)
    assert out.error is None and out.accepted == [3]
    row = rows_of(package, "observations")[-1]
    assert (row["observation_id"], row["value"], row["quote"]) == (
        f"fyp13-death-rate-gdp:actual:2021:{DEMO}", "0.05", "死亡率为0.05， 安全形势")
    assert validate(package).ok


def test_full_width_digits_in_the_source(package, tmp_path):
    # The source writes ２３４; the person types 234.  The figure is found and recorded as
    # written; whether the row can go in is the package's validator's call (figure_of), and
    # ingest never writes a row that validator would reject.
    sheet = write_sheet(tmp_path, "full-width.csv", OBS_HEADER,
                        [["fyp13-deaths", "2020", "实际数", "234", "人", DEMO, "全市各类事故死亡人数为234人"]])
    out = ingest(sheet, "observations", package, on_date=BUILD_DATE)
    if READS_FULL_WIDTH:
        assert out.accepted == [2]
        assert rows_of(package, "observations")[-1]["value_as_written"] == "２３４"
    else:
        assert codes(out) == {2: ["figure-form-unsupported"]}
        assert out.rejected[2][0].value == "２３４"
    assert validate(package).ok


def test_the_same_file_twice_changes_nothing_and_a_dry_run_writes_nothing(package, tmp_path):
    # Guards against a second run appending the same figures again, and a dry run writing.
    sheet = write_sheet(tmp_path, "bulletin-figures.csv", OBS_HEADER, OBS_ROWS)
    before = tree(package.parent)
    dry = ingest(sheet, "observations", package, on_date=BUILD_DATE, dry_run=True)
    assert tree(package.parent) == before and not dry.quarantine.exists()
    assert dry.accepted == [2, 3, 4, 7]
    assert "would append 4 rows to" in summary(dry, package)
    first = ingest(sheet, "observations", package, on_date=BUILD_DATE)
    once = tree(package.parent)
    again = ingest(sheet, "observations", package, on_date=BUILD_DATE)
    assert tree(package.parent) == once
    assert again.accepted == [] and [r for r, _ in again.duplicates] == [2, 3, 4, 5, 6, 7, 21]
    assert codes(again) == codes(first) == OBS_REJECTED
    # Row 19's conflict is now with the row 3 wrote into the dataset, and says so.
    assert "本文件第3行" in first.rejected[19][0].message_zh
    assert f"observations.csv 第{len(data_lines(package, 'observations')) - 2}行" in again.rejected[19][0].message_zh


# ---------------------------------------------------------------------------
# --into targets
# ---------------------------------------------------------------------------

TARGET_HEADER = ["plan_id", "plan_name_zh", "plan_name_en", "plan_start", "plan_end", "indicator_id", "name_zh",
                 "name_en", "unit", "unit_en", "direction", "target_kind", "value", "base_year", "base_value",
                 "target_year", "same_as", "source_id", "quote"]
P14 = ["demo-fyp14", "示例（虚构）十四五", "Fictional 14th five-year plan (2021-2025)", "2021", "2025"]
P15 = ["demo_fyp15", "示例（虚构）十五五", "Fictional 15th five-year plan (2026-2030)", "2026", "2030"]
TARGET_ROWS = [
    # 2: a new plan, a new indicator in fyp13-deaths's series, a reduction and its base value
    P14 + ["demo-fyp14-deaths", "示例（虚构）生产安全事故死亡人数", "Work-safety accident deaths (fictional)", "人",
           "persons", "越低越好", "累计降幅", "15", "2020", "198", "2025", "fyp13-deaths", DEMO,
           "到2025年，示例（虚构）生产安全事故死亡人数比2020年累计下降15%，2020年为198人。"],
    # 3: the same plan again; a level target without a target year; a series of its own
    P14 + ["demo-fyp14-death-rate-gdp", "示例（虚构）亿元生产总值死亡率", "Deaths per 100 million yuan of GDP (fictional)",
           "人/亿元", "deaths per 100 million yuan GDP", "lower_is_better", "水平", "0.04", "", "", "", "", DEMO,
           "亿元生产总值死亡率控制在0.04以下"],
    # 4: a new indicator without its English name and unit
    P14 + ["demo-fyp14-imt", "示例（虚构）工矿商贸死亡率", "", "人/10万人", "", "越低越好", "累计降幅", "20", "", "", "",
           "", DEMO, "十万人死亡率累计下降百分之二十"],
    # 5: fyp13 under another name
    ["fyp13", "示例（虚构）十三五", "", "", "", "fyp13-deaths", "", "", "", "", "", "累计降幅", "10", "", "", "", "",
     PLAN, "2 生产安全事故死亡人数 10%"],
    # 6: table 2's own target, already curated: a duplicate
    ["fyp13", "", "", "", "", "fyp13-deaths", "", "", "", "", "", "累计降幅", "10", "", "", "", "", PLAN,
     "2 生产安全事故死亡人数 10%"],
    # 7: same_as an indicator that does not exist
    P14 + ["demo-fyp14-x", "示例（虚构）死亡人数", "Deaths (fictional)", "人", "persons", "越低越好", "水平", "198", "",
           "", "", "fyp99-deaths", DEMO, "2020年为198人"],
    # 8: the unit of an existing indicator, said otherwise
    ["fyp13", "", "", "", "", "fyp13-deaths", "", "", "起", "", "", "累计降幅", "10", "", "", "", "", PLAN,
     "2 生产安全事故死亡人数 10%"],
    # 9: a new plan without its first year
    ["demo-fyp16", "示例（虚构）十六五", "Fictional 16th plan", "", "2035", "demo-fyp16-deaths", "示例（虚构）死亡人数",
     "Deaths (fictional)", "人", "persons", "越低越好", "水平", "198", "", "", "", "", DEMO, "2020年为198人"],
    # 10: a reduction whose quote states no percentage
    P14 + ["demo-fyp14-y", "示例（虚构）死亡率", "Death rate (fictional)", "人/亿元", "deaths per 100 million yuan GDP",
           "越低越好", "累计降幅", "4", "", "", "", "", DEMO, "亿元生产总值死亡率控制在0.04以下"],
    # 11: a kind of target that does not exist
    P14 + ["demo-fyp14-z", "示例（虚构）死亡人数", "Deaths (fictional)", "人", "persons", "越低越好", "翻番", "198", "", "",
           "", "", DEMO, "2020年为198人"],
    # 12-13: two rows needing one new plan whose ID the package refuses (an underscore)
    P15 + ["demo-fyp15-a", "示例（虚构）死亡率", "Death rate (fictional)", "人/亿元", "deaths per 100 million yuan GDP",
           "越低越好", "水平", "0.04", "", "", "", "", DEMO, "亿元生产总值死亡率控制在0.04以下"],
    P15 + ["demo-fyp15-b", "示例（虚构）死亡人数", "Deaths (fictional)", "人", "persons", "越低越好", "累计降幅", "15",
           "2020", "", "2025", "", DEMO, "到2025年，示例（虚构）生产安全事故死亡人数比2020年累计下降15%"],
    # 14: row 6 with the percentage's unit in the unit column: the same target
    ["fyp13", "", "", "", "", "fyp13-deaths", "", "", "%", "", "", "累计降幅", "10", "", "", "", "", PLAN,
     "2 生产安全事故死亡人数 10%"],
]
TARGET_REJECTED = {4: ["translation-missing", "translation-missing"], 5: ["key-conflict"], 7: ["same-as-unknown"],
                   8: ["unit-mismatch"], 9: ["required"], 10: ["figure-not-in-quote"], 11: ["choice-invalid"],
                   12: ["pattern"], 13: ["pattern", "period-order"]}  # 13: a 2025 target of a 2026-2030 plan
DEFINED = f"引自《{DEMO_TITLE}》的指标，原文没有给出定义。,An indicator quoted from 《{DEMO_TITLE}》; the text gives no definition."
PLAN_WRITTEN = (f"demo-fyp14,示例（虚构）十四五,Fictional 14th five-year plan (2021-2025),2021,2025,2020,"
                f"引自《{DEMO_TITLE}》：引文写明2020年。The quote states 2020.,false,{DEMO},,,")
INDICATORS_WRITTEN = f"""\
demo-fyp14-deaths,示例（虚构）十四五,,,示例（虚构）生产安全事故死亡人数,Work-safety accident deaths (fictional),人,persons,lower_is_better,annual,fyp13-deaths,{DEMO}--c3-p1,{DEFINED}
demo-fyp14-death-rate-gdp,示例（虚构）十四五,,,示例（虚构）亿元生产总值死亡率,Deaths per 100 million yuan of GDP (fictional),人/亿元,deaths per 100 million yuan GDP,lower_is_better,annual,demo-fyp14-death-rate-gdp,{DEMO}--c3-p2,{DEFINED}
"""
QUOTE_C3_P1 = "到2025年，示例（虚构）生产安全事故死亡人数比2020年累计下降15%，2020年为198人。"
OBSERVATIONS_WRITTEN = f"""\
demo-fyp14-deaths:cumulative_reduction_target:2025:{DEMO},demo-fyp14-deaths,cumulative_reduction_target,2021,2025,2020,15,15%,%,{DEMO},{DEMO}--c3-p1,,{QUOTE_C3_P1},,,,
demo-fyp14-deaths:baseline:2020:{DEMO},demo-fyp14-deaths,baseline,2020,2020,,198,198,人,{DEMO},{DEMO}--c3-p1,,{QUOTE_C3_P1},,,,
demo-fyp14-death-rate-gdp:target:2025:{DEMO},demo-fyp14-death-rate-gdp,target,2025,2025,,0.04,0.04,人/亿元,{DEMO},{DEMO}--c3-p2,,亿元生产总值死亡率控制在0.04以下,,,引文中没有写目标年：2025年为规划期的最后一年（推定）。,The quote does not state the target year: 2025 is the plan's last year (assumed).
"""


def test_targets_register_the_plan_the_indicators_their_series_and_the_figures(package, tmp_path):
    sheet = write_sheet(tmp_path, "plan-targets.csv", TARGET_HEADER, TARGET_ROWS)
    before = {name: data_lines(package, name) for name in ("plans", "indicators", "observations")}
    out = ingest(sheet, "targets", package, on_date=BUILD_DATE)
    assert out.error is None
    assert out.accepted == [2, 3]
    assert codes(out) == TARGET_REJECTED
    target = line_of(package, "observations", "fyp13-deaths:cumulative_reduction_target:2020")
    assert out.duplicates == [(6, f"observations.csv 第{target}行 / observations.csv row {target}"),
                              (14, f"observations.csv 第{target}行 / observations.csv row {target}")]
    # Exactly these rows, appended; nothing existing changed.
    assert data_lines(package, "plans") == before["plans"] + [PLAN_WRITTEN]
    assert data_lines(package, "indicators") == before["indicators"] + INDICATORS_WRITTEN.splitlines()
    assert data_lines(package, "observations") == before["observations"] + OBSERVATIONS_WRITTEN.splitlines()
    assert validate(package).ok
    reasons = {(f.row, f.field): f.message_zh for fs in out.rejected.values() for f in fs}
    assert "规划编号“fyp13”" in reasons[5, "plan_name_zh"] and "“十三五”" in reasons[5, "plan_name_zh"]
    assert "“规划起始年”为空（新的规划须填写）" in reasons[9, "plan_start"]
    # The plan refused by the package takes both rows that need it, each told why.
    assert reasons[12, "plan_id"] == reasons[13, "plan_id"]
    assert reasons[12, "plan_id"].startswith("plans.plan_id：")


def test_targets_twice_change_nothing(package, tmp_path):
    # Guards against a second run adding the plan, indicator or targets again.
    sheet = write_sheet(tmp_path, "plan-targets.csv", TARGET_HEADER, TARGET_ROWS)
    ingest(sheet, "targets", package, on_date=BUILD_DATE)
    once = tree(package.parent)
    again = ingest(sheet, "targets", package, on_date=BUILD_DATE)
    assert tree(package.parent) == once
    assert again.accepted == [] and [r for r, _ in again.duplicates] == [2, 3, 6, 14]
    assert codes(again) == TARGET_REJECTED


def test_a_target_that_contradicts_what_the_package_holds_is_a_conflict(package, tmp_path):
    # Guards against ingest quietly "updating" an existing indicator or target.
    sheet = write_sheet(tmp_path, "conflict.csv", TARGET_HEADER, [
        TARGET_ROWS[0],
        P14 + ["demo-fyp14-deaths", "示例（虚构）另一个名称", "", "", "", "", "累计降幅", "15", "2020", "198", "2025", "",
               DEMO, QUOTE_C3_P1],
        ["fyp12", "", "", "", "", "fyp13-deaths", "", "", "", "", "", "累计降幅", "10", "", "", "", "", PLAN,
         "2 生产安全事故死亡人数 10%"],
    ])
    out = ingest(sheet, "targets", package, on_date=BUILD_DATE)
    assert out.accepted == [2]
    assert codes(out) == {3: ["key-conflict"], 4: ["key-conflict"]}
    assert "本文件第2行" in out.rejected[3][0].message_zh  # name_zh differs from row 2's new indicator
    assert "属于规划“十三五”" in out.rejected[4][0].message_zh


def test_a_percentage_written_in_words(package, tmp_path):
    # 百分之二十 is a percentage the source writes; ingest finds it, and writes the row only
    # if the package's validator reads it (its figure_of used to raise on it).
    sheet = write_sheet(tmp_path, "words.csv", TARGET_HEADER, [
        P14 + ["demo-fyp14-imt", "示例（虚构）工矿商贸死亡率", "Deaths per 100,000 workers (fictional)", "人/10万人",
               "deaths per 100,000 workers", "越低越好", "累计降幅", "百分之二十", "", "", "", "", DEMO,
               "十万人死亡率累计下降百分之二十"]])
    before = tree(package.parent)
    out = ingest(sheet, "targets", package, on_date=BUILD_DATE)
    if reads("百分之二十", 20):
        assert out.accepted == [2]
    else:
        assert codes(out) == {2: ["figure-form-unsupported"]}
        assert out.rejected[2][0].value == "百分之二十"
        assert tree(package.parent) == before  # no plan, no indicator without its target
    assert validate(package).ok


def test_cli_ingest_then_validate(package, tmp_path):
    # The commands as a person runs them: a dry run, the real run, then validation.
    sheet = write_sheet(tmp_path, "plan-targets.csv", TARGET_HEADER, TARGET_ROWS[:2])
    run = [sys.executable, "-m", "pipeline", "ingest", str(sheet), "--into", "targets", "--package", str(package.parent),
           "--date", BUILD_DATE.isoformat()]
    dry = subprocess.run(run + ["--dry-run"], check=False, capture_output=True, text=True, cwd=paths.ROOT)
    assert dry.returncode == 0, dry.stderr
    assert "plans.csv" in dry.stdout and "indicators.csv" in dry.stdout and "would append 1 rows" in dry.stdout
    real = subprocess.run(run, check=False, capture_output=True, text=True, cwd=paths.ROOT)
    assert real.returncode == 0, real.stderr
    assert "(+1 行 rows)" in real.stdout and "(+2 行 rows)" in real.stdout and "(+3 行 rows)" in real.stdout
    check = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(package.parent), "--no-report"],
                           check=False, capture_output=True, text=True, cwd=paths.ROOT)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_write_failing_half_way_leaves_a_valid_package_that_the_same_command_completes(package, tmp_path,
                                                                                          monkeypatch):
    # Three files cannot be replaced in one step: they are written plans, indicators,
    # observations, so whatever is written refers only to what is already there.
    import errno

    from pipeline.ingest import run as run_module

    sheet = write_sheet(tmp_path, "plan-targets.csv", TARGET_HEADER, TARGET_ROWS[:2])
    before = {name: data_lines(package, name) for name in ("plans", "indicators", "observations")}
    real_write = run_module.atomic_write

    def disk_full_at_indicators(path, data, kept):
        if Path(path).name == "indicators.csv":
            raise run_module.WriteError(Path(path), OSError(errno.ENOSPC, "No space left on device"), kept)
        real_write(path, data, kept)

    monkeypatch.setattr(run_module, "atomic_write", disk_full_at_indicators)
    out = ingest(sheet, "targets", package, on_date=BUILD_DATE)
    assert out.exit_code == 2 and "磁盘已满" in out.error.zh and "plans.csv" in out.error.zh
    said = summary(out, package)
    assert "plans.csv (+1 行 rows)" in said and "indicators.csv (+" not in said
    assert data_lines(package, "plans") == before["plans"] + [PLAN_WRITTEN]
    assert data_lines(package, "indicators") == before["indicators"]
    assert data_lines(package, "observations") == before["observations"]
    assert validate(package).ok
    monkeypatch.setattr(run_module, "atomic_write", real_write)
    again = ingest(sheet, "targets", package, on_date=BUILD_DATE)
    assert again.error is None and again.accepted == [2, 3]
    assert data_lines(package, "plans") == before["plans"] + [PLAN_WRITTEN]
    assert data_lines(package, "indicators") == before["indicators"] + INDICATORS_WRITTEN.splitlines()
    assert data_lines(package, "observations") == before["observations"] + OBSERVATIONS_WRITTEN.splitlines()
    assert validate(package).ok
