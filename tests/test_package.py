"""The Data Package: valid, and every figure traceable to the words of the plan.

These tests read the CSVs and the source text directly, independently of the
validator, and then prove the validator catches a changed value or quote.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.source import collapse_ws, package_passage_rows
from pipeline.validate.citations import figure_of
from tests.conftest import codes, validate

DATA = paths.DATASETS / "data"
SOURCE = paths.SOURCE_TEXT.read_text(encoding="utf-8")
CITED = ("observations", "campaign_results", "commitments")


def rows(name: str) -> list[dict]:
    with open(DATA / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def descriptor() -> dict:
    return json.loads(paths.PACKAGE.read_text(encoding="utf-8"))


def test_frictionless_cli_validates_the_package():
    exe = Path(sys.executable).parent / "frictionless"
    result = subprocess.run([str(exe), "validate", str(paths.PACKAGE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INVALID" not in result.stdout


def test_validate_command_takes_the_package_folder():
    # `python -m pipeline validate datasets` used to end in an IsADirectoryError traceback.
    result = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(paths.DATASETS), "--no-report"],
                            capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "数据包有效 / package valid" in result.stdout


def test_pipeline_validate_finds_nothing_wrong():
    report = validate(paths.PACKAGE)
    assert codes(report) == []


@pytest.mark.parametrize("table", CITED)
def test_every_quote_is_verbatim_in_the_source(table):
    # Guards against a paraphrase or a typo in a quote: only whitespace may differ.
    source = collapse_ws(SOURCE)
    for r in rows(table):
        assert collapse_ws(r["quote"]) in source, r
        if r.get("corroborating_quote"):
            assert collapse_ws(r["corroborating_quote"]) in source, r


@pytest.mark.parametrize("table", CITED)
def test_every_cited_number_is_in_its_quote(table):
    for r in rows(table):
        written = r["value_as_written"]
        if written:
            assert re.search(rf"(?<![0-9.]){re.escape(written)}(?![0-9])", r["quote"]), r
            assert figure_of(written, r.get("unit")) == pytest.approx(float(r["value"])), r
        if re.search(r"[0-9]", written):
            # the number itself, written the plan's way (41.1, 0.71, 1598), is in the quote
            assert f"{abs(float(r['value'])):g}" in r["quote"], r


def test_table_values_sit_in_their_column():
    # Read table 1 straight off the source lines (one cell per line) and compare every value.
    lines = [line.strip() for line in SOURCE.splitlines() if line.strip()]
    start = lines.index("序号")
    header = lines[start : start + 5]
    body = lines[start + 5 : start + 5 + 8 * 5]
    table1 = {int(body[i]): dict(zip(header, body[i : i + 5])) for i in range(0, len(body), 5)}
    checked = 0
    for r in rows("observations"):
        if r["passage_id"].startswith("t1-"):
            row = int(r["passage_id"].split("-r")[1])
            assert table1[row][r["table_column"]] == r["value_as_written"] == r["value"], r
            checked += 1
    assert checked == 24


def test_campaign_fine_in_yuan():
    fine = next(r for r in rows("campaign_results") if r["measure_id"] == "fines")
    assert (fine["value_as_written"], fine["value"], fine["unit"], fine["amount_yuan"]) == ("41.1万元", "41.1", "万元", "411000")


def test_figures_held_by_table():
    # The closing note of issue 2 quotes these counts; a change here must update it.
    obs = rows("observations")
    assert sum(r["passage_id"].startswith("t1-") for r in obs) == 24  # 8 indicators x 3 values
    assert sum(r["passage_id"].startswith("t2-") for r in obs) == 6
    assert sum(r["passage_id"] == "c2-s1-p1" for r in obs) == 3  # 12th-plan five-year totals
    assert sum(r["kind"] == "stated_change" for r in obs) == 1
    assert len(rows("campaign_results")) == 7
    assert len(rows("commitments")) == 24
    assert len(rows("indicators")) == 17


def test_passages_csv_matches_the_source():
    expected = [{k: "" if v is None else str(v) for k, v in r.items()} for r in package_passage_rows(paths.DATASETS)]
    assert rows("passages") == expected


def test_the_plans_passage_ids_are_the_published_ones():
    # Guards against the generic splitter renumbering what others cite (t1-r7, c4-s6-i2, …).
    plan = [r["passage_id"] for r in rows("passages") if r["source_id"] == "nanchang-safety-13th-fyp"]
    assert plan[:4] == ["page-1", "title-1", "page-2", "title-2"] and "t1-r7" in plan and "c4-s6-i2" in plan
    assert len(plan) == 118 and plan[-1] == "page-3"


def test_passage_offsets_point_at_their_text():
    for r in rows("passages"):
        assert collapse_ws(SOURCE[int(r["char_start"]) : int(r["char_end"])]) == r["text"]


def plan_source() -> dict:
    return next(r for r in rows("sources") if r["source_id"] == "nanchang-safety-13th-fyp")


def test_unknown_facts_about_the_source_are_null_with_a_note():
    doc = plan_source()
    for key in ("url", "date", "document_number", "issuer"):
        assert doc[key] == ""
        assert doc[f"{key}_note"]
    assert doc["sha256"] == hashlib.sha256(paths.SOURCE_TEXT.read_bytes()).hexdigest()


def test_every_field_is_documented_and_constrained():
    for res in descriptor()["resources"]:
        for f in res.get("schema", {}).get("fields", []):
            assert f.get("title") and f.get("title_en") and f.get("description"), (res["name"], f["name"])
            assert "\n" in f["description"], f"{res['name']}.{f['name']}: description needs Chinese and English"
        if "schema" in res:
            assert res["schema"].get("primaryKey"), res["name"]


def test_no_fictional_record_in_the_published_package():
    for path in paths.DATASETS.rglob("*"):
        if path.is_file():
            assert "虚构" not in path.read_text(encoding="utf-8", errors="ignore"), path


# -- the validator catches a changed figure or quote ---------------------------------


def _edit(package: Path, table: str, key: tuple[str, str], field: str, value: str) -> int:
    path = package.parent / "data" / f"{table}.csv"
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fieldnames, data = reader.fieldnames, list(reader)
    index = next(i for i, r in enumerate(data) if r[key[0]] == key[1])
    data[index][field] = value
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fieldnames, lineterminator="\n")
        w.writeheader()
        w.writerows(data)
    return index + 2


MUTATIONS = [
    # (table, key, field, new value, expected code)
    ("observations", ("observation_id", "fyp12-road-deaths:actual:2015"), "value", "216", "value-mismatch"),
    ("observations", ("observation_id", "fyp12-road-deaths:actual:2015"), "value_as_written", "216", "table-cell-mismatch"),
    ("observations", ("observation_id", "fyp12-road-deaths:actual:2015"), "quote", "7 道路交通死亡人数 235 216 216", "quote-not-in-passage"),
    ("observations", ("observation_id", "fyp12-deaths-total:actual:2011-2015"), "value", "1205", "value-mismatch"),
    ("observations", ("observation_id", "fyp13-deaths:cumulative_reduction_target:2020"), "quote", "2 生产安全事故死亡人数 20%", "quote-not-in-passage"),
    ("campaign_results", ("measure_id", "suspended-for-rectification"), "value", "212", "value-mismatch"),
    ("campaign_results", ("measure_id", "fines"), "amount_yuan", "41100", "value-mismatch"),
    ("campaign_results", ("measure_id", "fines"), "quote", "罚款41.2万元", "quote-not-in-passage"),
    ("commitments", ("commitment_id", "professional-staff-ratio"), "value", "90", "value-mismatch"),
    ("commitments", ("commitment_id", "plan-evaluation-2018"), "due_year", "2019", "value-mismatch"),
]


@pytest.mark.parametrize("table,key,field,value,code", MUTATIONS, ids=[f"{m[0]}.{m[2]}={m[3]}" for m in MUTATIONS])
def test_changed_value_or_quote_is_caught(package_copy, table, key, field, value, code):
    row = _edit(package_copy, table, key, field, value)
    report = validate(package_copy)
    assert not report.ok
    assert (code, table, row) in {(e.code, e.resource, e.row) for e in report.errors}, codes(report)


def test_changed_source_text_is_caught(package_copy):
    source = package_copy.parent / "source" / paths.SOURCE_TEXT.name
    source.write_text(source.read_text(encoding="utf-8").replace("221", "220"), encoding="utf-8")
    found = {e.code for e in validate(package_copy).errors}
    assert "source-hash" in found


# -- say exactly what the source says (issue 12) ----------------------------------------

PAGE_CHROME = next(r for r in rows("passages") if r["passage_id"] == "page-1")["text"]


def test_the_copy_names_no_site_and_no_issuer():
    # Guards against citing the breadcrumb (首页>政府信息公开>…) as proof the plan came from
    # 南昌市人民政府网站: the line names no site and no body.  What is known is the line itself.
    doc = plan_source()
    assert PAGE_CHROME in doc["note_zh"] and "page-1" in doc["note_zh"]
    assert "没有写网站名称" in doc["note_zh"]
    for key in ("url", "date", "document_number", "issuer"):
        assert doc[key] == "", key
        assert doc[f"{key}_note"], key
    for text in (paths.PACKAGE.read_text(encoding="utf-8"), (paths.ROOT / "metadata.json").read_text(encoding="utf-8"),
                 (paths.ROOT / "README.md").read_text(encoding="utf-8")):
        assert "人民政府网站" not in text
    # an inference about the issuer or the date is marked as one
    for key in ("date_note", "issuer_note"):
        if "很可能" in doc[key]:
            assert "推断" in doc[key] and "Inference" in doc[key], key


def test_copyright_claim_is_conditional_on_the_unknown_issuer():
    # Guards against calling the plan "国家机关的文件" while the issuer is unknown.
    doc = plan_source()
    assert "如果" in doc["licence_note_zh"] and "if it is" in doc["licence_note_en"]
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    assert "规划原文为国家机关文件" not in readme


# Items of the plan's text with a date, a coverage claim or a reported result that the
# fact-check found missing (line numbers of the source file).
REQUIRED_COMMITMENT_PHRASES = {
    13: "连续五年将安全生产事故考核指标控制在省安委会规定范围内",
    107: "三级安全生产责任体系完成了全覆盖",
    255: "完善其他负有安全监管职责的部门应急管理机构,全面落实编制、职责、人员、经费",
    261: "两级安全生产应指挥平台建设",
    269: "确保“五级五覆盖”",
    271: "实现市、县全覆盖",
}


@pytest.mark.parametrize("line,phrase", sorted(REQUIRED_COMMITMENT_PHRASES.items()))
def test_dated_and_coverage_items_are_commitments(line, phrase):
    # Guards against claiming completeness while dated or coverage items of the text are missing.
    assert phrase in SOURCE.splitlines()[line - 1]
    assert any(phrase in r["quote"] for r in rows("commitments")), phrase


def test_a_commitment_without_a_figure_says_so():
    # Guards against counting 一批示范企业 or the emergency-agencies item as "量化": whether a row
    # has a figure is its value, and a row without one has no comparator or unit either.
    for r in rows("commitments"):
        if r["value"] == "":
            assert (r["comparator"], r["unit"], r["value_as_written"]) == ("", "", ""), r["commitment_id"]
    by_id = {r["commitment_id"]: r for r in rows("commitments")}
    assert by_id["demonstration-enterprises-2020"]["value"] == ""
    assert by_id["emergency-agencies-2020"]["value"] == ""


def test_no_claim_of_one_row_per_figure_of_the_plan():
    # Guards against "One row per figure of the plan" / "规划里的每一个数字": the plan has
    # numbers (years of events, numbers in names) that are not rows.
    text = paths.PACKAGE.read_text(encoding="utf-8") + (paths.ROOT / "site" / "about.md").read_text(encoding="utf-8")
    for claim in ("One row per figure of the plan", "规划中每个指标数字一行", "规划里的每一个数字"):
        assert claim not in text, claim


def _english_fields():
    """(table, id, Chinese text of the row, English text) for every English field of the package."""
    for table, key in (("indicators", "indicator_id"), ("observations", "observation_id"),
                       ("baseline_links", "indicator_id"), ("campaign_results", "measure_id"),
                       ("commitments", "commitment_id")):
        for r in rows(table):
            zh = " ".join(v for k, v in r.items() if k.endswith("_zh") or k in ("quote", "name_zh"))
            for k, v in r.items():
                if k.endswith("_en") and v:
                    yield table, r[key], zh, v


def test_jiaoda_is_never_major_in_english():
    # Guards against rendering 较大 (relatively serious) as "major", the English for 重大.
    for table, rid, zh, en in _english_fields():
        if "较大" in zh:
            assert not re.search(r"\bmajor\b", en, re.IGNORECASE), (table, rid, en)
    for res in descriptor()["resources"]:
        for f in res.get("schema", {}).get("fields", []):
            assert "major (较大)" not in f.get("description", "").lower()


def test_hedges_survive_translation():
    # Guards against dropping 力争 ("strive to") or rendering 推进 ("advance") as a flat "make public".
    for table, rid, zh, en in _english_fields():
        if table != "commitments":
            continue
        row = next(r for r in rows("commitments") if r["commitment_id"] == rid)
        if "力争" in row["commitment_zh"] or "力争" in row["quote"]:
            assert "strive" in row["commitment_en"].lower(), rid
        if row["commitment_zh"].startswith("推进"):
            assert "advance" in row["commitment_en"].lower(), rid


def test_the_fire_note_sits_where_the_text_puts_it():
    # Guards against saying “(不含火灾事故)” stands between 1598 and the 较大 count: in the text it
    # follows 死亡1204人.
    assert "死亡1204人,(不含火灾事故)较大事故19起" in SOURCE
    for r in rows("indicators") + rows("observations"):
        text = " ".join(v for k, v in r.items() if k.startswith(("definition", "note")))
        assert "位于本数与较大事故数之间" not in text
        assert "stands between the figures" not in text
    total = next(r for r in rows("indicators") if r["indicator_id"] == "fyp12-accidents-total")
    assert "在“死亡1204人”之后" in total["definition_zh"] and "after 死亡1204人" in total["definition_en"]


def test_table_quotes_are_their_cells_joined_by_spaces():
    # The methodology page says a table quote is the row's cells joined by one space (the file
    # has one cell per line): hold the data to that, cell by cell.
    lines = SOURCE.splitlines()
    for r in rows("passages"):
        if r["kind"] != "table_row":
            continue
        cells = [line.strip() for line in lines[int(r["line_start"]) - 1:int(r["line_end"])] if line.strip()]
        assert r["text"] == " ".join(cells), r["passage_id"]
        assert r["text"] not in SOURCE  # why a reader searching the file finds nothing
    methodology = (paths.ROOT / "site" / "methodology.md").read_text(encoding="utf-8")
    assert "以一个空格连接" in methodology and "逐个单元格搜索" in methodology


def test_rules_from_outside_the_plan_say_where_they_come_from():
    # Guards against citing national documents as if the plan said them, and against the
    # slips found (49号 was issued by 国家安全监管总局 itself; 第11号's platforms unread).
    refs = {r["document_number"]: r for r in rows("legal_references")}
    assert set(refs) == {"安委办〔2015〕14号", "安监总办〔2017〕49号", "应急管理部令第11号", "发改办财金〔2019〕527号", "国务院令第493号"}
    for r in refs.values():
        assert r["issuing_body"] and r["cited_in_plan"] == "false"
        assert r["issue_date"] or r["issue_date_note"]
        if r["verification"] != "read_in_full":
            assert "据报道" in r["provisions_zh"] or "据公开资料" in r["provisions_zh"] or "报道" in r["verification_note_zh"]
    assert refs["安监总办〔2017〕49号"]["issuing_body"] == "国家安全生产监督管理总局"
    assert "信用中国" not in refs["应急管理部令第11号"]["provisions_zh"]
    assert "信用中国" not in (paths.ROOT / "pipeline" / "site" / "pages.py").read_text(encoding="utf-8")
    blacklist = next(r for r in descriptor()["resources"] if r["name"] == "blacklist")
    assert {"fields": "regime", "reference": {"resource": "legal_references", "fields": "regime"}} \
        in blacklist["schema"]["foreignKeys"]
