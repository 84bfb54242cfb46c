"""python -m pipeline source add: a new source document registered in a copy of the package.

Every document here is fictional and says so (示例、虚构).  Each test works on a copy of
datasets/ (the `package_copy` fixture) and checks the package the way the validator and
`python -m pipeline passages` see it, not the command's own account of what it did.
"""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import paths, sources_add
from pipeline.ingest.write import WriteError
from pipeline.source import collapse_ws, package_passage_rows, split_passages
from pipeline.sources_add import Refused, add_source
from tests.conftest import BUILD_DATE, codes, validate

PLAN_ID = "nanchang-safety-13th-fyp"
PLAN_TITLE = "南昌市安全生产“十三五”规划"

# A statistical bulletin as a web page's text usually comes: preamble lines, 一、 and a
# two-digit 十二、, items straight under a chapter and under sections, （1） sub-items, a
# table with its 序号 column, and notes whose numbering starts again.  Its table is 表3:
# see test_a_new_source_may_number_its_tables_from_1 for why not 表1.
BULLETIN_TITLE = "示例市2020年安全生产统计公报（示例（虚构））"
BULLETIN = """示例市2020年安全生产统计公报（示例（虚构））
示例市应急管理局（虚构）
2021年3月1日
一、总体情况
全年全市发生各类生产安全事故45起，死亡58人，比上年分别下降10.0%和12.1%。
1．亿元生产总值生产安全事故死亡率0.045。
2．未发生较大及以上生产安全事故。
十二、分行业情况
（一）工矿商贸
1．工矿商贸就业人员十万人生产安全事故死亡率1.02。
2．按行业分：
（1）建筑施工事故死亡12人。
（2）危险化学品事故死亡1人。
（二）道路交通
1．道路交通万车死亡率1.35。
表3：2020年生产安全事故情况（虚构）
序号
指标
单位
绝对数
比上年增长（%）
1
事故起数
起
45
-10.0
2
死亡人数
人
58
-12.1
附注：
1．本公报数据为初步统计数（虚构）。
2．部分数据因四舍五入，分项合计与总计不等。
"""
# (id without the prefix, kind, locator, text) of every passage, asserted whole.
BULLETIN_PASSAGES = [
    ("title-1", "title", "标题", "示例市2020年安全生产统计公报（示例（虚构））"),
    ("preamble-p1", "paragraph", "前言第1段", "示例市应急管理局（虚构）"),
    ("preamble-p2", "paragraph", "前言第2段", "2021年3月1日"),
    ("c1", "heading", "一、", "一、总体情况"),
    ("c1-p1", "paragraph", "一、第1段", "全年全市发生各类生产安全事故45起，死亡58人，比上年分别下降10.0%和12.1%。"),
    ("c1-i1", "paragraph", "一、1.", "1．亿元生产总值生产安全事故死亡率0.045。"),
    ("c1-i2", "paragraph", "一、2.", "2．未发生较大及以上生产安全事故。"),
    ("c12", "heading", "十二、", "十二、分行业情况"),
    ("c12-s1", "heading", "十二、(一)", "（一）工矿商贸"),
    ("c12-s1-i1", "paragraph", "十二、(一)1.", "1．工矿商贸就业人员十万人生产安全事故死亡率1.02。"),
    ("c12-s1-i2", "paragraph", "十二、(一)2.", "2．按行业分："),
    ("c12-s1-i2-p1", "paragraph", "十二、(一)2.第1段", "（1）建筑施工事故死亡12人。"),
    ("c12-s1-i2-p2", "paragraph", "十二、(一)2.第2段", "（2）危险化学品事故死亡1人。"),
    ("c12-s2", "heading", "十二、(二)", "（二）道路交通"),
    ("c12-s2-i1", "paragraph", "十二、(二)1.", "1．道路交通万车死亡率1.35。"),
    ("t3-caption", "table_caption", "表3 标题", "表3：2020年生产安全事故情况（虚构）"),
    ("t3-header", "table_header", "表3 表头", "序号 指标 单位 绝对数 比上年增长（%）"),
    ("t3-r1", "table_row", "表3 第1行", "1 事故起数 起 45 -10.0"),
    ("t3-r2", "table_row", "表3 第2行", "2 死亡人数 人 58 -12.1"),
    ("c12-s2-i1-p1", "paragraph", "十二、(二)1.第1段", "附注："),
    ("c12-s2-i1-n2", "paragraph", "十二、(二)1.（第2处）", "1．本公报数据为初步统计数（虚构）。"),
    ("c12-s2-i2", "paragraph", "十二、(二)2.", "2．部分数据因四舍五入，分项合计与总计不等。"),
]

REPORT_TITLE = "示例市政府工作报告（示例（虚构））"
REPORT = """示例市政府工作报告（示例（虚构））
——2021年1月10日在示例市第一届人民代表大会第五次会议上（虚构）
各位代表：
一、2020年工作回顾
过去一年，安全生产形势总体稳定（虚构）。
（一）坚持安全发展
1.开展安全生产专项整治三年行动。
2.完成隐患整改3200项。
二、2021年工作安排
（一）守牢安全底线
1.深化重点行业领域专项整治。
"""

NOT_GIVEN = "登记时未提供。Not given when registered."


def snapshot(package: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the package folder, hidden ones included: bytes and modification time."""
    base = package.parent
    return {p.relative_to(base).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(base.rglob("*")) if p.is_file()}


def contents(package: Path) -> dict[str, bytes]:
    return {k: v[0] for k, v in snapshot(package).items()}


def csv_rows(package: Path, name: str) -> list[dict]:
    with open(package.parent / "data" / f"{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def add(package: Path, file: Path, source_id: str = "example-bulletin-2020", title: str = BULLETIN_TITLE, **kw):
    return add_source(file, source_id, title, package=package, on_date=BUILD_DATE, **kw)


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BUILD_DATE": BUILD_DATE.isoformat()}
    return subprocess.run([sys.executable, "-m", "pipeline", "source", "add", *args], capture_output=True, text=True,
                          cwd=paths.ROOT, env=env, check=False)


@pytest.fixture
def bulletin_gb18030(tmp_path) -> Path:
    # As a legacy Windows editor saves it: GB18030 without a BOM (charset-normalizer must
    # find it) and CRLF line endings.
    path = tmp_path / "示例公报.txt"
    path.write_bytes(BULLETIN.replace("\n", "\r\n").encode("gb18030"))
    return path


# -- registration --------------------------------------------------------------------------


def test_registers_a_gb18030_bulletin_with_its_passages(package_copy, bulletin_gb18030):
    # The whole command as a clerk runs it: encoding, line endings, the register row, the
    # passages appended after the plan's, and a package the validator accepts.
    before = contents(package_copy)
    result = cli(str(bulletin_gb18030), "--id", "example-bulletin-2020", "--title", BULLETIN_TITLE,
                 "--kind", "statistical_bulletin", "--date", "2021-03-01", "--url", "https://example.org/tjgb/2020.html",
                 "--package", str(package_copy.parent))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "已登记 / registered: example-bulletin-2020" in result.stdout
    assert "新增 22 个 / 22 added" in result.stdout
    assert "python -m pipeline ingest 表格 --into observations" in result.stdout
    assert "GB18030" in result.stdout and "CRLF" in result.stdout

    base = package_copy.parent
    stored = base / "source" / "example-bulletin-2020.txt"
    assert stored.read_bytes() == BULLETIN.encode("utf-8")  # UTF-8, LF, nothing else changed

    sources = csv_rows(package_copy, "sources")
    assert [s["source_id"] for s in sources] == [PLAN_ID, "example-bulletin-2020"]
    row = sources[1]
    assert row == {
        "source_id": "example-bulletin-2020", "title": BULLETIN_TITLE, "kind": "statistical_bulletin",
        "issuer": "", "issuer_note": NOT_GIVEN, "document_number": "", "document_number_note": NOT_GIVEN,
        "date": "2021-03-01", "date_note": "登记时提供，未核对。Given when registered; not checked.",
        "url": "https://example.org/tjgb/2020.html", "url_note": "登记时提供，未核对。Given when registered; not checked.",
        "retrieved_date": "", "retrieved_note": NOT_GIVEN,
        "path": "source/example-bulletin-2020.txt", "sha256": hashlib.sha256(BULLETIN.encode("utf-8")).hexdigest(),
        "passage_id_prefix": "example-bulletin-2020--",
        "note_zh": "2026-11-28 用 python -m pipeline source add 从文件“示例公报.txt”登记：从 GB18030 转为 UTF-8；CRLF 换行统一为 LF。",
        "note_en": "Registered on 2026-11-28 with python -m pipeline source add from the file '示例公报.txt': "
                   "converted from GB18030 to UTF-8; CRLF line endings made LF.",
        "licence_note_zh": "这份文本的著作权状态尚未评估；登记收录它不表示可以自由转载。",
        "licence_note_en": "The copyright status of this text has not been assessed; registering it does not mean it "
                           "may be freely republished.",
    }

    # The plan's rows are untouched, byte for byte; the bulletin's follow them.
    passages_csv = (base / "data" / "passages.csv").read_bytes()
    assert passages_csv.startswith(before["data/passages.csv"])
    new = [r for r in csv_rows(package_copy, "passages") if r["source_id"] == "example-bulletin-2020"]
    assert [(r["passage_id"], r["kind"], r["locator_zh"], r["text"]) for r in new] == [
        (f"example-bulletin-2020--{pid}", kind, loc, text) for pid, kind, loc, text in BULLETIN_PASSAGES]
    for r in new:  # offsets point into the stored text
        assert collapse_ws(BULLETIN[int(r["char_start"]):int(r["char_end"])]) == r["text"]

    # `python -m pipeline passages` would write exactly this file, byte for byte.
    regenerated = package_passage_rows(base)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(regenerated[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(regenerated)
    assert buf.getvalue().encode("utf-8") == passages_csv
    assert codes(validate(package_copy)) == []
    # Nothing else in the package changed, and no temporary or backup file is left.
    after = contents(package_copy)
    assert set(after) == set(before) | {"source/example-bulletin-2020.txt"}
    assert {k for k in before if after[k] != before[k]} == {"data/passages.csv", "data/sources.csv"}


def test_a_work_report_with_crlf_and_a_bom(package_copy, tmp_path):
    # UTF-8 with a BOM and Windows line endings: both are dropped, offsets count the stored text.
    path = tmp_path / "report.txt"
    path.write_bytes(b"\xef\xbb\xbf" + REPORT.replace("\n", "\r\n").encode("utf-8"))
    out = add(package_copy, path, "example-work-report-2021", REPORT_TITLE, kind="work_report", issuer="示例市人民政府（虚构）")
    assert (out.status, out.passages) == ("added", 11)
    assert out.changes == ["去掉了 BOM / BOM dropped", "CRLF 换行统一为 LF / CRLF line endings made LF"]
    assert out.text_path.read_bytes() == REPORT.encode("utf-8")
    ids = [r["passage_id"] for r in csv_rows(package_copy, "passages") if r["source_id"] == "example-work-report-2021"]
    assert ids == [f"example-work-report-2021--{p}" for p in
                   ("title-1", "preamble-p1", "preamble-p2", "c1", "c1-p1", "c1-s1", "c1-s1-i1", "c1-s1-i2", "c2", "c2-s1",
                    "c2-s1-i1")]
    row = csv_rows(package_copy, "sources")[-1]
    assert (row["kind"], row["issuer"], row["issuer_note"]) == ("work_report", "示例市人民政府（虚构）",
                                                                "登记时提供，未核对。Given when registered; not checked.")
    assert codes(validate(package_copy)) == []


def test_two_new_sources_and_the_plan_keep_unique_ids(package_copy, bulletin_gb18030, tmp_path):
    # Both documents have a c1-s1-i1: the prefixes keep every id unique across sources.
    report = tmp_path / "report.txt"
    report.write_text(REPORT, encoding="utf-8")
    add(package_copy, bulletin_gb18030)
    add(package_copy, report, "example-work-report-2021", REPORT_TITLE)
    rows = csv_rows(package_copy, "passages")
    assert len({r["passage_id"] for r in rows}) == len(rows) == 118 + 22 + 11
    assert [s["source_id"] for s in csv_rows(package_copy, "sources")] == [PLAN_ID, "example-bulletin-2020",
                                                                           "example-work-report-2021"]
    assert codes(validate(package_copy)) == []


# -- idempotence and conflicts ---------------------------------------------------------------


def test_adding_the_same_file_again_changes_nothing(package_copy, bulletin_gb18030):
    # A second run of the same command must not append the passages again, nor rewrite
    # any file (a rewrite would touch modification times and trigger rebuilds).
    args = [str(bulletin_gb18030), "--id", "example-bulletin-2020", "--title", BULLETIN_TITLE, "--package", str(package_copy)]
    assert cli(*args).returncode == 0
    before = snapshot(package_copy)
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert "已登记，无改动 / already registered, nothing changed" in again.stdout
    assert snapshot(package_copy) == before


def test_the_plan_itself_is_already_registered(package_copy):
    out = add(package_copy, paths.SOURCE_TEXT, PLAN_ID, PLAN_TITLE)
    assert out.status == "unchanged"


def test_other_text_under_a_registered_id_is_refused(package_copy, bulletin_gb18030, tmp_path):
    # A corrected or different text must never silently replace the one that passages and
    # citations were checked against.
    add(package_copy, bulletin_gb18030)
    before = snapshot(package_copy)
    changed = tmp_path / "changed.txt"
    changed.write_text(BULLETIN.replace("死亡58人", "死亡59人"), encoding="utf-8")
    with pytest.raises(Refused) as info:
        add(package_copy, changed)
    assert info.value.code == "id-conflict"
    assert "changed.txt" in info.value.zh and "changed.txt" in info.value.en
    assert "example-bulletin-2020" in info.value.zh and "sha256" in info.value.en
    assert snapshot(package_copy) == before


def test_the_same_text_under_another_id_is_refused(package_copy, bulletin_gb18030, tmp_path):
    # Same words, other encoding and line endings: still the same text, so each passage
    # would get two ids.  The plan's own text counts too.
    add(package_copy, bulletin_gb18030)
    before = snapshot(package_copy)
    utf8 = tmp_path / "same.txt"
    utf8.write_text(BULLETIN, encoding="utf-8")
    with pytest.raises(Refused) as info:
        add(package_copy, utf8, "example-bulletin-copy")
    assert info.value.code == "duplicate-content"
    assert "example-bulletin-2020" in info.value.zh and "example-bulletin-2020" in info.value.en
    with pytest.raises(Refused) as info:
        add(package_copy, paths.SOURCE_TEXT, "another-plan", PLAN_TITLE)
    assert info.value.code == "duplicate-content" and PLAN_ID in info.value.en
    assert snapshot(package_copy) == before


def test_the_same_text_with_other_details_is_refused(package_copy, bulletin_gb18030):
    # Rerunning with a corrected title must not report success while changing nothing.
    add(package_copy, bulletin_gb18030, date="2021-03-01")
    before = snapshot(package_copy)
    with pytest.raises(Refused) as info:
        add(package_copy, bulletin_gb18030, title="另一个标题（虚构）", date="2021-03-02")
    assert info.value.code == "metadata-differs"
    assert "title" in info.value.en and "2021-03-01" in info.value.en and "2021-03-02" in info.value.en
    assert snapshot(package_copy) == before


def test_an_unregistered_file_in_the_way_is_kept(package_copy, bulletin_gb18030):
    stray = package_copy.parent / "source" / "example-bulletin-2020.txt"
    stray.write_text("别的内容（虚构）\n", encoding="utf-8")
    before = snapshot(package_copy)
    with pytest.raises(Refused) as info:
        add(package_copy, bulletin_gb18030)
    assert info.value.code == "unregistered-file"
    assert snapshot(package_copy) == before


# -- bad inputs ------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


TEXT = "示例文件（虚构）\n一、总体情况\n全年事故下降（虚构）。\n".encode()

# (case, file name, content, options, code, words the Chinese message must hold)
BAD = [
    ("id not a slug", "a.txt", TEXT, {"source_id": "Example_Bulletin"}, "id-not-slug", "^[a-z0-9][a-z0-9-]*$"),
    ("id with the prefix separator", "a.txt", TEXT, {"source_id": "example--2020"}, "id-not-slug", "--"),
    ("url not http", "a.txt", TEXT, {"url": "ftp://example.org/a.txt"}, "url-invalid", "sources.url"),
    ("url with a space", "a.txt", TEXT, {"url": "https://example.org/a b.html"}, "url-invalid", "sources.url"),
    ("date not ISO", "a.txt", TEXT, {"date": "2021/03/01"}, "date-invalid", "YYYY-MM-DD"),
    ("date that does not exist", "a.txt", TEXT, {"date": "2021-02-30"}, "date-invalid", "YYYY-MM-DD"),
    ("date in the future", "a.txt", TEXT, {"date": "2026-11-29"}, "date-future", "晚于今天"),
    ("retrieved in the future", "a.txt", TEXT, {"retrieved": "2027-01-01"}, "date-future", "--retrieved"),
    ("issued after retrieved", "a.txt", TEXT, {"date": "2021-03-02", "retrieved": "2021-03-01"}, "date-order", "获取日期"),
    ("title on two lines", "a.txt", TEXT, {"title": "示例\n（虚构）"}, "title-invalid", "一行"),
    ("issuer on two lines", "a.txt", TEXT, {"issuer": "示例\n（虚构）机关"}, "issuer-invalid", "一行"),
    ("a kind that does not exist", "a.txt", TEXT, {"kind": "newspaper"}, "kind-invalid", "newspaper"),
    ("empty file", "empty.txt", b"", {}, "empty-text", "没有文字"),
    ("whitespace only", "blank.txt", b" \r\n\t\n", {}, "empty-text", "没有文字"),
    ("form feed from pdftotext", "ff.txt", TEXT + "第二页（虚构）\f\n".encode(), {}, "control-character", "第4行 U+000C"),
    ("bidi override", "rlo.txt", "示例\u202e（虚构）\n".encode(), {}, "control-character", "第1行 U+202E"),
    ("NUL byte", "nul.txt", TEXT + b"\x00\n", {}, "control-character", "U+0000"),
    ("UTF-8 with a GBK line pasted in", "mixed.txt",
     TEXT + "全年事故下降（虚构）。\n".encode("gbk") + "安全生产示例（虚构）\n".encode(), {}, "not-decodable", "第4行"),
    ("a PDF", "bulletin.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", {}, "not-plain-text", "pdftotext"),
    ("a Word file", "bulletin.docx", b"PK\x03\x04\x14\x00\x06\x00", {}, "not-plain-text", "纯文本"),
    ("a saved web page", "bulletin.html", b"<!DOCTYPE html>\n<html><body>\xe7\xa4\xba\xe4\xbe\x8b</body></html>\n", {},
     "not-plain-text", "HTML"),
]


@pytest.mark.parametrize("case,name,data,options,code,words", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_naming_the_file_and_the_rule(package_copy, tmp_path, case, name, data, options, code, words):
    # Each rule refuses before anything is written, in both languages, naming the file.
    path = write(tmp_path, name, data)
    before = snapshot(package_copy)
    kw = {"source_id": "example-doc", "title": "示例文件（虚构）", **options}
    with pytest.raises(Refused) as info:
        add(package_copy, path, **kw)
    assert info.value.code == code
    assert name in info.value.zh and name in info.value.en
    assert words in info.value.zh
    assert snapshot(package_copy) == before


def test_a_file_over_the_size_bound_is_refused_unread(package_copy, tmp_path):
    # A sparse file: the bound is checked on the size, before a byte is read.
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.truncate(sources_add.MAX_BYTES + 1)
    with pytest.raises(Refused) as info:
        add(package_copy, path, "example-huge")
    assert info.value.code == "file-too-large" and "huge.txt" in info.value.en


def test_refusal_on_the_command_line_is_bilingual_and_exits_1(package_copy, tmp_path):
    path = write(tmp_path, "a.txt", TEXT)
    result = cli(str(path), "--id", "Bad_Id", "--title", "示例文件（虚构）", "--package", str(package_copy))
    assert result.returncode == 1
    assert "[id-not-slug]" in result.stderr and "a.txt" in result.stderr
    assert "来源编号" in result.stderr and "source id" in result.stderr
    assert result.stdout == ""


def test_a_concurrent_run_is_refused(package_copy, tmp_path):
    # Two runs appending to sources.csv at once would lose one registration.
    path = write(tmp_path, "a.txt", TEXT)
    with open(package_copy, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(Refused) as info:
            add(package_copy, path, "example-doc", "示例文件（虚构）")
    assert info.value.code == "locked"


# -- rollback ----------------------------------------------------------------------------------


def test_a_source_the_validator_rejects_is_rolled_back(package_copy, tmp_path):
    # A table of 100 rows gives table_row 100, above the schema's maximum of 99: the files
    # are written, validation fails on what was added, and everything is put back.
    lines = ["示例大表（虚构）", "表5：各区事故起数（虚构）", "序号", "区", "起数"]
    for n in range(1, 101):
        lines += [str(n), f"示例{n}区", str(n % 7)]
    path = write(tmp_path, "big.txt", ("\n".join(lines) + "\n").encode())
    before = snapshot(package_copy)
    with pytest.raises(Refused) as info:
        add(package_copy, path, "example-big", "示例大表（虚构）")
    assert info.value.code == "validation-failed"
    assert "big.txt" in info.value.zh and "已全部撤回" in info.value.zh
    assert "passages.csv" in info.value.zh and "table_row" in info.value.zh and "[maximum]" in info.value.zh
    # The old files are renamed back (hard-linked before the write): even their times match.
    assert snapshot(package_copy) == before
    assert codes(validate(package_copy)) == []


def test_a_failed_write_is_rolled_back(package_copy, bulletin_gb18030, monkeypatch):
    # The disk fills up at the last of the three writes: the text and passages.csv already
    # written must be undone, or passages would point at a source that is not registered.
    from pipeline.ingest import (
        write,  # the transaction writes through write.atomic_write
    )

    real = write.atomic_write

    def full_disk(path, data, kept):
        if Path(path).name == "sources.csv":
            raise WriteError(Path(path), OSError(errno.ENOSPC, "No space left on device"), kept)
        real(path, data, kept)

    monkeypatch.setattr(write, "atomic_write", full_disk)
    before = snapshot(package_copy)
    with pytest.raises(Refused) as info:
        add(package_copy, bulletin_gb18030)
    assert info.value.code == "write-failed"
    assert "磁盘已满" in info.value.zh and "the disk is full" in info.value.en
    assert snapshot(package_copy) == before


# -- files and a package that are not what they should be ------------------------------------


def test_a_missing_file_and_a_folder_are_refused_by_name(package_copy, tmp_path):
    before = snapshot(package_copy)
    (tmp_path / "folder.txt").mkdir()
    for name, code in (("nowhere.txt", "file-missing"), ("folder.txt", "not-a-file")):
        with pytest.raises(Refused) as info:
            add(package_copy, tmp_path / name, "example-doc", "示例文件（虚构）")
        assert info.value.code == code and name in info.value.zh and name in info.value.en
    assert snapshot(package_copy) == before


def test_a_package_that_cannot_be_read_is_refused(tmp_path):
    path = write(tmp_path, "a.txt", TEXT)
    with pytest.raises(Refused) as info:
        add_source(path, "example-doc", "示例文件（虚构）", package=tmp_path / "no-package" / "datapackage.json",
                   on_date=BUILD_DATE)
    assert info.value.code == "package-invalid" and "datapackage.json" in info.value.en


def test_a_registered_copy_that_was_altered_is_not_trusted(package_copy, bulletin_gb18030):
    # Guards against passages being checked against a stored text that is no longer the
    # registered one: the same document again finds its copy changed and says so.
    add(package_copy, bulletin_gb18030)
    stored = package_copy.parent / "source" / "example-bulletin-2020.txt"
    stored.write_text(stored.read_text(encoding="utf-8").replace("死亡58人", "死亡59人"), encoding="utf-8")
    before = snapshot(package_copy)
    with pytest.raises(Refused) as info:
        add(package_copy, bulletin_gb18030)
    assert info.value.code == "stored-copy-altered" and "source/example-bulletin-2020.txt" in info.value.en
    assert snapshot(package_copy) == before


def test_a_path_that_belongs_to_another_source_is_refused(package_copy, bulletin_gb18030, tmp_path):
    # A source renamed by hand keeps its file: a new source may not take that file's name.
    add(package_copy, bulletin_gb18030)
    sources = package_copy.parent / "data" / "sources.csv"
    sources.write_text(sources.read_text(encoding="utf-8").replace("example-bulletin-2020,", "example-bulletin-renamed,", 1),
                       encoding="utf-8")
    before = snapshot(package_copy)
    other = write(tmp_path, "other.txt", TEXT)
    with pytest.raises(Refused) as info:
        add(package_copy, other, "example-bulletin-2020", "示例文件（虚构）")
    assert info.value.code == "path-taken" and "example-bulletin-renamed" in info.value.en
    assert snapshot(package_copy) == before


# -- the splitter ------------------------------------------------------------------------------


def test_the_plans_passages_are_byte_identical(tmp_path):
    # The splitter learnt items under chapters, repeated numbering and chapterless sections
    # for other documents; the plan's published ids and offsets must not move at all.
    out = tmp_path / "passages.csv"
    result = subprocess.run([sys.executable, "-m", "pipeline", "passages", "--out", str(out)], capture_output=True,
                            text=True, cwd=paths.ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == paths.PASSAGES_CSV.read_bytes()


def test_splitter_ids_stay_valid_and_unique_in_odd_documents():
    # Before: a （一） before any 一、 gave the id "cNone-s1" (fails the id pattern); a table
    # cell "120.5" under a section was item 120 (above the maximum of 99); a numbering that
    # starts again gave the same id twice (fails the primary key); "三五、" was chapter 35.
    text = ("关于示例工作的通知（虚构）\n（一）总体要求\n1．坚持安全第一。\n1.35\n120.5\n2020、2021年均完成。\n"
            "（二）附则\n1．本通知自印发之日起施行。\n1．重复编号。\n一、正文\n三五、不是标题\n一、附件重新编号\n")
    got = [(p.passage_id, p.chapter, p.section, p.item, p.locator_zh) for p in split_passages(text, title="关于示例工作的通知（虚构）")]
    assert got == [
        ("title-1", None, None, None, "标题"),
        ("preamble-s1", None, 1, None, "(一)"),
        ("preamble-s1-i1", None, 1, 1, "(一)1."),
        ("preamble-s1-i1-p1", None, 1, 1, "(一)1.第1段"),
        ("preamble-s1-i1-p2", None, 1, 1, "(一)1.第2段"),
        ("preamble-s1-i1-p3", None, 1, 1, "(一)1.第3段"),
        ("preamble-s2", None, 2, None, "(二)"),
        ("preamble-s2-i1", None, 2, 1, "(二)1."),
        ("preamble-s2-i1-n2", None, 2, 1, "(二)1.（第2处）"),
        ("c1", 1, None, None, "一、"),
        ("c1-p1", 1, None, None, "一、第1段"),
        ("c1-n2", 1, None, None, "一、（第2处）"),
    ]


def test_a_new_source_may_number_its_tables_from_1(package_copy, tmp_path):
    path = write(tmp_path, "t1.txt", BULLETIN.replace("表3：", "表1：").encode())
    add(package_copy, path)  # guards against table headers looked up by number alone (a 表1 of every source)
    assert codes(validate(package_copy)) == []
