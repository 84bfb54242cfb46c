"""Load CSV resources into DuckDB and check their Table Schema as SQL over whole tables.

Each CSV is read with every column as text, so that type errors are reported per
cell instead of aborting the load.  Rows keep their file order: ``rowid + 2`` is
the row number frictionless reports (the header is row 1).  Short rows are padded
with SQL NULL (an empty cell is the empty string), and a few overflow columns catch
rows with too many cells, so ragged rows are found without a second pass.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.validate.errors import ValidationError

OVERFLOW = 8  # extra columns that catch rows with too many cells
NULL_SENTINEL = "\x01<absent>\x01"  # never in real data: lets '' and a padded NULL differ

ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
INTEGER = r"^[+-]?[0-9]+$"


@dataclass
class Table:
    name: str
    path: Path
    schema: dict
    loaded: bool = False
    rows: int = 0
    header_ok: bool = False
    fields: list[dict] = field(default_factory=list)

    @property
    def sql(self) -> str:
        return f'raw."{self.name}"'

    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def lit(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def read_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f), [])


def load_table(con: duckdb.DuckDBPyConnection, table: Table, errors: list[ValidationError]) -> None:
    """Read the CSV into raw.<name>; structural problems become errors."""
    table.fields = table.schema.get("fields", [])
    names = table.field_names()
    where = dict(resource=table.name, file=str(table.path))
    try:
        header = read_header(table.path)
    except UnicodeDecodeError:
        errors.append(_encoding_error(table))
        return
    if header != names:
        missing = [n for n in names if n not in header]
        extra = [h for h in header if h not in names]
        parts = []
        if missing:
            parts.append("缺少/missing " + ", ".join(missing))
        if extra:
            parts.append("多出/unexpected " + ", ".join(extra))
        if not parts:
            parts.append("顺序不同/order differs: " + ", ".join(header))
        errors.append(ValidationError("header-mismatch", row=1, detail="; ".join(parts), **where))
        return
    table.header_ok = True
    columns = {n: "VARCHAR" for n in names} | {f"__overflow{i}": "VARCHAR" for i in range(OVERFLOW)}
    for parallel in ("true", "false"):
        # The parallel reader cannot pad short rows when quoted cells hold line breaks;
        # such files are read again with the serial reader.
        try:
            con.execute(f"DROP TABLE IF EXISTS {table.sql}")
            con.execute(
                f"""CREATE TABLE {table.sql} AS SELECT * FROM read_csv(?, header=false, skip=1,
                    columns=?, null_padding=true, nullstr=?, quote='"', escape='"', delim=',',
                    strict_mode=false, auto_detect=false, parallel={parallel})""",
                [str(table.path), columns, NULL_SENTINEL],
            )
            break
        except duckdb.Error as exc:
            message = str(exc)
            if "null_padding" in message and parallel == "true":
                continue
            if "unicode" in message.lower() or "utf" in message.lower():
                errors.append(_encoding_error(table))
            else:
                first = message.strip().splitlines()[0]
                line = re.search(r"Line: (\d+)", message)
                errors.append(ValidationError("csv-parse-error", row=int(line.group(1)) if line else None, detail=first, **where))
            return
    table.loaded = True
    table.rows = con.execute(f"SELECT count(*) FROM {table.sql}").fetchone()[0]
    last = q(names[-1])
    for rowid in _rowids(con, f"SELECT rowid FROM {table.sql} WHERE __overflow0 IS NOT NULL"):
        errors.append(ValidationError("extra-cell", row=rowid + 2, **where))
    for rowid in _rowids(con, f"SELECT rowid FROM {table.sql} WHERE {last} IS NULL AND __overflow0 IS NULL"):
        errors.append(ValidationError("missing-cell", row=rowid + 2, **where))


def _rowids(con, sql: str) -> list[int]:
    return [r[0] for r in con.execute(sql + " ORDER BY rowid").fetchall()]


def _encoding_error(table: Table) -> ValidationError:
    from charset_normalizer import from_bytes

    raw = table.path.read_bytes()
    try:
        raw.decode("utf-8")
        bad_line = None
    except UnicodeDecodeError as exc:
        bad_line = raw.count(b"\n", 0, exc.start) + 1
    best = from_bytes(raw[:65536]).best()
    guess = f"检测为/detected {best.encoding}" if best else "编码未知/unknown encoding"
    return ValidationError("encoding-error", resource=table.name, file=str(table.path), row=bad_line, detail=guess)


# -- Table Schema constraints -------------------------------------------------


def cell(name: str, missing_values: list[str]) -> str:
    """The cell as text, NULL when it is a missing value (or absent in a short row)."""
    col = q(name)
    if not missing_values:
        return col
    return f"CASE WHEN {col} IN ({', '.join(lit(m) for m in missing_values)}) THEN NULL ELSE {col} END"


def typed(f: dict, text: str) -> tuple[str, str]:
    """(SQL that is TRUE when the text is a valid value of the type, SQL of the typed value)."""
    kind = f.get("type", "string")
    if kind == "integer":
        return f"regexp_full_match({text}, '{INTEGER}')", f"TRY_CAST({text} AS HUGEINT)"
    if kind == "number":
        return f"TRY_CAST({text} AS DOUBLE) IS NOT NULL", f"TRY_CAST({text} AS DOUBLE)"
    if kind == "date":
        return f"(regexp_full_match({text}, '{ISO_DATE}') AND TRY_CAST({text} AS DATE) IS NOT NULL)", f"TRY_CAST({text} AS DATE)"
    if kind == "year":
        return f"regexp_full_match({text}, '^[0-9]{{4}}$')", f"TRY_CAST({text} AS INTEGER)"
    if kind == "boolean":
        values = f.get("trueValues", ["true", "True", "TRUE", "1"]) + f.get("falseValues", ["false", "False", "FALSE", "0"])
        return f"{text} IN ({', '.join(lit(v) for v in values)})", f"{text} IN ({', '.join(lit(v) for v in f.get('trueValues', ['true', 'True', 'TRUE', '1']))})"
    return "TRUE", text


TYPE_NAMES = {"integer": "整数/integer", "number": "数字/number", "date": "日期 YYYY-MM-DD/date", "year": "年份/year", "boolean": "布尔值/boolean"}


def check_schema(con: duckdb.DuckDBPyConnection, table: Table, errors: list[ValidationError]) -> None:
    """Every per-cell constraint of the schema, evaluated in one pass over the table.

    Each check is a SQL predicate that is TRUE when a cell breaks it.  One query keeps the
    rows where any predicate holds (few, in good data) and returns which ones did, so a
    million rows cost one scan instead of one per field and constraint.  A cell that is not
    of its type is reported once, as a type error, and skips its other constraints.
    """
    schema = table.schema
    missing = schema.get("missingValues", [""])
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else pk
    checks: list[tuple[str, str, str, str, str]] = []  # (code, field, detail, predicate, shown value)
    for f in table.fields:
        name = f["name"]
        text = cell(name, missing)
        valid, value = typed(f, text)
        c = f.get("constraints", {})
        present = f"{text} IS NOT NULL"
        good = f"{present} AND ({valid})"
        if c.get("required") or name in pk:
            checks.append(("required", name, "", f"{q(name)} IS NOT NULL AND {text} IS NULL", "NULL"))
        if f.get("type", "string") in TYPE_NAMES:
            checks.append(("type-error", name, TYPE_NAMES[f["type"]], f"{present} AND NOT ({valid})", text))
        if "enum" in c:
            allowed = ", ".join(lit(v) for v in c["enum"])
            checks.append(("enum", name, " / ".join(map(str, c["enum"])), f"{good} AND {value} NOT IN ({allowed})", text))
        if "pattern" in c:
            checks.append(("pattern", name, c["pattern"], f"{good} AND NOT regexp_full_match({text}, {lit(c['pattern'])})", text))
        for key, code, op in (("minimum", "minimum", "<"), ("maximum", "maximum", ">")):
            if key in c:
                bound_sql = f"DATE {lit(c[key])}" if f.get("type") == "date" else lit(c[key])
                checks.append((code, name, str(c[key]), f"{good} AND {value} {op} {bound_sql}", text))
        for key, code, op in (("minLength", "min-length", "<"), ("maxLength", "max-length", ">")):
            if key in c:
                checks.append((code, name, str(c[key]), f"{good} AND length({text}) {op} {int(c[key])}", text))
    where = dict(resource=table.name, file=str(table.path))
    if checks:
        flags = ", ".join(f"coalesce({pred}, false)" for _, _, _, pred, _ in checks)
        values = ", ".join(shown for *_, shown in checks)
        any_bad = " OR ".join(f"coalesce({pred}, false)" for _, _, _, pred, _ in checks)
        sql = (f"SELECT rowid, [{flags}], [{values}] FROM {table.sql} "
               f"WHERE __overflow0 IS NULL AND ({any_bad}) ORDER BY rowid")
        for rowid, hits, shown in con.execute(sql).fetchall():
            for (code, name, detail, _, _), hit, value in zip(checks, hits, shown):
                if hit:
                    errors.append(ValidationError(code, row=rowid + 2, field=name, value=value, detail=detail, **where))

    base = f"FROM {table.sql} WHERE __overflow0 IS NULL"  # ragged rows are reported once, as such
    for f in table.fields:
        if f.get("constraints", {}).get("unique") and [f["name"]] != pk:
            _report_duplicates(con, table, "unique", [f["name"]], base, errors)
    if pk:
        _report_duplicates(con, table, "primary-key", pk, base, errors)


def _report_duplicates(con, table: Table, code: str, names: list[str], base: str, errors: list[ValidationError]) -> None:
    texts = [cell(n, table.schema.get("missingValues", [""])) for n in names]
    for rowid, value, first in con.execute(_duplicates_sql(table, texts, base) + " ORDER BY 1").fetchall():
        errors.append(ValidationError(code, resource=table.name, file=str(table.path), row=rowid + 2,
                                      field=",".join(names), value=value, detail=str(first)))


def _duplicates_sql(table: Table, texts: list[str], base: str) -> str:
    key = texts[0] if len(texts) == 1 else "concat_ws(', ', " + ", ".join(texts) + ")"
    not_null = " AND ".join(f"{t} IS NOT NULL" for t in texts)
    return f"""SELECT rowid, k, first + 2 FROM (
        SELECT rowid, {key} AS k, min(rowid) OVER (PARTITION BY {", ".join(texts)}) AS first
        {base} AND {not_null}) WHERE rowid > first"""


def check_foreign_keys(con: duckdb.DuckDBPyConnection, table: Table, tables: dict[str, Table], errors: list[ValidationError]) -> None:
    missing = table.schema.get("missingValues", [""])
    for fk in table.schema.get("foreignKeys", []):
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        ref_name = ref.get("resource") or table.name
        ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        parent = tables.get(ref_name)
        if parent is None or not parent.loaded:
            continue  # a missing or broken parent is reported on its own
        child = [cell(n, missing) for n in fields]
        parent_missing = parent.schema.get("missingValues", [""])
        parent_cols = [cell(n, parent_missing) for n in ref_fields]
        key = child[0] if len(child) == 1 else "concat_ws(', ', " + ", ".join(child) + ")"
        cond = " AND ".join(f"p.k{i} = c.k{i}" for i in range(len(child)))
        sql = f"""
            WITH c AS (SELECT rowid AS r, {key} AS shown, {", ".join(f"{t} AS k{i}" for i, t in enumerate(child))}
                       FROM {table.sql} WHERE __overflow0 IS NULL AND {" AND ".join(f"{t} IS NOT NULL" for t in child)}),
                 p AS (SELECT DISTINCT {", ".join(f"{t} AS k{i}" for i, t in enumerate(parent_cols))} FROM {parent.sql})
            SELECT r, shown FROM c WHERE NOT EXISTS (SELECT 1 FROM p WHERE {cond}) ORDER BY r"""
        for rowid, shown in con.execute(sql).fetchall():
            errors.append(
                ValidationError("foreign-key", resource=table.name, file=str(table.path), row=rowid + 2, field=",".join(fields),
                                value=shown, detail=f"{ref_name}.{','.join(ref_fields)}")
            )
