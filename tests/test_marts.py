"""SQL marts as units: given staging rows, the real model file gives the expected rows.

Each mart reads only staging relations (and other marts), so a test creates those as
small tables with fictional rows and runs the model's own SQL on them; no package,
no build.  Indicators here are named 示例（虚构）… so nobody mistakes them for the plan's.
"""

from __future__ import annotations

import duckdb
import pytest

from pipeline.paths import SQL

INDICATOR_COLUMNS = ("indicator_id", "plan", "table_no", "table_row", "name_zh", "name_en", "unit", "unit_en",
                     "direction", "period_kind", "passage_id", "definition_zh", "definition_en")
OBSERVATION_COLUMNS = ("observation_id", "indicator_id", "kind", "period_start", "period_end", "base_year", "value",
                       "value_as_written", "unit", "passage_id", "table_column", "quote", "corroborating_passage_id",
                       "corroborating_quote", "note_zh", "note_en")


def mart(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    """Run pipeline/sql/marts/<name>.sql on what `con` holds; rows as dicts."""
    con.execute((SQL / "macros.sql").read_text(encoding="utf-8"))
    cur = con.execute((SQL / "marts" / f"{name}.sql").read_text(encoding="utf-8"))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def twelfth_plan(rows: list[tuple[str, str, float | None, float | None, float | None]]) -> duckdb.DuckDBPyConnection:
    """A connection with stg_indicators / stg_observations / an empty target_levels_2020 holding
    12th-plan-shaped indicators: (id, direction, 2010 actual, 2015 target, 2015 actual)."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE stg_indicators ({', '.join(c + ' VARCHAR' for c in INDICATOR_COLUMNS)})")
    con.execute("ALTER TABLE stg_indicators ALTER table_no TYPE INTEGER")
    con.execute("ALTER TABLE stg_indicators ALTER table_row TYPE INTEGER")
    con.execute(f"CREATE TABLE stg_observations ({', '.join(c + ' VARCHAR' for c in OBSERVATION_COLUMNS)})")
    for c, t in (("period_start", "INTEGER"), ("period_end", "INTEGER"), ("base_year", "INTEGER"), ("value", "DOUBLE")):
        con.execute(f"ALTER TABLE stg_observations ALTER {c} TYPE {t}")
    con.execute("""CREATE TABLE target_levels_2020 (indicator_id VARCHAR, base_year INTEGER, baseline_value DOUBLE,
                   target_year INTEGER, target_level DOUBLE, reduction_pct DOUBLE, assumption_zh VARCHAR,
                   assumption_en VARCHAR, passage_id VARCHAR, quote VARCHAR)""")
    for n, (iid, direction, base, target, actual) in enumerate(rows, 1):
        con.execute("INSERT INTO stg_indicators (indicator_id, plan, table_no, table_row, name_zh, name_en, unit, direction, "
                    "period_kind) VALUES (?, '十二五', 1, ?, ?, ?, '人', ?, 'annual')",
                    [iid, n, f"示例（虚构）指标{n}", f"Fictional indicator {n}", direction])
        for kind, year, value in (("actual", 2010, base), ("target", 2015, target), ("actual", 2015, actual)):
            if value is not None:
                con.execute("INSERT INTO stg_observations (observation_id, indicator_id, kind, period_start, period_end, "
                            "value, passage_id, quote) VALUES (?, ?, ?, ?, ?, ?, 't1-r1', '示例')",
                            [f"{iid}:{kind}:{year}", iid, kind, year, year, value])
    return con


# Guards against: the wording assumed every indicator is lower-is-better, so a
# higher-is-better indicator met at 95 against 90 read "等于规划目标" and one missed at
# 70 against 80 read "高于规划目标".
def test_indicator_status_words_follow_the_numbers_in_both_directions():
    con = twelfth_plan([
        ("lower-met", "lower_is_better", 120, 100, 90),
        ("lower-equal", "lower_is_better", 120, 100, 100),
        ("lower-missed", "lower_is_better", 120, 100, 110),
        ("higher-met", "higher_is_better", 80, 90, 95),
        ("higher-equal", "higher_is_better", 80, 90, 90),
        ("higher-missed", "higher_is_better", 60, 80, 70),
    ])
    got = {r["indicator_id"]: r for r in mart(con, "indicator_status")}
    expected = {
        "lower-met": ("met", "below", "为90人，低于规划目标100人，达成。", "below the target of 100: met."),
        "lower-equal": ("met", "equal", "为100人，等于规划目标100人，达成。", "equal to the target of 100: met."),
        "lower-missed": ("missed", "above", "为110人，高于规划目标100人，未达成。", "above the target of 100: missed."),
        "higher-met": ("met", "above", "为95人，高于规划目标90人，达成。", "above the target of 90: met."),
        "higher-equal": ("met", "equal", "为90人，等于规划目标90人，达成。", "equal to the target of 90: met."),
        "higher-missed": ("missed", "below", "为70人，低于规划目标80人，未达成。", "below the target of 80: missed."),
    }
    for iid, (status, vs, zh, en) in expected.items():
        r = got[iid]
        assert (r["status"], r["actual_vs_target"]) == (status, vs), iid
        assert r["summary_zh"].endswith(zh), r["summary_zh"]
        assert r["summary_en"].endswith(en), r["summary_en"]


# Guards against: "looser than the baseline" was only defined for lower-is-better
# indicators; a higher-is-better target below its own baseline also allowed things to get worse.
def test_looser_target_in_both_directions():
    con = twelfth_plan([
        ("lower-loose", "lower_is_better", 3, 5, 3),
        ("lower-tight", "lower_is_better", 5, 3, 3),
        ("higher-loose", "higher_is_better", 85, 80, 82),
        ("higher-tight", "higher_is_better", 80, 85, 86),
    ])
    got = {r["indicator_id"]: r for r in mart(con, "indicator_status")}
    assert got["lower-loose"]["target_looser_than_baseline"] is True
    assert "但该目标高于2010年的3人，目标本身允许数字上升。" in got["lower-loose"]["summary_zh"]
    assert got["lower-tight"]["target_looser_than_baseline"] is False
    assert got["higher-loose"]["target_looser_than_baseline"] is True
    assert "但该目标低于2010年的85人，目标本身允许数字下降。" in got["higher-loose"]["summary_zh"]
    assert "allowed the figure to fall" in got["higher-loose"]["summary_en"]
    assert got["higher-tight"]["target_looser_than_baseline"] is False
    assert "允许" not in got["higher-tight"]["summary_zh"]


# Guards against: target_looser_than_baseline was coalesced to false where no comparison
# applies (no baseline), and empty derived values carried no reason.
def test_what_cannot_be_computed_is_null_with_a_reason():
    con = twelfth_plan([
        ("no-baseline", "lower_is_better", None, 100, 90),
        ("zero-baseline", "lower_is_better", 0, 2, 1),
        ("no-actual", "lower_is_better", 10, 8, None),
        ("zero-target", "lower_is_better", 1, 0, 0),
    ])
    got = {r["indicator_id"]: r for r in mart(con, "indicator_status")}
    r = got["no-baseline"]
    assert r["target_looser_than_baseline"] is None
    assert r["change_from_baseline"] is None and r["change_from_baseline_pct"] is None
    assert "target_looser_than_baseline：缺少基数或目标，不适用" in r["null_reasons_zh"]
    assert "baseline：原文没有2010年基数" in r["null_reasons_zh"]
    assert "target_looser_than_baseline: no baseline" in r["null_reasons_en"]
    r = got["zero-baseline"]
    assert r["change_from_baseline"] == 1 and r["change_from_baseline_pct"] is None
    assert "change_from_baseline_pct：基数为0，无法计算百分比" in r["null_reasons_zh"]
    r = got["no-actual"]
    assert (r["status"], r["gap_to_target"], r["gap_pct"], r["actual_vs_target"]) == ("no_data", None, None, None)
    assert "actual：本数据包没有2015年实际数" in r["null_reasons_zh"]
    r = got["zero-target"]
    assert (r["status"], r["gap_to_target"], r["gap_pct"]) == ("met", 0, None)
    assert "gap_pct：目标为0，无法计算百分比" in r["null_reasons_zh"]
    # every empty derived column is named in the reasons, in every row
    derived = ("baseline", "target", "actual", "actual_vs_target", "gap_to_target", "gap_pct",
               "target_looser_than_baseline", "change_from_baseline", "change_from_baseline_pct", "reduction_pct")
    for r in got.values():
        for col in derived:
            if r[col] is None:
                assert col in (r["null_reasons_zh"] or ""), (r["indicator_id"], col)
                assert col in (r["null_reasons_en"] or ""), (r["indicator_id"], col)


@pytest.mark.parametrize("direction", ["lower_is_better", "higher_is_better"])
def test_status_never_defaults(direction):
    """An indicator with a target but no actual is no_data, whatever its direction."""
    con = twelfth_plan([("x", direction, 5, 5, None)])
    (r,) = mart(con, "indicator_status")
    assert r["status"] == "no_data" and r["status_zh"] == "无数据"
    assert r["target_looser_than_baseline"] is False  # 5 against 5: computable, and not looser


# Guards against a group whose decisions record no amount showing a fine total of 0:
# "no amount recorded" is not "fined 0".
def test_penalty_stats_does_not_turn_missing_amounts_into_zero():
    con = duckdb.connect()
    con.execute("CREATE TABLE penalties_public (decision_year INTEGER, penalty_category VARCHAR, fine_amount_wan DOUBLE)")
    con.execute("INSERT INTO penalties_public VALUES (2024, '警告', NULL), (2024, '警告', NULL), "
                "(2024, '罚款', 0.5), (2024, '罚款', NULL)")
    got = {(r["penalty_category"], r["amount_band"]): r for r in mart(con, "penalty_stats")}
    assert got[("警告", 0)]["fines_wan"] is None and got[("警告", 0)]["decisions"] == 2
    assert got[("警告", 0)]["amount_range"].startswith("未载明罚款金额")
    assert got[("罚款", 0)]["fines_wan"] is None
    assert got[("罚款", 1)]["fines_wan"] == 0.5


def test_mart_yaml_fields_are_read_whole():
    # Guards against unquoted YAML flow values cut at their first comma: "Removal date, or
    # the day after display ended." was read as "Removal date" plus a stray key, and the
    # title "Fines (10,000 yuan)" as "Fines (10".
    import yaml

    for path in sorted((SQL / "marts").glob("*.yml")):
        for f in yaml.safe_load(path.read_text(encoding="utf-8"))["fields"]:
            assert set(f) <= {"name", "type", "title", "title_en", "description"}, (path.name, f)
            assert all(v is not None for v in f.values()), (path.name, f)
            line = next(x for x in path.read_text(encoding="utf-8").splitlines() if f"name: {f['name']}," in x)
            assert f["description"] in line.replace('\\"', '"'), (path.name, f["name"])
