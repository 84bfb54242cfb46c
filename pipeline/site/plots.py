"""The site's charts, one function per chart, built from warehouse rows only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pipeline import charts
from pipeline.site.context import Context
from pipeline.site.figures import Figure, render
from pipeline.site.md import num, signed_pct


def gap_chart(ctx: Context) -> Figure:
    """表1: how far each 2015 actual was from its target, in % of the target (gap_pct)."""
    rows = ctx.data.plan_rows("十二五")
    bars = [charts.LabelledBar(label=r["name_zh"], value=r["gap_pct"],
                               text=f"{signed_pct(r['gap_pct'])} {r['status_zh']}", category=r["status_zh"])
            for r in rows]
    missed = [r for r in rows if r["status"] == "missed"]
    met = [r for r in rows if r["status"] == "met"]
    summary = (f"表1的{len(rows)}项指标中，{len(met)}项2015年实际数不高于规划目标（达成），"
               f"{len(missed)}项高于目标（未达成）"
               + ("：" + "、".join(f"{r['name_zh']}（{signed_pct(r['gap_pct'])}）" for r in missed) if missed else "")
               + "。条形为（实际数−目标）÷目标，负数表示低于目标。")
    chart = charts.labelled_bar_chart(
        "2015年实际数与规划目标的差距（表1）",
        bars,
        subtitle="（实际数−目标）÷目标；负数=低于目标",
        description=summary,
    )
    return render(chart, "results-12th-gap", summary, ctx.docs)


def reductions_chart(ctx: Context) -> Figure:
    """表2: the cumulative reduction each 13th-plan indicator is to reach by 2020."""
    rows = ctx.data.plan_rows("十三五")
    bars = [charts.LabelledBar(label=r["name_zh"], value=r["reduction_pct"], text=f"{num(r['reduction_pct'])}%",
                               category="数值") for r in rows]
    summary = ("表2要求到2020年各项指标累计下降：" + "；".join(f"{r['name_zh']}{num(r['reduction_pct'])}%" for r in rows)
               + "。本数据包没有2020年实际数，各项结果均为无数据。")
    chart = charts.labelled_bar_chart("到2020年的累计降幅目标（表2）", bars,
                                      subtitle="单位：%（表2“累计降幅”）", description=summary)
    return render(chart, "targets-13th-reductions", summary, ctx.docs)


def campaign_chart(ctx: Context) -> Figure:
    """2015 打非治违: the counted measures (the fine, in 万元, is in the table, not drawn)."""
    rows = [r for r in ctx.data.campaign if r["unit"] != "万元"]
    money = [r for r in ctx.data.campaign if r["unit"] == "万元"]
    year = rows[0]["year"]
    bars = [charts.LabelledBar(label=r["measure_zh"], value=r["value"], text=r["value_as_written"], category="数值")
            for r in rows]
    summary = (f"{year}年“打非治违”和专项整治工作，全市："
               + "；".join(f"{r['measure_zh']}{r['value_as_written']}" for r in ctx.data.campaign)
               + "。" + ("图中只画件数、家数、个数和人数；罚款（"
                        + "、".join(r["value_as_written"] for r in money) + "）单位不同，见下表。" if money else ""))
    chart = charts.labelled_bar_chart(f"{year}年“打非治违”结果", bars,
                                      subtitle="各项单位不同（起、家、个、人），见数字后的单位", description=summary)
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
