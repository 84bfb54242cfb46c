"""One page per plan (its targets judged, its table, its derivations, its other commitments)
and the 数据缺口 page (what would decide each target that cannot be judged yet).

A plan is a row of plans.csv: its page name, years and base year come from there, its
targets from indicator_status, its tables' captions from the passages.  Nothing here
names a plan, a year or a table, so a plan added with `ingest --into targets` gets a
page like the others.
"""

from __future__ import annotations

from pipeline.site.context import Context
from pipeline.site.md import esc, link, num, signed_num, status_badge, table
from pipeline.site.pages import (
    DISCLOSED_ON,
    GROUP_ZH,
    commitment_counts,
    commitment_groups,
    commitment_list,
    datasette_section,
    indicator_md,
    page_meta,
    zh_part,
)
from pipeline.site.plots import plan_figure_key
from pipeline.site.wording import (
    PERCENT_HEADER_ZH,
    WORSE_SIDE_ZH,
    actual_text,
    baseline_cell,
    count_by,
    is_percent,
    looser_words,
    progress_text,
    result_cell,
    status_counts,
    target_cell,
    years,
)


def plan_md(plan: dict) -> str:
    return f"{plan['page']}.md"


def table_groups(ctx: Context, rows: list[dict]) -> list[tuple[str, str, str, list[dict]]]:
    """The plan's targets by where they are written: (anchor, heading, where-words, rows) for
    each table of each source (anchor table-<n>, as published), then those outside a table."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["target_source_id"], r["table_no"]), []).append(r)
    out = []
    for (source_id, table_no), rs in groups.items():
        title = ctx.source_title(source_id)
        if table_no is None:
            out.append(("targets", "目标", f"《{title}》正文", rs))
            continue
        caption = next((p["text"] for p in ctx.data.passages if p["source_id"] == source_id
                        and p["kind"] == "table_caption" and p["table_no"] == table_no), None)
        words = caption.split(":", 1)[-1].strip() if caption else ""
        out.append((f"table-{table_no}", f"表{table_no} {words}".strip(), f"《{title}》表{table_no}", rs))
    return out


def plan_summary_line(ctx: Context, plan: dict, rows: list[dict]) -> str:
    """“表1共8项指标” / “《…》表2和正文共7项目标”: where the plan's targets are written."""
    groups = table_groups(ctx, rows)
    if len(groups) == 1 and groups[0][0].startswith("table-"):
        return f"表{groups[0][3][0]['table_no']}共{len(rows)}项指标"
    return f"共{len(rows)}项目标"


def no_data_words(ctx: Context, rows: list[dict]) -> str:
    """Why targets cannot be judged, counted from data_gaps: no actual yet, no baseline to
    derive the level from, or figures too coarsely written to decide."""
    ids = {r["target_id"] for r in rows}
    gaps = [g for g in ctx.data.gaps if g["target_id"] in ids]
    no_actual = [g for g in gaps if g["actual"] is None]
    no_base = [g for g in gaps if g["missing"] == "baseline"]
    coarse = [g for g in gaps if g["missing"] in ("baseline_precision", "actual_precision")]
    parts = []
    if no_actual:
        years_needed = "、".join(map(str, sorted({g["target_year"] for g in no_actual})))
        parts.append(f"{len(no_actual)}项还没有{years_needed}年的实际数")
    if no_base:
        parts.append(f"{len(no_base)}项没有基数，无法推算目标水平")
    if coarse:
        parts.append(f"{len(coarse)}项的数字写法精度不够，无法判断")
    return "；".join(parts)


def plan_page(ctx: Context, plan: dict) -> None:
    d, md = ctx.data, plan_md(plan)
    name, span = plan["name_zh"], years(plan)
    rows = d.plan_targets(plan["plan_id"])
    commitments = [c for c in d.commitments if c["plan"] == name]
    totals = d.totals_of_plan(name)
    c = count_by(rows, "status")
    missed = [r for r in rows if r["status"] == "missed"]
    undecided = [r for r in rows if r["status"] in ("no_data", "indeterminate")]
    loose = [r for r in rows if r["target_looser_than_baseline"]]
    fig = ctx.figures.get(plan_figure_key(plan))
    groups = table_groups(ctx, rows)

    description = (f"“{name}”（{span}）{'、'.join(g[2] for g in groups) or ''}的{len(rows)}项目标："
                   f"{status_counts(rows) or '没有收录目标'}。" + "".join(r["summary_zh"] for r in missed))
    out = [page_meta(ctx, description, og_image=fig.png if fig else None,
                     og_alt=fig.summary if fig else None)]
    out.append(f"# “{esc(name)}”目标和结果（{span}）\n")

    intro = []
    for _, _, where, rs in groups:
        base_years = sorted({r["baseline_year"] for r in rs if r["baseline_year"] is not None})
        target_years = sorted({r["target_year"] for r in rs})
        intro.append(f"{esc(where)}列出{len(rs)}项目标（基期{'、'.join(map(str, base_years)) or '未知'}年，"
                     f"目标年{'、'.join(map(str, target_years))}年）")
    if intro:
        out.append("；".join(intro) + "。" + (esc(plan["note_zh"]) if plan["note_zh"] else "")
                   + (f"{esc(zh_part(plan['base_year_note']))}" if plan["years_assumed"] and plan["base_year_note"] else "")
                   + "\n")
    directions = count_by(rows, "direction")
    rule = {"lower_is_better": "越低越好的指标，实际数不高于目标为达成",
            "higher_is_better": "越高越好的指标，实际数不低于目标为达成"}
    if directions:
        out.append("；".join(f"{n}项是{rule[k]}" for k, n in directions.items())
                   + f"。一个数字按它写到的位数代表一个范围（0.06代表0.055至0.065），范围无法分出高低时为“无法判断”；"
                   f"判断规则见{link('方法说明', md, 'methodology.md#status')}。\n")

    if rows:
        out.append(f"**{status_counts(rows)}。**"
                   + "".join(f" {status_badge(r['status_zh'])} **{esc(r['summary_zh'])}**" for r in missed) + "\n")
    if undecided:
        out.append(f"{len(undecided)}项{status_badge('无数据') if c.get('no_data') else status_badge('无法判断')}"
                   + ("或" + status_badge("无法判断") if c.get("no_data") and c.get("indeterminate") else "")
                   + f"：{no_data_words(ctx, undecided)}。既不能说达成，也不能说未达成。"
                   f"每项缺什么数字、哪类文件通常会公布、怎样提交，见{link('数据缺口', md, 'gaps.md')}。\n")
    progress = [(r, progress_text(r)) for r in rows]
    progress = [(r, t) for r, t in progress if t]
    if progress:
        out.append("目标年之前的进度（按 Open SDG 的增长率方法，见"
                   f"{link('方法说明', md, 'methodology.md#progress')}）：\n\n"
                   + "\n".join(f"- {link(r['name_zh'], md, indicator_md(r['indicator_id']))}：{esc(t)}"
                               for r, t in progress) + "\n")
    if loose:
        out.append(f'!!! warning "{len(loose)}项目标比自身基数还宽"\n\n'
                   "    下面这几项的目标在各自基期实际数“更差”的一侧，也就是说，规划允许这些数字变差。"
                   "它们“达成”，只说明没有超过一个宽松的目标，不说明比基期改善了多少。图中这几项单独标出。\n\n"
                   + "\n".join(f"    - {link(r['name_zh'], md, indicator_md(r['indicator_id']))}：{r['baseline_year']}年"
                               f"{num(r['baseline'])}，目标{num(r['target'])}（{WORSE_SIDE_ZH[r['direction']]}基数），"
                               f"{r['target_year']}年实际{num(r['actual'])}（{esc(r['unit'])}）"
                               for r in loose) + "\n")
    if fig:
        out.append(fig.markdown(md))

    for anchor, heading, _, rs in groups:
        out.append(f"## {esc(heading)} {{#{anchor}}}\n")
        out.append(_targets_table(ctx, md, rs))
    if rows:
        out.append("“与目标差距”= 实际数 − 目标，负数表示低于目标。这里不用百分比：目标只有2到5起的指标，差1起就是20%到50%，"
                   "百分比会夸大差别（百分比仍在下载的数据里，列 gap_pct）。括号里的范围是数字按写法的精度代表的范围。"
                   "单位的来历见各指标页的说明。表格在手机上可以左右滑动。\n")

    derived = [r for r in rows if is_percent(r)]
    if derived:
        out.append(_assumptions(ctx, md, plan, derived))
    if totals:
        out.append(_totals(ctx, md, plan, totals))
    if commitments:
        out.append(_commitments(ctx, md, plan, commitments))

    out.append("## 查询和下载 {#data}\n")
    tables = [(f"“{name}”各目标的完成情况（indicator_status）", "indicator_status", {"plan": name}),
              ("全部数值和来源（series）", "series", {"plan": name})]
    files = ["indicator_status.csv", "series.csv", "observations.csv"]
    if derived:
        tables.append(("推算的目标水平（target_levels_2020）", "target_levels_2020", {}))
        tables.append(("基数假定（baseline_links）", "baseline_links", {}))
        files += ["target_levels_2020.csv", "baseline_links.csv"]
    if commitments:
        tables.append(("其他承诺（commitments）", "commitments", {"plan": name}))
        files.append("commitments.csv")
    out.append(datasette_section(ctx, md, f"{plan['page']}/", tables))
    out.append("\n下载：" + " · ".join(ctx.download(md, f"csv/{f}", f) for f in files)
               + f" · {link('全部文件', md, 'downloads.md')}\n")
    ctx.write(md, "\n".join(out))


def _targets_table(ctx: Context, md: str, rows: list[dict]) -> str:
    def same(key: str):
        vals = {r[key] for r in rows}
        return next(iter(vals)) if len(vals) == 1 else None

    base_year, target_year = same("baseline_year"), same("target_year")
    percent = [r for r in rows if is_percent(r)]
    header = ["指标（单位）", f"{base_year}年基数" if base_year else "基数"]
    if percent:
        kinds = {r["target_kind"] for r in percent}
        header.append(PERCENT_HEADER_ZH[next(iter(kinds))] if len(kinds) == 1 else "累计变化")
    header += [f"{target_year}年目标" if target_year else "目标", f"{target_year}年实际数" if target_year else "目标年实际数",
               "状态", "与目标差距", "出处"]
    body = []
    for r in rows:
        unit = esc(r["unit"])
        cells = [link(r["name_zh"], md, indicator_md(r["indicator_id"])) + f"（{unit}）", esc(baseline_cell(r))]
        if percent:
            cells.append(esc(r["target_as_written"]) if is_percent(r) else "—")
        actual = "无数据" if r["actual"] is None else esc(actual_text(r))
        if r["actual"] is not None and not target_year:
            actual += f"（{r['actual_year']}年）"
        if r["sources_disagree"]:
            actual += "（各来源不一致，取日期最晚的）"
        gap = "—" if r["gap_to_target"] is None else f"{signed_num(r['gap_to_target'])}{unit}"
        if r["target_looser_than_baseline"]:
            gap += f"；{esc(looser_words(r))}"
        label = f"表{r['table_no']} 第{r['table_row']}行" if r["table_no"] else None
        cells += [esc(target_cell(r)) + ("" if target_year else f"（{r['target_year']}年）"), actual,
                  status_badge(r["status_zh"]), gap, ctx.src(md, r["passage_id"], label)]
        body.append(cells)
    align = ["l", "r"] + (["r"] if percent else []) + ["r", "r", "l", "l", "l"]
    return table(header, body, align)


def _assumptions(ctx: Context, md: str, plan: dict, rows: list[dict]) -> str:
    with_level = [r for r in rows if r["target"] is not None]
    kinds = {r["target_kind"] for r in rows}
    formula = "；".join({"reduction_pct": "目标水平 = 基数 ×（1 − 累计降幅）",
                        "increase_pct": "目标水平 = 基数 ×（1 + 累计增幅）"}[k] for k in sorted(kinds))
    out = ["## 目标水平怎样推算 {#assumptions}\n",
           f"{formula}。基数优先取本指标序列自己的基期数值（任何来源给出的都算）；没有时才用明示的假定，取另一项指标的数值，"
           "并在下面写明；都没有就不推算。推算的目标继承基数的精度：基数0.06代表0.055至0.065，降低40%后目标就是0.033至0.039。"
           + (f"{esc(zh_part(plan['base_year_note']))}" if plan["years_assumed"] and plan["base_year_note"] else "")
           + f"{len(with_level)}项有基数，{len(rows) - len(with_level)}项没有。\n"]
    for r in rows:
        lv = ctx.data.levels.get(r["target_id"])
        words = r["assumption_zh"] or (lv["assumption_zh"] if lv else "")
        line = f"- **{link(r['name_zh'], md, indicator_md(r['indicator_id']))}**：{esc(words)}"
        if lv and lv["derivation"]:
            line += f" 推算：{esc(lv['derivation'])}{esc(r['unit'])}。"
        out.append(line)
    return "\n".join(out) + "\n"


def _totals(ctx: Context, md: str, plan: dict, totals: list[dict]) -> str:
    d = ctx.data
    first = totals[0]
    out = [f"## 合计（{years(plan)}） {{#totals}}\n",
           (f"原文还给出了“{esc(plan['name_zh'])}”期间的合计数（{ctx.src(md, first['passage_id'])}）。"
           "这些合计没有目标，不评判达成与否。\n"),
           table(["指标", "合计", "原文写法", "出处"], [
               [link(d.indicators[o["indicator_id"]]["name_zh"], md, indicator_md(o["indicator_id"])),
                f"{num(o['value'])}{esc(o['unit'])}", esc(o["quote"]), ctx.src(md, o["passage_id"])] for o in totals],
               ["l", "r", "l", "l"])]
    for n in sorted({o["note_zh"] for o in totals if o["note_zh"]}):
        out.append(f'!!! note "口径不明"\n\n    {esc(n)}\n')
    return "\n".join(out)


def _commitments(ctx: Context, md: str, plan: dict, commitments: list[dict]) -> str:
    groups = commitment_groups(commitments)
    promised = len(commitments) - len(groups["reported"])
    out = ["## 其他承诺 {#commitments}\n",
           (f"本站从规划正文（表格以外）收录了{promised}项承诺：{commitment_counts(commitments)}。"
           "本数据包没有收录任何一项的完成情况或考核评估结果，所以结果都是"
           f"{status_badge('无数据')}。收录规则和没有收录的内容见{link('方法说明', md, 'methodology.md#commitments')}。\n")]

    def facts(c: dict) -> list[str]:
        out = [f"责任主体：{esc(c['subject_zh'])}"]
        if c["value"] is not None:
            out.append(f"数值：{esc(c['value_as_written'])}")
        if c["due_as_written"]:
            out.append(f"期限：{esc(c['due_as_written'])}")
        elif not any(w in (c["note_zh"] or "") for w in ("时限", "期限")):  # the note may say so already
            out.append("原文没有期限")
        label, page = DISCLOSED_ON.get(c["commitment_id"], (None, None))
        if label:
            out.append(f"本站的相关记录：{link(label, md, page)}")
        return out

    anchors = {"with_value": "with-value", "dated_only": "dated-only", "neither": "neither", "reported": "reported"}
    for key in ("with_value", "dated_only", "neither"):
        if groups[key]:
            out.append(f"### {GROUP_ZH[key]}（{len(groups[key])}项） {{#{anchors[key]}}}\n")
            out.append(commitment_list(ctx, md, groups[key], facts))
    if groups["reported"]:
        out.append(f"### {GROUP_ZH['reported']}（{len(groups['reported'])}项） {{#reported}}\n")
        out.append(f"这些是原文对此前工作的陈述，不是“{esc(plan['name_zh'])}”的承诺，没有达成与否的问题；"
                   "原文也没有给出可以据以核对的统计。\n")
        out.append(commitment_list(ctx, md, groups["reported"], lambda c: [f"主体：{esc(c['subject_zh'])}"], badge=False))
    return "\n".join(out)


def plans_index(ctx: Context) -> None:
    """规划: every plan of the package with its answer, newest first."""
    d, md = ctx.data, "plans/index.md"
    described = []
    for plan in reversed(d.plans):
        rows = d.plan_targets(plan["plan_id"])
        line = f"- **{link('“' + plan['name_zh'] + '”（' + years(plan) + '）', md, plan_md(plan))}**："
        line += (f"{plan_summary_line(ctx, plan, rows)}，{status_counts(rows)}。" if rows else "没有收录目标。")
        if plan["note_zh"]:
            line += esc(plan["note_zh"])
        described.append(line)
    description = f"本站收录的{len(d.plans)}个规划期，每个一页：目标、结果、推算和出处。"
    out = [page_meta(ctx, description), "# 规划\n",
           (f"本站收录的{len(d.plans)}个规划期，每个一页：目标、是否达成、怎样推算、出处。"
           f"还不能判断的目标见{link('数据缺口', md, 'gaps.md')}；规划和其他来源文件的全文见{link('来源文件', md, 'sources/index.md')}。\n"),
           "\n".join(described) + "\n"]
    ctx.write(md, "\n".join(out))


# --------------------------------------------------------------------------
# 数据缺口
# --------------------------------------------------------------------------

MISSING_ZH = {"actual": "缺少目标年的实际数", "baseline": "缺少基数", "baseline_precision": "基数的写法不够精确",
              "actual_precision": "实际数的写法不够精确"}


def gaps_page(ctx: Context) -> None:
    d, md = ctx.data, "gaps.md"
    gaps = d.gaps
    c = count_by(gaps, "missing")
    counts = "，".join(f"{n}项{MISSING_ZH[k]}" for k, n in c.items())
    description = (f"{len(gaps)}项规划目标还不能判断是否达成" + (f"：{counts}" if gaps else "")
                   + "。每项写明需要哪个数字、通常哪类文件会公布、怎样提交。")
    out = [page_meta(ctx, description)]
    out.append("# 数据缺口：还不能判断的目标\n")
    out.append(f"“无数据”不是“没做到”，也不是“做到了”：是本站还没有能够判断的数字。"
               f"本页列出全部{len(gaps)}项还不能判断的目标" + (f"（{counts}）" if gaps else "")
               + "，每项写明需要哪个数字、要写到多精确、哪类文件通常会公布它。"
               "找到这样的数字，就能把“无数据”变成“达成”或“未达成”。\n")
    if not gaps:
        out.append("目前收录的每一项目标都已经能够判断。\n")
    by_id = {r["target_id"]: r for r in d.status}
    for plan in d.plans:
        rows = [g for g in gaps if g["plan_id"] == plan["plan_id"]]
        if not rows:
            continue
        out.append(f"## “{esc(plan['name_zh'])}”（{years(plan)}） {{#{plan['plan_id']}}}\n")
        items = []
        for g in rows:
            r = by_id[g["target_id"]]
            target = f"目标：{result_cell(r, plan)}"
            items.append(f"- {status_badge(g['status_zh'])} **{link(g['name_zh'], md, indicator_md(g['indicator_id']))}**"
                         f"（{ctx.src(md, r['passage_id'])}）  \n"
                         f"  {target}  \n"
                         f"  需要：{esc(g['needed_zh'])}  \n"
                         f"  精度：{esc(g['precision_zh'])}  \n"
                         f"  通常公布在：{esc(g['usual_sources_zh'])}")
        out.append('<div class="status-list" markdown>\n\n' + "\n".join(items) + "\n\n</div>\n")
    out.append("## 怎样提交一个数字 {#send}\n")
    out.append("请找到数字所在的**正式文件**（统计公报、工作总结、评估报告、下一个规划），记下：文件标题、发布机关、日期、网址，"
               "以及数字所在的**原句**（逐字复制，不要改写）。本站只收录能在文件原文中逐字找到的数字，"
               "不收录转述、估算或没有出处的数字。\n")
    out.append(f"本项目的提交和更正渠道尚未公布（见{link('关于', md, 'about.md')}），公布后会写在那里。"
               f"在此之前，任何人都可以用本项目的程序在自己的副本里加入文件、得到判断：步骤见"
               f"{link('方法说明：怎样加入新的文件', md, 'methodology.md#new-source')}。\n")
    out.append("## 查询和下载 {#data}\n")
    out.append(datasette_section(ctx, md, "gaps/", [("数据缺口（data_gaps）", "data_gaps", {})]))
    out.append(f"\n下载：{ctx.download(md, 'csv/data_gaps.csv', 'data_gaps.csv')} · "
               f"{ctx.download(md, 'csv/indicator_status.csv', 'indicator_status.csv')} · {link('全部文件', md, 'downloads.md')}\n")
    ctx.write(md, "\n".join(out))
