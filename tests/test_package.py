"""The Data Package: valid, and every figure traceable to the words of the plan.

These tests read the CSVs and the source text directly, independently of the
validator, and then prove the validator catches a changed value or quote.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.source import collapse_ws, passage_rows
from pipeline.validate.rules import figure_of
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
            assert figure_of(written) == pytest.approx(float(r["value"])), r
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
    assert len(rows("commitments")) == 17
    assert len(rows("indicators")) == 17


def test_passages_csv_matches_the_source():
    expected = [{k: "" if v is None else str(v) for k, v in r.items()} for r in passage_rows(paths.SOURCE_TEXT)]
    assert rows("passages") == expected


def test_passage_offsets_point_at_their_text():
    for r in rows("passages"):
        assert collapse_ws(SOURCE[int(r["char_start"]) : int(r["char_end"])]) == r["text"]


def test_unknown_facts_about_the_source_are_null_with_a_note():
    doc = descriptor()["source_document"]
    for key in ("url", "issue_date", "document_number", "issuing_body"):
        assert doc[key] is None
        assert doc[f"{key}_note"]


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
    assert {"source-hash", "passages-stale"} <= found
