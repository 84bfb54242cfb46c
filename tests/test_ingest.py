"""python -m pipeline ingest: messy agency files in, validated rows out, nothing lost.

Every test works on a copy of datasets/ in tmp_path and on copies of the fixture files
(tests/fixtures/ingest/, made by make_fixtures.py there), so neither the repository's
data nor the fixtures can change.  The date rules run at the fixed BUILD_DATE.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.ingest import ingest, summary
from pipeline.ingest.headers import aliases, locate
from pipeline.ingest.normalize import (
    normalize_amount_wan,
    normalize_code,
    normalize_date,
    normalize_doc_number,
    normalize_integer,
    normalize_penalty_category,
    normalize_text,
    parse_amount,
)
from pipeline.ingest.read import (
    EncodingError,
    LimitError,
    ReadError,
    Sheet,
    decode,
    read_file,
)
from tests import fictional
from tests.conftest import BUILD_DATE

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
sys.path.insert(0, str(FIXTURES))
import hostile  # builds the hostile files in tmp_path: some are too big to commit
import make_fixtures as mf  # a script beside its outputs, not a package

P = "示例（虚构）"
AUTH = mf.AUTHORITY
AUTH_USCC = mf.AUTHORITY_USCC
U = mf.USCC


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def copy_package(dest: Path) -> Path:
    shutil.copytree(paths.DATASETS, dest / "datasets")
    return dest / "datasets" / "datapackage.json"


def copy_input(dest: Path, name: str) -> Path:
    (dest / "inbox").mkdir(exist_ok=True)
    return Path(shutil.copy(FIXTURES / name, dest / "inbox" / name))


def rows_of(package: Path, resource: str) -> list[dict]:
    with open(package.parent / "data" / f"{resource}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def quarantine_rows(path: Path) -> list[dict]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "the quarantine file opens in Excel: UTF-8 with BOM"
    return list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))


def run(tmp: Path, name: str, into: str, package: Path | None = None, **kw):
    package = package or copy_package(tmp)
    source = copy_input(tmp, name)
    out = ingest(source, into, package, on_date=BUILD_DATE, **kw)
    return out, package, source


class Ingested:
    """One ingest of one fixture into a fresh package, with hashes taken around it."""

    def __init__(self, tmp: Path, name: str, into: str):
        self.package = copy_package(tmp)
        self.source = copy_input(tmp, name)
        self.before = sha(self.source)
        self.out = ingest(self.source, into, self.package, on_date=BUILD_DATE)
        self.after = sha(self.source)


_RUNS: dict[str, Ingested] = {}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """Each fixture ingested once per module: several tests read the same run."""

    def get(name: str, into: str) -> Ingested:
        if name not in _RUNS:
            _RUNS[name] = Ingested(tmp_path_factory.mktemp(name.replace(".", "-")), name, into)
        return _RUNS[name]

    yield get
    _RUNS.clear()


# ---------------------------------------------------------------------------
# The corpus: each file gives the expected accepted, rejected and duplicate rows
# ---------------------------------------------------------------------------

# file -> (target, accepted rows, {rejected row: codes}, duplicate rows); rows as the clerk sees them.
CORPUS = {
    "penalties-gb18030.csv": ("penalties", [2, 3, 4, 5],
                              {6: ["uscc-check-digit"], 7: ["type-error"], 9: ["future-date"]}, [8]),
    "penalties-merged-header.xlsx": ("penalties", [4, 5, 6, 7, 8],
                                     {9: ["pattern", "required"],
                                      11: ["required"] * 10}, []),
    "blacklist-utf8-bom.csv": ("blacklist", [2, 3, 4], {5: ["date-order"], 6: ["display-period"]}, [7]),
    "penalties-personal-id.csv": ("penalties", [2],
                                  {3: ["personal-id-number"], 4: ["personal-id-number"], 5: ["phone-number"]}, []),
    "blacklist-wrong-column.csv": ("blacklist", [], {2: ["required"], 3: ["required"]}, []),
    "campaign.csv": ("campaign", [], {4: ["citation-missing"], 5: ["figure-not-in-quote"],
                                      6: ["required", "measure-unknown", "required", "citation-missing"]}, [2, 3]),
}
ROWS_READ = {"penalties-gb18030.csv": range(2, 10), "penalties-merged-header.xlsx": [4, 5, 6, 7, 8, 9, 11],
             "blacklist-utf8-bom.csv": range(2, 8), "penalties-personal-id.csv": range(2, 6),
             "blacklist-wrong-column.csv": range(2, 4), "campaign.csv": range(2, 7)}


@pytest.mark.parametrize("name", list(CORPUS))
def test_each_file_gives_the_expected_rows(ingested, name):
    into, accepted, rejected, duplicates = CORPUS[name]
    run_ = ingested(name, into)
    out = run_.out
    assert out.error is None
    assert out.accepted == accepted
    assert {row: [f.code for f in fs] for row, fs in out.rejected.items()} == rejected
    assert [r for r, _ in out.duplicates] == duplicates
    assert out.exit_code == (1 if rejected else 0)


@pytest.mark.parametrize("name", list(CORPUS))
def test_every_input_row_is_accounted_for(ingested, name):
    # Guards against a row silently dropped (or counted twice) between reading and writing.
    out = ingested(name, CORPUS[name][0]).out
    assert len(out.accepted) + len(out.rejected) + len(out.duplicates) == out.rows_read
    outcomes = out.accepted + list(out.rejected) + [r for r, _ in out.duplicates]
    assert sorted(outcomes) == list(ROWS_READ[name])


@pytest.mark.parametrize("name", list(CORPUS))
def test_the_input_file_is_never_modified(ingested, name):
    run_ = ingested(name, CORPUS[name][0])
    assert run_.before == run_.after == sha(FIXTURES / name)


@pytest.mark.parametrize("name", list(CORPUS))
def test_the_package_stays_valid_after_ingest(ingested, name):
    from tests.conftest import validate

    run_ = ingested(name, CORPUS[name][0])
    assert validate(run_.package).ok


@pytest.mark.parametrize("name", list(CORPUS))
def test_the_quarantine_file_lists_every_rejected_row_with_its_reasons(ingested, name):
    run_ = ingested(name, CORPUS[name][0])
    out = run_.out
    q = run_.source.with_name(run_.source.stem + ".quarantine.csv")
    assert q == out.quarantine
    lines = quarantine_rows(q)
    assert list(lines[0])[:6] == ["输入行号/input_row", "列/column", "字段/field", "值/value", "错误代码/code", "原因/reason"]
    assert [(int(r["输入行号/input_row"]), r["错误代码/code"]) for r in lines] == [
        (row, f.code) for row, fs in out.rejected.items() for f in fs]
    for r in lines:
        zh, _, en = r["原因/reason"].partition(" / ")
        assert zh and en, "every reason in Chinese and English"


# ---------------------------------------------------------------------------
# The values that were written
# ---------------------------------------------------------------------------

KEY = ("decision_number", "party_name", "party_category", "uscc", "penalty_category", "fine_amount_wan",
       "confiscation_amount_wan", "decision_date", "publicity_until", "authority")


def test_gb18030_csv_values(ingested):
    run_ = ingested("penalties-gb18030.csv", "penalties")
    wb = run_.out.workbook
    assert (wb.encoding, wb.encoding_how) == ("gb18030", "charset-normalizer: gb18030; decoded as GB18030")
    got = [tuple(r[k] for k in KEY) for r in rows_of(run_.package, "penalties")]
    assert got == [
        # full-width digits → ASCII; 𠮷 (outside GBK) intact; spaces around the USCC gone; 41.1万元
        ("洪应急罚〔2016〕示例001号", P + "𠮷祥化工有限公司", "法人及非法人组织", U["a"], "罚款", "41.1", "",
         "2016-06-01", "2017-06-01", AUTH),
        # 贰万伍仟元 → 2.5; 二〇一五年六月一日; 警告、罚款 → 警告;罚款
        ("洪应急罚〔2015〕示例002号", P + "建筑工程有限公司", "法人及非法人组织", U["b"], "警告;罚款", "2.5", "",
         "2015-06-01", "2016-06-01", AUTH),
        # 25000元 → 2.5; 2015.6.1; full-width USCC; 法人; 责令停产整顿 → 责令停产停业
        ("洪应急罚〔2015〕示例003号", P + "烟花爆竹有限公司", "法人及非法人组织", U["c"], "罚款;责令停产停业", "2.5", "",
         "2015-06-01", "2016-06-01", AUTH),
        # a bare 3 under 罚款金额（万元） stays 3
        ("洪应急罚〔2016〕示例004号", P + "物流有限公司", "法人及非法人组织", U["d"], "罚款", "3", "",
         "2016-09-30", "2017-09-30", AUTH),
    ]


def test_gb18030_reasons_name_the_cell_and_the_fix(ingested):
    out = ingested("penalties-gb18030.csv", "penalties").out
    (bad_uscc,), (bad_date,), (future,) = out.rejected[6], out.rejected[7], out.rejected[9]
    assert (bad_uscc.column, bad_uscc.field, bad_uscc.value) == ("D列「统一社会信用代码」", "uscc", mf.BAD_USCC)
    assert (bad_date.column, bad_date.value) == ("L列「处罚决定日期」", "2016年2月30日")
    assert "2016-02-30" in bad_date.message_zh and "二〇一五年六月一日" in bad_date.message_zh  # the accepted forms
    assert future.message_en == "Date 2027-01-05 is after the build date 2026-11-28"
    assert out.duplicates == [(8, "本文件第2行 / row 2 of this file")]
    # 2015 fines are fewer than the campaign total: a warning (partial coverage), not a rejection
    assert [w.code for w in out.warnings] == ["campaign-reconciliation"]


def test_xlsx_with_a_two_row_merged_header(ingested):
    run_ = ingested("penalties-merged-header.xlsx", "penalties")
    out = run_.out
    h = out.header
    assert h.sheet.name == "行政处罚" and h.header_rows == [1, 2, 3]
    mapped = {c.letter: c.field for c in h.columns if c.kind == "field"}
    # C3 名称 and D3 类别 only mean something under their merged group 行政相对人 (C2:F2)
    assert mapped["C"] == "party_name" and mapped["D"] == "party_category"
    assert mapped["B"] == "decision_number" and mapped["N"] == "decision_date"  # merged over rows 2-3
    assert (mapped["L"], h.columns[11].unit) == ("fine_amount_wan", "元")
    assert (mapped["M"], h.columns[12].unit) == ("confiscation_amount_wan", "万元")
    assert [c.letter for c in h.of_kind("ignore")] == ["A"]  # 序号
    got = [tuple(r[k] for k in KEY) for r in rows_of(run_.package, "penalties")]
    assert got == [
        # Excel date cells; 25000 (a number) under 罚款金额（元） → 2.5; 0.12 under （万元）
        ("洪应急罚〔2017〕示例101号", P + "化工有限公司", "法人及非法人组织", U["e"], "罚款;没收违法所得", "2.5", "0.12",
         "2017-03-01", "2018-03-01", AUTH),
        # text dates; 1.5万元 in a 元 column: the unit written in the cell wins
        ("洪应急罚〔2017〕示例102号", P + "危险化学品经营有限公司", "法人及非法人组织", U["f"], "罚款", "1.5", "",
         "2017-03-05", "2018-03-05", AUTH),
        # a date typed as a General number: Excel serial 42830
        ("洪应急罚〔2017〕示例103号", P + "食品加工有限公司", "法人及非法人组织", U["g"], "罚款", "0.5", "",
         "2017-04-05", "2018-04-05", AUTH),
        # rows 7 and 8 share the authority cell P7:P8
        ("洪应急罚〔2017〕示例104号", P + "建筑工程股份有限公司", "法人及非法人组织", U["h"], "罚款", "1", "",
         "2017-05-02", "2018-05-02", AUTH),
        ("洪应急罚〔2017〕示例105号", P + "物流有限责任公司", "法人及非法人组织", U["a"], "罚款", "0.8", "",
         "2017-05-09", "2018-05-09", AUTH),
    ]
    assert out.blank_rows == 1  # row 10


def test_blacklist_values_and_the_inferred_regime(ingested):
    run_ = ingested("blacklist-utf8-bom.csv", "blacklist")
    assert run_.out.workbook.encoding == "utf-8-sig"
    got = [(r["enterprise_name"], r["uscc"], r["regime"], r["listing_date"], r["display_until"], r["removal_date"],
            r["removal_kind"]) for r in rows_of(run_.package, "blacklist")]
    assert got == [
        # no 适用规定 column: the regime is the one the row's 列入依据 names; 期满 → 期满移出
        (P + "矿业有限公司", U["a"], "2017", "2017-06-15", "2018-06-15", "2018-06-16", "期满移出"),
        (P + "化工有限公司", U["b"], "2023", "2024-03-01", "2027-03-01", "", ""),
        # " 91360111maa4wcnp7q " → upper case, trimmed
        (P + "烟花爆竹有限公司", U["d"], "2017", "2019-01-10", "2020-01-10", "", ""),
    ]
    assert run_.out.duplicates == [(7, "本文件第2行 / row 2 of this file")]


def test_a_personal_id_number_is_never_published_nor_repeated(ingested):
    run_ = ingested("penalties-personal-id.csv", "penalties")
    out = run_.out
    assert [c.where for c in out.header.of_kind("personal")] == ["E列「证件号码」"]
    written = (run_.package.parent / "data" / "penalties.csv").read_text(encoding="utf-8")
    assert [r["party_name"] for r in rows_of(run_.package, "penalties")] == [P + "张某"]
    quarantine = out.quarantine.read_text(encoding="utf-8-sig")
    report = summary(out, run_.package)
    for secret in (mf.FICTIONAL_ID, mf.MASKED_ID, mf.PHONE, mf.FICTIONAL_ID[:6] + "2099"):
        assert secret not in written
        assert secret not in quarantine, "the quarantine must not echo personal data"
        assert secret not in report
    lines = quarantine_rows(out.quarantine)
    assert {r["值/value"] for r in lines} == {"（已隐去）"}
    assert all(r["证件号码"] == "（已隐去）" for r in lines)
    assert lines[0]["违法事实"] == "（已隐去）" and lines[0]["行政相对人名称"] == P + "李某"


def test_an_id_number_typed_into_the_uscc_column_is_not_repeated(tmp_path):
    # uscc is an identifier field the validator does not scan for ID numbers; the check
    # character rejects this one, and its message (which quotes the value) is redacted.
    package = copy_package(tmp_path)
    source = tmp_path / "id-as-uscc.csv"
    source.write_text(mf.csv_text([mf.PENALTY_HEADER, mf.penalty(
        "洪应急罚〔2016〕示例951号", P + "个体经营户", "个体工商户", mf.FICTIONAL_ID, "1万元", "2016年3月1日", "")]),
        encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert list(out.rejected) == [2]
    everything = out.quarantine.read_text(encoding="utf-8-sig") + summary(out, package)
    assert mf.FICTIONAL_ID not in everything


def test_a_wrong_column_is_reported_and_its_rows_say_what_to_fix(ingested):
    out = ingested("blacklist-wrong-column.csv", "blacklist").out
    assert [c.where for c in out.header.of_kind("unknown")] == ["F列「列入时间段」", "H列「经办人电话」"]
    assert out.missing_required == ["listing_date"]
    for findings in out.rejected.values():
        (f,) = findings
        assert (f.code, f.field) == ("required", "listing_date")
        assert "列入日期" in f.message_zh and "F列「列入时间段」" in f.message_zh
    lines = quarantine_rows(out.quarantine)
    assert {r["经办人电话"] for r in lines} == {"（已隐去）"}  # a phone number in a column nobody ingests


def test_fixing_the_header_gets_the_rows_in_and_clears_the_quarantine(tmp_path):
    out, package, source = run(tmp_path, "blacklist-wrong-column.csv", "blacklist")
    assert out.quarantine.exists() and not out.accepted
    text = source.read_text(encoding="utf-8").replace("列入时间段", "列入日期")
    source.write_text(text, encoding="utf-8")  # what the clerk does after reading the report
    again = ingest(source, "blacklist", package, on_date=BUILD_DATE)
    assert (again.accepted, again.rejected, again.quarantine_removed) == ([2, 3], {}, True)
    assert not again.quarantine.exists()
    assert [r["listing_date"] for r in rows_of(package, "blacklist")] == ["2024-07-01", "2024-08-01"]


# ---------------------------------------------------------------------------
# Campaign figures
# ---------------------------------------------------------------------------


def test_campaign_rows_need_a_citation_of_the_plan(ingested):
    out = ingested("campaign.csv", "campaign").out
    (missing,) = out.rejected[4]
    assert missing.code == "citation-missing" and "原文引文" in missing.message_zh
    (fig,) = out.rejected[5]
    assert (fig.code, fig.column) == ("figure-not-in-quote", "F列「数值」 + G列「单位」")
    assert out.duplicates == [(2, "数据文件第7行 / dataset row 7"), (3, "数据文件第8行 / dataset row 8")]


def test_a_cited_campaign_row_is_accepted_and_completed(tmp_path):
    # The package lacks the criminal-liability row; the file supplies it with its citation,
    # and ingest fills in seq, unit_en and value_as_written: the file comes back byte for byte.
    package = copy_package(tmp_path)
    csv_path = package.parent / "data" / "campaign_results.csv"
    original = csv_path.read_bytes()
    csv_path.write_bytes(b"".join(line for line in original.splitlines(keepends=True) if b"criminal-liability" not in line))
    out, _, _ = run(tmp_path, "campaign.csv", "campaign", package)
    assert out.accepted == [3]
    assert [r for r, _ in out.duplicates] == [2]
    assert csv_path.read_bytes() == original


# ---------------------------------------------------------------------------
# Idempotency, dry run, conflicts, the validation gate
# ---------------------------------------------------------------------------


def test_ingesting_the_same_file_twice_adds_nothing(tmp_path):
    first, package, source = run(tmp_path, "penalties-gb18030.csv", "penalties")
    data = package.parent / "data" / "penalties.csv"
    after_first, quarantine_first = data.read_bytes(), first.quarantine.read_bytes()
    second = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert second.accepted == [] and not second.written
    assert [r for r, _ in second.duplicates] == [2, 3, 4, 5, 8]
    assert list(second.rejected) == list(first.rejected)
    assert len(second.accepted) + len(second.rejected) + len(second.duplicates) == second.rows_read == 8
    assert data.read_bytes() == after_first
    assert second.quarantine.read_bytes() == quarantine_first


def test_dry_run_writes_nothing(tmp_path):
    package = copy_package(tmp_path)
    source = copy_input(tmp_path, "penalties-gb18030.csv")
    before = tree_hashes(tmp_path)
    out = ingest(source, "penalties", package, on_date=BUILD_DATE, dry_run=True)
    assert tree_hashes(tmp_path) == before
    assert not out.quarantine.exists()
    assert (out.accepted, list(out.rejected), out.written) == ([2, 3, 4, 5], [6, 7, 9], False)
    assert "dry run, nothing written" in summary(out, package)


def test_same_key_different_content_is_a_conflict_not_a_duplicate(tmp_path):
    _, package, source = run(tmp_path, "penalties-gb18030.csv", "penalties")
    changed = source.read_bytes().decode("gb18030").replace(",41.1万元,", ",42万元,", 1)
    corrected = source.with_name("corrected.csv")
    corrected.write_bytes(changed.encode("gb18030"))
    out = ingest(corrected, "penalties", package, on_date=BUILD_DATE)
    (conflict,) = out.rejected[2]
    assert (conflict.code, conflict.field) == ("key-conflict", "fine_amount_wan")
    assert "41.1" in conflict.message_zh and "42" in conflict.message_zh
    assert list(out.rejected) == [2, 6, 7, 9]
    assert [r for r, _ in out.duplicates] == [3, 4, 5, 8]  # row 8 still says 41.1: that is in


def test_rows_that_would_break_the_package_are_all_held_back(tmp_path, monkeypatch):
    # Each row is valid alone, but the package with them is not, by a rule that names no row
    # (here a stand-in for such a rule): nothing is written, and every row says why.
    from pipeline.validate import ValidationError, rules

    def package_rule(con, tables, errors):
        if tables["penalties"].rows >= 2:
            errors.append(ValidationError("campaign-reconciliation", severity="error", resource="penalties",
                                          message_zh="示例（虚构）整表规则", message_en="fictional whole-table rule"))

    monkeypatch.setattr(rules, "check_reconciliation", package_rule)
    package = copy_package(tmp_path)
    rows = [mf.PENALTY_HEADER,
            mf.penalty("洪应急罚〔2016〕示例901号", P + "化工有限公司", "法人及非法人组织", U["a"], "3万元", "2016年3月1日", ""),
            mf.penalty("洪应急罚〔2016〕示例902号", P + "矿业有限公司", "法人及非法人组织", U["b"], "2万元", "2016年4月1日", "")]
    source = tmp_path / "together-invalid.csv"
    source.write_text(mf.csv_text(rows), encoding="utf-8")
    data = package.parent / "data" / "penalties.csv"
    before = data.read_bytes()
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert out.accepted == [] and list(out.rejected) == [2, 3]
    assert {f.code for fs in out.rejected.values() for f in fs} == {"package-invalid"}
    assert "整表规则" in out.rejected[2][0].message_zh
    assert data.read_bytes() == before


def test_fines_above_the_campaign_total_are_explained_not_rejected(tmp_path):
    # 41.1万元 is what one 2015 campaign fined, not every fine of 2015: penalties decided
    # outside it can take the year's sum above it.  Guards against rejecting such records.
    package = copy_package(tmp_path)
    rows = [mf.PENALTY_HEADER,
            mf.penalty("洪应急罚〔2015〕示例901号", P + "化工有限公司", "法人及非法人组织", U["a"], "30万元", "2015年3月1日", ""),
            mf.penalty("洪应急罚〔2015〕示例902号", P + "矿业有限公司", "法人及非法人组织", U["b"], "20万元", "2015年4月1日", "")]
    source = tmp_path / "above-campaign.csv"
    source.write_text(mf.csv_text(rows), encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert out.accepted == [2, 3] and not out.rejected
    (warning,) = [w for w in out.warnings if w.code == "campaign-reconciliation"]
    assert warning.severity == "warning"
    assert "41.1" in warning.message_zh and "行动之外的处罚" in warning.message_zh and "元/万元" in warning.message_zh
    assert "outside it" in warning.message_en


def test_a_bare_amount_under_a_header_without_unit_is_rejected(tmp_path):
    package = copy_package(tmp_path)
    header = [("罚款金额" if h == "罚款金额（万元）" else h) for h in mf.PENALTY_HEADER]
    rows = [header,
            mf.penalty("洪应急罚〔2016〕示例911号", P + "化工有限公司", "法人及非法人组织", U["a"], "25000", "2016年3月1日", ""),
            mf.penalty("洪应急罚〔2016〕示例912号", P + "矿业有限公司", "法人及非法人组织", U["b"], "2万元", "2016年4月1日", "")]
    source = tmp_path / "no-unit.csv"
    source.write_text(mf.csv_text(rows), encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert [f.code for f in out.rejected[2]] == ["amount-unit-unknown"]
    assert "罚款金额（万元）" in out.rejected[2][0].message_zh
    assert out.accepted == [3] and rows_of(package, "penalties")[0]["fine_amount_wan"] == "2"


def test_one_key_twice_in_a_file_with_different_content(tmp_path):
    # The validator flags the later row; its message must name the clerk's row, not a staging row.
    package = copy_package(tmp_path)
    rows = [mf.PENALTY_HEADER,
            mf.penalty("洪应急罚〔2016〕示例941号", P + "化工有限公司", "法人及非法人组织", U["a"], "1万元", "2016年3月1日", ""),
            mf.penalty("洪应急罚〔2016〕示例941号", P + "化工有限公司", "法人及非法人组织", U["a"], "2万元", "2016年3月1日", "")]
    source = tmp_path / "twice.csv"
    source.write_text(mf.csv_text(rows), encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert out.accepted == [2]
    (f,) = out.rejected[3]
    assert (f.code, f.column) == ("primary-key", "A列「行政处罚决定书文号」")
    assert "首次出现在第2行" in f.message_zh


def test_a_two_row_header_saved_as_csv(tmp_path):
    # The merged XLSX header saved as CSV: a group's text stays in its first cell only.
    package = copy_package(tmp_path)
    group = ["序号", "行政处罚决定书文号", "行政相对人", "", "", "", "处罚信息", "", "", "", "", "处罚决定日期", "处罚机关", "处罚机关", "公示截止期"]
    names = ["", "", "名称", "类别", "统一社会信用代码", "法定代表人", "违法行为类型", "违法事实", "处罚依据", "处罚类别", "处罚内容", "",
             "名称", "统一社会信用代码", ""]
    row = ["1", "洪应急罚〔2016〕示例921号", P + "化工有限公司", "法人", U["c"], P + "孙某", "违规动火作业", "（虚构情节）",
           mf.SAFETY_LAW + "第九十九条", "警告", "给予警告", "2016年5月6日", AUTH, AUTH_USCC, "2017年5月6日"]
    source = tmp_path / "two-rows.csv"
    source.write_text(mf.csv_text([group, names, row]), encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    mapped = {c.letter: c.field for c in out.header.columns if c.kind == "field"}
    assert mapped == {"B": "decision_number", "C": "party_name", "D": "party_category", "E": "uscc",
                      "F": "legal_representative", "G": "violation_type", "H": "violation_facts", "I": "legal_basis",
                      "J": "penalty_category", "K": "penalty_content", "L": "decision_date", "M": "authority",
                      "N": "authority_uscc", "O": "publicity_until"}
    assert (out.accepted, out.rejected) == ([3], {})
    (r,) = rows_of(package, "penalties")
    assert (r["uscc"], r["authority_uscc"], r["decision_date"]) == (U["c"], AUTH_USCC, "2016-05-06")


def test_problems_the_package_already_had_do_not_block_ingest(tmp_path):
    # A missing file elsewhere in the package is reported by the validator with a path; the
    # staged copy's path must not make it look new (which would hold back every row).
    package = copy_package(tmp_path)
    (package.parent / "data" / "commitments.csv").unlink()
    out, _, _ = run(tmp_path, "penalties-personal-id.csv", "penalties", package)
    assert out.accepted == [2] and out.preexisting >= 1
    assert "数据包原有" in summary(out, package)


def test_a_broken_descriptor_stops_ingest_before_anything_is_written(tmp_path):
    import json

    package = copy_package(tmp_path)
    d = json.loads(package.read_text(encoding="utf-8"))
    next(r for r in d["resources"] if r["name"] == "indicators")["schema"]["fields"][0]["type"] = "nonsense"
    package.write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    before = tree_hashes(package.parent)
    out, _, _ = run(tmp_path, "penalties-personal-id.csv", "penalties", package)
    assert out.exit_code == 2 and "python -m pipeline validate" in out.error.zh
    assert tree_hashes(package.parent) == before and not out.quarantine.exists()


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------


def test_cli_prints_a_summary_and_the_next_command(tmp_path):
    package = copy_package(tmp_path)
    source = copy_input(tmp_path, "penalties-gb18030.csv")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "ingest", str(source), "--into", "penalties", "--package", str(package),
         "--date", BUILD_DATE.isoformat()],
        check=False, capture_output=True, text=True, cwd=paths.ROOT)
    assert result.returncode == 1, result.stderr  # rows were rejected
    out = result.stdout
    assert "编码 / encoding: gb18030" in out
    assert "读取 read 8 = 接受 accepted 4 + 拒绝 rejected 3 + 重复 duplicates 1" in out
    assert "第6行 D列「统一社会信用代码」" in out
    assert f"隔离文件 / quarantine: {source.with_name('penalties-gb18030.quarantine.csv')}" in out
    assert f"python -m pipeline ingest {source} --into penalties --package {package}" in out
    assert f"python -m pipeline build {package}" in out


def test_cli_all_good_exits_zero_and_points_to_build(tmp_path, capsys):
    from pipeline.cli import main

    package = copy_package(tmp_path)
    source = tmp_path / "one.csv"
    source.write_text(mf.csv_text([mf.PENALTY_HEADER, mf.penalty(
        "洪应急罚〔2016〕示例931号", P + "化工有限公司", "法人及非法人组织", U["a"], "1万元", "2016年3月1日", "")]), encoding="utf-8")
    code = main(["ingest", str(source), "--into", "penalties", "--package", str(package), "--date", "2026-11-28"])
    assert code == 0
    assert "下一步 / next: 校验并发布 / validate and publish: python -m pipeline build" in capsys.readouterr().out
    assert not source.with_name("one.quarantine.csv").exists()


def test_unreadable_input_exits_2_and_writes_nothing(tmp_path):
    package = copy_package(tmp_path)
    before = tree_hashes(tmp_path)
    source = tmp_path / "notes.csv"
    source.write_text("随便写的\n没有表头\n", encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert out.exit_code == 2 and "找不到表头" in out.error.zh
    missing = ingest(copy_input(tmp_path, "penalties-merged-header.xlsx"), "penalties", package, sheet="Sheet9")
    assert missing.exit_code == 2 and "Sheet9" in missing.error.zh
    assert {k: v for k, v in tree_hashes(tmp_path).items() if not k.startswith(("notes", "inbox"))} == before


# ---------------------------------------------------------------------------
# Reading: encodings and spreadsheets
# ---------------------------------------------------------------------------

TEXT = "行政处罚决定书文号,行政相对人名称\n洪应急罚〔2016〕示例1号,示例（虚构）𠮷祥公司\n"


@pytest.mark.parametrize("data, codec", [
    (TEXT.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
    (TEXT.encode("gb18030"), "gb18030"),
    (TEXT.encode("utf-16"), "utf-16"),
])
def test_decode_detects_the_encoding(data, codec):
    text, got, how = decode(data)
    assert (text, got) == (TEXT, codec) and how


def test_legacy_text_is_decoded_as_gb18030_even_when_gbk_would_do():
    # Plain GBK bytes decode identically as GB18030; ingest never uses the narrower codec.
    data = ("处罚机关,罚款金额\n" * 20 + "示例（虚构）南昌市应急管理局,2万元\n").encode("gbk")
    text, codec, _ = decode(data)
    assert codec == "gb18030" and text == data.decode("gbk")


def test_the_xlsx_reader_fills_merged_cells_and_keeps_excel_row_numbers():
    wb = read_file(FIXTURES / "penalties-merged-header.xlsx")
    sheet = wb.sheets[0]
    rows = dict(sheet.rows)
    assert rows[2][2:6] == ["行政相对人"] * 4  # C2:F2
    assert rows[3][1] == rows[2][1] == "行政处罚决定书文号"  # B2:B3
    assert rows[8][15] == rows[7][15] == AUTH  # P7:P8 over data rows
    assert rows[4][13] == "2017-03-01" and rows[6][13] == "42830"
    assert (6, 13) in sheet.numeric and (5, 13) not in sheet.numeric


def test_legacy_xls_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(ReadError, match="另存为"):
        read_file(path)


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------


def penalty_fields():
    import json

    d = json.loads(paths.PACKAGE.read_text(encoding="utf-8"))
    return next(r for r in d["resources"] if r["name"] == "penalties")["schema"]["fields"]


@pytest.mark.parametrize("header, field, unit", [
    ("行政处罚决定书文号", "decision_number", None),
    ("处罚决定书文号", "decision_number", None),
    (" 行政相对人名称* ", "party_name", None),
    ("行政相对人代码_1(统一社会信用代码)", "uscc", None),
    ("罚款金额（万元）", "fine_amount_wan", "万元"),
    ("罚款金额(元)", "fine_amount_wan", "元"),
    ("罚款金额", "fine_amount_wan", None),
    ("没收违法所得、没收非法财物的金额（万元）", "confiscation_amount_wan", "万元"),
    ("处罚决定日期", "decision_date", None),
    ("作出处罚决定日期", "decision_date", None),
    ("处罚机关统一社会信用代码", "authority_uscc", None),
    ("fine_amount_wan", "fine_amount_wan", None),  # the schema's own names work too
])
def test_header_variants_map_to_fields(header, field, unit):
    al = aliases("penalties", penalty_fields())
    sheet = Sheet(None, [(1, [header, "处罚机关"]), (2, ["x", "y"])])
    h = locate(sheet, al)
    col = h.columns[0]
    assert (col.kind, col.field, col.unit) == ("field", field, unit)


def test_personal_and_unneeded_columns_are_recognised_as_such():
    al = aliases("penalties", penalty_fields())
    assert al.match("证件号码") == ("personal", "")
    assert al.match("法定代表人身份证号") == ("personal", "")
    assert al.match("联系电话") == ("personal", "")
    assert al.match("序号") == ("ignore", "")
    assert al.match("经办人") is None


# ---------------------------------------------------------------------------
# Normalisers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("2015年6月1日", "2015-06-01"),
    ("二〇一五年六月一日", "2015-06-01"),
    ("二○一五年十二月三十一日", "2015-12-31"),  # ○ (white circle) typed for 〇
    ("2015.6.1", "2015-06-01"),
    ("2015/6/1", "2015-06-01"),
    ("2015-6-1", "2015-06-01"),
    ("２０１５年６月１日", "2015-06-01"),
    ("  2015-06-01 00:00:00 ", "2015-06-01"),
    ("20150601", "2015-06-01"),
    ("2015年6月1号", "2015-06-01"),
    ("", ""),
    ("/", ""),
    ("2015年2月30日", "2015-02-30"),  # kept visible: the validator reports it
    ("2015年夏", "2015年夏"),
])
def test_dates(text, expected):
    assert normalize_date(text).value == expected


def test_until_dates_take_the_end_of_a_range_and_excel_serials_need_a_number_cell():
    assert normalize_date("2016年3月15日至2017年3月15日", until=True).value == "2017-03-15"
    assert normalize_date("42830", excel_number=True).value == "2017-04-05"
    assert normalize_date("42830").value == "42830"


@pytest.mark.parametrize("text, header_unit, expected", [
    ("41.1万元", None, "41.1"),
    ("41.1万", None, "41.1"),
    ("25000元", None, "2.5"),
    ("25,000元", None, "2.5"),
    ("￥25,000", "元", "2.5"),
    ("人民币贰万伍仟元整", None, "2.5"),
    ("贰万伍仟元", None, "2.5"),
    ("二万五千元", None, "2.5"),
    ("2万5千元", None, "2.5"),
    ("壹拾贰万叁仟肆佰伍拾陆元柒角捌分", None, "12.345678"),
    ("２５０００元", None, "2.5"),
    ("2.5", "万元", "2.5"),
    ("25000", "元", "2.5"),
    ("1.5万元", "元", "1.5"),  # a unit in the cell wins over the header's
    ("0", None, "0"),
    (" 3 ", "万元", "3"),
    ("无", "万元", ""),
])
def test_amounts_into_wan(text, header_unit, expected):
    cell = normalize_amount_wan(text, header_unit)
    assert (cell.value, cell.code) == (expected, None)


def test_amount_without_any_unit_is_a_finding_and_garbage_goes_to_the_validator():
    assert normalize_amount_wan("25000", None).code == "amount-unit-unknown"
    assert normalize_amount_wan("五万左右", "万元").value == "五万左右"


def test_cn2an_reads_the_financial_numerals_we_rely_on():
    # Guards the dependency: these are the forms agencies write in 大写.
    assert parse_amount("贰万伍仟元") == (Decimal(25000), "元")
    assert parse_amount("壹佰元伍角") == (Decimal("100.5"), "元")
    assert parse_amount("叁拾万元") == (Decimal(30), "万元")


def test_text_keeps_chinese_punctuation_and_circled_numbers():
    # NFKC would turn （） into () and ① into 1: free text only gets ASCII digits and letters.
    assert normalize_text("  示例（虚构）化工有限公司０００１①　").value == "示例（虚构）化工有限公司0001①"
    assert normalize_text("面积２００㎡").value == "面积200㎡"


def test_identifiers_and_numbers():
    assert normalize_code(" ９１３６０１０２ｍａ７ｙｇ２０ｈ２ｇ ").value == U["a"]
    assert normalize_code("无").value == ""
    assert normalize_doc_number("洪应急罚[２０１６] 12号").value == "洪应急罚〔2016〕12号"
    assert normalize_doc_number("洪应急罚（2016）12号").value == "洪应急罚〔2016〕12号"
    assert normalize_penalty_category("罚款、警告").value == "罚款;警告"
    assert normalize_penalty_category("罚款；责令停产整顿").value == "罚款;责令停产停业"
    assert normalize_integer("二〇一五年").value == "2015"
    assert normalize_integer("２０１５").value == "2015"


# ---------------------------------------------------------------------------
# The fixtures themselves
# ---------------------------------------------------------------------------


def test_fixtures_are_reproducible_and_fictional(tmp_path):
    import openpyxl

    made = mf.main(tmp_path)
    for path in made:
        committed = FIXTURES / path.name
        if path.suffix == ".csv":
            assert path.read_bytes() == committed.read_bytes(), f"{path.name}: run make_fixtures.py"
        else:
            a, b = openpyxl.load_workbook(path), openpyxl.load_workbook(committed)
            for wa, wb_ in zip(a.worksheets, b.worksheets):
                assert [[c.value for c in r] for r in wa.iter_rows()] == [[c.value for c in r] for r in wb_.iter_rows()]
                assert sorted(map(str, wa.merged_cells.ranges)) == sorted(map(str, wb_.merged_cells.ranges))
    for code in list(U.values()) + [AUTH_USCC]:
        assert fictional.uscc_is_valid(code), code
    assert not fictional.uscc_is_valid(mf.BAD_USCC)
    from stdnum.cn import ric

    assert ric.is_valid(mf.FICTIONAL_ID) and ric.get_birth_date(mf.FICTIONAL_ID).year == 2099


# ---------------------------------------------------------------------------
# Hardening (issue 13): hostile files, formulas, where outputs go, what they say, failed writes
# ---------------------------------------------------------------------------

MEMORY_MB = 500  # peak RSS of one ingest process; a small file takes about 120 MB, the bugs took gigabytes


def ingest_measured(source: Path, package: Path, *extra: str):
    """`python -m pipeline ingest` in a process of its own: (its peak RSS in MB, the result)."""
    from bench import run_measured

    _, mb, result = run_measured([sys.executable, "-m", "pipeline", "ingest", str(source), "--into", "penalties",
                                  "--package", str(package), "--date", BUILD_DATE.isoformat(), *extra])
    return mb, result


# -- 1. bounds: streamed workbooks, refused before they cost memory ------------


def test_a_stray_formatted_cell_at_xfd1048576_costs_nothing(tmp_path):
    # Guards against materialising the declared dimension: a 3 KB workbook with two good
    # rows and a formatted empty cell at XFD1048576 (A1:XFD1048576) grew past 6 GB.
    source = hostile.stray_cell_xlsx(tmp_path / "stray-cell.xlsx")
    sheet = read_file(source).sheets[0]
    assert [n for n, _ in sheet.rows] == [1, 2, 3] and sheet.width == len(mf.PENALTY_HEADER)
    mb, result = ingest_measured(source, copy_package(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "读取 read 2 = 接受 accepted 2" in result.stdout
    assert mb < MEMORY_MB


@pytest.mark.parametrize("make, bound, said", [
    # 1 MB that unzips to one 1 GiB cell: refused by the entry's compression ratio, unread
    (hostile.zip_bomb_xlsx, "zip_ratio", ("压缩比为 1,028", "compression ratio of entry xl/worksheets/sheet1.xml (1,028)")),
    # 300 MiB at about 50:1, under the ratio bound: refused by the declared total
    (hostile.unzips_large_xlsx, "unzipped_bytes", ("解压后大小为 314,", "unzipped size (314,")),
    # a million short rows (14 MB; took 145 s and 4.4 GB): refused at row 50,001 while streaming
    (lambda p: hostile.many_rows_xlsx(p, 1_000_000), "rows", ("A50001 单元格有内容", "cell A50001 (50,001)")),
], ids=["zip-bomb", "unzips-to-300MiB", "a-million-rows"])
def test_a_workbook_beyond_a_bound_is_refused_in_bounded_memory(tmp_path, make, bound, said):
    source = make(tmp_path / "hostile.xlsx")
    with pytest.raises(LimitError) as caught:
        read_file(source)
    assert caught.value.bound == bound
    mb, result = ingest_measured(source, copy_package(tmp_path), "--dry-run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    for text in (str(source), "超过导入上限", "exceeds ingest's bound", *said):
        assert text in result.stderr
    assert mb < MEMORY_MB


@pytest.mark.parametrize("make, said", [
    (hostile.csv_with_huge_cell, ("第3行某个单元格的字符数超过导入上限 32,767", "a cell in row 3 exceeds ingest's bound of 32,767")),
    (hostile.csv_with_wide_header, ("第1行的列数为 1,000,000，超过导入上限 256", "row 1 (1,000,000) exceeds ingest's bound of 256")),
], ids=["a-10MB-cell", "a-million-columns"])
def test_a_csv_beyond_a_bound_gets_the_same_kind_of_message_not_a_traceback(tmp_path, make, said):
    # Guards against csv's own field limit escaping as a _csv.Error traceback (from the
    # delimiter sniffer), and against a header row of a million columns being mapped.
    source = make(tmp_path / "hostile.csv")
    mb, result = ingest_measured(source, copy_package(tmp_path), "--dry-run")
    assert result.returncode == 2 and "Traceback" not in result.stderr and "_csv.Error" not in result.stderr
    for text in (str(source), *said):
        assert text in result.stderr
    assert mb < MEMORY_MB


@pytest.mark.parametrize("ref, bound", [("A50001", "rows"), ("IW1", "columns"), ("A50000", None), ("IV1", None)])
def test_a_value_beyond_the_row_or_column_bound_is_refused_naming_its_cell(tmp_path, ref, bound):
    source = hostile.far_value_xlsx(tmp_path / f"far-{ref}.xlsx", ref)
    if bound is None:  # the last row and column within the bounds are read
        rows = dict(read_file(source).sheets[0].rows)
        row = int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        assert rows[row][-1] == hostile.FAR_TEXT and len(rows[row]) == (256 if ref == "IV1" else 1)
        return
    with pytest.raises(LimitError) as caught:
        read_file(source)
    assert caught.value.bound == bound and f"{ref} 单元格" in caught.value.zh and f"cell {ref}" in caught.value.en


@pytest.mark.parametrize("make, bound", [
    (hostile.long_cell_xlsx, "cell_chars"),
    (lambda p: hostile.long_cell_xlsx(p, shared=True), "cell_chars"),
    (hostile.long_tag_xlsx, "xml_token_bytes"),  # one tag the parser would hold whole, however long
], ids=["inline-40000-chars", "shared-40000-chars", "a-5MiB-tag"])
def test_cells_and_tags_beyond_their_bound_are_refused_while_streaming(tmp_path, make, bound):
    source = make(tmp_path / "long.xlsx")
    with pytest.raises(LimitError) as caught:
        read_file(source)
    assert caught.value.bound == bound and str(source) in caught.value.zh and str(source) in caught.value.en


def test_the_streaming_reader_reads_what_excel_saves(tmp_path):
    # Shared strings: rich-text runs joined, the phonetic guide left out, _x000D_ decoded
    # (and _x005F_ escaping it); a date-formatted number is a date, a plain one a number.
    sheet = read_file(hostile.shared_strings_xlsx(tmp_path / "shared-strings.xlsx")).sheets[0]
    assert sheet.rows == [(1, [P + "南昌", "2017-04-05"]), (2, ["甲\r乙 _x000D_", "25000.5"])]
    assert sheet.numeric == {(2, 1)}


# -- 2. formula cells -------------------------------------------------------------


def test_formula_cells_reject_their_row_with_or_without_a_cached_value(tmp_path):
    # Guards against a fine of =0.5+0.5 (no cached value, as scripts write it) read as an
    # empty cell and accepted as no fine.  A cached value is refused as well: it may be
    # stale (see run.py).  A formula in a column nobody ingests (序号) rejects nothing.
    package = copy_package(tmp_path)
    source = hostile.formula_xlsx(tmp_path / "formula-fines.xlsx")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert out.accepted == [4, 5]
    assert {row: [f.code for f in fs] for row, fs in out.rejected.items()} == {2: ["formula-cell"], 3: ["formula-cell"]}
    (uncached,), (cached,) = out.rejected[2], out.rejected[3]
    assert (uncached.column, uncached.value, cached.value) == ("K列「罚款金额（万元）」", "=0.5+0.5", "=1+1")
    assert "没有保存计算结果" in uncached.message_zh and "no result saved" in uncached.message_en
    assert "计算结果为“2”" in cached.message_zh and "cached result in the file: '2'" in cached.message_en
    assert [r["fine_amount_wan"] for r in rows_of(package, "penalties")] == ["1", "1"]
    assert [r["值/value"] for r in quarantine_rows(out.quarantine)] == ["'=0.5+0.5", "'=1+1"]


# -- 3. where outputs go, which files are ours, which line is bad ---------------------


def test_a_symlinked_input_gets_its_quarantine_beside_the_link(tmp_path):
    # Guards against resolving the link: the quarantine went beside its target, a folder
    # the clerk never looks in (and may not be allowed to write).
    target = copy_input(tmp_path, "penalties-gb18030.csv")
    (tmp_path / "desk").mkdir()
    link = tmp_path / "desk" / "today.csv"
    link.symlink_to(target)
    out = ingest(link, "penalties", copy_package(tmp_path), on_date=BUILD_DATE)
    assert out.input == link and out.quarantine == tmp_path / "desk" / "today.quarantine.csv"
    assert list(out.rejected) == [6, 7, 9] and out.quarantine.is_file()
    assert [p.name for p in target.parent.iterdir()] == [target.name]


@pytest.mark.parametrize("neighbour", ["the-clerks-notes", "the-quarantine-of-report.xlsx"])
def test_a_quarantine_file_this_tool_did_not_write_is_never_deleted_nor_overwritten(tmp_path, neighbour):
    # Guards against deleting whatever report.quarantine.csv sat beside report.csv when
    # nothing was rejected: the clerk's own notes, or the quarantine of report.xlsx.
    package = copy_package(tmp_path)
    source = tmp_path / "report.csv"
    theirs = tmp_path / "report.quarantine.csv"
    if neighbour == "the-clerks-notes":
        theirs.write_bytes("\ufeff整改记录,负责人\r\n第6行,示例（虚构）王某\r\n".encode("utf-8"))
    else:
        xlsx = ingest(hostile.formula_xlsx(tmp_path / "report.xlsx"), "penalties", package, on_date=BUILD_DATE)
        assert xlsx.quarantine == theirs and theirs.exists()
    kept = theirs.read_bytes()
    source.write_text(mf.csv_text([mf.PENALTY_HEADER, hostile.penalty(11)]), encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert (out.accepted, out.quarantine_foreign, out.quarantine_removed) == ([2], True, False)
    assert theirs.read_bytes() == kept
    assert "不是本工具为此文件写的隔离文件，未改动" in summary(out, package)
    # With rows to quarantine, nothing at all is written rather than overwrite it.
    data = package.parent / "data" / "penalties.csv"
    before = data.read_bytes()
    bad = hostile.penalty(12)
    bad[mf.PENALTY_HEADER.index("处罚决定日期")] = "2016年2月30日"
    source.write_text(mf.csv_text([mf.PENALTY_HEADER, hostile.penalty(13), bad]), encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert out.exit_code == 2 and "改名或移走" in out.error.zh and "Rename or move it" in out.error.en
    assert theirs.read_bytes() == kept and data.read_bytes() == before


LINES = [mf.PENALTY_HEADER] + [hostile.penalty(n) for n in range(20, 30)]


def mixed_encoding(codec: str, line: int, other: bytes | None = None, bom: bytes = b"") -> bytes:
    """LINES in `codec`, except `line` (1-based): encoded as GBK, or replaced by `other`."""
    rows = [mf.csv_text([r]).encode(codec) for r in LINES]
    rows[line - 1] = other if other is not None else mf.csv_text([LINES[line - 1]]).encode("gbk")
    return bom + b"".join(rows)


@pytest.mark.parametrize("data, line", [
    (mixed_encoding("utf-8", 7), 7),  # a GBK row pasted into a UTF-8 file (named line 1 before)
    (mixed_encoding("utf-8", 4, bom=b"\xef\xbb\xbf"), 4),  # the same after a BOM
    (mixed_encoding("gb18030", 9, other=b"\x81\x20\xfe\xff,x\r\n"), 9),  # bytes no codec can read
    (mixed_encoding("gb18030", 5, other=mf.csv_text([LINES[4]]).encode("utf-8")), 5),  # a UTF-8 row in GB18030: silent nonsense
], ids=["gbk-row-in-utf8", "gbk-row-after-bom", "bad-bytes-in-gb18030", "utf8-row-in-gb18030"])
def test_an_undecodable_row_is_named_by_its_line(tmp_path, data, line):
    source = tmp_path / "mixed.csv"
    source.write_bytes(data)
    out = ingest(source, "penalties", copy_package(tmp_path), on_date=BUILD_DATE, dry_run=True)
    assert isinstance(out.error, EncodingError) and out.error.lines == [line]
    assert f"第{line}行" in out.error.zh and f"ine {line} " in out.error.en and out.exit_code == 2


# -- 4. what is written for people is safe to open in a spreadsheet ---------------------


@pytest.mark.parametrize("text, written", [
    ("=1+2", "'=1+2"), ("+1+2", "'+1+2"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1+2", "'\t=1+2"), ("\r=1+2", "'\r=1+2"), ("-", "'-"),
    ("-5", "-5"), ("+0.5", "+0.5"), ("-1.5E3", "-1.5E3"), ("42", "42"), (P + "=", P + "="), ("", ""),
])
def test_spreadsheet_safe_neutralises_formulas_but_not_numbers(text, written):
    from pipeline.ingest.write import spreadsheet_safe

    assert spreadsheet_safe(text) == written


def test_the_quarantine_file_runs_no_formula_in_excel(tmp_path):
    # Guards against a quarantine file that executes what an agency's file held: =HYPERLINK,
    # @SUM, +cmd|... are written with a leading apostrophe; a negative fine stays a number.
    package = copy_package(tmp_path)
    row = hostile.penalty(31, fine="-5")
    col = {name: i for i, name in enumerate(mf.PENALTY_HEADER)}
    row[col["行政相对人名称"]] = '=HYPERLINK("http://example.invalid","示例")'
    row[col["违法事实"]] = "+cmd|' /C calc'!A0"
    row[col["备注"]] = "@SUM(1+1)"
    row[col["处罚内容"]] = "\t=1+1"
    source = tmp_path / "formula-text.csv"
    source.write_text(mf.csv_text([mf.PENALTY_HEADER, row]), encoding="utf-8")
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    assert list(out.rejected) == [2]
    cells = [c for line in quarantine_rows(out.quarantine) for c in line.values()]
    risky = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert risky == [c for c in risky if c == "-5"] and "-5" in risky  # only the fine, a number
    (first, *_) = quarantine_rows(out.quarantine)
    assert first["行政相对人名称"] == "'" + row[col["行政相对人名称"]] and first["备注"] == "'@SUM(1+1)"


# -- 5. a full disk or a read-only folder leaves datasets/ as it was --------------------


def test_a_write_that_fails_half_way_leaves_the_dataset_and_no_temporary_file(tmp_path, monkeypatch):
    # Guards against the fixed temporary name written in place: a full disk left a
    # half-written .penalties.csv.ingest-tmp in datasets/data.  Here os.write really writes
    # half the bytes, then fails as a full disk does.
    import errno
    import os

    package = copy_package(tmp_path)
    source = tmp_path / "good.csv"
    source.write_text(mf.csv_text([mf.PENALTY_HEADER, hostile.penalty(41), hostile.penalty(42)]), encoding="utf-8")
    before = tree_hashes(package.parent)
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", half_then_full)
    out = ingest(source, "penalties", package, on_date=BUILD_DATE)
    monkeypatch.undo()
    dataset = package.parent / "data" / "penalties.csv"
    assert (out.exit_code, out.written) == (2, False)
    assert f"无法写入 {dataset}：磁盘已满" in out.error.zh and f"Cannot write {dataset}: the disk is full" in out.error.en
    assert tree_hashes(package.parent) == before


def unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-Urm", "true"], check=False, capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


IN_NAMESPACE = """
import datetime as dt, hashlib, json, sys
from pathlib import Path
from pipeline.ingest import ingest, summary
source, package = Path(sys.argv[1]), Path(sys.argv[2])
def tree(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != ".filler"}
before = tree(package.parent)
out = ingest(source, "penalties", package, on_date=dt.date(2026, 11, 28))
print(json.dumps({"before": before, "after": tree(package.parent), "exit": out.exit_code, "written": out.written,
                  "zh": out.error and out.error.zh, "en": out.error and out.error.en, "summary": summary(out, package)}))
"""


@pytest.mark.skipif(not unshare_works(), reason="needs unshare -Urm (user and mount namespaces) to mount small or read-only folders")
@pytest.mark.parametrize("where, how, cause", [
    ("data", "full", ("磁盘已满", "the disk is full")),
    ("data", "read-only", ("文件系统为只读", "the file system is read-only")),
    ("inbox", "read-only", ("文件系统为只读", "the file system is read-only")),  # the quarantine, written first
    ("tmp", "full", ("磁盘已满", "the disk is full")),  # the staged copy the validator reads
])
def test_a_full_or_read_only_file_system_leaves_the_dataset_as_it_was(tmp_path, where, how, cause):
    # A real file system in a mount namespace of the test's own: a tmpfs filled to the last
    # byte, or a read-only bind mount.  The file has rows to append and one to quarantine.
    import json
    import os
    import shlex

    package = copy_package(tmp_path)
    (tmp_path / "inbox").mkdir()
    (tmp_path / "tmp").mkdir()
    source = tmp_path / "inbox" / "mostly-good.csv"
    bad = hostile.penalty(59)
    bad[mf.PENALTY_HEADER.index("处罚决定日期")] = "2016年2月30日"
    source.write_text(mf.csv_text([mf.PENALTY_HEADER] + [hostile.penalty(n) for n in range(50, 59)] + [bad]), encoding="utf-8")
    folder = {"data": package.parent / "data", "inbox": tmp_path / "inbox", "tmp": tmp_path / "tmp"}[where]
    saved = shutil.copytree(folder, tmp_path / "saved")
    d, s = shlex.quote(str(folder)), shlex.quote(str(saved))
    if how == "full" and where == "tmp":  # room for tempfile's probe, not for the staged package
        mount = f"mount -t tmpfs -o size=8k tmpfs {d}"
    elif how == "full":
        mount = f"mount -t tmpfs -o size=1m tmpfs {d} && cp -a {s}/. {d}/ && (dd if=/dev/zero of={d}/.filler bs=4k 2>/dev/null || true)"
    else:
        mount = f"mount --bind {d} {d} && mount -o remount,bind,ro {d}"
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT), "TMPDIR": str(tmp_path / "tmp")}
    result = subprocess.run(["unshare", "-Urm", "sh", "-c", f'{mount} && exec "$0" -c "$1" "$2" "$3"',
                             sys.executable, IN_NAMESPACE, str(source), str(package)],
                            check=False, capture_output=True, text=True, env=env, cwd=paths.ROOT)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.splitlines()[-1])
    assert got["after"] == got["before"] and not got["written"] and got["exit"] == 2
    assert cause[0] in got["zh"] and cause[1] in got["en"], got["zh"]
    named = {"data": package.parent / "data" / "penalties.csv", "inbox": source.with_name("mostly-good.quarantine.csv"),
             "tmp": tmp_path / "tmp"}[where]
    assert str(named) in got["zh"] and str(named) in got["en"]
    assert "✗ 无法写入" in got["summary"]
