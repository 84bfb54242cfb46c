"""Read CSV resources into DuckDB and check their Table Schema as SQL over whole tables.

Each CSV is read with every column as text, so that type errors are reported per
cell instead of aborting the load.  Short rows are padded with SQL NULL (an empty
cell is the empty string), and a few overflow columns catch rows with too many
cells, so ragged rows are found in the same pass.  Per-cell constraints are
predicates evaluated while the file is read (scan.py); uniqueness and foreign keys
are joins over the table that scan leaves behind.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline.validate.errors import ValidationError
from pipeline.validate.scan import RowCheck, hits, scan

OVERFLOW = 1  # an extra column catches rows with too many cells (strict_mode=false drops any further ones)
NULL_SENTINEL = "\x01<absent>\x01"  # never in real data: lets '' and a padded NULL differ

INTEGER = r"^[+-]?[0-9]+$"
# Rows with too many cells are reported once, as such: key checks skip them.  The scan keeps
# the cells of flagged rows, the overflow cell last (scanned_columns).
NOT_RAGGED = "(__cells IS NULL OR __cells[-1] IS NULL)"


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

    def source(self, parallel: bool = True) -> str:
        """The CSV as a relation of text columns (plus the overflow columns)."""
        columns = {n: "VARCHAR" for n in self.field_names()} | {f"__overflow{i}": "VARCHAR" for i in range(OVERFLOW)}
        return (f"read_csv({lit(str(self.path))}, header=false, skip=1, columns={_struct(columns)}, null_padding=true, "
                f"nullstr={lit(NULL_SENTINEL)}, quote='\"', escape='\"', delim=',', strict_mode=false, "
                f"auto_detect=false, parallel={str(parallel).lower()})")


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


def _struct(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"{lit(k)}: {lit(v)}" for k, v in columns.items()) + "}"


def read_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f), [])


def check_header(table: Table, errors: list[ValidationError]) -> bool:
    """The header names the schema's fields in order (and the file decodes as UTF-8 so far)."""
    table.fields = table.schema.get("fields", [])
    names = table.field_names()
    where = dict(resource=table.name, file=str(table.path))
    reserved = [n for n in names if n.startswith("__")]
    if reserved:  # the scan's own columns (__cells, __text, __overflow0…) would shadow them
        errors.append(ValidationError("header-mismatch", row=1, detail="字段名不得以“__”开头（校验器保留）/ field names "
                                      "starting with __ are reserved for the validator: " + ", ".join(reserved), **where))
        return False
    try:
        header = read_header(table.path)
    except UnicodeDecodeError:
        errors.append(_encoding_error(table))
        return False
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
        return False
    table.header_ok = True
    return True


def structure_checks(table: Table) -> list[RowCheck]:
    """Ragged rows.  A row with too many cells is reported once, as such (`exclusive`)."""
    last = q(table.field_names()[-1])
    return [RowCheck("extra-cell", None, "__overflow0 IS NOT NULL", valueless=True, exclusive=True),
            RowCheck("missing-cell", None, f"{last} IS NULL AND __overflow0 IS NULL", valueless=True)]


def scanned_columns(table: Table) -> list[str]:
    """The text columns checks read: the fields, then the first overflow cell."""
    return table.field_names() + ["__overflow0"]


def load_table(con: duckdb.DuckDBPyConnection, table: Table, checks: list[RowCheck], keep: list[str] | None,
               errors: list[ValidationError]) -> None:
    """Read the CSV into raw.<name> while evaluating `checks`; report what they flag.

    `keep`: the columns to keep (None: all of them)."""
    names = table.field_names()
    keep = names if keep is None else [n for n in names if n in set(keep)]
    where = dict(resource=table.name, file=str(table.path))
    checks = structure_checks(table) + checks
    columns = scanned_columns(table)
    for parallel in (True, False):
        # The parallel reader cannot pad short rows when quoted cells hold line breaks;
        # such files are read again with the serial reader.
        try:
            con.execute(f"DROP TABLE IF EXISTS {table.sql}")
            scan(con, table.sql, table.source(parallel), columns, checks, keep, typed_columns(table))
            break
        except duckdb.Error as exc:
            message = str(exc)
            if "null_padding" in message and parallel:
                continue
            if "unicode" in message.lower() or "utf" in message.lower():
                errors.append(_encoding_error(table))
            else:
                # DuckDB's reason, never its "Original Line:" (the row's text may hold personal data)
                lines = [s.strip() for s in message.strip().splitlines() if s.strip()]
                reason = next((s for s in lines[1:] if not s.startswith("Original Line")), lines[0])
                line = re.search(r"Line: (\d+)", message)
                errors.append(ValidationError("csv-parse-error", row=int(line.group(1)) if line else None, detail=reason, **where))
            return
    table.loaded = True
    table.rows = con.execute(f"SELECT count(*) FROM {table.sql}").fetchone()[0]
    errors.extend(hits(con, table.sql, columns, checks, typed_columns(table), where))


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
    if len(missing_values) == 1:
        return f"NULLIF({col}, {lit(missing_values[0])})"
    return f"CASE WHEN {col} IN ({', '.join(lit(m) for m in missing_values)}) THEN NULL ELSE {col} END"


def is_missing(name: str, missing_values: list[str]) -> str:
    """TRUE when the cell is one of the missing values; NULL when absent in a short row."""
    if not missing_values:
        return "FALSE"
    return f"{q(name)} IN ({', '.join(lit(m) for m in missing_values)})"


CASTS = {"integer": "HUGEINT", "number": "DOUBLE", "date": "DATE", "year": "INTEGER"}


def typed_name(name: str, kind: str) -> str:
    """The column that holds a field's parsed value in the scan, e.g. "decision_date::date"."""
    return q(f"{name}::{kind}")


def typed_columns(table: Table) -> dict[str, str]:
    """Each non-string cell parsed once per row, for every check on it to share."""
    missing = table.schema.get("missingValues", [""])
    return {typed_name(f["name"], f["type"]): f"TRY_CAST({cell(f['name'], missing)} AS {CASTS[f['type']]})"
            for f in table.fields if f.get("type") in CASTS}


def typed(f: dict, text: str) -> tuple[str, str]:
    """(SQL that is TRUE when the text is a valid value of the type, SQL of the typed value).

    The typed value is the scan's parsed column (typed_columns)."""
    kind = f.get("type", "string")
    value = typed_name(f["name"], kind) if kind in CASTS else text
    if kind == "integer":
        return f"regexp_full_match({text}, '{INTEGER}')", value
    if kind == "number":
        return f"{value} IS NOT NULL", value
    if kind == "date":
        # YYYY-MM-DD exactly: the text is what the parsed date prints as (cheaper than a regex).
        return f"coalesce(CAST({value} AS VARCHAR) = {text}, false)", value
    if kind == "year":
        return f"regexp_full_match({text}, '^[0-9]{{4}}$')", value
    if kind == "boolean":
        values = f.get("trueValues", ["true", "True", "TRUE", "1"]) + f.get("falseValues", ["false", "False", "FALSE", "0"])
        return f"{text} IN ({', '.join(lit(v) for v in values)})", f"{text} IN ({', '.join(lit(v) for v in f.get('trueValues', ['true', 'True', 'TRUE', '1']))})"
    return "TRUE", text


TYPE_NAMES = {"integer": "整数/integer", "number": "数字/number", "date": "日期 YYYY-MM-DD/date", "year": "年份/year", "boolean": "布尔值/boolean"}


def schema_checks(table: Table, deferred: set[str] = frozenset()) -> list[RowCheck]:
    """Every per-cell constraint of the schema, as row checks evaluated while the file is read.

    A cell that is not of its type is reported once, as a type error, and skips its other
    constraints.  Patterns of the string fields in `deferred` are left to check_patterns."""
    schema = table.schema
    missing = schema.get("missingValues", [""])
    pk = primary_key(schema)
    checks: list[RowCheck] = []
    for f in table.fields:
        name = f["name"]
        text = cell(name, missing)
        valid, value = typed(f, text)
        c = f.get("constraints", {})
        present = f"NOT ({is_missing(name, missing)})"
        good = present if valid == "TRUE" else f"{present} AND ({valid})"
        if c.get("required") or name in pk:
            checks.append(RowCheck("required", name, is_missing(name, missing), valueless=True))
        if f.get("type", "string") in TYPE_NAMES:
            checks.append(RowCheck("type-error", name, f"{present} AND NOT ({valid})", TYPE_NAMES[f["type"]]))
        if "enum" in c:
            allowed = ", ".join(lit(v) for v in c["enum"])
            checks.append(RowCheck("enum", name, f"{good} AND {value} NOT IN ({allowed})", " / ".join(map(str, c["enum"]))))
        if "pattern" in c and name not in deferred:
            checks.append(RowCheck("pattern", name, f"{good} AND NOT regexp_full_match({text}, {lit(c['pattern'])})", c["pattern"]))
        for key, code, op in (("minimum", "minimum", "<"), ("maximum", "maximum", ">")):
            if key in c:
                bound_sql = f"DATE {lit(c[key])}" if f.get("type") == "date" else lit(c[key])
                checks.append(RowCheck(code, name, f"{good} AND {value} {op} {bound_sql}", str(c[key])))
        # length() decodes UTF-8; the byte length (strlen) is free and bounds it: a character
        # is 1 to 4 bytes.  So the character count is taken only where the bytes allow a breach.
        if "minLength" in c:
            n = int(c["minLength"])
            checks.append(RowCheck("min-length", name, f"{good} AND strlen({text}) < {4 * n} AND length({text}) < {n}", str(n)))
        if "maxLength" in c:
            n = int(c["maxLength"])
            checks.append(RowCheck("max-length", name, f"{good} AND strlen({text}) > {n} AND length({text}) > {n}", str(n)))
    return checks


def deferrable_patterns(table: Table, keep: list[str] | None) -> set[str]:
    """String fields with a pattern whose column the scan keeps anyway: their pattern is
    checked once per distinct value afterwards (identifiers repeat across rows)."""
    kept = set(table.field_names() if keep is None else keep)
    return {f["name"] for f in table.fields
            if f["name"] in kept and f.get("type", "string") == "string" and "pattern" in f.get("constraints", {})}


def check_patterns(con: duckdb.DuckDBPyConnection, table: Table, names: set[str], errors: list[ValidationError]) -> None:
    """The pattern constraint of kept string fields, evaluated once per distinct value; the
    rows of a value that fails are looked up only when there is one."""
    missing = set(table.schema.get("missingValues", [""]))
    where = dict(resource=table.name, file=str(table.path))
    for f in table.fields:
        name = f["name"]
        if name not in names:
            continue
        pattern = f["constraints"]["pattern"]
        col = q(name)
        # The match is a column, not a WHERE: DuckDB would push a filter below the DISTINCT
        # and run the regex on every row.
        bad = [v for v, ok in con.execute(f"""SELECT v, regexp_full_match(v, {lit(pattern)})
                                               FROM (SELECT DISTINCT {col} AS v FROM {table.sql})""").fetchall()
               if v is not None and not ok and v not in missing]
        if not bad:
            continue
        sql = f"SELECT rowid, {col} FROM {table.sql} WHERE list_contains(?, {col}) AND {NOT_RAGGED} ORDER BY rowid"
        for rowid, value in con.execute(sql, [bad]).fetchall():
            errors.append(ValidationError("pattern", row=rowid + 2, field=name, value=value, detail=pattern, **where))


def primary_key(schema: dict) -> list[str]:
    pk = schema.get("primaryKey") or []
    return [pk] if isinstance(pk, str) else list(pk)


def key_columns(table: Table, tables: dict[str, Table]) -> set[str]:
    """Columns the key checks read: primary key, unique fields, and both ends of foreign keys."""
    out = set(primary_key(table.schema))
    out |= {f["name"] for f in table.fields if f.get("constraints", {}).get("unique")}
    for fk in table.schema.get("foreignKeys", []):
        out |= set(fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]])
    for other in tables.values():
        for fk in other.schema.get("foreignKeys", []):
            ref = fk["reference"]
            if (ref.get("resource") or other.name) == table.name:
                out |= set(ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]])
    return out


def check_keys(con: duckdb.DuckDBPyConnection, table: Table, errors: list[ValidationError]) -> None:
    """Unique fields and the primary key, over the whole table (ragged rows are reported once, as such)."""
    pk = primary_key(table.schema)
    base = f"FROM {table.sql} WHERE {NOT_RAGGED}"
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
    """Rows whose key was seen in an earlier row.  The keys' 64-bit hashes are aggregated first
    (an integer aggregate over every row, cheaper than one over the strings); only rows whose
    hash occurs twice are then compared by their text, to tell a duplicate from a collision."""
    keys = [f"k{i}" for i in range(len(texts))]
    shown = keys[0] if len(keys) == 1 else "concat_ws(', ', " + ", ".join(keys) + ")"
    not_null = " AND ".join(f"{t} IS NOT NULL" for t in texts)
    hashed = f"hash({', '.join(texts)})"
    return f"""WITH h AS (SELECT {hashed} AS h {base} AND {not_null} GROUP BY 1 HAVING count(*) > 1),
                r AS (SELECT rowid AS r, {", ".join(f"{t} AS {k}" for t, k in zip(texts, keys))} {base} AND {not_null}
                      AND {hashed} IN (SELECT h FROM h)),
                d AS (SELECT {", ".join(keys)}, min(r) AS first FROM r GROUP BY ALL HAVING count(*) > 1)
           SELECT r.r, {shown}, d.first + 2 FROM r JOIN d USING ({", ".join(keys)}) WHERE r.r > d.first"""


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
                       FROM {table.sql} WHERE {NOT_RAGGED} AND {" AND ".join(f"{t} IS NOT NULL" for t in child)}),
                 p AS (SELECT DISTINCT {", ".join(f"{t} AS k{i}" for i, t in enumerate(parent_cols))} FROM {parent.sql})
            SELECT r, shown FROM c WHERE NOT EXISTS (SELECT 1 FROM p WHERE {cond}) ORDER BY r"""
        for rowid, shown in con.execute(sql).fetchall():
            errors.append(
                ValidationError("foreign-key", resource=table.name, file=str(table.path), row=rowid + 2, field=",".join(fields),
                                value=shown, detail=f"{ref_name}.{','.join(ref_fields)}")
            )
