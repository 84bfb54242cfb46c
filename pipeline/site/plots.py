"""The site's charts, one function per chart, built from warehouse rows only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from pipeline import charts
from pipeline.errors import SiteBuildError
from pipeline.site.context import Context
from pipeline.site.figures import Figure, render
from pipeline.site.md import num
from pipeline.site.wording import as_precise

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


def gap_summary(rows: list[dict], where: str) -> str:
    """A plan's targets in words, every count taken from the rows: met / missed (named) /
    undecided, and how many of the met targets were looser than their own baseline (named)."""
    groups = {g: [r for r in rows if _result_group(r) == g] for g in GAP_COLORS}
    met = groups["met"] + groups["loose"]
    loose, missed, no_data = groups["loose"], groups["missed"], groups["no_data"]
    years = sorted({r["target_year"] for r in rows if r["target_year"] is not None})
    year = "、".join(map(str, years))
    base_years = sorted({r["baseline_year"] for r in rows if r["baseline_year"] is not None})
    base_year = "、".join(map(str, base_years)) or "基期"
    if not met and not missed:
        return (f"{where}的{len(rows)}项指标都还不能判断（{year}年实际数或基数缺失，或写法的精度不够）。"
                "图中每项指标按各自的最大值缩放，不画百分比。")
    parts = [f"{where}的{len(rows)}项指标中，{len(met)}项{year}年实际数达到规划目标，"
             + (f"{len(missed)}项未达到（{_names(missed)}）" if missed else "没有一项未达到")
             + (f"，{len(no_data)}项还不能判断（{_names(no_data)}）" if no_data else "") + "。"]
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


def plan_figure_key(plan: dict) -> str:
    """A plan's chart: <page>-gap, with a page in a folder (plans/x) as plans-x
    (results-12th-gap is cited as the site's share image)."""
    return f"{plan['page'].replace('/', '-')}-gap"


def plan_where(rows: list[dict]) -> str:
    """表1 / 表2 / 规划: what a plan's chart title calls its targets."""
    tables = {r["table_no"] for r in rows}
    return f"表{next(iter(tables))}" if len(tables) == 1 and None not in tables else "规划目标"


def _dot_text(r: dict, group: str) -> str:
    """Two lines beside a row: the real numbers (or why there are none), then the result."""
    if r["target"] is None:
        return f"{r['target_as_written']}，无基数\n无法推算目标"
    if r["actual"] is None:
        base = num(r["baseline"]) if r["baseline"] is not None else "无基数"
        return f"{base}→? 目标{num(r['target'])}\n{r['status_zh']}"
    return _gap_text(r, group) if r["status"] in ("met", "missed") else \
        f"{num(r['baseline'], '无基数')}→{num(r['actual'])} 目标{num(r['target'])}\n{r['status_zh']}"


def short_label(name: str, width_px: float = 330, font_size: int = 13) -> str:
    """A row's name as the chart can write it on one line of a phone-width chart: cut with
    "…" when longer (the caption and the table beside the chart give it whole)."""
    if charts.text_width_px(name, font_size) <= width_px:
        return name
    while name and charts.text_width_px(name + "…", font_size) > width_px:
        name = name[:-1]
    return name + "…"


def plan_chart(ctx: Context, plan: dict) -> Figure:
    """A plan's targets: each indicator's baseline, target and actual on the indicator's own
    scale, loose targets (looser than their own baseline) marked in words; a target whose
    level cannot be derived, or that has no actual yet, says so in its row."""
    rows = ctx.data.plan_targets(plan["plan_id"])
    order = {g: n for n, g in enumerate(GAP_COLORS)}   # missed, met (tight), loose, no data
    ranked = sorted(rows, key=lambda r: (order[_result_group(r)], r["table_row"] or 0))
    base_years = sorted({r["baseline_year"] for r in rows if r["baseline_year"] is not None})
    target_years = sorted({r["target_year"] for r in rows})
    base_year = "、".join(map(str, base_years)) or "基期"
    target_year = "、".join(map(str, target_years))
    dots = [charts.TargetRow(label=short_label(r["name_zh"]), baseline=r["baseline"], target=r["target"],
                             actual=r["actual"], text=_dot_text(r, g), category=_category(r, g))
            for r in ranked for g in [_result_group(r)]]
    colors = {_category({"baseline_year": base_year}, g): c for g, c in GAP_COLORS.items()}
    colors.update({d.category: GAP_COLORS["loose"] for d in dots if d.category not in colors})
    where = plan_where(rows)
    assumed = [r for r in rows if r["baseline_method"] == "assumption_link"]
    summary = gap_summary(rows, where) + (f"其中{_names(assumed)}的基数是假定的（见正文）。" if assumed else "")
    chart = charts.target_dot_chart(
        f"{where}：{target_year}年实际数与规划目标" if where != "规划目标" else f"“{plan['name_zh']}”：实际数与规划目标",
        dots,
        subtitle=[f"空心圆={base_year}年{'实际' if not assumed else '基数'}　竖线={target_year}年目标",
                  f"实心圆={target_year}年实际；结果写在每行右侧",
                  "每行按本行最大值缩放，从0画起"],
        description=summary,
        colors=colors,
    )
    return render(chart, plan_figure_key(plan), summary, ctx.docs, cache=ctx.chart_cache)


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
    return render(chart, f"campaign-{year}", summary, ctx.docs, cache=ctx.chart_cache)


def series_points(ctx: Context, ind: dict, from_md: str) -> list[charts.SeriesPoint]:
    """Every figure of the indicator's series from every source, and every plan's targets for
    it, each linking to its passage."""
    d = ctx.data
    points = []
    yearly = [o for o in d.series_of(ind["series_id"]) if o["period_start"] == o["period_end"]]  # no totals
    latest = {o["period_end"]: o["value"] for o in yearly if o["is_latest"]}
    for o in yearly:
        if not o["is_latest"] and o["value"] == latest.get(o["period_end"]):
            continue   # another source saying the same: one point (the table lists both)
        points.append(charts.SeriesPoint(
            year=o["period_end"], value=o["value"], role="实际数" if o["is_latest"] else "其他来源",
            text=as_precise(o["value"], o["value_as_written"]), low=o["value_low"], high=o["value_high"], href=ctx.passage_href(from_md, o["passage_id"]),
            path=""))
    for t in d.series_targets(ind["series_id"]):
        if t["target"] is None:
            continue
        points.append(charts.SeriesPoint(
            year=t["target_year"], value=t["target"], role="目标", text=f"目标{num(t['target'])}",
            low=t["target_low"], high=t["target_high"], href=ctx.passage_href(from_md, t["passage_id"]),
            path=t["target_id"]))
        if t["baseline"] is not None:
            assumed = t["baseline_method"] == "assumption_link"
            base_obs = next((o for o in d.observations if o["observation_id"] == t["baseline_observation_id"]), None)
            points.append(charts.SeriesPoint(
                year=t["baseline_year"], value=t["baseline"], role="假定基数" if assumed else "实际数",
                text=f"基数{num(t['baseline'])}" if assumed else "", low=t["baseline_low"], high=t["baseline_high"],
                href=ctx.passage_href(from_md, base_obs["passage_id"]) if base_obs else "",
                path=t["target_id"], draw=assumed))
    return points


def indicator_chart(ctx: Context, ind: dict) -> Figure:
    """One indicator: every year of its series from every source, with each plan's targets;
    a several-year total or a percentage without a baseline as a bar."""
    from pipeline.site.pages import indicator_md

    iid, name, unit = ind["indicator_id"], ind["name_zh"], ind["unit"]
    targets = ctx.data.targets_of(iid)
    points = series_points(ctx, ind, indicator_md(iid))
    if any(p.draw for p in points):
        roles = {p.role for p in points if p.draw}
        keys = [("实际数", "●实际数"), ("其他来源", "○较早来源的数"), ("假定基数", "○假定基数"), ("目标", "◆规划目标")]
        legend = ["单位：" + unit, "　".join(words for role, words in keys if role in roles)]
        drawn = sorted((p for p in points if p.draw), key=lambda p: (p.year, p.role))
        summary = "图：" + "；".join(
            f"{p.year}年{'目标' if p.role == '目标' else p.role}{num(p.value)}{unit}" for p in drawn) + "。"
        statuses = "；".join(f"{t['target_year']}年{t['status_zh']}" for t in targets)
        chart = charts.series_chart(name, points, unit=unit, subtitle=legend + ([statuses] if statuses else []),
                                    description=summary)
        return render(chart, iid, summary, ctx.docs, cache=ctx.chart_cache)
    if ind["period_kind"] != "annual":
        (obs,) = [o for o in ctx.data.observations_of(iid) if o["kind"] == "actual"]
        bars = [charts.Bar(f"{obs['period_start']}—{obs['period_end']}年合计", obs["value"], "actual",
                           text=num(obs["value"]))]
        subtitle = f"单位：{unit}（{obs['period_end'] - obs['period_start'] + 1}年合计，口径见说明）"
        summary = "图：" + f"{obs['period_start']}—{obs['period_end']}年合计{num(obs['value'])}{unit}。"
    elif targets and targets[0]["reduction_pct"] is not None:
        st = targets[0]
        label = "累计降幅" if st["target_kind"] == "reduction_pct" else "累计增幅"
        bars = [charts.Bar(f"到{st['target_year']}年{label}", st["reduction_pct"], "target",
                           text=f"{num(st['reduction_pct'])}%")]
        subtitle = f"单位：%（没有{st['baseline_year']}年基数，无法换算成{unit}）"
        summary = f"图：到{st['target_year']}年{label}{num(st['reduction_pct'])}%（没有基数，无法换算成{unit}）。"
    else:
        raise SiteBuildError(f"site: indicator {iid} has no figure to draw (no series value, no target, no total)")
    chart = charts.indicator_bar_chart(name, bars, unit=unit, subtitle=subtitle, description=summary)
    return render(chart, iid, summary, ctx.docs, cache=ctx.chart_cache)


def build_all(ctx: Context) -> None:
    """Render every chart into ctx.figures.  Two threads: vl-convert renders outside the
    GIL, and each chart writes only its own files, so the output does not depend on order."""
    jobs = {plan_figure_key(p): (lambda p=p: plan_chart(ctx, p))
            for p in ctx.data.plans if ctx.data.plan_targets(p["plan_id"])}
    jobs["campaign"] = lambda: campaign_chart(ctx)
    for iid, ind in ctx.data.indicators.items():
        jobs[iid] = lambda ind=ind: indicator_chart(ctx, ind)
    charts.ensure_cjk_font()
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(job) for key, job in jobs.items()}
        for key, future in futures.items():
            ctx.figures[key] = future.result()
