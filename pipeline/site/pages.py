"""The generated pages, one function per page, each writing plain Markdown.

Every figure comes from the warehouse rows in ctx.data; the words around them are
fixed here.  Links are relative to the Markdown file (checked by MkDocs in strict mode).
"""

from __future__ import annotations

import re

from pipeline import config
from pipeline.site.context import Context
from pipeline.site.md import (
    esc,
    ext_link,
    front_matter,
    h,
    json_script,
    link,
    size,
    status_badge,
    table,
)


def first_source(ctx: Context) -> str:
    """《title》 of the package's first source (the one whose passage ids carry no prefix)."""
    return f"《{ctx.data.sources[0]['title']}》"


def years_covered(ctx: Context) -> str:
    """first/last year of every figure and plan in the package, for JSON-LD temporalCoverage."""
    d = ctx.data
    years = [y for o in d.observations for y in (o["period_start"], o["period_end"])]
    years += [y for p in d.plans for y in (p["base_year"], p["start_year"], p["end_year"]) if y is not None]
    return f"{min(years)}/{max(years)}"
PROJECT = "南昌安全生产公众监督开放数据"
LICENSE_URL_FALLBACK = "https://creativecommons.org/publicdomain/zero/1.0/"
PLACE = {"@type": "Place", "name": "南昌市",
         "address": {"@type": "PostalAddress", "addressLocality": "南昌市", "addressRegion": "江西省",
                     "addressCountry": "CN"}}

COMMITMENT_KIND_ZH = {"goal": "总体目标", "percent_target": "比例目标", "deadline": "时限", "frequency": "频次",
                      "evaluation": "考核评估", "reported_result": "已报告的成果", "disclosure": "公开承诺",
                      "institution": "制度建设", "task": "建设任务", "coverage": "覆盖范围"}
# Where the site holds the data a disclosure commitment is about.
DISCLOSED_ON = {"enforcement-results-public": ("执法页", "enforcement/index.md"),
                "blacklist-public": ("黑名单页", "blacklist/index.md")}


def commitment_groups(commitments: list[dict]) -> dict[str, list[dict]]:
    """The plan's commitments by what can be checked, decided by the data (a figure in
    `value`, a deadline in `due_year`), never by their kind's name: a 时限 to build “一批”
    enterprises has a date and no figure.  Results the plan reports are a group of their own."""
    groups: dict[str, list[dict]] = {"with_value": [], "dated_only": [], "neither": [], "reported": []}
    for c in commitments:
        if c["kind"] == "reported_result":
            groups["reported"].append(c)
        elif c["value"] is not None:
            groups["with_value"].append(c)
        elif c["due_year"] is not None:
            groups["dated_only"].append(c)
        else:
            groups["neither"].append(c)
    return groups


GROUP_ZH = {"with_value": "有数值的承诺", "dated_only": "只有期限、没有数值的承诺", "neither": "没有数值也没有期限的承诺",
            "reported": "原文报告的此前成果"}


def commitment_counts(commitments: list[dict]) -> str:
    """“9项有数值，4项只有期限（没有数值），7项…”: the counts the pages state, from the data."""
    g = commitment_groups(commitments)
    parts = [(len(g["with_value"]), "有数值"), (len(g["dated_only"]), "只有期限（没有数值）"),
             (len(g["neither"]), "既没有数值也没有期限")]
    return "，".join(f"{n}项{label}" for n, label in parts if n)


def commitment_list(ctx: Context, md: str, commitments: list[dict], facts_of, badge: bool = True) -> str:
    """Commitments as a status list: each with its no-data badge, source link, facts and note."""
    items = []
    for c in commitments:
        facts = facts_of(c) + ([esc(c["note_zh"]).rstrip("。")] if c["note_zh"] else [])
        mark = f"{status_badge('无数据')} " if badge else ""
        items.append(f"- {mark}**{esc(c['commitment_zh'])}**（{ctx.src(md, c['passage_id'])}）  \n"
                     f"  {'；'.join(facts)}")
    return '<div class="status-list" markdown>\n\n' + "\n".join(items) + "\n\n</div>\n"


def commitment_quote(ctx: Context, md: str, commitment_id: str) -> str:
    """“the plan's words”（source link）, for pages whose data a commitment is about."""
    c = next((c for c in ctx.data.commitments if c["commitment_id"] == commitment_id), None)
    return f"规划承诺：“{esc(c['quote'])}”（{ctx.src(md, c['passage_id'])}）。" if c else ""


def regime_zh(ctx: Context, regime: str) -> str:
    """“2017年规定（安监总办〔2017〕49号）”, from legal_references; the bare value if none."""
    ref = next((r for r in ctx.data.legal if r["regime"] == regime), None)
    return f"{regime}年规定（{ref['document_number']}）" if ref else f"{regime}年规定"




# --------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------

def dataset_jsonld(ctx: Context, *, name: str, description: str, md_path: str, files: list[str],
                   temporal: str, measured: list[str] | None = None) -> str:
    """schema.org Dataset for a page that offers data: files are data-package paths."""
    d = ctx.data
    lic = (d.descriptor.get("licenses") or [{}])[0].get("path") or LICENSE_URL_FALLBACK
    by_path = {f.path: f for f in d.files}
    # Absolute URLs only where the site's address is configured: never a guessed or local one.
    dist = []
    for path in files:
        f = by_path[path]
        dist.append(_drop_none({"@type": "DataDownload", "name": f.title, "contentUrl": ctx.abs_url("downloads/" + path),
                                "encodingFormat": f.mediatype, "contentSize": f"{f.bytes} B"}))
    org = _drop_none({"@type": "Organization", "name": PROJECT, "url": ctx.site_url})
    doc = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": name,
        "description": description,
        "url": ctx.page_url(md_path),
        "inLanguage": "zh-CN",
        "isAccessibleForFree": True,
        "license": lic,
        "creator": org,
        "publisher": org,
        "version": d.package_version,
        "dateModified": d.build_date.isoformat(),
        "keywords": d.descriptor.get("keywords", []),
        "temporalCoverage": temporal,
        "spatialCoverage": PLACE,
        "isBasedOn": {"@type": "CreativeWork", "name": d.sources[0]["title"],
                      "inLanguage": "zh-CN"},
        "distribution": dist,
    }
    if measured:
        doc["variableMeasured"] = measured
    return json_script(_drop_none(doc))


def _drop_none(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def page_meta(ctx: Context, description: str, *, og_image: str | None = None, og_alt: str | None = None,
              jsonld: str | None = None, hide: list[str] | None = None) -> str:
    meta: dict = {"description": description}
    if og_image:
        meta["og_image"] = og_image
        meta["og_image_alt"] = og_alt or description
    if jsonld:
        meta["jsonld"] = jsonld
    if hide:
        meta["hide"] = hide
    return front_matter(meta)


def datasette_section(ctx: Context, md_path: str, page: str, tables: list[tuple[str, str, dict]]) -> str:
    """'Query it in Datasette': table links (label, table, filters) and the saved queries for `page`.
    Nothing when this build has no Datasette address (no link to a guessed host)."""
    if not ctx.datasette:
        return ""
    items = [f"- {ext_link(label, ctx.ds_table(t, **params))}" for label, t, params in tables]
    items += [f"- 预设查询：{q}" for q in ctx.query_links(page)]
    items.append(f"- {ext_link('全部数据表和预设查询', ctx.ds_db)}；用法见{link('API 说明', md_path, 'api.md')}")
    return "在 Datasette 中查询、筛选和导出（另一个网站，需要联网使用）：\n\n" + "\n".join(items) + "\n"


def indicator_md(iid: str) -> str:
    return f"indicators/{iid}.md"


# --------------------------------------------------------------------------
# 数据下载
# --------------------------------------------------------------------------

FORMAT_ZH = {"csv": "CSV", "json": "JSON", "parquet": "Parquet", "xlsx": "Excel 工作簿", "sqlite": "SQLite",
             "txt": "纯文本", "zip": "ZIP 压缩包"}
SUB_ZH = {"csv": "CSV（UTF-8）", "csv-excel": "CSV（带 BOM，Excel 直接打开）", "json": "JSON", "parquet": "Parquet"}


def file_item(ctx: Context, md: str, path: str, what: str, nbytes: int, sha: str) -> str:
    """One downloadable file as a list item: link, what it is, size, and its SHA-256 on its own line
    (a 64-character hash does not fit a table column on a phone)."""
    return (f"- {ctx.download(md, path, path)} · {esc(what)} · {size(nbytes)}  \n"
            f"  SHA-256 `{sha}`")


def downloads(ctx: Context, extra_files: dict[str, tuple[int, str]]) -> None:
    """extra_files: data paths not in the datapackage (the package itself, SHA256SUMS, the zip)
    -> (bytes, sha256)."""
    d, md = ctx.data, "downloads.md"
    pkg = d.package
    zip_name = next(p for p in extra_files if p.endswith(".zip"))
    tables = [r for r in pkg["resources"] if r["type"] == "table"]
    all_files = [f.path for f in d.files] + sorted(extra_files)
    description = (f"下载全部数据：{len(tables)}张表，每张有 CSV、Excel 用 CSV、JSON 和 Parquet 格式，"
                   "另有 Excel 工作簿、SQLite 数据库和规划原文；每个文件附大小和 SHA-256 校验和。许可 CC0。")
    jsonld = dataset_jsonld(ctx, name=pkg["title"], md_path=md, files=[f.path for f in d.files],
                            description=pkg["description"], temporal=years_covered(ctx))
    out = [page_meta(ctx, description, jsonld=jsonld)]
    out.append("# 数据下载\n")
    lic = (pkg.get("licenses") or [{}])[0]
    lic_zh = (lic.get("title") or lic.get("name", "")).split(" / ")[0]
    out.append(f"数据包“{esc(pkg['title'])}”，版本 {esc(pkg.get('version', ''))}，构建日期 {d.build_date.isoformat()}。"
               f"许可：{esc(lic_zh)}"
               + ("（" + "、".join(sorted(own)) + "除外：规划原文的印发机关未知，著作权状态见"
                  + link("原文页", md, "source.md") + "）" if (own := [r["name"] for r in d.descriptor["resources"]
                                                                     if r.get("licenses")]) else "")
               + f"。全部{len(all_files)}个文件都从本站下载，下面每个文件都附大小和 SHA-256 校验和。\n")
    zb, _ = extra_files[zip_name]
    out.append(f"**一次下载全部：**{ctx.download(md, zip_name, zip_name)}（{size(zb)}）\n")
    out.append("## 描述文件和校验和 {#package}\n")
    described = [("datapackage.json", "数据包描述文件（Frictionless Data Package v2）：每张表的字段说明、每个文件的大小和校验和"),
                 ("SHA256SUMS", "全部文件的 SHA-256 校验和"),
                 (zip_name, "全部文件的压缩包")]
    out.append("\n".join(file_item(ctx, md, p, what, *extra_files[p]) for p, what in described if p in extra_files) + "\n")
    out.append("下载后核对（在存放文件的目录中运行）：\n\n```sh\nsha256sum -c SHA256SUMS\n```\n")

    out.append("## 数据表 {#tables}\n")
    out.append("每张表四种格式：CSV（UTF-8）、带 BOM 的 CSV（用 Excel 直接打开不乱码）、JSON（对象数组）和 Parquet。"
               "字段说明在 datapackage.json 里，也在 Datasette 的表页上。\n")
    by_path = {f.path: f for f in d.files}
    for r in tables:
        name = r["name"]
        out.append(f"### {esc(r['title'])}（{name}） {{#{name.replace('_', '-')}}}\n")
        out.append(f"{esc(r['description'].splitlines()[0])} 共{r.get('rows', 0)}行。\n")
        items = []
        for sub, ext in (("csv", "csv"), ("csv-excel", "csv"), ("json", "json"), ("parquet", "parquet")):
            f = by_path[f"{sub}/{name}.{ext}"]
            items.append(file_item(ctx, md, f.path, SUB_ZH[sub], f.bytes, f.sha256))
        out.append("\n".join(items) + "\n")
    out.append("## 其他文件 {#other}\n")
    others = [f for f in d.files if f.path.count("/") == 0 or f.path.startswith("source/")]
    out.append("\n".join(file_item(ctx, md, f.path, f"{f.title}（{FORMAT_ZH.get(f.format, f.format)}）", f.bytes, f.sha256)
                         for f in others) + "\n")
    out.append(SQLITE_SEARCH_MD)
    out.append("## 如何引用 {#cite}\n")
    src = d.sources[0]  # the plan
    out.append("引用本数据：\n")
    where = f"{ctx.page_url(md)}，" if ctx.page_url(md) else ""
    out.append(f"> {PROJECT}：{esc(pkg['title'])}（数据包，版本 {esc(pkg.get('version', ''))}，"
               f"构建日期 {d.build_date.isoformat()}），{where}许可 {esc(lic.get('name', ''))}。\n")
    out.append("引用规划本身：\n")
    unknown = "、".join(w for k, w in (("issuer", "印发机关"), ("date", "印发日期"), ("document_number", "文号"), ("url", "网址"))
                       if src.get(k) is None)
    out.append(f"> 《{esc(src['title'])}》，全文（本项目获取的副本，见原文页）。"
               + (f"{unknown}：副本未载明，记为未知。" if unknown else "") + "\n")
    out.append("引用某个数字时，请同时给出它的段落编号（如“表1 第7行”），读者可以在原文页核对逐字引文。\n")
    if ctx.ds_db:
        out.append("## 在线查询 {#query}\n")
        out.append(f"不想下载？同样的数据可以在 Datasette 中浏览、筛选、用 SQL 查询并导出：{ext_link(ctx.ds_db, ctx.ds_db)}。"
                   f"用法见{link('API 说明', md, 'api.md')}。\n")
    ctx.write(md, "\n".join(out))


# --------------------------------------------------------------------------
# 原文
# --------------------------------------------------------------------------

# How to search the downloaded safety.db with stock SQLite (pipeline/datasette/plugins/chinese_search.py).
SQLITE_SEARCH_MD = """### 在下载的 SQLite 数据库里全文搜索 {#sqlite-search}

`safety.db` 的全文索引（`表名_fts`）用的是 SQLite 自带的 unicode61 分词器，不需要任何扩展；
Python 的 `sqlite3`、`sqlite3` 命令行和 DB Browser for SQLite 都能直接用。中文没有空格，
所以索引里存的是每一串连续的汉字、字母和数字的**相邻两字**，再加上这一串的最后一个字：
“道路交通”存为 `道路 路交 交通 通`（字母先转为小写，全角转为半角）。搜索时按同样的方法写：

| 要找 | MATCH 的写法 |
|---|---|
| 两个字以上，如“道路交通” | `'"道路 路交 交通"'`（相邻两字，按顺序，放在一对双引号里） |
| 一个字，如“死” | `'"死"*'` |
| 几个词都要出现 | `'"道路" AND "死亡"'` |
| 只在某一列里找 | `'party_name : ("燃气")'` |

```sql
SELECT p.passage_id, p.text
FROM passages_fts JOIN passages p ON p.rowid = passages_fts.rowid
WHERE passages_fts MATCH '"道路 路交 交通"'
ORDER BY passages_fts.rank;
```

不想拆字，也可以直接在原表上用 `instr(text, '道路') > 0`：结果相同，只是大表上要逐行读。
`表名_fts_pairs` 记着每个“相邻两字”出现在多少行里（`pair`、`row_count`），两个字的词有多少行含有它，
查这张表即可，不必数一遍所有匹配。
Datasette 的搜索框和 `?_search=` 会自动这样拆，输入原词即可（见 API 说明）。

"""

KIND_OF_SOURCE_ZH = {"plan": "规划", "statistical_bulletin": "统计公报", "work_report": "政府工作报告",
                     "evaluation": "评估报告", "other": "其他文件"}


def sources_pages(ctx: Context) -> None:
    """One page per source's text: the plan's at source.md (published), the rest at sources/<id>.md,
    and an index of them all at sources/index.md."""
    for row in ctx.data.sources:
        source(ctx, row)
    d, md = ctx.data, "sources/index.md"
    out = [page_meta(ctx, f"本站的数字引自的{len(d.sources)}份来源文件，每份都有全文和段落编号。")]
    out.append("# 来源文件\n")
    out.append(f"本站的数字引自下面{len(d.sources)}份文件。每份的全文按获取时的原样保存，按段落编号，可以逐字核对；"
               f"不知道的（印发机关、日期、网址等）写明未知。怎样登记新的文件，见{link('方法说明', md, 'methodology.md#new-source')}。\n")
    out.append(table(["文件", "类型", "日期", "印发机关"], [
        [link(r["title"], md, ctx.source_md(r["source_id"])), KIND_OF_SOURCE_ZH.get(r["kind"], esc(r["kind"])),
         str(r["date"]) if r["date"] else "未知", esc(r["issuer"]) if r["issuer"] else "未知"] for r in d.sources]))
    ctx.write(md, "\n".join(out))


def source(ctx: Context, src: dict) -> None:
    d = ctx.data
    sid, md = src["source_id"], ctx.source_md(src["source_id"])
    source_file = next(f for f in d.files if f.path == "source/" + src["path"].split("/")[-1])
    is_plan_text = md == "source.md"
    description = (f"《{src['title']}》全文，按段落编号；本站引用的规划数字都链接到这里的段落，可以逐字核对。" if is_plan_text else
                   f"《{src['title']}》全文，按段落编号；本站引自它的数字都链接到这里的段落。")
    out = [page_meta(ctx, description)]
    out.append(f"# 原文：{esc(src['title'])}\n")
    what = "规划全文" if src["kind"] == "plan" else f"{KIND_OF_SOURCE_ZH.get(src['kind'], '文件')}全文"
    out.append(f"下面是{what}，按获取时的原样分段（标点、错字都未改动，表格按行排列）。"
               f"每段前的编号是段落编号：本站和数据里的数字都引用这些编号，点击编号可得到该段的链接。"
               f"原文文件：{ctx.download(md, source_file.path, source_file.path.split('/')[-1])}"
               f"（{size(source_file.bytes)}，SHA-256 `{source_file.sha256}`）。"
               f"其他来源文件见{link('来源文件', md, 'sources/index.md')}。\n")
    passages = [p for p in d.passages if p["source_id"] == sid]
    if any(p["kind"] == "table_row" for p in passages):
        example = next(p for p in passages if p["kind"] == "table_row")
        out.append("表格的引文：原文文件里表格的每个单元格各占一行；本站把表格的一行当作一个段落"
                   f"（如 `{example['passage_id']}`），它的引文是这一行的各单元格按顺序以一个空格连接"
                   f"（如“{esc(example['text'])}”）。所以在原文文件里直接搜索整条表格引文是找不到的，要逐个单元格搜索。\n")
    label = {"issuer": "印发机关", "document_number": "文号", "date": "日期", "url": "网址", "retrieved_date": "获取日期"}
    unknown = [(k, src.get(f"{k}_note") if k != "retrieved_date" else src.get("retrieved_note"))
               for k in label if src.get(k) is None]
    known = [(k, src[k]) for k in label if src.get(k) is not None]
    if unknown or known:
        lines = [f"    - {label[k]}：{ext_link(v, v) if k == 'url' else esc(v)}" for k, v in known]
        lines += [f"    - {label[k]}：未知。{esc(zh_part(note))}" for k, note in unknown]
        if src.get("note_zh"):
            lines.append(f"    - 说明：{esc(src['note_zh'])}")
        out.append('!!! note "关于这份文件：知道的和不知道的"\n\n' + "\n".join(lines) + "\n")
    if src.get("licence_note_zh"):
        out.append(f"著作权：{esc(src['licence_note_zh'])}本站整理的数据以 CC0 发布，这份原文和它的段落表不在其内。\n")

    i = 0
    while i < len(passages):
        p = passages[i]
        pid, kind, text = p["passage_id"], p["kind"], p["text"]
        if kind == "heading":
            level = "##" if p["section"] is None else "###"
            out.append(f"{level} {esc(text)} {{#{pid}}}\n")
        elif kind == "table_caption":
            rows = []
            j = i + 1
            while j < len(passages) and passages[j]["kind"] in ("table_header", "table_row"):
                rows.append(passages[j])
                j += 1
            out.append(_source_table(p, rows))
            i = j
            continue
        elif kind in ("page_chrome", "title"):
            label_ = "网页栏目文字" if kind == "page_chrome" else "标题"
            out.append(f'<p class="passage passage--{kind}" id="{pid}"><a class="passage__id" href="#{pid}">{pid}</a> '
                       f'<span class="passage__label">{label_}：</span>{h(text)}</p>\n')
        else:
            out.append(f'<p class="passage" id="{pid}"><a class="passage__id" href="#{pid}">{pid}</a> {h(text)}</p>\n')
        i += 1
    ctx.write(md, "\n".join(out))


def zh_part(note: str | None) -> str:
    """The Chinese half of a bilingual note ("中文。English.")."""
    return re.match(r"[^A-Za-z]*", note or "").group(0).strip()


def _source_table(caption: dict, rows: list[dict]) -> str:
    """A table of the plan as HTML, one id per row (t1-r7), so quotes can link to their row."""
    header = next((r for r in rows if r["kind"] == "table_header"), None)
    head_cells = header["text"].split(" ") if header else []
    html_rows = []
    for r in rows:
        if r["kind"] != "table_row":
            continue
        cells = r["text"].split(" ")
        if head_cells and len(cells) != len(head_cells):
            cells = [r["text"]]
        tds = "".join(f"<td>{h(c)}</td>" for c in cells)
        html_rows.append(f'<tr id="{r["passage_id"]}"><td><a class="passage__id" href="#{r["passage_id"]}">'
                         f'{r["passage_id"]}</a></td>{tds}</tr>')
    thead = ""
    if header:
        ths = "".join(f"<th>{h(c)}</th>" for c in head_cells)
        thead = f'<thead><tr id="{header["passage_id"]}"><th>段落编号</th>{ths}</tr></thead>'
    cap_id = caption["passage_id"]
    return (f'<p class="passage passage--caption" id="{cap_id}"><a class="passage__id" href="#{cap_id}">{cap_id}</a> '
            f'<strong>{h(caption["text"])}</strong></p>\n\n'
            f'<div class="source-table"><table>{thead}<tbody>{"".join(html_rows)}</tbody></table></div>\n')


# --------------------------------------------------------------------------
# 更新记录: the hand-written page, with the current build appended
# --------------------------------------------------------------------------

def changelog(ctx: Context) -> None:
    d, md = ctx.data, "changelog.md"
    path = ctx.docs / md
    out = [path.read_text(encoding="utf-8").rstrip("\n") if path.is_file() else "# 更新记录"]
    out.append("\n## 数据发布 {#releases}\n")
    # releases.xml is written beside the pages after MkDocs runs: a plain relative link
    # (from changelog/), so it works wherever the site is published.
    out.append('每次带版本号的发布：日期、与上一版相比增删改了多少行、为什么。订阅：'
               '<a href="../releases.xml">releases.xml（Atom）</a>。\n')
    if not d.releases:
        out.append("还没有带版本号的发布；当前数据见下方“当前数据”。\n")
    for r in d.releases:
        out.append(f"### 版本 {esc(r['version'])}（{r['release_date']}） {{#v{r['version']}}}\n")
        counts = f"新增 {r['rows_added']} 行，删除 {r['rows_removed']} 行，改动 {r['rows_changed']} 行"
        prev = f"与 {esc(r['previous_version'])} 相比{counts}。" if r["previous_version"] else f"共 {r['rows_added']} 行。"
        out.append(f"{esc(r['summary_zh'])} {prev}\n")
    out.append("## 更正和异议 {#corrections}\n")
    out.append("已发布数值的每一次更正、对数据提出的每一件异议（无论是否改正），都记在这里，也在下载文件的 corrections 表中。"
               "个人提出的一律写作“公众”。\n")
    if not d.corrections:
        out.append("还没有更正或异议记录。\n")
    for c in d.corrections:
        change = (f"{esc(c['old_value'])} → {esc(c['new_value'])}" if c["old_value"] != c["new_value"]
                  else f"维持 {esc(c['old_value'])}")
        line = (f"- **{c['date']}** {esc(c['kind'])}（{esc(c['outcome'])}）：{esc(c['resource'])} "
                f"{esc(c['record_key'])} 的 {esc(c['field'])}，{change}。{esc(c['reason_zh'])} 提出：{esc(c['requested_by'])}。")
        if c["passage_id"]:
            line += f" {ctx.src(md, c['passage_id'])}"
        out.append(line)
    out.append("")
    counts = {r["name"]: r.get("rows", 0) for r in d.package["resources"] if r["type"] == "table"}
    out.append("## 当前数据 {#current}\n")
    out.append(f"- 数据包版本：{esc(d.package_version)}\n"
               f"- 构建日期：{d.build_date.isoformat()}（黑名单和行政处罚的公示期按这一天计算）\n"
               + "".join(f"- 《{esc(s['title'])}》全文 SHA-256：`{s['sha256']}`\n" for s in d.sources)
               + "- 各表行数：" + "，".join(f"{k} {v}" for k, v in counts.items()) + "\n")
    ctx.write(md, "\n".join(out))


# --------------------------------------------------------------------------
# API: the hand-written page, its example URLs pointed at this build's Datasette
# --------------------------------------------------------------------------

API_EXAMPLE_BASE = config.local_url(config.LOCAL_DATASETTE_PORT)  # the address site/api.md writes its examples with


def api(ctx: Context) -> None:
    """site/api.md writes its examples against the local `make serve` address, so a test can
    run every one of them.  The published page uses this build's DATASETTE_URL; without one
    it shows paths on the Datasette host instead of links to a guessed (or local) address."""
    path = ctx.docs / "api.md"
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8")
    if ctx.datasette:
        text = text.replace(API_EXAMPLE_BASE, ctx.datasette)
    else:
        text = re.sub(r"<" + re.escape(API_EXAMPLE_BASE) + r"([^>\s]*)>", r"`/\1`", text)
        text = re.sub(r"\[([^\]]*)\]\(" + re.escape(API_EXAMPLE_BASE) + r"([^)\s]*)\)", r"\1（`/\2`）", text)
        text = text.replace(API_EXAMPLE_BASE, "https://DATASETTE/")
        text = text.replace("<!-- datasette-address -->", '!!! note "本次构建没有设定 Datasette 的地址"\n\n'
                            "    下面的网址写成 Datasette 上的路径（如 `/safety/targets_missed`），"
                            "代码里写成 `https://DATASETTE/`：请换成实际部署的 Datasette 地址。\n", 1)
    text = text.replace("<!-- datasette-address -->\n", "", 1)
    ctx.write("api.md", text)

