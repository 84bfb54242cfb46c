"""python -m pipeline validate: Frictionless rules plus domain rules, evaluated in DuckDB.

Stages:
1. the descriptor: JSON, the Data Package v2 profile (frictionless), resource files present;
2. each CSV: encoding, header, ragged rows, then every Table Schema constraint as SQL;
3. foreign keys across tables;
4. domain rules (identifiers, personal data, dates, amounts, reconciliation, citations).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import config, registry
from pipeline.config import build_date
from pipeline.validate import citations, rules
from pipeline.validate.errors import ValidationError
from pipeline.validate.tables import (
    Table,
    check_foreign_keys,
    check_header,
    check_keys,
    check_patterns,
    deferrable_patterns,
    key_columns,
    load_table,
    schema_checks,
)

__all__ = ["Report", "ValidationError", "build_date", "run_validation", "validate_package"]


@dataclass
class Report:
    package: str
    build_date: str
    errors: list[ValidationError] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    complete: bool = True  # False when a broken descriptor stopped validation before the tables

    @property
    def ok(self) -> bool:
        return not any(e.severity == "error" for e in self.errors)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.errors:
            out[e.code] = out.get(e.code, 0) + 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict:
        return {
            "package": self.package,
            "build_date": self.build_date,
            "valid": self.ok,
            "complete": self.complete,
            "error_count": sum(e.severity == "error" for e in self.errors),
            "warning_count": sum(e.severity == "warning" for e in self.errors),
            "counts_by_code": self.counts(),
            "rows_by_table": self.tables,
            "errors": [e.to_dict() for e in self.errors],
        }


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory database for validation alone, with a memory cap that spills to a
    temporary directory beyond it (only whole tables, kept on request, get that large)."""
    import tempfile

    con = duckdb.connect(config={"memory_limit": config.get("VALIDATE_MEMORY_LIMIT"),
                                 "temp_directory": tempfile.gettempdir() + "/pipeline-validate-spill"})
    con.execute("SET enable_progress_bar = false")
    return con


def load_descriptor(path: Path, errors: list[ValidationError]) -> dict | None:
    """The descriptor as JSON, with the minimal shape the table checks rely on."""
    where = dict(resource=None, file=str(path))
    if not path.exists():
        errors.append(ValidationError("resource-missing", detail=str(path), **where))
        return None
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        errors.append(ValidationError("descriptor-invalid", detail=f"JSON: {exc}", **where))
        return None
    if not isinstance(descriptor, dict):
        errors.append(ValidationError("descriptor-invalid", detail="不是 JSON 对象 / not a JSON object", **where))
        return None
    return descriptor


def check_descriptor(path: Path, descriptor: dict) -> list[ValidationError]:
    """The Data Package v2 profile and frictionless's metadata checks."""
    from frictionless import Package

    return [ValidationError("descriptor-invalid", detail=f"{e[0]}: {e[1]}", resource=None, file=str(path))
            for e in Package.validate_descriptor(descriptor).flatten(["type", "note"])]


def validate_package(package_path: Path, con: duckdb.DuckDBPyConnection | None = None,
                     on_date: dt.date | None = None, previous: Path | None = None,
                     whole: bool | None = None) -> tuple[Report, duckdb.DuckDBPyConnection]:
    """Validate; returns the report and a connection holding the tables read (schema `raw`).

    `whole`: keep every column of every table (the build's warehouse reads them); by
    default only when a connection is passed in.  Otherwise raw.<name> keeps the columns
    later rules need, which spares materialising a million rows of free text.
    `previous` is the curated package of the last release (build/releases/V/package): every
    value that differs from it must have a corrections record."""
    started = time.perf_counter()
    package_path = Path(package_path).resolve()
    on_date = on_date or build_date()
    report = Report(package=str(package_path), build_date=on_date.isoformat())
    errors = report.errors
    whole = con is not None if whole is None else whole
    con = con or scratch_connection()
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")

    descriptor = load_descriptor(package_path, errors)
    if descriptor is None:
        report.complete = False
        report.seconds = time.perf_counter() - started
        return report, con
    # frictionless (its import alone takes ~0.4 s) checks the descriptor in a thread while
    # DuckDB reads the tables; a descriptor it rejects voids whatever the tables gave.
    with ThreadPoolExecutor(max_workers=1) as pool:
        profile = pool.submit(check_descriptor, package_path, descriptor)
        try:
            _validate_tables(con, package_path, descriptor, on_date, previous, whole, report)
        except Exception:
            if not profile.result():
                raise
        if profile.result():
            report.errors[:] = profile.result()
            report.tables.clear()
            report.complete = False
        else:  # the descriptor is sound: does it agree with the registry of public tables?
            errors.extend(ValidationError("registry-mismatch", detail=what, resource=name, file=str(package_path))
                          for name, what in registry.problems(descriptor))
    errors.sort(key=lambda e: (e.file or "", e.resource or "", e.row or 0, e.field or "", e.code))
    report.seconds = time.perf_counter() - started
    return report, con


def _validate_tables(con, package_path: Path, descriptor: dict, on_date: dt.date, previous: Path | None,
                     whole: bool, report: Report) -> None:
    errors = report.errors
    base = package_path.parent
    tables: dict[str, Table] = {}
    for res in descriptor.get("resources", []):
        path = base / res.get("path", "")
        if not path.is_file():
            errors.append(ValidationError("resource-missing", resource=res.get("name"), file=str(path), detail=str(path)))
            continue
        if res.get("schema"):
            tables[res["name"]] = Table(res["name"], path, res["schema"])


    # Identifier check characters are computed in Python (python-stdnum), once per distinct
    # value: each table's run in a thread on its own cursor while DuckDB reads the next table
    # and checks keys and patterns.
    with ThreadPoolExecutor(max_workers=1) as pool:
        cursor = con.cursor()
        identifiers = []
        for table in tables.values():
            if not check_header(table, errors):
                continue
            keep = None if whole else needed_columns(table, tables, previous)
            deferred = deferrable_patterns(table, keep)
            load_table(con, table, schema_checks(table, deferred) + rules.row_checks(table, on_date), keep, errors)
            if table.loaded:
                identifiers.append(pool.submit(rules.identifier_errors, cursor, table))
                check_patterns(con, table, deferred, errors)
                check_keys(con, table, errors)
                report.tables[table.name] = table.rows
        for table in tables.values():
            if table.loaded:
                check_foreign_keys(con, table, tables, errors)
        for found in identifiers:
            errors.extend(found.result())
        cursor.close()
    rules.check_reconciliation(con, tables, errors)
    citations.check_passages(con, tables, citations.source_files(con, tables, base, errors), errors)
    citations.check_citations(con, tables, errors)
    rules.check_requesters(con, tables, errors)
    rules.check_plan_pages(con, tables, errors)
    rules.check_reserved_ids(con, tables, errors)
    rules.check_figures(con, tables, on_date, errors)
    if previous is not None and (Path(previous) / "datapackage.json").is_file():
        rules.check_corrections(con, tables, Path(previous), errors)


def needed_columns(table: Table, tables: dict[str, Table], previous: Path | None) -> list[str] | None:
    """The columns of `table` that checks across rows read; None for all of them."""
    extra = rules.cross_row_columns(table, tables)
    if extra == "*" or previous is not None:  # the corrections check compares every column
        return None
    return sorted(key_columns(table, tables) | rules.identifier_columns(table) | extra)


def print_report(report: Report, limit: int = 60, stream=None) -> None:
    stream = stream or sys.stdout
    errs = report.errors
    if not errs:
        print(f"✓ 数据包有效 / package valid: {report.package} ({', '.join(f'{k} {v}' for k, v in report.tables.items())}) "
              f"in {report.seconds:.2f} s", file=stream)
        return
    header = f"  {'级别':<8}{'代码':<24}{'资源':<18}{'行':>8}  {'字段':<22}{'值':<24}说明 / message"
    current_file = object()
    for e in errs[:limit]:
        if e.file != current_file:
            current_file = e.file
            print(f"\n文件 / file: {_display_path(e.file)}", file=stream)
            print(header, file=stream)
        value = (e.value or "")[:22]
        print(f"  {e.severity:<8}{e.code:<24}{(e.resource or '-'):<18}{(e.row or '-')!s:>8}  {(e.field or '-'):<22}{value:<24}"
              f"{e.message_zh} / {e.message_en}", file=stream)
    if len(errs) > limit:
        print(f"… 另有 {len(errs) - limit} 条，见报告 / {len(errs) - limit} more in the JSON report", file=stream)
    n_err = sum(e.severity == "error" for e in errs)
    n_warn = len(errs) - n_err
    status = "✗ 数据包无效 / package invalid" if n_err else "✓ 数据包有效（有警告）/ valid with warnings"
    print(f"{status}: {n_err} 个错误 errors, {n_warn} 个警告 warnings; {report.counts()} ({report.seconds:.2f} s)", file=stream)


def _display_path(path: str | None) -> str:
    if not path:
        return "-"
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def write_report(report: Report, report_dir: Path) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "validation.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def run_validation(package_path: Path, on_date: dt.date | None = None, report_dir: Path | None = None) -> Report:
    report, con = validate_package(package_path, on_date=on_date)
    con.close()
    print_report(report)
    if report_dir is not None:
        path = write_report(report, report_dir)
        print(f"报告 / report: {path}")
    return report
