"""Validate with the pipeline's own validator: the new rows appended to their dataset in a
staged copy of the package, `validate_package` run on it, and each finding on a new row
mapped back to the input row and the cells the clerk wrote (attribute)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import tempfile
from pathlib import Path

from pipeline.ingest.findings import PERSONAL_CODES, WITHHELD, Finding, shown
from pipeline.ingest.headers import Aliases, HeaderMap
from pipeline.ingest.outcome import Candidate, shown_path
from pipeline.ingest.read import ReadError
from pipeline.ingest.write import (
    WriteError,
)

DATE_HINT = ("可写作 2015-06-01、2015年6月1日、二〇一五年六月一日、2015.6.1 或 2015/6/1",
             "accepted forms: 2015-06-01, 2015年6月1日, 二〇一五年六月一日, 2015.6.1, 2015/6/1")
AMOUNT_HINT = ("金额可写作 41.1万元、25000元、贰万伍仟元", "amounts may be written 41.1万元, 25000元, 贰万伍仟元")
# Where a derived field's value came from, so a finding on it points at cells the clerk wrote.
DERIVED_FROM = {
    "regime": ["legal_basis"],
    "value_as_written": ["value", "unit"], "amount_yuan": ["value"], "unit": ["value"],
    "measure_id": ["measure_zh"], "measure_en": ["measure_zh"], "unit_en": ["unit"], "seq": ["year"],
}


def serialise(rows: list[dict], names: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow([r[n] for n in names])
    return buf.getvalue().encode("utf-8")


def dataset_bytes(dataset: Path, names: list[str], rows: list[dict]) -> bytes:
    head = dataset.read_bytes() if dataset.exists() else b""
    if not head:
        head = serialise([dict(zip(names, names))], names)
    elif not head.endswith(b"\n"):
        head += b"\n"
    return head + serialise(rows, names)


def stage(package: Path, descriptor: dict, replace: dict[str, bytes], dest: Path) -> Path:
    """A copy of the package in dest: every file linked, each CSV in `replace` (its path in
    the package -> content) written instead.
    (Every file of the package folder, not only the resources: the source texts that
    sources.csv names are checked too.)"""
    base = package.parent
    files = [p.relative_to(base).as_posix() for p in sorted(base.rglob("*"))
             if p.is_file() and p != package and "releases" not in p.relative_to(base).parts
             and not p.name.endswith(".quarantine.csv")]
    for p in [r.get("path") for r in descriptor.get("resources", [])] + files:
        if not isinstance(p, str):
            continue
        target = dest / p
        target.parent.mkdir(parents=True, exist_ok=True)
        if p in replace:
            target.write_bytes(replace[p])
        elif (base / p).exists() and not target.exists():
            try:
                os.symlink((base / p).resolve(), target)
            except OSError:
                shutil.copyfile(base / p, target)
    staged = dest / package.name
    shutil.copyfile(package, staged)
    return staged


def validate_rows(package: Path, descriptor: dict, res: dict, dataset: Path, names: list[str], rows: list[dict],
                  on_date: dt.date):
    content = dataset_bytes(dataset, names, rows)
    return validate_staged(package, descriptor, {res["path"]: content}, on_date), content


def validate_staged(package: Path, descriptor: dict, replace: dict[str, bytes], on_date: dt.date):
    from pipeline.validate import validate_package

    try:
        with tempfile.TemporaryDirectory(prefix="ingest-") as tmp:
            staged = stage(package, descriptor, replace, Path(tmp))
            report, con = validate_package(staged, on_date=on_date)
            con.close()
    except OSError as exc:  # the staged copy lives in the temporary folder: a full /tmp stops here
        # shutil names the copy's destination in filename2, its source in filename
        raise WriteError(Path(exc.filename2 or exc.filename or tempfile.gettempdir()), exc,
                         ("校验用的临时副本无法写入，没有写入任何文件", "the staged copy for validation could not be written; nothing was written"),
                         ) from exc
    # Messages may name files: name the real package's, so findings compare with its own.
    for e in report.errors:
        e.message_zh = e.message_zh.replace(str(staged.parent), str(package.parent))
        e.message_en = e.message_en.replace(str(staged.parent), str(package.parent))
    return report


def error_key(e) -> tuple:
    return (e.code, e.resource, e.row, e.field, e.message_en)


def unvalidated(report, resource: str, package: Path) -> ReadError | None:
    """The validator stops early on a broken descriptor or file: then nothing was checked."""
    if resource in report.tables:
        return None
    first = "; ".join(f"{e.code}: {e.message_zh}" for e in report.errors[:3])
    return ReadError(f"数据包本身有错误，无法校验新记录（{first}）；请先运行 python -m pipeline validate {shown_path(package)} 并修复",
                     f"The package itself is broken, so new rows cannot be checked ({first}); run python -m pipeline validate first")


def attribute(report, resource: str, n_existing: int, batch: list[Candidate], header: HeaderMap, fields: list[dict],
              al: Aliases):
    """Split findings: {candidate index: [Finding]}, and the rest (existing rows, other tables, no row)."""
    from pipeline.validate import ValidationError

    cols = header.by_field()
    titles = {f["name"]: f for f in fields}
    mapped, rest = {}, []
    for e in report.errors:
        idx = (e.row - 2 - n_existing) if (e.resource == resource and e.row) else -1
        if not 0 <= idx < len(batch):
            rest.append(e)
            continue
        cand = batch[idx]
        names = (e.field or "").split(",")
        if e.code == "required" and set(names) <= cand.covered:
            continue
        sources = [n for n in names if n in cols] or [s for n in names for s in DERIVED_FROM.get(n, []) if s in cols]
        f0 = titles.get(names[0], {})
        where = (" + ".join(cols[n].where for n in sources)
                 or f"（没有“{f0.get('title', names[0])}”列 / no column for {names[0]}）")
        raw = " | ".join(cand.cells[cols[n].index] if cols[n].index < len(cand.cells) else "" for n in sources)
        zh, en = e.message_zh, e.message_en
        if e.code in ("unique", "primary-key") and str(e.detail).isdigit():
            first = int(e.detail) - 2 - n_existing
            if 0 <= first < len(batch):
                again = ValidationError(e.code, value=e.value, detail=str(batch[first].row))
                zh, en = again.message_zh + "（本文件）", again.message_en + " of this file"
        if e.code == "type-error" and f0.get("type") == "date":
            zh, en = f"{zh}；{DATE_HINT[0]}", f"{en}; {DATE_HINT[1]}"
        if e.code == "type-error" and names[0].endswith("_wan"):
            zh, en = f"{zh}；{AMOUNT_HINT[0]}", f"{en}; {AMOUNT_HINT[1]}"
        if e.code == "required" and not sources:
            suggest = "、".join(al.examples.get(names[0], [])[:3])
            zh += f"；本文件没有“{f0.get('title', names[0])}”列（表头可写作：{suggest}）"
            en += f"; this file has no column for {names[0]} (headers accepted: {suggest})"
            unknown = "，".join(c.where for c in header.of_kind("unknown"))
            if unknown:
                zh += f"；未识别的列：{unknown}，是否就是此列？"
                en += f"; columns not recognised: {unknown} — is it one of them?"
        value = WITHHELD if e.code in PERSONAL_CODES else shown(raw)
        mapped.setdefault(idx, []).append(Finding(e.code, cand.row, e.field, where, value, zh, en, e.severity))
    return mapped, rest
