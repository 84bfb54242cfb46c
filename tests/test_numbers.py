"""One way to print a number (issue 17): pages and charts (pipeline.numerals.plain) and the
warehouse's SQL (the fmt_num macro, which writes the sentences of data_gaps) give the same
text for the same value, so a figure reads the same on a page, in a chart and in a download."""

from __future__ import annotations

import random

import duckdb

from pipeline.numerals import plain
from pipeline.paths import SQL

VALUES = [0, 1, -1, 259, 1598, 0.71, 210.6, 0.06, 0.055, 0.065, 0.036000000000000004, 0.1 + 0.2, 2.5e-7, -2.5e-7,
          1e-6, 0.0000015, 1234567.125, -14.3, 99.9999999, 12345678901234.5, 1.5e22, 3.0, 41.1, 0.6000000000000001,
          99999999999.99, 123456789012.1, 1e15 + 0.3, float("inf"), float("-inf"), float("nan")]


def sql_fmt_num(values: list[float]) -> list[str]:
    con = duckdb.connect()
    con.execute((SQL / "macros.sql").read_text(encoding="utf-8"))
    return [r[0] for r in con.execute("SELECT fmt_num(v) FROM unnest(?::DOUBLE[]) t(v) ", [values]).fetchall()]


def test_sql_and_python_print_every_value_alike():
    rng = random.Random(17)
    values = VALUES + [round(rng.uniform(-1e6, 1e6), rng.randint(0, 8)) for _ in range(2000)]
    assert [plain(v) for v in values] == sql_fmt_num(values)


def test_a_number_is_written_as_the_plan_writes_it():
    assert [plain(v) for v in (259, 0.71, 210.6, 1598.0, 0.036000000000000004, -2.5e-7)] == [
        "259", "0.71", "210.6", "1598", "0.036", "0"]
    assert plain(None) == "—" and plain(None, missing="未公布") == "未公布"
    # no more digits than a double holds: the noise of the 16th and 17th is never printed
    assert [plain(v) for v in (99999999999.99, 123456789012.1, 1.5e22)] == [
        "99999999999.99", "123456789012.1", "15000000000000000000000"]


def test_the_macro_takes_every_numeric_type():
    # printf's %f refuses integers: without the macro's cast to DOUBLE an INTEGER stops the warehouse
    con = duckdb.connect()
    con.execute((SQL / "macros.sql").read_text(encoding="utf-8"))
    got = con.execute("SELECT fmt_num(5::INTEGER), fmt_num(5::HUGEINT), fmt_num(5.25::DECIMAL(10, 2)), "
                      "fmt_num(NULL::DOUBLE), fmt_num(-0.0::DOUBLE)").fetchone()
    assert got == ("5", "5", "5.25", None, "0")
