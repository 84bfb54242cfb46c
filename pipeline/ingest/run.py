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

This module loads, normalises, sorts out duplicates, runs and saves; staging.py validates the
new rows in a staged copy of the package, summary.py prints the result, outcome.py holds it.

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
import json
import os
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
from pipeline.ingest.outcome import FIGURES, TARGETS, Candidate, Outcome, shown_path
from pipeline.ingest.read import ReadError, Workbook, read_file
from pipeline.ingest.staging import (
    attribute,
    error_key,
    unvalidated,
    validate_rows,
)
from pipeline.ingest.write import (
    QUARANTINE_HEADER,
    WriteError,
    atomic_write,
    csv_for_people,
    is_own_quarantine,
)

# Fields ingest can fill in itself, so a file need not have a column for them.
DERIVED = {
    "blacklist": {"regime"},
    "campaign_results": {"measure_id", "seq", "measure_en", "unit_en", "value_as_written", "amount_yuan", "campaign_zh", "unit"},
}

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
            zh = f"已写入 {'、'.join(shown_path(p) for p in done)}，其余文件保持原样；再运行同一命令即可补全（已写入的行作为重复跳过）"
            en = (f"{', '.join(shown_path(p) for p in done)} were written, the rest is as it was; run the same command again "
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


__all__ = ["FIGURES", "TARGETS", "Outcome", "ingest_records"]
