"""One pass over each CSV: every row-level rule evaluated while the file is read.

A row-level rule (a Table Schema constraint on one cell, or a domain rule that needs
only its own row) is a SQL predicate that is TRUE when the row breaks it.  All of a
table's predicates are OR-ed and computed in the same parallel scan that reads the
CSV, so a million rows are read and checked once.  The scan keeps:

- the row's cells where any predicate holds (few rows, in good data), on which each
  predicate is then evaluated again to say which rules the row breaks;
- the columns that rules across rows still need (keys, identifiers, …), or every column
  when the caller wants the whole table (the build's warehouse reads it).

The result is the table ``raw.<name>`` whose ``rowid`` is the row's position in the file:
``rowid + 2`` is the row number frictionless reports (the header is row 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import duckdb

from pipeline.validate.errors import ValidationError


@dataclass(frozen=True)
class RowCheck:
    """A rule one row can break on its own.

    `predicate` is SQL over the row's text cells, TRUE when the row breaks the rule (NULL
    counts as not broken).  The error reports `field` and, unless `valueless`, its cell
    (errors.py withholds any value shaped like personal data).  An `exclusive` check that
    flags a row is its only error (a row with too many cells has no meaningful other
    cells).  `then`, when given, is called with the row instead: for rules whose SQL
    predicate only finds candidates (personal data).  `computes` (alias, SQL) are values
    the predicate refers to by alias, computed once per row however often it names them
    (DuckDB does not share a repeated expression inside an OR)."""

    code: str
    field: str | None
    predicate: str
    detail: str = ""
    severity: str | None = None
    valueless: bool = False
    exclusive: bool = False
    then: Callable[[int, dict], list[ValidationError]] | None = None
    computes: tuple[tuple[str, str], ...] = ()


def scan(con: duckdb.DuckDBPyConnection, target: str, source: str, columns: list[str], checks: list[RowCheck],
         keep: list[str], derived: dict[str, str] | None = None) -> None:
    """CREATE TABLE target from the source relation: the `keep` columns, and `__cells`, the list
    of `columns` for rows that break a check (NULL for every other row).

    `derived` (alias -> SQL) are computed once per row before the checks, which may refer to
    them (parsed dates and numbers).  The scan computes only whether any check is broken, one
    OR over all predicates; which ones are is worked out by `hits` on the few flagged rows.
    Insertion order is the source's (DuckDB preserves it in CREATE TABLE AS, also when the CSV
    is read in parallel), so rowid is the row's position."""
    any_broken = " OR ".join(f"({c.predicate})" for c in checks) or "FALSE"
    cells = "[" + ", ".join(_q(c) for c in columns) + "]"
    kept = "".join(f", {_q(c)}" for c in keep)
    con.execute(f"""CREATE TABLE {target} AS SELECT CASE WHEN {any_broken} THEN {cells} END AS __cells{kept}
                    FROM {_with_derived(source, derived, checks)}""")


def hits(con: duckdb.DuckDBPyConnection, target: str, columns: list[str], checks: list[RowCheck],
         derived: dict[str, str] | None, where: dict) -> list[ValidationError]:
    """The errors of every flagged row, in file order: each check evaluated again on those rows."""
    if not checks:
        return []
    cells = ", ".join(f"__cells[{i + 1}] AS {_q(c)}" for i, c in enumerate(columns))
    flagged = _with_derived(f"(SELECT rowid AS __row, {cells} FROM {target} WHERE __cells IS NOT NULL)", derived, checks)
    broken = "[" + ", ".join(f"coalesce({c.predicate}, false)" for c in checks) + "]"
    errors: list[ValidationError] = []
    for rowid, bits, *values in con.execute(
        f"SELECT __row, {broken}, {', '.join(_q(c) for c in columns)} FROM {flagged} ORDER BY __row"
    ).fetchall():
        row = dict(zip(columns, values))
        found = [c for c, bit in zip(checks, bits) if bit]
        for check in [c for c in found if c.exclusive][:1] or found:
            errors.extend(_errors_of(check, rowid, row, where))
    return errors


def _with_derived(source: str, derived: dict[str, str] | None, checks: list[RowCheck]) -> str:
    derived = (derived or {}) | {alias: sql for c in checks for alias, sql in c.computes}
    if not derived:
        return source
    return f"(SELECT *, {', '.join(f'{sql} AS {alias}' for alias, sql in derived.items())} FROM {source})"


def _errors_of(check: RowCheck, rowid: int, row: dict, where: dict) -> list[ValidationError]:
    if check.then is not None:
        return check.then(rowid, row)
    value = None if check.valueless or check.field is None else row.get(check.field)
    extra = {"severity": check.severity} if check.severity else {}
    return [ValidationError(check.code, row=rowid + 2, field=check.field, value=value, detail=check.detail, **extra, **where)]


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'

