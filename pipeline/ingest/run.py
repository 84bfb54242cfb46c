"""python -m pipeline ingest FILE --into penalties|blacklist|campaign [--dry-run]

(--into observations and --into targets, figures quoted from a registered source, are
figures.py: the same reading, report, quarantine, dry run and gate, other rows.)

One run:

1. load inputs: the package descriptor and the target dataset; the input file (read.py),
   its sheet and header block (headers.py);
2. process: normalise every cell of every row (normalize.py); set aside rows already in
   the dataset (the schema's primary key: 处罚决定书文号; 统一社会信用代码 + 列入日期;
   年度 + 措施编号) as duplicates, or as key conflicts when their content differs; then
   validate with the pipeline's own validator: the remaining rows are appended to the
   dataset in a staged copy of the package and `validate_package` runs on it.  Each
   finding on a new row is mapped back to the input row (1-based, header rows counted,
   as Excel shows it); a row with any error is rejected with every reason, warnings do
   not reject.  When rows were rejected, the package with only the accepted rows is
   validated again before anything is written (the gate);
3. save outputs: the accepted rows appended to the dataset's CSV (one atomic replace,
   write.py: a full disk or a read-only folder leaves it as it was and says so);
   rejected rows into `<input stem>.quarantine.csv` beside the input as the clerk named
   it (not beside a symbolic link's target), UTF-8 with BOM for Excel, every cell
   neutralised against spreadsheet formulas; a summary and the next command.  A file of
   that name which this tool did not write for this input is never overwritten or
   deleted.  `--dry-run` writes nothing.  The input file is only read.

Every row read is accepted, rejected or a duplicate; blank rows are not rows.

Formula cells (XLSX): a row whose ingested cell holds a formula is rejected
(`formula-cell`), with or without a value cached in the file.  Without one, the cell
reads as empty and a fine of `=0.5+0.5` would pass as no fine.  With one, the value is
whatever Excel last computed: a file written by a script, or edited by a program that
does not recalculate, keeps a stale or wrong result, and a published figure must be
one the agency typed.  The message shows the formula and the cached value; the fix is
Paste Special → Values.  Formulas in columns that are not ingested (a 序号 of =ROW()-3)
reject nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline import paths
from pipeline.ingest.findings import PERSONAL_CODES, WITHHELD, Finding, shown
from pipeline.ingest.headers import Aliases, Column, HeaderMap, aliases, locate
from pipeline.ingest.normalize import (
    normalize_enum,
    normalize_field,
    normalize_regime,
    split_figure,
    trim,
)
from pipeline.ingest.read import ReadError, Workbook, read_file
from pipeline.ingest.write import (
    QUARANTINE_HEADER,
    WriteError,
    atomic_write,
    csv_for_people,
    is_own_quarantine,
)

TARGETS = {"penalties": "penalties", "blacklist": "blacklist", "campaign": "campaign_results",
           "observations": "observations", "targets": "targets"}
# Targets whose rows are figures quoted from a source (figures.py); "targets" also writes
# plans and indicators.
FIGURES = {"observations", "targets"}
DATE_HINT = ("可写作 2015-06-01、2015年6月1日、二〇一五年六月一日、2015.6.1 或 2015/6/1",
             "accepted forms: 2015-06-01, 2015年6月1日, 二〇一五年六月一日, 2015.6.1, 2015/6/1")
AMOUNT_HINT = ("金额可写作 41.1万元、25000元、贰万伍仟元", "amounts may be written 41.1万元, 25000元, 贰万伍仟元")
# Fields ingest can fill in itself, so a file need not have a column for them.
DERIVED = {
    "blacklist": {"regime"},
    "campaign_results": {"measure_id", "seq", "measure_en", "unit_en", "value_as_written", "amount_yuan", "campaign_zh", "unit"},
}
# Where a derived field's value came from, so a finding on it points at cells the clerk wrote.
DERIVED_FROM = {
    "regime": ["legal_basis"],
    "value_as_written": ["value", "unit"], "amount_yuan": ["value"], "unit": ["value"],
    "measure_id": ["measure_zh"], "measure_en": ["measure_zh"], "unit_en": ["unit"], "seq": ["year"],
}


@dataclass
class Candidate:
    row: int  # input row number
    cells: list[str]  # the row as read
    values: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)  # fields whose `required` an ingest finding already explains


@dataclass
class Outcome:
    input: Path
    resource: str
    workbook: Workbook | None = None
    header: HeaderMap | None = None
    rows_read: int = 0
    blank_rows: int = 0
    accepted: list[int] = field(default_factory=list)
    rejected: dict[int, list[Finding]] = field(default_factory=dict)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (input row, what it duplicates)
    warnings: list[Finding] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    quarantine: Path | None = None
    quarantine_written: bool = False
    quarantine_removed: bool = False
    quarantine_foreign: bool = False  # a file of the quarantine's name that this tool did not write for this input
    dataset: Path | None = None
    appended: dict[Path, int] = field(default_factory=dict)  # figures.py: every file it appends to, and how many rows
    written: bool = False
    dry_run: bool = False
    error: ReadError | None = None
    preexisting: int = 0  # errors the package had before this file (other tables, older rows)
    cells: dict[int, list[str]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if self.error:
            return 2
        return 1 if self.rejected else 0


# ---------------------------------------------------------------------------
# Load inputs
# ---------------------------------------------------------------------------


def load_resource(package: Path, resource: str) -> tuple[dict, dict]:
    try:
        descriptor = json.loads(package.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReadError(f"无法读取数据包描述文件 {package}：{exc}", f"Cannot read the package descriptor {package}: {exc}") from exc
    for res in descriptor.get("resources", []):
        if res.get("name") == resource:
            return descriptor, res
    raise ReadError(f"数据包中没有资源 {resource}", f"The package has no resource {resource}")


def read_dataset(path: Path, names: list[str]) -> list[dict]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        if header != names:
            raise ReadError(f"数据文件 {path} 的表头与数据结构不符；请先运行 python -m pipeline validate 并修复",
                            f"The header of {path} differs from the schema; run python -m pipeline validate and fix it first")
        return [dict(zip(names, r)) for r in reader]


def pick_sheet(workbook: Workbook, al: Aliases, sheet_name: str | None) -> HeaderMap:
    sheets = workbook.sheets
    if sheet_name is not None:
        sheets = [s for s in sheets if s.name == sheet_name]
        if not sheets:
            names = "、".join(str(s.name) for s in workbook.sheets)
            raise ReadError(f"没有名为“{sheet_name}”的工作表（有：{names}）", f"No sheet named '{sheet_name}' (there are: {names})")
    found = [m for m in (locate(s, al) for s in sheets) if m is not None]
    if not found:
        examples = "、".join(n for names in list(al.examples.values())[:6] for n in names[:1])
        raise ReadError(f"在前15行找不到表头：没有一行含两个以上可识别的列名（如：{examples}）",
                        f"No header in the first 15 rows: no row names two or more known columns (e.g. {examples})")
    return max(found, key=lambda m: m.score)  # first of the best: max() keeps the earliest


# ---------------------------------------------------------------------------
# Process: normalise
# ---------------------------------------------------------------------------


def build_candidates(header: HeaderMap, fields: list[dict], resource: str, existing: list[dict], out: Outcome) -> list[Candidate]:
    by_field = header.by_field()
    numeric, formulas = header.sheet.numeric, header.sheet.formulas
    in_row: dict[int, list[int]] = {}
    for r, c in formulas:
        in_row.setdefault(r, []).append(c)
    candidates = []
    for number, cells in header.data:
        # A formula without a cached value reads as empty but is not: its row is a row.
        if not any(trim(c) for c in cells) and all(formulas[number, c][1] is not None for c in in_row.get(number, ())):
            out.blank_rows += 1
            continue
        out.rows_read += 1
        out.cells[number] = cells
        raw = {f: (cells[c.index] if c.index < len(cells) else "") for f, c in by_field.items()}
        cand = Candidate(number, cells, {f["name"]: "" for f in fields})
        for f in fields:
            name = f["name"]
            col = by_field.get(name)
            if col is None or (resource == "campaign_results" and name in ("value", "unit")):
                continue
            cell = normalize_field(f, raw[name], unit=col.unit, excel_number=(number, col.index) in numeric)
            cand.values[name] = cell.value
            if cell.code:
                cand.findings.append(Finding.ingest(cell.code, number, name, col.where, raw[name]))
                cand.covered.add(name)
                cand.values[name] = ""
        for name, col in by_field.items():
            if (number, col.index) in formulas:  # see the module docstring: any formula, cached value or not
                formula, cached = formulas[number, col.index]
                detail = ((f"（文件中保存的计算结果为“{shown(cached)}”）", f" (cached result in the file: '{shown(cached)}')")
                          if cached is not None else ("（文件中没有保存计算结果）", " (no result saved in the file)"))
                cand.findings = [f for f in cand.findings if f.field != name]  # the formula is the one problem
                cand.findings.append(Finding.ingest("formula-cell", number, name, col.where, formula, detail))
                cand.covered.add(name)
                cand.values[name] = ""
        if resource == "blacklist":
            cand.values["regime"] = normalize_regime(raw.get("regime", ""), raw.get("legal_basis", "")).value
        if resource == "campaign_results":
            derive_campaign(cand, raw, by_field, fields, existing, candidates)
        candidates.append(cand)
    return candidates


def derive_campaign(cand: Candidate, raw: dict, by_field: dict[str, Column], fields: list[dict],
                    existing: list[dict], earlier: list[Candidate]) -> None:
    """Campaign rows: split '41.1万元' into value and unit, fill what an existing measure of the
    same name tells (编号、英文名、顺序), compute 金额（元）; demand a citation of the plan."""
    v = cand.values
    units = next(f for f in fields if f["name"] == "unit").get("constraints", {}).get("enum", [])
    unit_col = raw.get("unit", "")
    unit = normalize_enum(unit_col, "unit").value if unit_col else ""
    if "value" in raw:
        number, unit_in_value, written = split_figure(raw["value"], units)
        v["value"] = number
        v["unit"] = unit or unit_in_value
        if not v["value_as_written"] and number:
            v["value_as_written"] = written if unit_in_value else f"{written}{v['unit']}"
    else:
        v["unit"] = unit
    same = [r for r in existing if r["measure_zh"] == v["measure_zh"] or (v["measure_id"] and r["measure_id"] == v["measure_id"])]
    same.sort(key=lambda r: r["year"] != v["year"])  # the same year first
    if same:
        for name in ("measure_id", "measure_en", "unit_en", "campaign_zh"):
            v[name] = v[name] or same[0][name]
        if not v["seq"]:
            v["seq"] = same[0]["seq"]
    if not v["measure_id"] and v["measure_zh"]:
        cand.findings.append(Finding.ingest("measure-unknown", cand.row, "measure_id", by_field["measure_zh"].where, v["measure_zh"]))
        cand.covered.add("measure_id")
    if not v["seq"] and v["year"]:
        seqs = [int(r["seq"]) for r in existing if r["year"] == v["year"] and r["seq"].isdigit()]
        seqs += [int(c.values["seq"]) for c in earlier if c.values["year"] == v["year"] and c.values["seq"].isdigit()]
        v["seq"] = str(max(seqs, default=0) + 1)
    if not v["unit_en"] and v["unit"]:
        from pipeline.ingest.headers import config

        v["unit_en"] = config().get("values", {}).get("unit_en", {}).get(v["unit"], "")
    if not v["amount_yuan"] and v["unit"] == "万元" and v["value"]:
        try:
            yuan = Decimal(v["value"]) * 10000
            if yuan == yuan.to_integral_value():
                v["amount_yuan"] = str(int(yuan))
        except InvalidOperation:
            pass  # the validator reports the value
    if not (v["passage_id"] and v["quote"]):
        where = " + ".join(by_field[n].where for n in ("passage_id", "quote") if n in by_field) or "（本文件没有这两列 / no such columns）"
        cand.findings.append(Finding.ingest("citation-missing", cand.row, "passage_id,quote", where, ""))
        cand.covered |= {"passage_id", "quote"}


# ---------------------------------------------------------------------------
# Process: duplicates
# ---------------------------------------------------------------------------


def same_value(f: dict, a: str, b: str) -> bool:
    if a == b:
        return True
    if f.get("type") in ("number", "integer") and a and b:
        try:
            return Decimal(a) == Decimal(b)
        except InvalidOperation:
            return False
    return False


def sort_out_duplicates(candidates: list[Candidate], existing: list[dict], fields: list[dict], pk: list[str],
                        header: HeaderMap, out: Outcome) -> list[Candidate]:
    """Rows already in the dataset are duplicates (or key conflicts); so are exact repeats
    within the file.  Returns the rows left to validate."""
    index = {tuple(r[k] for k in pk): (i + 2, r) for i, r in enumerate(existing)}
    titles = {f["name"]: f.get("title", f["name"]) for f in fields}
    cols = header.by_field()
    seen: dict[tuple, Candidate] = {}
    left = []
    for c in candidates:
        key = tuple(c.values[k] for k in pk)
        complete = all(key)
        if complete and key in index:
            line, old = index[key]
            diff = [f for f in fields if c.values[f["name"]] and not same_value(f, c.values[f["name"]], old[f["name"]])]
            if not diff:
                out.duplicates.append((c.row, f"数据文件第{line}行 / dataset row {line}"))
                continue
            key_text = "、".join(f"{titles[k]}“{shown(v)}”" for k, v in zip(pk, key))
            for f in diff:
                n = f["name"]
                col = cols.get(n)
                detail = (f"{key_text}（数据文件第{line}行 / dataset row {line}）；{titles[n]}原为“{shown(old[n])}”，"
                          f"本文件为“{shown(c.values[n])}” / {n} was '{shown(old[n])}', this file says '{shown(c.values[n])}'")
                c.findings.append(Finding.ingest("key-conflict", c.row, n, col.where if col else "", c.values[n], detail))
            out.rejected[c.row] = c.findings
            continue
        full = tuple(c.values[f["name"]] for f in fields)
        if complete and full in seen:
            first = seen[full].row
            out.duplicates.append((c.row, f"本文件第{first}行 / row {first} of this file"))
            continue
        seen.setdefault(full, c)
        left.append(c)
    return left


# ---------------------------------------------------------------------------
# Process: validate with the pipeline's validator
# ---------------------------------------------------------------------------


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
    return ReadError(f"数据包本身有错误，无法校验新记录（{first}）；请先运行 python -m pipeline validate {_rel(package)} 并修复",
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


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def ingest_records(path: Path, into: str, package: Path = paths.PACKAGE, *, on_date: dt.date | None = None,
           dry_run: bool = False, sheet: str | None = None) -> Outcome:
    from pipeline.config import build_date

    # -- load inputs -----------------------------------------------------------
    # The input as the clerk named it (absolute, symbolic links kept): its quarantine file
    # goes beside that name, where the clerk will look, not beside the link's target.
    path, package = Path(os.path.abspath(path)), Path(package).resolve()
    resource = TARGETS.get(into, into)
    out = Outcome(path, resource, dry_run=dry_run, quarantine=path.with_name(f"{path.stem}.quarantine.csv"))
    on_date = on_date or build_date()
    try:
        descriptor, res = load_resource(package, resource)
        fields = res["schema"]["fields"]
        names = [f["name"] for f in fields]
        pk = res["schema"].get("primaryKey") or []
        pk = [pk] if isinstance(pk, str) else pk
        out.dataset = package.parent / res["path"]
        existing = read_dataset(out.dataset, names)
        al = aliases(resource, fields)
        out.workbook = read_file(path)
        header = pick_sheet(out.workbook, al, sheet)
    except ReadError as exc:
        out.error = exc
        return out
    out.header = header
    mapped = header.by_field()
    derived = DERIVED.get(resource, set())
    out.missing_required = [f["name"] for f in fields
                            if (f.get("constraints", {}).get("required") or f["name"] in pk)
                            and f["name"] not in mapped and f["name"] not in derived]

    # -- process ---------------------------------------------------------------
    candidates = build_candidates(header, fields, resource, existing, out)
    batch = sort_out_duplicates(candidates, existing, fields, pk, header, out)
    found, rest, content = {}, [], b""
    if batch:  # nothing new (a second run of the same file): nothing to validate
        try:
            report, content = validate_rows(package, descriptor, res, out.dataset, names, [c.values for c in batch], on_date)
        except ReadError as exc:
            out.error = exc
            return out
        out.error = unvalidated(report, resource, package)
        if out.error:
            return out
        found, rest = attribute(report, resource, len(existing), batch, header, fields, al)
    accepted: list[Candidate] = []
    for i, c in enumerate(batch):
        c.findings += found.get(i, [])
        if any(f.severity == "error" for f in c.findings):
            out.rejected[c.row] = c.findings
        else:
            accepted.append(c)
            out.warnings += c.findings
    baseline: set | None = None

    def new_errors(errors) -> list:
        nonlocal baseline
        errors = [e for e in errors if e.severity == "error"]
        if errors and baseline is None:
            from pipeline.validate import validate_package

            before, con = validate_package(package, on_date=on_date)
            con.close()
            baseline = {error_key(e) for e in before.errors}
            out.preexisting = sum(e.severity == "error" for e in before.errors)
        return [e for e in errors if error_key(e) not in (baseline or set())]

    problems = new_errors(rest)
    if not problems and accepted and len(accepted) < len(batch):
        # The gate: the package exactly as it will be written.
        try:
            report, content = validate_rows(package, descriptor, res, out.dataset, names, [c.values for c in accepted], on_date)
        except ReadError as exc:
            out.error = exc
            return out
        out.error = unvalidated(report, resource, package)
        if out.error:
            return out
        problems = new_errors(report.errors)
    if problems:
        detail = "；".join(f"{e.message_zh}" for e in problems[:3]) + " / " + "; ".join(e.message_en for e in problems[:3])
        for c in accepted:
            out.rejected[c.row] = c.findings + [Finding.ingest("package-invalid", c.row, None, "", "", detail)]
        accepted = []
    out.warnings += [Finding(e.code, None, e.field, "", shown(e.value or ""), e.message_zh, e.message_en, e.severity)
                     for e in rest if e.severity != "error"]
    out.accepted = [c.row for c in accepted]
    order = {c.field: c.index for c in header.columns if c.field}
    out.rejected = {row: sorted(fs, key=lambda f: order.get((f.field or "").split(",")[0], 10_000))
                    for row, fs in sorted(out.rejected.items())}

    # -- save outputs ----------------------------------------------------------
    save(out, [(out.dataset, content)] if accepted else [])
    return out


KEPT = ("数据文件保持原样，没有写入任何记录", "the dataset is as it was, no row was written")


def save(out: Outcome, writes: list[tuple[Path, bytes]]) -> None:
    """The quarantine, then each dataset in order (nothing with --dry-run).  Several datasets
    are written one after the other, so callers order them so that every prefix leaves a
    valid package (figures.py: plans, indicators, observations)."""
    name = out.input.name
    out.quarantine_foreign = os.path.lexists(out.quarantine) and not is_own_quarantine(out.quarantine, name)
    if out.dry_run:
        return
    if out.rejected and out.quarantine_foreign:
        out.error = ReadError(
            f"{out.quarantine} 已存在，但不是本工具为 {name} 写的隔离文件；为免覆盖，没有写入任何文件。请将它改名或移走后重试",
            f"{out.quarantine} exists but is not the quarantine file this tool wrote for {name}; to keep it, "
            "nothing was written. Rename or move it, then run again")
        return
    done: list[Path] = []
    try:
        # The quarantine first: if it cannot be written, the dataset is left as it was.
        if out.rejected:
            write_quarantine(out)
            out.quarantine_written = True
        for dataset, content in writes:
            zh = f"已写入 {'、'.join(_rel(p) for p in done)}，其余文件保持原样；再运行同一命令即可补全（已写入的行作为重复跳过）"
            en = (f"{', '.join(_rel(p) for p in done)} were written, the rest is as it was; run the same command again "
                  "to complete it (rows already in are skipped)")
            kept = (zh, en) if done else KEPT
            atomic_write(dataset, content, kept)
            done.append(dataset)
            out.written = True
        if not out.rejected and os.path.lexists(out.quarantine) and not out.quarantine_foreign:
            out.quarantine.unlink()  # ours, from an earlier run: nothing is rejected now
            out.quarantine_removed = True
    except WriteError as exc:
        out.error = exc
        out.appended = {p: n for p, n in out.appended.items() if p in done}  # the summary lists what was written
    except OSError as exc:  # the old quarantine file could not be removed
        out.error = WriteError(out.quarantine, exc, ("已追加的记录保留", "the rows appended are kept"))


def write_quarantine(out: Outcome) -> None:
    """One line per reason; the row's own cells follow, personal data withheld."""
    header = out.header
    cols = header.columns
    labels, used = [], set()
    for c in cols:
        label = c.label or f"{c.letter}列"
        if label in used:
            label = f"{label}（{c.letter}列）"
        used.add(label)
        labels.append(label)
    personal_fields = {}
    for row, findings in out.rejected.items():
        personal_fields[row] = {n for f in findings if f.code in PERSONAL_CODES for n in (f.field or "").split(",")}
    lines = [QUARANTINE_HEADER + labels]
    for row, findings in out.rejected.items():
        cells = out.cells[row]
        original = []
        for c in cols:
            text = cells[c.index] if c.index < len(cells) else ""
            if text and (c.kind == "personal" or c.field in personal_fields[row]):
                text = WITHHELD
            original.append(shown(text))
        for f in findings:
            # The input's name on every line marks the file as this tool's, for this input.
            lines.append([row, f.column, f.field or "", f.value, f.code, f.reason, out.input.name] + original)
    atomic_write(out.quarantine, csv_for_people(lines),
                 ("数据文件保持原样，没有写入任何记录", "the dataset is as it was, no row was written"))


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def command(out: Outcome, package: Path, *, dry_run: bool = False) -> str:
    into = next((k for k, v in TARGETS.items() if v == out.resource), out.resource)
    cmd = f"python -m pipeline ingest {_rel(out.input)} --into {into}"
    if Path(package).resolve() != paths.PACKAGE:
        cmd += f" --package {_rel(Path(package).resolve())}"
    return cmd + (" --dry-run" if dry_run else "")


def summary(out: Outcome, package: Path = paths.PACKAGE, limit: int = 40) -> str:
    lines = []
    add = lines.append
    add(f"导入 / ingest: {_rel(out.input)} → {out.resource}")
    if out.error and out.header is None:
        add(f"✗ 无法读取 / cannot read: {out.error.zh} / {out.error.en}")
        return "\n".join(lines)
    wb, h = out.workbook, out.header
    if wb.kind == "csv":
        delim = {",": "逗号 comma", "\t": "制表符 tab", ";": "分号 semicolon", "|": "竖线 bar"}[wb.delimiter]
        add(f"  编码 / encoding: {wb.encoding}（{wb.encoding_how}）；分隔符 / delimiter: {delim}")
    else:
        add(f"  Excel 工作表 / sheet: {h.sheet.name}")
    rows = h.header_rows
    span = (f"第{rows[0]}行 / row {rows[0]}" if len(rows) == 1
            else f"第{rows[0]}–{rows[-1]}行 / rows {rows[0]}–{rows[-1]}")
    add(f"  表头 / header: {span}; 识别 {len(h.by_field())} 列 / {len(h.by_field())} columns mapped")
    for kind, zh, en in (("unknown", "未识别，未导入", "not recognised, not ingested"),
                         ("duplicate", "重复的列，未导入", "repeated column, not ingested"),
                         ("personal", "个人信息，未导入", "personal data, never ingested"),
                         ("ignore", "不需要", "not needed")):
        cols = h.of_kind(kind)
        if cols:
            add(f"  {zh} / {en}: " + "，".join(c.where + (f"（同{c.note}列）" if c.note else "") for c in cols))
    stray = [c for c in h.of_kind("empty") if any(c.index < len(cells) and trim(cells[c.index]) for _, cells in h.data)]
    if stray:
        add("  无表头但有数据，未导入 / data without a header, not ingested: " + "，".join(c.where for c in stray))
    if out.missing_required:
        add("  缺少必填列 / required columns missing: " + "，".join(out.missing_required))
    n_acc, n_rej, n_dup = len(out.accepted), len(out.rejected), len(out.duplicates)
    add(f"行 / rows: 读取 read {out.rows_read} = 接受 accepted {n_acc} + 拒绝 rejected {n_rej} + 重复 duplicates {n_dup}"
        + (f"（另有空行 {out.blank_rows} 行，跳过 / {out.blank_rows} blank skipped）" if out.blank_rows else ""))
    if out.rejected:
        add("拒绝 / rejected:")
        text = []
        for row, findings in out.rejected.items():
            empty = [f.column for f in findings if f.code == "required"]
            if empty:
                text.append(f"  第{row}行 [required] 必填字段为空 / required but empty: {'、'.join(empty)}")
            for f in findings:
                if f.code != "required" or not empty:
                    value = f"“{f.value}” " if f.value else ""
                    message = f.message_zh if len(f.message_zh) <= 90 else f.message_zh[:89] + "…"
                    text.append(f"  第{row}行 {f.column} {value}[{f.code}] {message}")
        lines.extend(text[:limit])
        if len(text) > limit:
            add(f"  … 另有 {len(text) - limit} 条，见隔离文件 / {len(text) - limit} more in the quarantine file")
    if out.duplicates:
        add("重复，未再写入 / duplicates, not written again: "
            + "；".join(f"第{r}行 = {what}" for r, what in out.duplicates[:10])
            + (f" … (+{len(out.duplicates) - 10})" if len(out.duplicates) > 10 else ""))
    if out.preexisting:
        add(f"注意 / note: 数据包原有 {out.preexisting} 个错误，与本文件无关；请运行 python -m pipeline validate 查看 / "
            f"the package already had {out.preexisting} errors unrelated to this file; run python -m pipeline validate")
    for wfind in out.warnings[:5]:
        add(f"警告 / warning: {f'第{wfind.row}行 ' if wfind.row else ''}[{wfind.code}] {wfind.message_zh}")
    appended = out.appended or ({out.dataset: n_acc} if out.dataset else {})
    if out.dry_run:
        would = ", ".join(f"{n} rows to {_rel(p)}" for p, n in appended.items() if n) or "no rows"
        add(f"试运行，未写入任何文件 / dry run, nothing written (would append {would}"
            + (f", quarantine {n_rej} rows" if n_rej else "") + ")")
    else:
        if out.written:
            add("已写入 / appended: " + "; ".join(f"{_rel(p)} (+{n} 行 rows)" for p, n in appended.items() if n))
        if out.quarantine_written:
            add(f"隔离文件 / quarantine: {_rel(out.quarantine)} ({n_rej} 行 rows)")
        elif out.quarantine_removed:
            add(f"已删除上次的隔离文件 / removed the previous quarantine file: {_rel(out.quarantine)}")
    if out.quarantine_foreign and not out.rejected:
        add(f"注意 / note: {_rel(out.quarantine)} 不是本工具为此文件写的隔离文件，未改动 / "
            "is not the quarantine file this tool wrote for this input; left as it is")
    elif out.quarantine_foreign and out.dry_run:
        add(f"注意 / note: {_rel(out.quarantine)} 已存在且不是本工具为此文件写的；正式导入前请改名或移走 / "
            "exists and is not this tool's file for this input; rename or move it before the real run")
    if out.error:
        add(f"✗ {out.error.zh} / {out.error.en}")
        return "\n".join(lines)
    build = "python -m pipeline build" + ("" if Path(package).resolve() == paths.PACKAGE else f" {_rel(Path(package).resolve())}")
    if out.dry_run:
        nxt = f"去掉 --dry-run 正式导入 / run it for real: {command(out, package)}"
    elif out.rejected:
        nxt = (f"按隔离文件修改原表中列出的单元格，再运行同一命令（已导入的行会作为重复跳过）/ fix the cells listed in the "
               f"quarantine file, then run the same command again (rows already in are skipped): {command(out, package)}")
        if out.written:
            nxt += f"\n      然后发布 / then publish: {build}"
    elif out.written:
        nxt = f"校验并发布 / validate and publish: {build}"
    else:
        nxt = "没有新记录，无需操作 / nothing new, nothing to do"
    add(f"下一步 / next: {nxt}")
    return "\n".join(lines)


__all__ = ["FIGURES", "TARGETS", "Outcome", "ingest_records", "summary"]
