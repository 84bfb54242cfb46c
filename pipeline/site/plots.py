"""The site's charts, one function per chart, built from warehouse rows only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pipeline import charts
from pipeline.site.context import Context
from pipeline.site.figures import Figure, render
from pipeline.site.md import num

# 表1 result groups, in the order the chart lists them.  A met target that was looser
# than its own baseline is a group of its own, so a lenient target never passes for
# a strong result; 无数据 rows cannot be judged at all.
MISSED, MET, NO_DATA = "未达成", "达成", "无数据"
GAP_COLORS = {"missed": "#b3261e", "met": "#1f5f99", "loose": "#c27c0e", "no_data": "#8a8a8a"}


def loose_category(baseline_year: object) -> str:
    return f"达成（目标宽于{baseline_year}年）"


def _category(r: dict, group: str) -> str:
    return loose_category(r["baseline_year"]) if group == "loose" else \
        {"missed": MISSED, "met": MET, "no_data": NO_DATA}[group]


def _result_group(r: dict) -> str:
    """missed / met / loose / no_data for one indicator_status row.  Looseness is the
    data's own flag (target_looser_than_baseline), which already knows the direction;
    None (no baseline to compare with) is neither loose nor tight: plain met."""
    if r["status"] not in ("met", "missed") or r["target"] is None or r["actual"] is None:
        return "no_data"
    if r["status"] == "missed":
        return "missed"
    return "loose" if r["target_looser_than_baseline"] is True else "met"


def _gap_text(r: dict, group: str) -> str:
    """Two lines beside a row: the real numbers, then the result in words."""
    base = num(r["baseline"]) if r["baseline"] is not None else "无基数"
    numbers = f"{base}→{num(r['actual'])} 目标{num(r['target'])}"
    words = {"missed": MISSED, "met": MET, "no_data": NO_DATA,
             "loose": f"{MET}·目标宽于{r['baseline_year']}年"}[group]
    return f"{numbers}\n{words}"


def _names(rows: list[dict]) -> str:
    return "、".join(r["name_zh"] for r in rows)


def gap_summary(rows: list[dict]) -> str:
    """表1 in words, every count taken from the rows: met / missed (named) / no data,
    and how many of the met targets were looser than their own baseline (named)."""
    groups = {g: [r for r in rows if _result_group(r) == g] for g in GAP_COLORS}
    met = groups["met"] + groups["loose"]
    loose, missed, no_data = groups["loose"], groups["missed"], groups["no_data"]
    years = sorted({r["target_year"] for r in rows if r["target_year"] is not None})
    year = "、".join(map(str, years))
    base_years = sorted({r["baseline_year"] for r in rows if r["baseline_year"] is not None})
    base_year = "、".join(map(str, base_years)) or "基期"
    parts = [f"表1的{len(rows)}项指标中，{len(met)}项{year}年实际数达到规划目标，"
             + (f"{len(missed)}项未达到（{_names(missed)}）" if missed else "没有一项未达到")
             + (f"，{len(no_data)}项无数据（{_names(no_data)}）" if no_data else "") + "。"]
    if met:
        if loose:
            dirs = {r["direction"] for r in loose}
            allows = ("目标允许数字上升" if dirs == {"lower_is_better"} else
                      "目标允许数字下降" if dirs == {"higher_is_better"} else f"目标允许比{base_year}年变差")
            parts.append(f"达到目标的{len(met)}项中，{len(loose)}项的目标本身比{base_year}年实际数还宽"
                         f"（{_names(loose)}），{allows}。")
        else:
            parts.append(f"达到目标的{len(met)}项中，没有一项的目标宽于{base_year}年实际数。")
        unknown = [r for r in met if r["target_looser_than_baseline"] is None]
        if unknown:
            parts.append(f"其中{_names(unknown)}没有{base_year}年实际数，无法判断目标宽严。")
    parts.append("图中每项指标按各自的最大值缩放，不画百分比。")
    return "".join(parts)


def gap_chart(ctx: Context) -> Figure:
    """表1: each indicator's baseline, target and 2015 actual on the indicator's own scale,
    with loose targets (looser than their own baseline) marked on the chart in words."""
    rows = ctx.data.plan_rows("十二五")
    order = {g: n for n, g in enumerate(GAP_COLORS)}   # missed, met (tight), loose, no data
    ranked = sorted(rows, key=lambda r: (order[_result_group(r)], r["table_row"]))
    base_year = next((r["baseline_year"] for r in rows if r["baseline_year"] is not None), 2010)
    target_year = next((r["target_year"] for r in rows if r["target_year"] is not None), 2015)
    dots = [charts.TargetRow(label=r["name_zh"], baseline=r["baseline"], target=r["target"], actual=r["actual"],
                             text=_gap_text(r, g), category=_category(r, g))
            for r in ranked for g in [_result_group(r)]]
    colors = {_category({"baseline_year": base_year}, g): c for g, c in GAP_COLORS.items()}
    colors.update({d.category: GAP_COLORS["loose"] for d in dots if d.category not in colors})
    summary = gap_summary(rows)
    chart = charts.target_dot_chart(
        f"表1：{target_year}年实际数与规划目标",
        dots,
        subtitle=[f"空心圆={base_year}年实际　竖线={target_year}年目标",
                  f"实心圆={target_year}年实际；结果写在每行右侧",
                  "每行按本行最大值缩放，从0画起"],
        description=summary,
        colors=colors,
    )
    return render(chart, "results-12th-gap", summary, ctx.docs)


def reductions_chart(ctx: Context) -> Figure:
    """表2: the cumulative reduction each 13th-plan indicator is to reach by 2020."""
    rows = ctx.data.plan_rows("十三五")
    bars = [charts.LabelledBar(label=r["name_zh"], value=r["reduction_pct"], text=f"{num(r['reduction_pct'])}%",
                               category="数值") for r in rows]
    summary = ("表2要求“十三五”时期各项指标累计下降：" + "；".join(f"{r['name_zh']}{num(r['reduction_pct'])}%" for r in rows)
               + "。表2没有写目标年，按五年规划惯例推定为2020年；本数据包没有2020年实际数，各项结果均为无数据。")
    chart = charts.labelled_bar_chart("“十三五”累计降幅目标（表2）", bars,
                                      subtitle="单位：%（表2“累计降幅”；目标年按惯例推定为2020年）", description=summary)
    return render(chart, "targets-13th-reductions", summary, ctx.docs)


def title_lines(text: str, max_chars: int = 19) -> list[str]:
    """A title broken into two lines at a natural place (after a closing quote or comma,
    before 和/及) when it is too long for one; otherwise charts.wrap_cjk's even split."""
    if len(text) <= max_chars:
        return [text]
    cuts = [i + 1 for i, ch in enumerate(text) if ch in "”，、："] + [i for i, ch in enumerate(text) if ch in "和及"]
    fits = [c for c in cuts if 0 < c < len(text) and max(c, len(text) - c) <= max_chars]
    if fits:
        c = min(fits, key=lambda c: (abs(len(text) - 2 * c), c))
        return [text[:c], text[c:]]
    return charts.wrap_cjk(text, max_chars)


def campaign_chart(ctx: Context) -> Figure:
    """The one campaign the plan cites as an example of 2015 enforcement (安全大检查深化
    “打非治违”和专项整治工作): its counted measures.  Named as that campaign, not as the
    year's totals, which the plan does not give.  The fine (万元) is in the table, not drawn."""
    rows = [r for r in ctx.data.campaign if r["unit"] != "万元"]
    money = [r for r in ctx.data.campaign if r["unit"] == "万元"]
    year, campaign = rows[0]["year"], rows[0]["campaign_zh"]
    bars = [charts.LabelledBar(label=r["measure_zh"], value=r["value"], text=r["value_as_written"], category="数值")
            for r in rows]
    summary = (f"规划举例说，{year}年开展的{campaign}中，全市："
               + "；".join(f"{r['measure_zh']}{r['value_as_written']}" for r in ctx.data.campaign)
               + f"。这是该专项行动的结果，不是{year}年全年的执法总数。"
               + ("图中只画件数、家数、个数和人数；罚款（"
                  + "、".join(r["value_as_written"] for r in money) + "）单位不同，见下表。" if money else ""))
    chart = charts.labelled_bar_chart(title_lines(f"{year}年{campaign}的结果"), bars,
                                      subtitle=["规划举出的一次专项行动的结果，", "不是全年执法总数；各项单位不同"],
                                      description=summary)
    return render(chart, f"campaign-{year}", summary, ctx.docs)


def indicator_chart(ctx: Context, ind: dict) -> Figure:
    """One indicator: its baseline, target and actual as the plan and warehouse give them."""
    iid, name, unit = ind["indicator_id"], ind["name_zh"], ind["unit"]
    st = ctx.data.status_of(iid)
    if ind["period_kind"] == "five_year_total":
        (obs,) = [o for o in ctx.data.observations_of(iid) if o["kind"] == "actual"]
        bars = [charts.Bar(f"{obs['period_start']}—{obs['period_end']}年合计", obs["value"], "actual",
                           text=num(obs["value"]))]
        subtitle = f"单位：{unit}（五年合计，口径见说明）"
        summary = None
    elif st and st["plan"] == "十二五":
        bars = [
            charts.Bar(f"{st['baseline_year']}年实际", st["baseline"], "actual", text=num(st["baseline"], "无数据")),
            charts.Bar(f"{st['target_year']}年目标", st["target"], "target", text=num(st["target"], "无数据")),
            charts.Bar(f"{st['target_year']}年实际", st["actual"], "actual", text=num(st["actual"], "无数据")),
        ]
        subtitle = f"单位：{unit} · {st['target_year']}年{st['status_zh']}"
        summary = None
    elif st and st["target"] is not None:
        bars = [
            charts.Bar(f"{st['baseline_year']}年基数（假定）", st["baseline"], "actual", text=num(st["baseline"])),
            charts.Bar(f"{st['target_year']}年目标（推算）", st["target"], "target", text=num(st["target"])),
            charts.Bar(f"{st['target_year']}年实际", None, "actual", text="无数据"),
        ]
        subtitle = f"单位：{unit} · 到{st['target_year']}年累计下降{num(st['reduction_pct'])}%"
        summary = None
    elif st:
        bars = [charts.Bar(f"到{st['target_year']}年累计降幅", st["reduction_pct"], "target",
                           text=f"{num(st['reduction_pct'])}%")]
        subtitle = f"单位：%（没有{st['baseline_year']}年基数，无法换算成{unit}）"
        summary = f"图：到{st['target_year']}年累计降幅{num(st['reduction_pct'])}%（没有基数，无法换算成{unit}）。"
    else:
        raise RuntimeError(f"site: indicator {iid} has neither a status row nor a five-year total")
    if summary is None:  # the bars, in words: 图：2010年实际235人；2015年目标216人；2015年实际221人。
        summary = "图：" + "；".join(
            f"{b.label}{b.text}{unit if b.value is not None else ''}" for b in bars) + "。"
    chart = charts.indicator_bar_chart(name, bars, unit=unit, subtitle=subtitle, description=summary)
    return render(chart, iid, summary, ctx.docs)


def build_all(ctx: Context) -> None:
    """Render every chart into ctx.figures.  Two threads: vl-convert renders outside the
    GIL, and each chart writes only its own files, so the output does not depend on order."""
    jobs = {"results-12th-gap": lambda: gap_chart(ctx),
            "targets-13th-reductions": lambda: reductions_chart(ctx),
            "campaign": lambda: campaign_chart(ctx)}
    for iid, ind in ctx.data.indicators.items():
        jobs[iid] = lambda ind=ind: indicator_chart(ctx, ind)
    charts.ensure_cjk_font()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(job) for key, job in jobs.items()}
        for key, future in futures.items():
            ctx.figures[key] = future.result()
