"""Releases: versioned, checksummed, diffed; no silent change to a published value."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipeline.build import build
from pipeline.demo import make_demo_package
from pipeline.publish.release import release

DATE = dt.date(2026, 11, 28)


def set_version(package: Path, version: str) -> None:
    d = json.loads(package.read_text(encoding="utf-8"))
    d["version"] = version
    package.write_text(json.dumps(d, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def edit_csv(path: Path, key: tuple[str, str], field: str, value: str) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.DictReader(f)
        names, rows = r.fieldnames, list(r)
    for row in rows:
        if row[key[0]] == key[1]:
            row[field] = value
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=names, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def append_csv(path: Path, row: dict) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        names = next(csv.reader(f))
    with open(path, "a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, fieldnames=names, lineterminator="\n").writerow(row)


def test_release_writes_manifest_data_and_diff(package_copy, tmp_path):
    out = tmp_path / "build"
    assert release("0.1.0", package_copy, out, on_date=DATE, with_site=False) == 0
    rel = package_copy.parent / "releases" / "0.1.0"  # committed beside the package
    manifest = json.loads((rel / "manifest.json").read_text(encoding="utf-8"))
    listed = {f["path"] for f in manifest["files"]}
    assert "data/datapackage.json" in listed and "package/datapackage.json" in listed and "diff.json" in listed
    assert not (rel / "data").exists() and (out / "releases" / "0.1.0" / "data" / "datapackage.json").exists()
    assert json.loads((rel / "diff.json").read_text(encoding="utf-8"))["previous_version"] is None
    # releases are immutable
    assert release("0.1.0", package_copy, out, on_date=DATE, with_site=False) == 2


def test_unrecorded_change_fails_and_recorded_change_is_released(package_copy, tmp_path, capsys):
    out = tmp_path / "build"
    assert release("0.1.0", package_copy, out, on_date=DATE, with_site=False) == 0
    obs = package_copy.parent / "data" / "observations.csv"
    # A (fictional) correction: the value and its quote change together, so only the
    # corrections rule can object.
    edit_csv(obs, ("observation_id", "fyp12-road-deaths:actual:2010"), "note_zh", "示例更正说明")
    set_version(package_copy, "0.1.1")
    capsys.readouterr()
    assert build(package_copy, out, on_date=DATE, with_site=False) == 1
    printed = capsys.readouterr().out
    assert "uncorrected-change" in printed and "observations.csv" in printed
    assert "fyp12-road-deaths:actual:2010.note_zh" in printed and "→ “示例更正说明”" in printed  # old and new value
    assert (package_copy.parent / "releases" / "index.json").exists()

    append_csv(package_copy.parent / "data" / "corrections.csv", {
        "correction_id": "2026-11-28-01", "date": "2026-11-28", "kind": "更正", "outcome": "已更正",
        "resource": "observations", "record_key": "fyp12-road-deaths:actual:2010", "field": "note_zh",
        "old_value": "", "new_value": "示例更正说明", "reason_zh": "测试用更正", "reason_en": "", "requested_by": "公众",
        "passage_id": "t1-r7"})
    assert release("0.1.1", package_copy, out, on_date=DATE, with_site=False) == 0
    diff = json.loads((package_copy.parent / "releases" / "0.1.1" / "diff.json").read_text(encoding="utf-8"))
    assert diff["tables"]["observations"]["rows_changed"] == [
        {"key": "fyp12-road-deaths:actual:2010", "changes": {"note_zh": ["", "示例更正说明"]}}]
    con = sqlite3.connect(out / "data" / "safety.db")
    summary = con.execute("SELECT summary_zh FROM releases WHERE version = '0.1.1'").fetchone()[0]
    assert "测试用更正" in summary and "提出方：公众" in summary


def test_changelog_page_and_feed_show_the_change_and_its_reason(package_copy, tmp_path):
    out = tmp_path / "build"
    assert release("0.1.0", package_copy, out, on_date=DATE, with_site=False) == 0
    edit_csv(package_copy.parent / "data" / "observations.csv", ("observation_id", "fyp12-road-deaths:actual:2010"),
             "note_zh", "示例更正说明")
    append_csv(package_copy.parent / "data" / "corrections.csv", {
        "correction_id": "2026-11-28-01", "date": "2026-11-28", "kind": "更正", "outcome": "已更正",
        "resource": "observations", "record_key": "fyp12-road-deaths:actual:2010", "field": "note_zh",
        "old_value": "", "new_value": "示例更正说明", "reason_zh": "测试用更正原因", "reason_en": "", "requested_by": "公众",
        "passage_id": "t1-r7"})
    set_version(package_copy, "0.1.1")
    assert release("0.1.1", package_copy, out, on_date=DATE) == 0
    page = (out / "site" / "changelog" / "index.html").read_text(encoding="utf-8")
    assert "0.1.1" in page and "测试用更正原因" in page and "示例更正说明" in page
    feed = (out / "site" / "releases.xml").read_text(encoding="utf-8")
    assert "版本 0.1.1" in feed and "测试用更正原因" in feed


def test_private_person_is_never_named_as_requester(package_copy, tmp_path):
    append_csv(package_copy.parent / "data" / "corrections.csv", {
        "correction_id": "2026-11-28-01", "date": "2026-11-28", "kind": "异议", "outcome": "维持原值",
        "resource": "observations", "record_key": "fyp12-road-deaths:actual:2015", "field": "value",
        "old_value": "221", "new_value": "221", "reason_zh": "核对原文后维持", "requested_by": "张三"})
    from tests.conftest import validate

    assert ("private-person-named", "corrections", 2) in {(e.code, e.resource, e.row) for e in validate(package_copy).errors}


def test_two_releases_of_the_same_tree_have_identical_manifests(package_copy, tmp_path):
    other = tmp_path / "other" / "datasets"
    shutil.copytree(package_copy.parent, other)
    assert release("0.1.0", package_copy, tmp_path / "a", on_date=DATE, with_site=False) == 0
    assert release("0.1.0", other / "datapackage.json", tmp_path / "b", on_date=DATE, with_site=False) == 0
    manifest = "releases/0.1.0/manifest.json"
    assert (package_copy.parent / manifest).read_bytes() == (other / manifest).read_bytes()


def test_a_fresh_clone_enforces_corrections_like_the_releasing_machine(package_copy, tmp_path, capsys):
    # Guards against release history that lived only in build/ (not committed, removed by
    # `make clean`): on any other machine the corrections check was silently skipped.
    assert release("0.1.0", package_copy, tmp_path / "releasing-machine", on_date=DATE, with_site=False) == 0
    clone = tmp_path / "clone" / "datasets"
    shutil.copytree(package_copy.parent, clone)  # what git carries: the package and its releases/
    edit_csv(clone / "data" / "observations.csv", ("observation_id", "fyp12-road-deaths:actual:2010"), "note_zh", "示例改动")
    capsys.readouterr()
    assert build(clone / "datapackage.json", tmp_path / "fresh-build", on_date=DATE, with_site=False) == 1
    assert "uncorrected-change" in capsys.readouterr().out


def test_missing_release_history_stops_the_build_loudly(package_copy, tmp_path, capsys):
    # Guards against skipping the corrections check when the history cannot be found.
    assert release("0.1.0", package_copy, tmp_path / "a", on_date=DATE, with_site=False) == 0
    shutil.rmtree(package_copy.parent / "releases" / "0.1.0" / "package")
    capsys.readouterr()
    assert build(package_copy, tmp_path / "b", on_date=DATE, with_site=False) == 1
    err = capsys.readouterr().err
    assert "0.1.0" in err and "restore it from git" in err


# -- the display period, enforced in every output -------------------------------------

def outputs_text(out: Path) -> str:
    """Everything a build publishes, decoded to text: files, zip and xlsx members, parquet, SQLite."""
    chunks = []
    for p in sorted((out / "current").rglob("*")):
        if not p.is_file() or p.name == "warehouse.duckdb":
            continue
        if p.suffix in (".zip", ".xlsx"):
            with zipfile.ZipFile(p) as z:
                chunks += [z.read(n).decode("utf-8", "ignore") for n in z.namelist() if not n.endswith((".parquet", ".db", ".xlsx", ".png"))]
            if p.suffix == ".xlsx":
                wb = openpyxl.load_workbook(p, read_only=True)
                chunks += [str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c]
        elif p.suffix == ".parquet":
            chunks.append(str(duckdb.sql(f"SELECT * FROM read_parquet('{p}')").fetchall()))
        elif p.suffix == ".db":
            con = sqlite3.connect(p)
            for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall():
                chunks.append(str(con.execute(f'SELECT * FROM "{t}"').fetchall()))
        else:
            chunks.append(p.read_bytes().decode("utf-8", "ignore"))
    return "\n".join(chunks)


@pytest.mark.parametrize("with_site", [True])
def test_listing_leaves_every_output_the_day_after_display_until(tmp_path, with_site):
    package = make_demo_package(tmp_path / "pkg")
    with open(package.parent / "data" / "blacklist.csv", newline="", encoding="utf-8") as f:
        entry = next(r for r in csv.DictReader(f) if r["display_until"] == "2026-11-27")
    before, after = tmp_path / "before", tmp_path / "after"
    assert build(package, before, on_date=dt.date(2026, 11, 26), with_site=with_site, demo=True) == 0
    assert build(package, after, on_date=dt.date(2026, 11, 28), with_site=with_site, demo=True) == 0
    text_before, text_after = outputs_text(before), outputs_text(after)
    for needle in (entry["enterprise_name"], entry["uscc"]):
        assert needle in text_before
        assert needle not in text_after
    con = sqlite3.connect(after / "data" / "safety.db")
    logged = con.execute("SELECT sum(entries) FROM blacklist_takedowns WHERE display_until = '2026-11-27'").fetchone()[0]
    assert logged == 1


def test_penalty_without_an_end_date_leaves_three_years_after_its_decision(tmp_path):
    # Guards against publishing forever a penalty whose agency set no 公示截止期: 527号 caps
    # the display of penalty information at 3 years.
    package = make_demo_package(tmp_path / "pkg")
    path = package.parent / "data" / "penalties.csv"
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    rows[0].update(decision_date="2023-11-27", valid_until="", publicity_until="")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    public = []
    for day in (27, 28):
        out = tmp_path / f"out-{day}"
        assert build(package, out, on_date=dt.date(2026, 11, day), with_site=False, demo=True) == 0
        con = sqlite3.connect(out / "data" / "safety.db")
        public.append(con.execute("SELECT count(*) FROM penalties WHERE decision_number = ?",
                                  [rows[0]["decision_number"]]).fetchone()[0])
    assert public == [1, 0]


def test_release_rebuilt_from_a_git_checkout_has_the_same_hashes(tmp_path):
    # Guards against anything outside git (a local file, the clock, the checkout path)
    # leaking into a release: two checkouts of the same commit give identical manifests.
    import subprocess
    import sys

    from pipeline import paths

    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True)
    if head.returncode:
        pytest.skip("not a git checkout")
    manifests = []
    for name in ("one", "two"):
        tree = tmp_path / name
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), "HEAD"], cwd=paths.ROOT, check=True, capture_output=True)
        try:
            version = json.loads((tree / "datasets" / "datapackage.json").read_text(encoding="utf-8"))["version"]
            result = subprocess.run([sys.executable, "-m", "pipeline", "release", version, "--out", str(tmp_path / f"out-{name}"),
                                     "--date", "2026-11-28"], cwd=tree, capture_output=True, text=True)
            assert result.returncode == 0, result.stdout + result.stderr
            manifests.append(json.loads((tree / "datasets" / "releases" / version / "manifest.json").read_text(encoding="utf-8")))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=paths.ROOT, capture_output=True)
    assert manifests[0] == manifests[1]
    assert manifests[0]["git_commit"] == head.stdout.strip() and manifests[0]["git_dirty"] is False


def test_the_committed_record_keeps_no_listing_readable_yet_catches_a_changed_fine(tmp_path, capsys):
    # Guards against a listing that has come down living on, readable, in the release record
    # committed to git; the hashed cells still catch a changed value without a correction.
    package = make_demo_package(tmp_path / "pkg")
    assert release("0.1.0", package, tmp_path / "out", on_date=DATE, with_site=False) == 0
    record = package.parent / "releases" / "0.1.0" / "package" / "data"
    with open(package.parent / "data" / "blacklist.csv", newline="", encoding="utf-8") as f:
        listed = list(csv.DictReader(f))
    for name in ("blacklist.csv", "penalties.csv"):
        text = (record / name).read_text(encoding="utf-8")
        assert "示例（虚构）" not in text and "sha256:" in text
    assert all(e["enterprise_name"] not in (record / "blacklist.csv").read_text(encoding="utf-8") for e in listed)

    with open(package.parent / "data" / "penalties.csv", newline="", encoding="utf-8") as f:
        first = next(csv.DictReader(f))
    edit_csv(package.parent / "data" / "penalties.csv", ("decision_number", first["decision_number"]), "fine_amount_wan", "99")
    capsys.readouterr()
    assert build(package, tmp_path / "out2", on_date=DATE, with_site=False, demo=True) == 1
    printed = capsys.readouterr().out
    assert "uncorrected-change" in printed and "fine_amount_wan" in printed and "（已隐去）" in printed
    append_csv(package.parent / "data" / "corrections.csv", {
        "correction_id": "2026-11-28-01", "date": "2026-11-28", "kind": "更正", "outcome": "已更正",
        "resource": "penalties", "record_key": first["decision_number"], "field": "fine_amount_wan",
        "old_value": first["fine_amount_wan"], "new_value": "99", "reason_zh": "示例（虚构）更正", "reason_en": "",
        "requested_by": "公众", "passage_id": ""})
    assert build(package, tmp_path / "out3", on_date=DATE, with_site=False, demo=True) == 0
