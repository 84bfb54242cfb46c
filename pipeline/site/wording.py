"""Phrases the pages share, each built from one row of the warehouse.

Nothing here knows a plan, a year or a table number: they come from the row
(indicator_status, plans, series), so a new plan gets the same sentences.
"""

from __future__ import annotations

import re
from collections import defaultdict

from pipeline.site.md import esc, num

#: The order statuses are counted and listed in.
STATUS_ORDER = ["达成", "未达成", "无法判断", "无数据"]
WORSE_SIDE_ZH = {"lower_is_better": "高于", "higher_is_better": "低于"}
WORSE_MOVE_ZH = {"lower_is_better": "上升", "higher_is_better": "下降"}
VS_ZH = {"below": "低于", "equal": "等于", "above": "高于"}
PERCENT_KIND_ZH = {"reduction_pct": "累计下降", "increase_pct": "累计增长"}
PERCENT_HEADER_ZH = {"reduction_pct": "累计降幅", "increase_pct": "累计增幅"}
#: Open SDG's progress categories as the page words them.
PROGRESS_CLASS = {"target_achieved": "met", "substantial_progress": "met", "moderate_progress": "nodata",
                  "limited_progress": "nodata", "deterioration": "missed"}


def count_by(rows: list[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[r[key]] += 1
    return out


def status_counts(rows: list[dict]) -> str:
    """“7项达成，1项未达成”: every status present, in STATUS_ORDER."""
    c = count_by(rows, "status_zh")
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    return "，".join(f"{n}项{s}" for s, n in sorted(c.items(), key=lambda kv: order.get(kv[0], 99)))


def years(plan: dict) -> str:
    """2011—2015年"""
    return f"{plan['start_year']}—{plan['end_year']}年"


def is_percent(r: dict) -> bool:
    return r["target_kind"] in PERCENT_KIND_ZH


def unit_of(r: dict) -> str:
    return r["unit"] or ""


def as_precise(value, as_written: str | None) -> str:
    """A value with the decimals it was written with (0.040 stays 0.040: precision is part
    of the figure); num() otherwise (Chinese numerals, 万 forms)."""
    import unicodedata

    text = unicodedata.normalize("NFKC", as_written or "")
    m = re.fullmatch(r"[^0-9]*[0-9]+\.([0-9]+)[^0-9]*", text)
    if value is None or not m:
        return num(value)
    return f"{float(value):.{len(m.group(1))}f}"


def range_text(value, low, high, unit: str) -> str:
    """210.6人; 0.036人/亿元（0.033至0.039）: a value with the range its precision stands for."""
    text = f"{num(value)}{unit}"
    if low is not None and high is not None and low != high:
        text += f"（{num(low)}至{num(high)}）"
    return text


def target_text(r: dict) -> str:
    return range_text(r["target"], r["target_low"], r["target_high"], unit_of(r))


def actual_text(r: dict) -> str:
    return range_text(r["actual"], r["actual_low"], r["actual_high"], unit_of(r))


def looser_words(r: dict) -> str:
    """“目标高于2010年基数3”: a loose target in its indicator's own direction."""
    return f"目标{WORSE_SIDE_ZH[r['direction']]}{r['baseline_year']}年基数{num(r['baseline'])}"


def baseline_cell(r: dict) -> str:
    if r["baseline"] is None:
        return "无基数"
    text = range_text(r["baseline"], r["baseline_low"], r["baseline_high"], unit_of(r))
    return text + ("（假定）" if r["baseline_method"] == "assumption_link" else "")


def target_cell(r: dict) -> str:
    if r["target"] is None:
        return "无法推算"
    return target_text(r) + ("（推算）" if is_percent(r) else "")


def result_cell(r: dict, plan: dict | None) -> str:
    """One line for a target in a list: what it asks, and what is known."""

    if is_percent(r):
        assumed = "，推定" if plan and plan["years_assumed"] else ""
        text = f"{PERCENT_KIND_ZH[r['target_kind']]}{num(r['reduction_pct'])}%（到{r['target_year']}年{assumed}）；"
        if r["target"] is not None:
            base = "假定基数" if r["baseline_method"] == "assumption_link" else "基数"
            text += f"按{base}推算目标约 {target_text(r)}"
        else:
            text += f"没有{r['baseline_year']}年基数，无法推算目标水平"
        if r["actual"] is not None:
            text += f"；{r['actual_year']}年实际 {actual_text(r)}"
    else:
        actual = actual_text(r) if r["actual"] is not None else "无数据"
        text = f"{r['target_year']}年 {actual}；目标 {target_text(r)}"
        if r["target_looser_than_baseline"]:
            text += f"（{looser_words(r)}，目标允许数字{WORSE_MOVE_ZH[r['direction']]}）"
    if r["status"] == "indeterminate":
        text += "；写法的精度不足以判断"
    return esc(text)


def progress_text(r: dict) -> str | None:
    """Open SDG's progress measure in words, with its inputs; None when not computed or when
    the target year's actual already decides the target."""
    if r["progress"] is None or r["progress_year"] is None or r["progress_year"] >= r["target_year"]:
        return None
    text = (f"进度（{r['progress_year']}年，Open SDG 增长率方法）：{r['progress_zh']}。"
            f"{r['baseline_year']}年{num(r['baseline'])}→{r['progress_year']}年{num(r['progress_value'])}{unit_of(r)}")
    if r["progress_ratio"] is not None:
        text += (f"，实际年均变化{num(round(r['progress_cagr_observed'] * 100, 2))}%，"
                 f"达到目标所需年均变化{num(round(r['progress_cagr_required'] * 100, 2))}%，"
                 f"比率{num(round(r['progress_ratio'], 3))}")
    return text + "。"
