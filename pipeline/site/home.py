"""The home page: for every plan, how many of its targets were met, missed or cannot be
judged yet, and what is missing; every count from the warehouse."""

from __future__ import annotations

from pipeline.site.context import Context, zh_date
from pipeline.site.md import esc, link, num, status_badge
from pipeline.site.pages import (
    PROJECT,
    commitment_counts,
    commitment_groups,
    first_source,
    indicator_md,
    page_meta,
    zh_part,
)
from pipeline.site.plans import no_data_words, plan_md, plan_summary_line
from pipeline.site.plots import plan_figure_key
from pipeline.site.wording import VS_ZH, looser_words, result_cell, status_counts, years


def share_figure(ctx: Context):
    """The site's share image: the chart of the latest plan with a judged target (met or
    missed), else of the latest plan with any target."""
    plans = [p for p in ctx.data.plans if ctx.data.plan_targets(p["plan_id"])]
    judged = [p for p in plans if any(r["status"] in ("met", "missed") for r in ctx.data.plan_targets(p["plan_id"]))]
    chosen = (judged or plans)[-1]
    return ctx.figures[plan_figure_key(chosen)]


def status_list(md: str, rows: list[dict], plan: dict) -> str:
    """One line per target: the status word first, then the indicator and its numbers."""
    items = [f"- {status_badge(r['status_zh'])} {link(r['name_zh'], md, indicator_md(r['indicator_id']))}："
             f"{result_cell(r, plan)}" for r in rows]
    return '<div class="status-list" markdown>\n\n' + "\n".join(items) + "\n\n</div>\n"


def home(ctx: Context) -> None:
    d, md = ctx.data, "index.md"
    plans = [(p, d.plan_targets(p["plan_id"])) for p in d.plans]
    plans = [(p, rows) for p, rows in plans if rows]
    groups = commitment_groups(d.commitments)
    promised = len(d.commitments) - len(groups["reported"])
    share = share_figure(ctx)
    latest_actual = max((o["period_end"] for o in d.series if o["period_start"] == o["period_end"]), default=None)
    camp = d.campaign[0] if d.campaign else None

    def missed_of(rows):
        return [r for r in rows if r["status"] == "missed"]

    description = ("南昌市安全生产规划的承诺做到了吗？"
                   + "；".join(f"“{p['name_zh']}”{plan_summary_line(ctx, p, rows)}：{status_counts(rows)}"
                              + ("（未达成：" + "、".join(r["name_zh"] for r in missed_of(rows)) + "）"
                                 if missed_of(rows) else "")
                              for p, rows in plans)
                   + "。本站收录的规划数字都链接到原文。")
    out = [page_meta(ctx, description, og_image=share.png, og_alt=share.summary, hide=["toc"])]
    out.append("# 南昌安全生产：规划承诺做到了吗？\n")
    out.append(f"{esc(first_source(ctx))}等文件承诺了什么、做到了没有：本站把规划里的指标、目标和执法数字逐项对照原文，整理成可核对的开放数据。"
               f"由“{PROJECT}”项目整理发布（{link('关于', md, 'about.md')}），不是政府网站。"
               f"数据更新：**{zh_date(d.build_date)}**"
               + (f"；本站收录的最新实际数是{latest_actual}年的。\n" if latest_actual else "。\n"))
    cards = []
    for p, rows in plans:
        missed = missed_of(rows)
        undecided = [r for r in rows if r["status"] in ("no_data", "indeterminate")]
        card = (f"-   **“{esc(p['name_zh'])}”（{years(p)}）**\n\n"
                f"    {plan_summary_line(ctx, p, rows)}：**{status_counts(rows)}**。\n")
        if missed:
            card += "\n    未达成：" + "；".join(
                f"{link(r['name_zh'], md, indicator_md(r['indicator_id']))}，{r['actual_year']}年{num(r['actual'])}{esc(r['unit'])}，"
                f"{VS_ZH[r['actual_vs_target']]}目标{num(r['target'])}{esc(r['unit'])}" for r in missed) + "。\n"
        if undecided:
            card += (f"\n    {len(undecided)}项还不能判断：{no_data_words(ctx, undecided)}。"
                     f"{link('缺什么数字', md, 'gaps.md')}\n")
        cards.append(card)
    if d.commitments:
        pages = sorted({c["plan"] for c in d.commitments})
        where = "、".join(link(f"“{name}”", md, plan_md(d.plan_named(name)) + "#commitments")
                         for name in pages if d.plan_named(name))
        cards.append("-   **其他承诺**\n\n"
                     f"    本站从规划正文（表格以外）收录了{promised}项承诺：{commitment_counts(d.commitments)}"
                     "（包括推进执法结果公开、黑名单向社会公示）。**落实情况均无数据**。"
                     f"逐项查看：{where}\n")
    out.append('<div class="grid cards" markdown>\n\n' + "\n".join(cards) + "\n</div>\n")

    for p, rows in plans:
        pmd = plan_md(p)
        out.append(f"## “{esc(p['name_zh'])}”：每项目标的结果 {{#{p['plan_id']}}}\n")
        out.append(status_list(md, rows, p))
        loose = [r for r in rows if r["target_looser_than_baseline"]]
        if loose:
            out.append(f"其中{len(loose)}项的目标比它自己的基期实际数还宽（目标允许数字变差）："
                       + "、".join(f"{esc(r['name_zh'])}（{esc(looser_words(r))}）" for r in loose)
                       + f"。它们的“达成”只说明没有超过一个宽松的目标。详见{link('“' + p['name_zh'] + '”目标和结果', md, pmd)}。\n")
        notes = []
        if p["years_assumed"] and p["base_year_note"]:
            notes.append(esc(zh_part(p["base_year_note"])))
        if any(r["baseline_method"] == "assumption_link" for r in rows):
            notes.append("有的目标水平是按明示的假定基数推算的")
        if notes:
            out.append("；".join(n.rstrip("。") for n in notes) + f"。见{link('“' + p['name_zh'] + '”目标和结果', md, pmd)}。\n")
    out.append("## 接着看什么 {#next}\n")
    out.append("\n".join(
        [f"- {link('“' + p['name_zh'] + '”目标和结果', md, plan_md(p))}：全部目标、图表、推算和出处" for p, _ in plans]
        + [
            f"- {link('数据缺口', md, 'gaps.md')}：还不能判断的目标各缺什么数字，哪类文件会公布，怎样提交",
            f"- {link('指标', md, 'indicators/index.md')}：每项指标一页，各年数值、各来源、原文引文和下载",
            (f"- {link('执法', md, 'enforcement/index.md')}：规划举出的{camp['year']}年一次专项行动的结果，和行政处罚记录"
             if camp else f"- {link('执法', md, 'enforcement/index.md')}：行政处罚记录"),
            f"- {link('黑名单', md, 'blacklist/index.md')}：收录的名单条目和列入规则",
            (f"- {link('数据下载', md, 'downloads.md')}、{link('API', md, 'api.md')}、"
             f"{link('方法说明', md, 'methodology.md')}、{link('来源文件', md, 'sources/index.md')}"),
        ]) + "\n")
    ctx.write(md, "\n".join(out))
