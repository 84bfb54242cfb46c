"""`python -m pipeline build`: bad input stops it cleanly; good input publishes atomically and reproducibly."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import paths

DATE = "2026-11-28"


def run_build(package: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "build", str(package), "--out", str(out), "--date", DATE, "--no-site", *extra],
        capture_output=True, text=True, cwd=paths.ROOT,
    )


def tree(root: Path, skip: tuple[str, ...] = ("reports",)) -> dict[str, str]:
    """Every published file (following build/'s symlinks) and its sha256."""
    out = {}
    for name in ("data", "warehouse.duckdb", "current"):
        p = root / name
        if p.is_symlink():
            out[f"{name} ->"] = str(p.readlink())
    for p in sorted((root / "data").rglob("*")) if (root / "data").exists() else []:
        if p.is_file():
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def published(out: Path) -> set[str]:
    return {p.name for p in out.iterdir()} - {"reports", ".lock"} if out.exists() else set()  # bookkeeping, not output


def break_json(package: Path) -> str:
    package.write_text(package.read_text(encoding="utf-8").replace('"resources": [', '"resources": [,', 1), encoding="utf-8")
    return "datapackage.json"


def remove_resource_file(package: Path) -> str:
    (package.parent / "data" / "campaign_results.csv").unlink()
    return "campaign_results.csv"


def dangle_foreign_key(package: Path) -> str:
    path = package.parent / "data" / "observations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",t1-r7,", ",t1-r99,", 1), encoding="utf-8")
    return "observations.csv"


@pytest.mark.parametrize("breaker", [break_json, remove_resource_file, dangle_foreign_key])
def test_bad_package_stops_the_build_and_writes_nothing(package_copy, tmp_path, breaker):
    named = breaker(package_copy)
    out = tmp_path / "build"
    result = run_build(package_copy, out)
    assert result.returncode == 1
    assert named in result.stdout + result.stderr  # the message names the file at fault
    assert published(out) == set()  # no warehouse, data, site: only the report of what failed
    report = json.loads((out / "reports" / "validation.json").read_text(encoding="utf-8"))
    assert report["valid"] is False and report["errors"]


def test_failed_build_leaves_the_previous_build_byte_identical(package_copy, tmp_path):
    out = tmp_path / "build"
    assert run_build(package_copy, out).returncode == 0
    before = tree(out)
    dangle_foreign_key(package_copy)
    assert run_build(package_copy, out).returncode == 1
    assert tree(out) == before
    assert not list(tmp_path.glob(".build-*")), "staging directory left behind"


def test_two_builds_are_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run_build(paths.PACKAGE, a).returncode == 0
    assert run_build(paths.PACKAGE, b).returncode == 0
    ta = {k: v for k, v in tree(a).items() if not k.endswith("->")}
    tb = {k: v for k, v in tree(b).items() if not k.endswith("->")}
    assert ta == tb and len(ta) > 50


def test_rebuild_with_nothing_changed_is_a_no_op(tmp_path):
    out = tmp_path / "build"
    assert run_build(paths.PACKAGE, out).returncode == 0
    target = (out / "current").resolve()
    again = run_build(paths.PACKAGE, out)
    assert again.returncode == 0 and "up to date" in again.stdout
    assert (out / "current").resolve() == target


def test_output_package_passes_frictionless_and_lists_every_file(tmp_path):
    out = tmp_path / "build"
    assert run_build(paths.PACKAGE, out).returncode == 0
    data = out / "data"
    exe = Path(sys.executable).parent / "frictionless"
    result = subprocess.run([str(exe), "validate", str(data / "datapackage.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    pkg = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    listed = {r["path"] for r in pkg["resources"]}
    on_disk = {str(p.relative_to(data)) for p in data.rglob("*") if p.is_file()}
    assert on_disk - listed == {"datapackage.json", "SHA256SUMS", "nanchang-work-safety.zip"}
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=data, capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout


def test_a_site_that_mkdocs_refuses_says_why(tmp_path):
    # Guards against a silent exit 1: MkDocs' strict mode logs its warnings and raises
    # Abort (a SystemExit), so the build ended with no word of which page was wrong.
    import datetime as dt

    from pipeline.site import SiteBuildError, run_mkdocs

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# 首页\n\n[断开的链接](nowhere.md)\n", encoding="utf-8")
    with pytest.raises(SiteBuildError) as e:
        run_mkdocs(docs, tmp_path / "out", site_url=None, on_date=dt.date(2026, 11, 28), demo=False)
    assert "index.md" in str(e.value) and "nowhere.md" in str(e.value)


def test_a_malformed_public_address_stops_the_build_with_its_name(tmp_path):
    env = {**os.environ, "SITE_URL": "javascript:alert(1)//"}
    r = subprocess.run([sys.executable, "-m", "pipeline", "build", str(paths.PACKAGE), "--out", str(tmp_path / "out"),
                        "--date", DATE, "--no-site"], capture_output=True, text=True, cwd=paths.ROOT, env=env, check=False)
    assert r.returncode == 2 and "SITE_URL" in r.stderr and "http(s)" in r.stderr
    assert not (tmp_path / "out").exists()


def test_spreadsheet_files_never_start_a_formula(tmp_path):
    # Guards against CSV injection: a party name like =HYPERLINK(…) ran in Excel when it
    # opened the CSV made for it.  Text cells get an apostrophe; numbers stay numbers; the
    # plain CSV (for programs) keeps the value exactly.
    import shutil

    import openpyxl

    from tests.conftest import FICTIONAL

    pkg = tmp_path / "datasets"
    shutil.copytree(paths.DATASETS, pkg)
    with open(FICTIONAL / "penalties.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    shown = next(r for r in rows if r["publicity_until"] >= DATE and r["decision_date"] <= DATE)  # on display
    shown["party_name"] = '=HYPERLINK("https://example.invalid/","示例（虚构）")'
    shown["remarks"] = "@SUM(1+1)示例（虚构）"
    with open(pkg / "data" / "penalties.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    r = run_build(pkg / "datapackage.json", tmp_path / "out")
    assert r.returncode == 0, r.stdout + r.stderr
    data = tmp_path / "out" / "data"
    excel = (data / "csv-excel" / "penalties.csv").read_text(encoding="utf-8-sig")
    plain = (data / "csv" / "penalties.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in excel and "'@SUM(" in excel
    assert '"=HYPERLINK(' in plain or "=HYPERLINK(" in plain.split("'=HYPERLINK(")[0]
    assert "\n'=" not in plain and ",'=" not in plain
    # a negative number in a number column stays a number
    obs = list(csv.DictReader((data / "csv-excel" / "observations.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert next(o for o in obs if o["kind"] == "stated_change")["value"] == "-25"
    wb = openpyxl.load_workbook(data / "nanchang-work-safety.xlsx", read_only=True)
    cells = [c for row in wb["penalties"].iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)  # strings, never formulas


@pytest.mark.parametrize("errno_", [28, 30])  # ENOSPC (disk full), EROFS (read-only file system)
def test_an_output_that_cannot_be_written_is_said_plainly(tmp_path, monkeypatch, capsys, errno_):
    # Guards against a raw OSError traceback, and a half-written build, when the disk fills
    # up or the output is read-only in the middle of a build.
    import os as os_

    from pipeline.build import build
    from pipeline.publish import export

    out = tmp_path / "out"
    assert build(paths.PACKAGE, out, on_date=dt.date(2026, 11, 28), with_site=False) == 0
    before = tree(out)

    def full(*args, **kwargs):
        raise OSError(errno_, os_.strerror(errno_), str(out.parent / "somewhere" / "safety.db"))

    monkeypatch.setattr(export, "write_sqlite", full)
    assert build(paths.PACKAGE, out, on_date=dt.date(2026, 11, 28), with_site=False, force=True) == 1
    err = capsys.readouterr().err
    assert "无法写入" in err and "Cannot write" in err and "safety.db" in err and os_.strerror(errno_) in err
    assert tree(out) == before
    assert not list(tmp_path.glob(".build-*"))


def test_a_killed_build_leaves_nothing_the_next_one_keeps(tmp_path):
    # Guards against .build-* directories of killed builds piling up until `make clean`.
    from pipeline.build import build

    out = tmp_path / "out"
    stale = tmp_path / ".build-out-killed"
    (stale / "data").mkdir(parents=True)
    assert build(paths.PACKAGE, out, on_date=dt.date(2026, 11, 28), with_site=False) == 0
    assert not stale.exists()
    generation = (out / "current").resolve()
    assert generation.stat().st_mode & 0o777 == 0o755  # a web server running as another user can read it


def test_a_failing_model_fails_the_build_naming_its_file(tmp_path, monkeypatch, capsys):
    # Guards against a later stage failing with a bare DuckDB traceback: the build says which
    # stage and which model file, publishes nothing and leaves the previous build as it was.
    from pipeline import warehouse as models
    from pipeline.build import build

    out = tmp_path / "out"
    assert build(paths.PACKAGE, out, on_date=dt.date(2026, 11, 28), with_site=False) == 0
    before = tree(out)
    real = models._models

    def broken(layer: str) -> dict[str, str]:
        found = real(layer)
        if layer == "marts":
            found["penalty_stats"] = "SELECT no_such_column FROM stg_penalties"
        return found

    monkeypatch.setattr(models, "_models", broken)
    assert build(paths.PACKAGE, out, on_date=dt.date(2026, 11, 28), with_site=False, force=True) == 1
    err = capsys.readouterr().err
    assert "warehouse: pipeline/warehouse/sql/marts/penalty_stats.sql: BinderException" in err and "no_such_column" in err
    assert "上次构建保持不变" in err and tree(out) == before
