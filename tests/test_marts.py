"""SQL marts as units: given staging rows, the real model file gives the expected rows.

Each mart reads only staging relations (and other marts), so a test creates those as
small tables with fictional rows and runs the model's own SQL on them; no package,
no build.  Indicators here are named 示例（虚构）… so nobody mistakes them for the plan's.
"""

from __future__ import annotations

import duckdb
import pytest

from pipeline.paths import SQL

STAGING = {
    "stg_sources": "source_id VARCHAR, title VARCHAR, kind VARCHAR, \"date\" DATE",
    "stg_plans": ("plan_id VARCHAR, name_zh VARCHAR, start_year INTEGER, end_year INTEGER, base_year INTEGER, "
                  "years_assumed BOOLEAN, source_id VARCHAR"),
    "stg_indicators": ("indicator_id VARCHAR, plan VARCHAR, table_no INTEGER, table_row INTEGER, name_zh VARCHAR, "
                       "name_en VARCHAR, unit VARCHAR, direction VARCHAR, period_kind VARCHAR, series_id VARCHAR"),
    "stg_observations": ("observation_id VARCHAR, indicator_id VARCHAR, kind VARCHAR, period_start INTEGER, "
                         "period_end INTEGER, base_year INTEGER, value DOUBLE, value_as_written VARCHAR, unit VARCHAR, "
                         "source_id VARCHAR, passage_id VARCHAR, quote VARCHAR"),
    "stg_baseline_links": ("indicator_id VARCHAR, baseline_indicator_id VARCHAR, baseline_year INTEGER, "
                           "name_match VARCHAR, assumption_zh VARCHAR, assumption_en VARCHAR"),
}
PLAN_SOURCE = "example-plan"


def mart(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    """Run pipeline/warehouse/sql/marts/<name>.sql on what `con` holds; rows as dicts."""
    con.execute((SQL / "macros.sql").read_text(encoding="utf-8"))
    cur = con.execute((SQL / "marts" / f"{name}.sql").read_text(encoding="utf-8"))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def judge(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """indicator_status by indicator_id, after the series mart it reads."""
    con.execute((SQL / "macros.sql").read_text(encoding="utf-8"))
    con.execute("CREATE OR REPLACE TABLE series AS " + (SQL / "marts" / "series.sql").read_text(encoding="utf-8"))
    return {r["indicator_id"]: r for r in mart(con, "indicator_status")}


def warehouse() -> duckdb.DuckDBPyConnection:
    """Empty staging tables, one fictional plan source and two fictional plans."""
    con = duckdb.connect()
    for name, cols in STAGING.items():
        con.execute(f"CREATE TABLE {name} ({cols})")
    con.execute("INSERT INTO stg_sources VALUES (?, '示例（虚构）规划', 'plan', NULL)", [PLAN_SOURCE])
    con.execute("INSERT INTO stg_plans VALUES ('p1', '示例一期', 2011, 2015, 2010, false, ?), "
                "('p2', '示例二期', 2016, 2020, 2015, true, ?)", [PLAN_SOURCE, PLAN_SOURCE])
    return con


def indicator(con, iid: str, plan: str = "示例一期", direction: str = "lower_is_better", unit: str = "人",
              series: str | None = None, n: int = 1) -> None:
    con.execute("INSERT INTO stg_indicators VALUES (?, ?, 1, ?, ?, ?, ?, ?, 'annual', ?)",
                [iid, plan, n, f"示例（虚构）指标{iid}", f"Fictional indicator {iid}", unit, direction, series or iid])


def obs(con, iid: str, kind: str, year: int, value: float | None, written: str | None = None, unit: str = "人",
        source: str = PLAN_SOURCE, base_year: int | None = None) -> None:
    if value is None:
        return
    written = written or (str(int(value)) if float(value).is_integer() else str(value))
    con.execute("INSERT INTO stg_observations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 't1-r1', '示例')",
                [f"{iid}:{kind}:{year}:{source}", iid, kind, year, year, base_year, value, written, unit, source])


def twelfth_plan(rows: list[tuple[str, str, float | None, float | None, float | None]]) -> duckdb.DuckDBPyConnection:
    """12th-plan-shaped indicators: (id, direction, 2010 actual, 2015 target, 2015 actual), counts in 人."""
    con = warehouse()
    for n, (iid, direction, base, target, actual) in enumerate(rows, 1):
        indicator(con, iid, direction=direction, n=n)
        obs(con, iid, "actual", 2010, base)
        obs(con, iid, "target", 2015, target)
        obs(con, iid, "actual", 2015, actual)
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
    got = judge(con)
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
    got = judge(con)
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
    got = judge(con)
    r = got["no-baseline"]
    assert r["target_looser_than_baseline"] is None
    assert r["change_from_baseline"] is None and r["change_from_baseline_pct"] is None
    assert "target_looser_than_baseline：缺少基数或目标，不适用" in r["null_reasons_zh"]
    assert "baseline：没有来源给出2010年基数" in r["null_reasons_zh"]
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
    (r,) = judge(con).values()
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


# -- issue 14: one rule for every plan, from whatever the sources say ------------------------

BULLETIN_PRELIM, BULLETIN_REVISED = "example-bulletin-2021", "example-bulletin-2022"


def successor_warehouse() -> duckdb.DuckDBPyConnection:
    con = warehouse()
    con.execute("INSERT INTO stg_sources VALUES (?, '示例（虚构）2020年统计公报', 'statistical_bulletin', DATE '2021-03-01'), "
                "(?, '示例（虚构）2021年统计公报（含2020年修订数）', 'statistical_bulletin', DATE '2022-05-01')",
                [BULLETIN_PRELIM, BULLETIN_REVISED])
    return con


def test_a_level_target_met_from_a_bulletin():
    con = successor_warehouse()
    indicator(con, "level", plan="示例二期")
    obs(con, "level", "target", 2020, 200)
    obs(con, "level", "actual", 2020, 190, source=BULLETIN_PRELIM)
    r = judge(con)["level"]
    assert (r["status"], r["target"], r["actual"], r["actual_source_id"]) == ("met", 200, 190, BULLETIN_PRELIM)
    assert "（据《示例（虚构）2020年统计公报》）" in r["summary_zh"]


def test_a_reduction_missed_because_a_revision_replaced_the_preliminary_figure():
    # 2015 baseline 100, 10% less by 2020: target 90.  The preliminary 89 would meet it; the
    # later-dated revision, 92, decides: missed, and the row says which source it used.
    con = successor_warehouse()
    indicator(con, "revised", plan="示例二期")
    obs(con, "revised", "actual", 2015, 100)
    obs(con, "revised", "cumulative_reduction_target", 2020, 10, "10%", unit="%", base_year=2015)
    obs(con, "revised", "actual", 2020, 89, source=BULLETIN_PRELIM)
    obs(con, "revised", "actual", 2020, 92, source=BULLETIN_REVISED)
    r = judge(con)["revised"]
    assert (r["baseline"], r["baseline_method"], r["target"]) == (100, "series", 90)
    assert (r["status"], r["actual"], r["actual_source_id"], r["sources_disagree"]) == ("missed", 92, BULLETIN_REVISED, True)


def test_a_rate_whose_written_precision_cannot_decide():
    # 0.06 stands for 0.055-0.065, so 40% less is 0.033-0.039; an actual written 0.04 stands for
    # 0.035-0.045, which overlaps: indeterminate, not met and not missed.
    con = successor_warehouse()
    indicator(con, "rate", plan="示例二期", unit="人/亿元")
    obs(con, "rate", "actual", 2015, 0.06, "0.06", unit="人/亿元")
    obs(con, "rate", "cumulative_reduction_target", 2020, 40, "40%", unit="%", base_year=2015)
    obs(con, "rate", "actual", 2020, 0.04, "0.04", unit="人/亿元", source=BULLETIN_PRELIM)
    r = judge(con)["rate"]
    assert (r["target_low"], r["target"], r["target_high"]) == (0.033, 0.036, 0.039)
    assert (r["actual_low"], r["actual_high"]) == (0.035, 0.045)
    assert (r["status"], r["status_zh"]) == ("indeterminate", "无法判断")
    assert "无法判断是否达成" in r["summary_zh"]
    # 0.030 (0.0295-0.0305) is wholly below: met; 0.05 (0.045-0.055) wholly above: missed
    con.execute("UPDATE stg_observations SET value = 0.030, value_as_written = '0.030' WHERE source_id = ?", [BULLETIN_PRELIM])
    assert judge(con)["rate"]["status"] == "met"
    con.execute("UPDATE stg_observations SET value = 0.05, value_as_written = '0.05' WHERE source_id = ?", [BULLETIN_PRELIM])
    assert judge(con)["rate"]["status"] == "missed"


def test_a_target_without_any_baseline_is_no_data():
    con = successor_warehouse()
    indicator(con, "nobase", plan="示例二期")
    obs(con, "nobase", "cumulative_reduction_target", 2020, 10, "10%", unit="%", base_year=2015)
    obs(con, "nobase", "actual", 2020, 50, source=BULLETIN_PRELIM)
    r = judge(con)["nobase"]
    assert (r["status"], r["target"], r["baseline_method"]) == ("no_data", None, None)
    assert "target、target_low、target_high：没有基数" in r["null_reasons_zh"]


def test_a_baseline_from_a_bulletin_wins_over_the_assumption_link():
    # The assumption link points at the earlier plan's figure (100); a bulletin gives the
    # indicator's own 2015 figure (110): the series' own figure is the baseline.
    con = successor_warehouse()
    indicator(con, "old", plan="示例一期")
    obs(con, "old", "actual", 2015, 100)
    indicator(con, "new", plan="示例二期")
    con.execute("INSERT INTO stg_baseline_links VALUES ('new', 'old', 2015, 'reworded', '假定', 'assumed')")
    obs(con, "new", "cumulative_reduction_target", 2020, 10, "10%", unit="%", base_year=2015)
    assert judge(con)["new"]["baseline_method"] == "assumption_link"
    obs(con, "new", "actual", 2015, 110, source=BULLETIN_PRELIM)
    r = judge(con)["new"]
    assert (r["baseline"], r["baseline_method"], r["baseline_source_id"], r["target"]) == (110, "series", BULLETIN_PRELIM, 99)
    assert r["assumption_zh"] is None


def test_progress_follows_open_sdg_growth_rates():
    # base 100 (2015), target 90 (2020), 96 in 2017:
    #   observed (96/100)^(1/2) - 1 = -0.020204, required (90/100)^(1/5) - 1 = -0.020852,
    #   ratio -1 * -0.020204 / 0.020852 = 0.9689 -> substantial progress (>= 0.95)
    con = successor_warehouse()
    indicator(con, "pace", plan="示例二期")
    obs(con, "pace", "actual", 2015, 100)
    obs(con, "pace", "cumulative_reduction_target", 2020, 10, "10%", unit="%", base_year=2015)
    obs(con, "pace", "actual", 2017, 96, source=BULLETIN_PRELIM)
    r = judge(con)["pace"]
    assert r["status"] == "no_data" and r["progress_year"] == 2017
    assert round(r["progress_cagr_observed"], 6) == -0.020204 and round(r["progress_cagr_required"], 6) == -0.020852
    assert (r["progress_ratio"], r["progress"]) == (0.9689, "substantial_progress")
    con.execute("UPDATE stg_observations SET value = 99 WHERE source_id = ?", [BULLETIN_PRELIM])
    assert judge(con)["pace"]["progress"] == "limited_progress"       # 0.24
    con.execute("UPDATE stg_observations SET value = 101 WHERE source_id = ?", [BULLETIN_PRELIM])
    assert judge(con)["pace"]["progress"] == "deterioration"
    con.execute("UPDATE stg_observations SET value = 89 WHERE source_id = ?", [BULLETIN_PRELIM])
    assert judge(con)["pace"]["progress"] == "target_achieved"


def test_series_link_plans():
    # A successor plan's indicator that shares a series with the earlier plan's reads the
    # earlier plan's figures as its own (the baseline here).
    con = successor_warehouse()
    indicator(con, "early", plan="示例一期", series="deaths")
    obs(con, "early", "actual", 2015, 234)
    indicator(con, "late", plan="示例二期", series="deaths")
    obs(con, "late", "cumulative_reduction_target", 2020, 10, "10%", unit="%", base_year=2015)
    r = judge(con)["late"]
    assert (r["baseline"], r["baseline_method"], r["target"]) == (234, "series", 210.6)
