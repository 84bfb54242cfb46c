"""The enforcement and 黑名单 pages, the enterprise directory, and the record pages behind them.

The pages MkDocs renders (enforcement/, blacklist/, enterprises/) show summaries, the
newest records (a bounded number) and the ways in (by year, by authority, by enterprise),
so their size does not grow with the data.  Every record is on a record page (records.py):
its year's and its authority's list pages, its enterprise's page, the 黑名单 list pages.
Counts come from the rows; links to record pages are raw HTML (MkDocs does not see those
pages, so it must not check the links; tests/test_site.py checks every link of the built site).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pipeline.site import records
from pipeline.site.context import Context, zh_date
from pipeline.site.md import esc, h, link, num, table
from pipeline.site.pages import (
    commitment_quote,
    datasette_section,
    page_meta,
    regime_zh,
)

NEWEST = 20          # newest records shown on the enforcement and 黑名单 pages


def _a(text: str, href: str) -> str:
    return f'<a href="{h(href)}">{h(text)}</a>'


def finder_form(base: str) -> str:
    """The enterprise finder: a search box (assets/finder.js); without JavaScript, its button
    opens the directory."""
    return (f'<form id="finder" class="finder" role="search" action="{h(base)}enterprises/" data-base="{h(base)}">'
            '<label for="finder-q">按单位名称或统一社会信用代码查找</label> '
            '<input id="finder-q" name="q" type="search" autocomplete="off" minlength="2" '
            'placeholder="如：某某公司，或18位代码"> <button type="submit">查找</button></form>'
            '<div id="finder-results" class="finder-results" aria-live="polite"></div>'
            f'<script src="{h(base)}assets/finder.js" defer></script>\n')


def record_pages(ctx: Context) -> tuple[list[records.RecordPage], dict[str, bytes]]:
    """Every record page and the finder's files, from the public tables."""
    d = ctx.data
    regime = lambda r: regime_zh(ctx, r)
    ents = records.enterprises(d.penalties, d.blacklist)
    pages = [records.enterprise_page(e, d.build_date.isoformat(), ctx.datasette, regime) for e in ents.values()]
    if ents:
        pages += records.directory_pages(list(ents.values()))
    by_year, by_authority = defaultdict(list), defaultdict(list)
    for p in d.penalties:   # newest first already
        by_year[p["decision_year"]].append(p)
        by_authority[p["authority"]].append(p)
    for year, rows in sorted(by_year.items()):
        pages += records.list_pages(f"enforcement/{year}", f"{year}年的行政处罚",
                                    f"{year}年作出、截至{zh_date(d.build_date)}仍在公示期内的处罚决定{len(rows)}条，按日期从新到旧。",
                                    rows)
    for authority, rows in sorted(by_authority.items()):
        pages += records.list_pages(f"enforcement/{records.authority_slug(authority)}", f"{authority}的行政处罚",
                                    f"{authority}作出、截至{zh_date(d.build_date)}仍在公示期内的处罚决定{len(rows)}条，按日期从新到旧。",
                                    rows)
    if d.blacklist:
        pages += records.blacklist_pages(d.blacklist, regime)
    files = records.finder_index(list(ents.values())) if ents else {}
    return pages, files


# --------------------------------------------------------------------------
# 执法
# --------------------------------------------------------------------------

def enforcement(ctx: Context, penalties_collected: int) -> None:
    d, md = ctx.data, "enforcement/index.md"
    fig = ctx.figures["campaign"]
    camp = d.campaign
    year = camp[0]["year"]
    n = len(d.penalties)
    campaign = camp[0]["campaign_zh"]
    description = (f"规划举出的{year}年一次专项行动（{campaign}）的结果，不是{year}年全年的执法总数；"
                   "以及行政处罚（双公示）个案记录：" + (f"目前公示期内{n}条，可按年份、处罚机关和单位查看。" if n else
                                                        "目前没有公示期内的个案记录。" if penalties_collected
                                                        else "尚未收录任何个案记录。"))
    out = [page_meta(ctx, description, og_image=fig.png, og_alt=fig.summary)]
    out.append("# 执法\n")
    out.append(f"两部分：规划举出的{year}年一次专项行动的全市结果，以及个案行政处罚记录（“双公示”）。"
               f"{commitment_quote(ctx, md, 'enforcement-results-public')}\n")
    # The anchor stays #campaign-YEAR: it is cited.
    out.append(f"## {year}年{esc(campaign)}的结果 {{#campaign-{year}}}\n")
    out.append(f"规划第一章回顾“十二五”的“打非治违”工作时，以{year}年开展的{esc(campaign)}为例（原文“如在……中”），"
               f"列出全市的{len(camp)}项结果（{ctx.src(md, camp[0]['passage_id'])}）。"
               f"**这是这一次专项行动的结果，不是{year}年全年的执法总数**；规划没有给出全年总数，也没有给出逐案记录，"
               "无法核对到单个案件。\n")
    out.append(fig.markdown(md))
    out.append(table(["措施", "数值", "原文写法", "出处"], [
        [esc(r["measure_zh"]), f"{num(r['value'])}{esc(r['unit'])}"
         + (f"（{num(r['amount_yuan'])}元）" if r["amount_yuan"] is not None else ""),
         esc(r["quote"]), ctx.src(md, r["passage_id"])] for r in camp], ["l", "r", "l", "l"]))

    out.append("## 行政处罚（个案记录） {#penalties}\n")
    if not d.penalties:
        if penalties_collected == 0:
            out.append('!!! info "还没有收录任何处罚记录"\n\n'
                       "    本项目还没有从处罚机关的公示中收集到任何行政处罚决定，所以这里是空的。"
                       "**空表不代表南昌没有安全生产行政处罚**，只代表这些记录还没有收集进来。\n\n"
                       "    收录以后，这里会列出处于公示期内的处罚决定，字段按“双公示”格式：行政相对人名称、"
                       "处罚决定书文号、违法行为类型、处罚依据、处罚类别、罚款金额（万元）、处罚决定日期、处罚机关等。"
                       "自然人只公开姓名，不公开身份证号码等个人信息；公示截止期过后的记录不再显示。\n")
        else:
            out.append('!!! info "目前没有公示期内的处罚记录"\n\n'
                       f"    已收录的{penalties_collected}条处罚决定都已过公示期，依规定不再在本站公开。"
                       "**这不代表没有新的处罚**，只代表本站还没有收录公示期内的记录。\n")
    else:
        ents = records.enterprises(d.penalties, [])
        people = sum(p["party_category"] == "自然人" for p in d.penalties)
        out.append(f"截至{zh_date(d.build_date)}仍在公示期内的处罚决定**{n}条**（公示截止期过后自动撤下），"
                   f"涉及{len(ents)}个单位" + (f"和{people}条对自然人的决定（自然人只公开姓名，不设单独页面）" if people else "")
                   + "。只计本站已收录的记录，不是全部处罚。\n")
        out.append("### 按单位查找 {#find}\n")
        out.append(finder_form("../") + "\n"
                   + '或者从<a href="../enterprises/">单位名录</a>（按名称拼音排序）进入。每个单位一页，列出它公示期内的处罚和黑名单状态。\n')
        by_year = Counter(p["decision_year"] for p in d.penalties)
        fines = defaultdict(float)
        for p in d.penalties:
            fines[p["decision_year"]] += p["fine_amount_wan"] or 0
        out.append("### 按年份 {#by-year}\n")
        out.append(table(["处罚决定年度", "决定数", "罚款合计（万元）", "逐条查看"], [
            [str(y), str(c), num(round(fines[y], 6)), _a(f"{y}年的{c}条", f"{y}/")] for y, c in sorted(by_year.items(), reverse=True)],
            ["l", "r", "r", "l"]))
        by_authority = Counter(p["authority"] for p in d.penalties)
        out.append("### 按处罚机关 {#by-authority}\n")
        out.append(table(["处罚机关", "决定数", "逐条查看"], [
            [esc(a), str(c), _a("查看", f"{records.authority_slug(a)}/")] for a, c in by_authority.most_common()],
            ["l", "r", "l"]))
        out.append("### 按处罚类别和罚款金额 {#by-category}\n")
        cats: Counter = Counter()
        for p in d.penalties:
            for c in (p["penalty_category"] or "").split(";"):
                if c:
                    cats[c] += 1
        out.append("一份决定有几个处罚类别（如“罚款;责令停产停业”）时，在每个类别下各计一次，所以各类别的件数不能相加。"
                   "按年份和罚款金额区间的细分见 Datasette 的预设查询“行政处罚按处罚类别和罚款金额区间统计”。\n")
        out.append(table(["处罚类别", "决定数"], [[esc(c), str(k)] for c, k in cats.most_common()], ["l", "r"]))
        out.append(f"### 最新的{min(NEWEST, n)}条 {{#newest}}\n")
        rows = [records.penalty_cells(p) for p in d.penalties[:NEWEST]]
        # the cells are HTML; from enforcement/ a record link is ../<path>, not ../../<path>
        out.append(records.html_table(records.PENALTY_HEADER, [[c.replace('href="../../', 'href="../') for c in r]
                                                                for r in rows], {4}) + "\n")
        out.append(f"更早的记录：{' · '.join(_a(f'{y}年', f'{y}/') for y in sorted(by_year, reverse=True))}。\n")
    out.append("## 查询和下载 {#data}\n")
    out.append(datasette_section(ctx, md, "enforcement/", [
        (f"{year}年那次专项行动的结果（campaign_results）", "campaign_results", {}),
        ("专项行动结果与已收录的个案处罚（enforcement_results）", "enforcement_results", {}),
        ("行政处罚（penalties）", "penalties", {}),
    ]))
    out.append(f"\n下载：{ctx.download(md, 'csv/campaign_results.csv', 'campaign_results.csv')} · "
               f"{ctx.download(md, 'csv/penalties.csv', 'penalties.csv')} · "
               f"{ctx.download(md, 'csv/enforcement_results.csv', 'enforcement_results.csv')} · "
               f"{link('全部文件', md, 'downloads.md')}\n")
    ctx.write(md, "\n".join(out))


# --------------------------------------------------------------------------
# 单位名录
# --------------------------------------------------------------------------

def enterprises_index(ctx: Context) -> None:
    d, md = ctx.data, "enterprises/index.md"
    ents = records.enterprises(d.penalties, d.blacklist)
    ranges = records.directory_ranges(list(ents.values()))
    description = (f"有公示期内行政处罚或黑名单记录的{len(ents)}个单位，每个一页；按名称或统一社会信用代码查找，"
                   "或按拼音顺序浏览名录。")
    out = [page_meta(ctx, description), "# 单位\n"]
    out.append(f"截至{zh_date(d.build_date)}，本站收录的公示期内行政处罚和黑名单记录涉及**{len(ents)}个单位**，每个单位一页。"
               "只收公示期内的记录：公示期满的记录依规定撤下，单位页随之更新；没有公示期内记录的单位没有页面。"
               "自然人只在处罚决定列表中公开姓名，不设单独页面。\n")
    if ents:
        out.append(finder_form("../") + "\n")
        out.append("## 名录（按名称拼音排序） {#directory}\n")
        out.append('<ul class="directory">' + "".join(
            f'<li>{_a(f"第{k}页", "../" + path)}：{h(first)} — {h(last)}</li>'
            for k, (path, first, last) in enumerate(ranges, start=1)) + "</ul>\n")
    else:
        out.append("目前没有公示期内的记录，所以还没有单位页面。\n")
    out.append(f"\n另见：{link('执法', md, 'enforcement/index.md')} · {link('黑名单', md, 'blacklist/index.md')}\n")
    ctx.write(md, "\n".join(out))


# --------------------------------------------------------------------------
# 黑名单
# --------------------------------------------------------------------------

def blacklist(ctx: Context, collected: int) -> None:
    d, md = ctx.data, "blacklist/index.md"
    n = len(d.blacklist)
    gone = sum(t["entries"] for t in d.takedowns)
    description = ("安全生产“黑名单”（失信、严重失信主体名单）："
                   + (f"截至{zh_date(d.build_date)}公示期内{n}条。" if n else
                      "目前没有公示期内的条目。" if collected else "尚未收录任何名单记录。")
                   + "列入规则和公示期限（规划之外的国家文件，注明核对程度）、异议途径。")
    out = [page_meta(ctx, description)]
    out.append("# 黑名单\n")
    out.append("安全生产领域的“黑名单”（2023年10月1日起称“安全生产严重失信主体名单”）。"
               f"本站只显示**公示期内**的条目；公示期满或已移出的条目不再公开名称，只保留日期和条数。数据日期：{zh_date(d.build_date)}。"
               f"{commitment_quote(ctx, md, 'blacklist-public')}\n")
    out.append("## 正在公示的条目 {#entries}\n")
    if not d.blacklist:
        if collected == 0:
            out.append('!!! info "还没有收录任何名单记录"\n\n'
                       "    本项目还没有从作出决定的机关或信用平台收集到任何黑名单记录，所以这里是空的。"
                       "**空表不代表南昌没有被列入名单的单位**，只代表这些记录还没有收集进来。\n")
        else:
            out.append('!!! info "目前没有公示期内的条目"\n\n'
                       "    已收录的条目都已过公示期或已移出，依规定不再公开名称（见下方撤下记录）。\n")
    else:
        by_regime = Counter(e["regime"] for e in d.blacklist)
        out.append(f"截至{zh_date(d.build_date)}，公示期内共**{n}条**："
                   + "，".join(f"{esc(regime_zh(ctx, r))}{c}条" for r, c in sorted(by_regime.items(), reverse=True))
                   + "。每个单位的页面列出它的全部公示期内条目。\n")
        out.append(finder_form("../") + "\n")
        newest = d.blacklist[:NEWEST]
        out.append(f"### 最新列入的{len(newest)}条 {{#newest}}\n")
        out.append(table(["单位", "列入情形", "作出决定机关", "列入日期", "公示截止"], [
            [_a(e["enterprise_name"], "../" + records.enterprise_path(records.enterprise_key(e["uscc"], name=e["enterprise_name"]))),
             esc(e["listing_situation"]), esc(e["deciding_authority"]), str(e["listing_date"]),
             f"{e['display_until']}" + ("（最后一天）" if e["days_left"] == 0 else "")] for e in newest]))
        pages = -(-n // records.ROWS_PER_PAGE)
        out.append(f"全部{n}条（每页{records.ROWS_PER_PAGE}条，共{pages}页）：{_a('公示期内的全部条目', 'list/')}。\n")
        by_authority = Counter(e["deciding_authority"] for e in d.blacklist)
        out.append("### 按作出决定机关 {#by-authority}\n")
        out.append(table(["作出决定机关", "条数"], [[esc(a), str(c)] for a, c in by_authority.most_common()], ["l", "r"]))

    out.append("## 已撤下的条目 {#takedowns}\n")
    if d.takedowns:
        by = Counter()
        for t in d.takedowns:
            by[(t["taken_down_on"].year, t["reason_zh"], t["regime"])] += t["entries"]
        out.append(f"公示期满或已移出、不再公开名称的条目共{gone}条。只保留规定、决定机关、日期、原因和条数；"
                   "按撤下年份和原因汇总如下，逐条的日期见 Datasette 和下载文件 blacklist_takedowns：\n")
        out.append(table(["撤下年份", "原因", "适用规定", "条数"], [
            [str(y), esc(reason), esc(regime), str(c)] for (y, reason, regime), c in sorted(by.items(), reverse=True)],
            ["l", "l", "l", "r"]))
    else:
        out.append("没有。\n")
    out.extend(_rules(ctx, md))
    out.append("## 查询和下载 {#data}\n")
    out.append(datasette_section(ctx, md, "blacklist/", [
        ("公示期内的条目（blacklist）", "blacklist", {}),
        ("撤下记录（blacklist_takedowns）", "blacklist_takedowns", {}),
        ("规划之外的规定（legal_references）", "legal_references", {}),
    ]))
    out.append(f"\n下载：{ctx.download(md, 'csv/blacklist.csv', 'blacklist.csv')} · "
               f"{ctx.download(md, 'csv/blacklist_takedowns.csv', 'blacklist_takedowns.csv')} · "
               f"{ctx.download(md, 'csv/legal_references.csv', 'legal_references.csv')} · "
               f"{link('全部文件', md, 'downloads.md')}\n")
    ctx.write(md, "\n".join(out))


def _rules(ctx: Context, md: str) -> list[str]:
    d = ctx.data
    out = ["## 名单怎样产生 {#rules}\n"]
    promise = next((c for c in d.commitments if c["commitment_id"] == "blacklist-public"), None)
    said = (f"规划只写了“完善安全生产‘黑名单’制度……向社会公示”（{ctx.src(md, promise['passage_id'])}），"
            if promise else "规划")
    out.append(f'!!! note "以下是规划之外的规定"\n\n'
               f"    {said}没有写名单怎样产生。下面的规则来自规划之外的国家文件，"
               "是理解名单的背景，不是规划的内容。每份文件的文号、发文机关和日期见本节末的表；"
               "本项目只读到其中一部分原文，凡是只见于报道的内容都标明“据报道”。\n")
    by_regime = {r["regime"]: r for r in d.legal if r["regime"]}
    for regime, heading, anchor in (("2023", "2023年10月1日起：严重失信主体名单", "rules-2023"),
                                    ("2017", "2017年印发：联合惩戒实施办法", "rules-2017"),
                                    ("2015", "2015年印发：不良记录“黑名单”管理暂行规定", "rules-2015")):
        ref = by_regime.get(regime)
        if ref:
            out.append(f"### {heading} {{#{anchor}}}\n")
            out.append(f"{esc(ref['issuing_body'])}《{esc(ref['title_zh'])}》（{esc(ref['document_number'])}）："
                       f"{esc(ref['provisions_zh'])}\n")
    out.append("### 公示期限 {#display-period}\n")
    for ref in (r for r in d.legal if not r["regime"]):  # rules that govern display, not listing
        out.append(f"{esc(ref['issuing_body'])}《{esc(ref['title_zh'])}》（{esc(ref['document_number'])}）："
                   f"{esc(ref['provisions_zh'])}\n")
    out.append("本站按每条记录的“公示截止日期”（以及移出日期）在每次构建时重新计算：截止日当天仍显示，截止日之后的第一次构建起撤下"
               "（已经被人下载的文件不受影响）。这是本站的规则，参照上面的文件。\n")
    out.append("### 规划之外的文件一览 {#legal-references}\n")
    verification = {"read_in_full": "读到全文", "partly_read": "读到部分原文，其余据报道", "secondary_only": "只见于报道"}
    out.append(table(["文件", "发文机关", "印发日期", "施行日期", "核对程度"], [
        [f"《{esc(r['title_zh'])}》（{esc(r['document_number'])}）", esc(r["issuing_body"]),
         str(r["issue_date"]) if r["issue_date"] else "未能核对", str(r["effective_date"]) if r["effective_date"] else "未能核对",
         f"{verification[r['verification']]}：{esc(r['verification_note_zh'])}"] for r in d.legal]))
    out.append("这些文件都不在规划之内，规划也没有提到它们；官方网址本项目未能核对，不列出。"
               "引用时请以发文机关公布的原文为准，并留意它们是否已被修改或废止（本项目没有核对现行有效性）。\n")
    out.append("### 如何提出异议 {#objections}\n")
    out.append("- 对列入决定不服：可按决定书载明的救济途径（如有，见每条记录的“救济期限和途径”）申请行政复议或提起行政诉讼；"
               "本项目没有核对相关条文。\n"
               "- 提前移出：2023年规定下，据报道列入满12个月可以申请提前移出；2015年、2017年规定中有没有提前移出的条款，本项目没有核对到。\n"
               "- 本站数据有误（例如应已撤下的条目仍在显示，或与机关公示不一致）：以作出决定机关的公示为准；"
               f"更正方式见{link('关于', md, 'about.md')}。\n")
    return out
