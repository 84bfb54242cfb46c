"""The indicator pages: the index (grouped by plan) and one page per indicator with every
year of its series from every source, each plan's targets, the judgment and its inputs."""

from __future__ import annotations

from pipeline.site.context import Context
from pipeline.site.md import esc, link, num, signed_num, signed_pct, status_badge, table
from pipeline.site.pages import (
    dataset_jsonld,
    datasette_section,
    first_source,
    indicator_md,
    page_meta,
)
from pipeline.site.plans import plan_md
from pipeline.site.wording import (
    PERCENT_KIND_ZH,
    WORSE_MOVE_ZH,
    WORSE_SIDE_ZH,
    is_percent,
    progress_text,
    range_text,
    result_cell,
    target_text,
    years,
)

KIND_ZH = {"actual": "实际数", "target": "目标", "baseline": "基数", "cumulative_reduction_target": "累计降幅目标",
           "cumulative_increase_target": "累计增幅目标", "stated_change": "原文给出的变化幅度"}


def observation_label(o: dict) -> str:
    """What a figure is, with its year(s): 2010年实际数, 十二五期末规划数（2015年目标）, 2011—2015年合计."""
    one_year = o["period_start"] == o["period_end"]
    period = f"{o['period_end']}年" if one_year else f"{o['period_start']}—{o['period_end']}年"
    if o["table_column"] and period in o["table_column"]:
        return o["table_column"]
    if o["kind"] == "target":
        return f"{o['table_column'] or '目标'}（{period}目标）"
    if o["kind"] == "actual" and not one_year:
        return f"{period}合计"
    if o["kind"] == "stated_change":
        return f"{KIND_ZH['stated_change']}（{o['base_year']}—{o['period_end']}年）"
    return f"{KIND_ZH.get(o['kind'], o['kind'])}（{period}）"


def where_written(ctx: Context, ind: dict) -> str:
    """“《…》表1 第7行” / “《…》三、（一）第2段”: where the indicator is defined."""
    p = ctx.passage(ind["passage_id"])
    return f"《{ctx.source_title(p['source_id'])}》{p['locator_zh']}"


# --------------------------------------------------------------------------
# 指标
# --------------------------------------------------------------------------

def indicators_index(ctx: Context) -> None:
    d, md = ctx.data, "indicators/index.md"
    inds = list(d.indicators.values())
    by_plan = {p["name_zh"]: [i for i in inds if i["plan"] == p["name_zh"]] for p in d.plans}
    what = "、".join(f"“{name}”{len(rows)}项" for name, rows in by_plan.items() if rows)
    description = f"本站收录的{len(inds)}项指标（{what}），每项一页。"
    out = [page_meta(ctx, description)]
    out.append("# 指标\n")
    out.append(f"本站收录的{len(inds)}项指标（{esc(what)}），每项一页：各年数值和来源、各规划的目标、结论、原文引文、下载和查询链接。"
               "不同规划里量度相同的指标画在同一张图上。\n")
    for plan in d.plans:
        rows = by_plan[plan["name_zh"]]
        if not rows:
            continue
        targeted = [i for i in rows if d.targets_of(i["indicator_id"])]
        others = [i for i in rows if not d.targets_of(i["indicator_id"])]
        out.append(f"## “{esc(plan['name_zh'])}”（{years(plan)}） {{#{plan['plan_id']}}}\n")
        items = []
        for i in targeted:
            name = link(i["name_zh"], md, indicator_md(i["indicator_id"]))
            for t in d.targets_of(i["indicator_id"]):
                items.append(f"- {status_badge(t['status_zh'])} {name}：{result_cell(t, plan)}")
        for i in others:
            name = link(i["name_zh"], md, indicator_md(i["indicator_id"]))
            obs = [o for o in d.observations_of(i["indicator_id"]) if o["kind"] == "actual"]
            facts = "；".join(
                (f"{o['period_start']}—{o['period_end']}年合计" if o["period_start"] != o["period_end"]
                 else f"{o['period_end']}年") + f" {num(o['value'])}{esc(o['unit'])}" for o in obs)
            items.append(f"- {name}：{facts}（无目标）")
        out.append('<div class="status-list" markdown>\n\n' + "\n".join(items) + "\n\n</div>\n")
        out.append(f"{link('“' + plan['name_zh'] + '”目标和结果', md, plan_md(plan))}\n")
    out.append("## 查询和下载 {#data}\n")
    out.append(datasette_section(ctx, md, "indicators/", [
        ("指标目录（indicators）", "indicators", {}),
        ("完成情况（indicator_status）", "indicator_status", {}),
        ("各年数值和来源（series）", "series", {}),
    ]))
    ctx.write(md, "\n".join(out))


def indicator_page(ctx: Context, iid: str) -> None:
    d = ctx.data
    ind = d.indicators[iid]
    md = indicator_md(iid)
    targets = d.targets_of(iid)
    plan = d.plan_named(ind["plan"])
    obs = d.observations_of(iid)
    series = d.series_of(ind["series_id"])
    fig = ctx.figures[iid]
    name, unit = ind["name_zh"], ind["unit"]
    linked = [i for i in d.indicators.values() if i["series_id"] == ind["series_id"] and i["indicator_id"] != iid]

    files = ["csv/series.csv", "json/series.json", "csv/observations.csv", "json/observations.json", "csv/indicators.csv"]
    if targets:
        files = ["csv/indicator_status.csv", "json/indicator_status.json", *files]
    if any(is_percent(t) for t in targets):
        files.append("csv/target_levels_2020.csv")
    all_years = sorted({y for o in obs for y in (o["period_start"], o["period_end"])}
                       | {o["period_end"] for o in series}
                       | {y for t in targets for y in (t["baseline_year"], t["target_year"]) if y is not None})
    if targets:
        conclusion = " ".join(t["summary_zh"] for t in targets)
    else:
        actuals = [o for o in obs if o["kind"] == "actual"]
        if len(actuals) == 1 and actuals[0]["period_start"] != actuals[0]["period_end"]:
            a = actuals[0]
            conclusion = (f"“{ind['plan']}”期间（{a['period_start']}—{a['period_end']}年）"
                          f"{name.split('（')[0]}合计{num(a['value'])}{unit}。")
        else:
            conclusion = f"{name}：收录了{len({o['period_end'] for o in series})}个年份的数值，没有目标。"
    jsonld = dataset_jsonld(
        ctx, name=f"{name}（南昌市，{ind['plan']}）", md_path=md, files=files,
        description=f"{conclusion} 数据来自{first_source(ctx)}等来源文件，每个数值引用原文段落和逐字引文。",
        temporal=f"{all_years[0]}/{all_years[-1]}", measured=[f"{name}（{unit}）"])
    out = [page_meta(ctx, conclusion, og_image=fig.png, og_alt=f"{fig.title}。{fig.summary}", jsonld=jsonld)]
    out.append(f"# {esc(name)}\n")
    span = f"（{years(plan)}）" if plan else ""
    out.append(f"“{esc(ind['plan'])}”{span}指标，出自{esc(where_written(ctx, ind))}。单位：{esc(unit)}。\n")
    if linked:
        out.append("同一量度在其他规划中的指标（数值画在同一张图上）："
                   + "、".join(f"{link(i['name_zh'], md, indicator_md(i['indicator_id']))}（“{esc(i['plan'])}”）"
                              for i in linked) + "。\n")

    for t in targets:
        out.append(f"{status_badge(t['status_zh'])} **{esc(t['summary_zh'])}**\n")
        if t["target_looser_than_baseline"]:
            worse = WORSE_SIDE_ZH[t["direction"]]
            out.append(f'!!! warning "目标{worse}{t["baseline_year"]}年基数"\n\n'
                       f"    规划给这项指标定的{t['target_year']}年目标（{num(t['target'])}{esc(unit)}）"
                       f"{worse}{t['baseline_year']}年实际数（{num(t['baseline'])}{esc(unit)}）：目标本身允许数字"
                       f"{WORSE_MOVE_ZH[t['direction']]}。“达成”只说明没有超过这个宽松的目标。\n")
        if is_percent(t) and t["baseline_method"] != "series":
            title = "基数是假定的，目标水平是推算的" if t["target"] is not None else "没有基数，无法推算目标水平"
            out.append(f'!!! note "{title}"\n\n    {esc(t["assumption_zh"])}\n')
        if t["status"] == "indeterminate":
            out.append(f'!!! note "写法的精度不足以判断"\n\n'
                       f"    实际数写作{esc(num(t['actual']))}，按它写到的位数代表{num(t['actual_low'])}至{num(t['actual_high'])}；"
                       f"目标代表{num(t['target_low'])}至{num(t['target_high'])}。两个范围重叠，"
                       f"无法分出实际数在目标的哪一侧。需要什么数字见{link('数据缺口', md, 'gaps.md')}。\n")
        if t["sources_disagree"]:
            same = [o for o in series if o["period_end"] == t["target_year"] and o["period_start"] == o["period_end"]]
            latest = next((o for o in same if o["is_latest"]), None)
            out.append('!!! note "各来源的数字不一致"\n\n'
                       f"    {t['target_year']}年的实际数，" + "；".join(
                           f"《{esc(o['source_title'])}》（{o['source_date'] or '日期未知'}）写作{esc(o['value_as_written'])}"
                           for o in same)
                       + (f"。判断用日期最晚的《{esc(latest['source_title'])}》。" if latest else "。") + "\n")
        p = progress_text(t)
        if p:
            out.append(f"{esc(p)}（方法见{link('方法说明', md, 'methodology.md#progress')}）\n")
    if not targets:
        out.append(f"**{esc(conclusion)}**" + (" 这是合计数，规划没有给它定目标，所以没有“达成”与否。"
                                                if ind["period_kind"] != "annual" else "") + "\n")
        for n in sorted({o["note_zh"] for o in obs if o["note_zh"]}):
            out.append(f'!!! note "口径不明"\n\n    {esc(n)}\n')

    out.append(fig.markdown(md))

    out.append("## 数据 {#data}\n")
    out.append(_data_table(ctx, md, ind, obs, series, targets))
    for t in targets:
        if t["actual"] is None:
            continue
        def pct(v):  # a percentage that cannot be computed says why (its reason is in the data)
            return signed_pct(v) if v is not None else "无法计算百分比"
        extra = [f"- 与目标差距：{signed_num(t['gap_to_target'])}{esc(unit)}（{pct(t['gap_pct'])}，实际数 − 目标）"
                 if t["gap_to_target"] is not None else "- 与目标差距：无法计算（没有目标水平）"]
        if t["change_from_baseline"] is not None:
            extra.append(f"- 较{t['baseline_year']}年变化：{signed_num(t['change_from_baseline'])}{esc(unit)}"
                         f"（{pct(t['change_from_baseline_pct'])}）")
        if t["null_reasons_zh"]:
            reasons = [r for r in t["null_reasons_zh"].split("；") if not r.startswith(("reduction_pct", "progress"))]
            if reasons:
                extra.append("- 空值原因：" + esc("；".join(reasons)))
        out.append("\n".join(extra) + "\n")

    out.append("## 原文 {#quote}\n")
    quoted = set()
    cited = [(o["passage_id"], o["quote"]) for o in obs] + [(o["corroborating_passage_id"], o["corroborating_quote"])
                                                          for o in obs]
    cited += [(o["passage_id"], o["quote"]) for o in series if o["indicator_id"] != iid]
    base_ids = {t["baseline_observation_id"] for t in targets if t["baseline_method"] == "assumption_link"}
    cited += [(o["passage_id"], o["quote"]) for o in d.observations if o["observation_id"] in base_ids]
    for pid, q in cited:
        if pid and q and (pid, q) not in quoted:
            quoted.add((pid, q))
            out.append(f"> {esc(q)}\n>\n> —— {ctx.src(md, pid)}\n")
    out.append("## 说明 {#notes}\n")
    out.append(esc(ind["definition_zh"]) + "\n")
    if targets:  # (a total's notes are shown at the top already)
        out.extend(f"- {esc(n)}" for n in sorted({o["note_zh"] for o in obs if o["note_zh"]}))
        out.append("")

    out.append("## 下载和查询 {#downloads}\n")
    dl = [f"- 本指标的图表：{link('PNG', md, fig.png)} · {link('SVG', md, fig.svg_file)} · {link('Vega-Lite JSON', md, fig.json)}"]
    if targets:
        dl.append(f"- 完成情况表：{ctx.download(md, 'csv/indicator_status.csv', 'CSV')} · "
                  f"{ctx.download(md, 'csv-excel/indicator_status.csv', 'Excel 用 CSV')} · "
                  f"{ctx.download(md, 'json/indicator_status.json', 'JSON')}")
    dl.append(f"- 各年数值和来源表：{ctx.download(md, 'csv/series.csv', 'CSV')} · "
              f"{ctx.download(md, 'csv-excel/series.csv', 'Excel 用 CSV')} · {ctx.download(md, 'json/series.json', 'JSON')}")
    dl.append(f"- 全部数值表：{ctx.download(md, 'csv/observations.csv', 'CSV')} · "
              f"{ctx.download(md, 'csv-excel/observations.csv', 'Excel 用 CSV')} · "
              f"{ctx.download(md, 'json/observations.json', 'JSON')}")
    dl.append(f"- 全部文件和校验和：{link('数据下载', md, 'downloads.md')}")
    out.append("\n".join(dl) + "\n")
    tables = [("本指标序列的各年数值和来源", "series", {"series_id": ind["series_id"]}),
              ("本指标的全部数值", "observations", {"indicator_id": iid})]
    if targets:
        tables.insert(0, ("本指标的完成情况", "indicator_status", {"indicator_id": iid}))
    out.append(datasette_section(ctx, md, f"indicators/{iid}/", tables))
    ctx.write(md, "\n".join(out))


def _data_table(ctx: Context, md: str, ind: dict, obs: list[dict], series: list[dict], targets: list[dict]) -> str:
    """Every figure of the page, oldest first: this indicator's own rows (as the source labels
    them), the same series' figures from other plans' indicators and other sources, the
    assumed baselines and derived levels, and the target year's actual where none is known."""
    d, unit = ctx.data, ind["unit"]
    iid = ind["indicator_id"]
    by_obs = {o["observation_id"]: o for o in series}
    rows: list[tuple] = []   # (year, order, cells)
    for o in obs:
        s = by_obs.get(o["observation_id"])
        label = observation_label(o)
        if s is not None and s["sources_for_period"] > 1:
            label += "（采用：来源日期最晚）" if s["is_latest"] else "（较早的来源，未采用）"
        value = range_text(s["value"], s["value_low"], s["value_high"], o["unit"] or "") if s else f"{num(o['value'])}{o['unit'] or ''}"
        rows.append((o["period_end"], 0, [esc(label), esc(value), esc(o["value_as_written"]), ctx.src(md, o["passage_id"])]))
    for s in series:
        if s["indicator_id"] == iid:
            continue
        other = d.indicators[s["indicator_id"]]
        label = f"{KIND_ZH.get(s['kind'], s['kind'])}（{s['period_end']}年，“{other['plan']}”指标{other['name_zh']}）"
        if s["sources_for_period"] > 1:
            label += "（采用：来源日期最晚）" if s["is_latest"] else "（较早的来源，未采用）"
        rows.append((s["period_end"], 1, [esc(label), esc(range_text(s["value"], s["value_low"], s["value_high"], s["unit"] or "")),
                                           esc(s["value_as_written"]), ctx.src(md, s["passage_id"])]))
    for t in d.series_targets(ind["series_id"]):
        if t["indicator_id"] != iid:   # another plan's target for the same series
            rows.append((t["target_year"], 3, [(f"“{esc(t['plan'])}”目标（{t['target_year']}年，指标"
                                                f"{link(t['name_zh'], md, indicator_md(t['indicator_id']))}）"),
                                               esc(target_text(t)) if t["target"] is not None else "无法推算",
                                               esc(t["target_as_written"]), ctx.src(md, t["passage_id"])]))
    for t in targets:
        if t["baseline_method"] == "assumption_link" and t["baseline"] is not None:
            base = next(o for o in d.observations if o["observation_id"] == t["baseline_observation_id"])
            other = d.indicators[base["indicator_id"]]
            rows.append((t["baseline_year"], 2, [f"{t['baseline_year']}年基数（假定，取自“{esc(other['plan'])}”指标“{esc(other['name_zh'])}”）",
                                                 esc(range_text(t["baseline"], t["baseline_low"], t["baseline_high"], unit)),
                                                 esc(base["value_as_written"]), ctx.src(md, base["passage_id"])]))
        if is_percent(t) and t["target"] is not None:
            lv = d.levels.get(t["target_id"])
            rows.append((t["target_year"], 3, [f"{t['target_year']}年目标水平（推算：{PERCENT_KIND_ZH[t['target_kind']]}{num(t['reduction_pct'])}%）",
                                               esc(target_text(t)), esc(lv["derivation"]) if lv else "—", "由基数和百分比计算"]))
        if t["actual"] is None:
            rows.append((t["target_year"], 4, [f"{t['target_year']}年实际数", "无数据", "—",
                                               link("本数据包未收录（数据缺口）", md, "gaps.md")]))
    rows.sort(key=lambda r: (r[0], r[1]))
    return table(["项目", "数值", "原文写法", "出处"], [cells for _, _, cells in rows], ["l", "r", "l", "l"])
