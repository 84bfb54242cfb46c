"""Datasette metadata rendered from the package descriptor, the mart YAML and queries.yml.

Table and column titles and descriptions come from datasets/datapackage.json (package
tables) and pipeline/warehouse/sql/marts/*.yml (marts), through pipeline.registry.schemas,
the same function that decides what safety.db contains: metadata cannot describe a
column the database lacks, or miss one it has.  The table's units, facets,
sort, full-text columns and page come from pipeline/registry.yml; this module adds the links,
the saved queries and Datasette's settings.

The committed metadata.json (repository root) is this rendered without base URLs (so it
links nowhere it cannot know); a build renders its own with $SITE_URL and $DATASETTE_URL,
and `pipeline serve` one with its local addresses.  `python -m pipeline datasette-metadata`
rewrites the committed file and a test keeps it current.  Without a site URL, links to
the site are left out, never pointed at a guess.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import yaml

from pipeline import paths
from pipeline.datasette.config import HERE, datasette_url, site_url
from pipeline.publish.export import DB_NAME, datasette_orders
from pipeline.registry import SEARCH, TABLES
from pipeline.registry import schemas as table_schemas

METADATA_JSON = paths.ROOT / "metadata.json"
QUERIES_YML = HERE / "queries.yml"

SOURCE_PAGE = "source/"  # the plan's text, one anchor per passage_id
METHODOLOGY_PAGE = "methodology/"
# build_info is Datasette's own table (the build date and version), not an export: it is
# described here, beside the public tables of pipeline/registry.yml.
BUILD_INFO_PAGE = "changelog/"

# Answers kept in memory per Datasette process (the database is immutable).
RESPONSE_CACHE = {"max_mb": 64, "max_entry_kb": 1024}

BUILD_INFO = {
    "title": "构建信息", "title_en": "Build information",
    "description": "本数据库所依据的数据日期和数据包版本。公开的表（黑名单、行政处罚）都反映这一天的公示状态。\n"
                   "The date the data describes and the package version. The public tables (blacklist, penalties) show what was public on this day.",
    "schema": {"fields": [
        {"name": "build_date", "type": "date", "title": "数据日期", "title_en": "Build date",
         "description": "构建日期（中国时间），即公示状态的判断日期。\nBuild date (China time): the day public display is judged on."},
        {"name": "package_version", "type": "string", "title": "数据包版本", "title_en": "Package version",
         "description": "datapackage.json 中的版本号。\nVersion in datapackage.json."},
    ]},
}


def load_queries() -> dict:
    return yaml.safe_load(QUERIES_YML.read_text(encoding="utf-8"))


def _sql_text(value: str) -> str:
    return value.replace("'", "''")


def _bilingual(text: str) -> tuple[str, str]:
    """Descriptions are 'Chinese\\nEnglish'; returns the two parts."""
    zh, _, en = text.strip().partition("\n")
    return zh.strip(), en.strip()


def column_description(field: dict, unit: tuple[str, str] | None) -> str:
    zh, en = _bilingual(field.get("description", ""))
    title = field.get("title", field["name"])
    title_en = field.get("title_en", "")
    parts = [f"{title}（{title_en}）：{zh}" if title_en else f"{title}：{zh}"]
    if en:
        parts.append(en)
    kind = field.get("type")
    if unit:
        parts.append(f"单位 / unit: {unit[0]} ({unit[1]})" if unit[0] != unit[1] else f"单位 / unit: {unit[0]}")
    if kind == "date":
        parts.append("日期格式 / format: YYYY-MM-DD")
    if kind == "boolean":
        parts.append("1 = 是 / true, 0 = 否 / false")
    return " ".join(parts)


def _link(url: str, text: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(text)}</a>'


def _description_html(zh: str, en: str, links: list[tuple[str, str]]) -> str:
    out = f"<p>{html.escape(zh)}</p>"
    if en:
        out += f'<p lang="en">{html.escape(en)}</p>'
    if links:
        out += "<p>" + " · ".join(_link(u, t) for t, u in links) + "</p>"
    return out


def _on_site(site: str | None, path: str) -> str | None:
    return site + path if site else None


def table_page(name: str) -> str:
    """The site page presenting a table (relative to the site's address; "" is the home page)."""
    return BUILD_INFO_PAGE if name == "build_info" else TABLES[name].page


def table_metadata(name: str, info: dict, site: str | None) -> dict:
    zh, en = _bilingual(info["description"])
    table = TABLES.get(name)
    origin = table.origin if table else "project"  # build_info
    page = _on_site(site, table_page(name))
    title = f"{info['title']} / {info['title_en']}" if info.get("title_en") else info["title"]
    links = [("网站页面 / site page", page)]
    if origin == "agency":
        per_row = "source_url" in {f["name"] for f in info["schema"]["fields"]}
        source = ("机关公开的记录，每行见 source_url / records published by agencies (source_url per row)" if per_row else
                  "汇总自机关公开的记录 / summarised from records published by agencies")
        source_url = _on_site(site, METHODOLOGY_PAGE)
    elif origin == "external":
        source = "规划之外的国家文件，核对程度见每行 verification / national documents outside the plan (see verification per row)"
        source_url = page
    elif origin == "project":
        source, source_url = "本项目的构建与更正记录 / this project's build and correction records", page
    else:
        source, source_url = "南昌市安全生产“十三五”规划（原文，逐段编号）/ the plan's text, by passage", _on_site(site, SOURCE_PAGE)
        links.append(("原文 / source text", source_url))
    meta = {
        "title": title,
        "description": f"{zh}\n{en}".strip(),
        "description_html": _description_html(zh, en, [(t, u) for t, u in links if u]),
        "source": source,
    }
    if page:
        meta.update(about="网站页面 / site page", about_url=page)
    if source_url:
        meta["source_url"] = source_url
    units = table.units if table else {}
    meta["columns"] = {f["name"]: column_description(f, units.get(f["name"])) for f in info["schema"]["fields"]}
    if table and table.sort:
        direction, column = table.sort
        meta["sort_desc" if direction == "desc" else "sort"] = column
    if table and table.facets:
        meta["facets"] = list(table.facets)
    if name in SEARCH:
        meta["fts_table"] = f"{name}_fts"
        meta["fts_pk"] = "rowid"
    return meta


def query_metadata(name: str, q: dict, site: str | None, dsurl: str | None) -> dict:
    zh, en = _bilingual(q["description"])
    # Links in a query's output are on the Datasette host: without a configured address,
    # a root-relative path works there, and nothing is guessed.
    sql = q["sql"].replace("{{datasette_url}}", _sql_text(dsurl or "/"))
    page = _on_site(site, q["page"])
    meta = {
        "title": q["title"],
        "description": f"{zh}\n{en}",
        "description_html": _description_html(zh, en, [("网站页面 / site page", page)] if page else []),
        "sql": sql,
    }
    if page:
        meta.update(about="网站页面 / site page", about_url=page)
    if q.get("params"):
        meta["params"] = list(q["params"])
    return meta


def render_metadata(descriptor: dict | None = None, *, site: str | None = None, dsurl: str | None = None,
                    demo: bool = False, use_env: bool = True) -> dict:
    """The metadata dict for Datasette.  `site` and `dsurl` default to $SITE_URL and
    $DATASETTE_URL (unless `use_env` is false: the committed file ignores the environment);
    unset, the links that need them are left out."""
    descriptor = descriptor or json.loads(paths.PACKAGE.read_text(encoding="utf-8"))
    if use_env:
        site, dsurl = site_url(site), datasette_url(dsurl)
    else:
        site, dsurl = (site_url(site) if site else None), (datasette_url(dsurl) if dsurl else None)
    schemas = table_schemas(descriptor)
    schemas["build_info"] = BUILD_INFO
    licence = descriptor["licenses"][0]
    src = descriptor["sources"][0]
    zh, en = _bilingual(descriptor["description"])
    title = f"{descriptor['title']} / {descriptor['title_en']}"
    if demo:
        warn = "演示数据：行政处罚和黑名单记录全部虚构，不得引用。"
        warn_en = "DEMO: every penalty and blacklist record here is fictional; do not cite."
        title = "【演示·虚构数据 DEMO】" + title
        zh, en = f"{warn}{zh}", f"{warn_en} {en}"
    top_links = [(t, u) for t, u in (("网站 / site", site), ("API 说明 / how to query", _on_site(site, "api/")),
                                      ("原文 / source text", _on_site(site, SOURCE_PAGE))) if u]
    db_zh = ("每张表都可以筛选、排序、全文搜索，并导出为 CSV 或 JSON；预设查询回答常见问题，每个答案都有可引用的网址。"
             "黑名单和行政处罚只含数据日期（见 build_info 表）仍在公示期内的记录。")
    db_en = ("Every table can be filtered, sorted, searched and exported as CSV or JSON; saved queries answer common "
             "questions, each with a citable URL. The blacklist and penalties hold only records still public on the "
             "build date (see build_info).")
    database = {
        "title": ("【演示·虚构数据 DEMO】" if demo else "") + "全部表格与预设查询 / All tables and saved queries",
        "description": f"{db_zh}\n{db_en}",
        "description_html": _description_html(db_zh, db_en, [("API 说明 / how to query", site + "api/")] if site else []),
        # <table>_fts_pairs (export.write_search_index) is hidden by Datasette with <table>_fts
        "tables": {name: table_metadata(name, schemas[name], site) for name in [*TABLES, "build_info"]},
        "queries": {name: query_metadata(name, q, site, dsurl) for name, q in load_queries().items()},
        "plugins": {
            # pipeline/datasette/plugins/chinese_search.py: safety.db holds these tables' rows in
            # their pages' order (export._sqlite_order), so a searched page is read in rowid order;
            # and the number of rows holding each pair of characters (export.write_search_index)
            "nanchang-chinese-search": {
                "rowid_order": {name: list(orders) for name in SEARCH
                                if (orders := datasette_orders(name, schemas[name]["schema"].get("primaryKey") or []))},
                "pair_counts": list(SEARCH),
            },
        },
    }
    meta = {
        "title": title,
        "description": f"{zh}\n{en}",
        "description_html": _description_html(zh, en, top_links),
        "license": licence["name"],
        "license_url": licence["path"],
        "source": src["title"],
    }
    if site:
        meta.update(source_url=site + SOURCE_PAGE, about="网站 / site", about_url=site)
    return meta | {
        "databases": {DB_NAME: database},
        "plugins": {
            # pipeline/datasette/plugins/nanchang_links.py
            "nanchang-links": {"site_url": site, "source_page": SOURCE_PAGE},
            # pipeline/datasette/plugins/response_cache.py (max_mb 0 turns it off)
            "nanchang-response-cache": RESPONSE_CACHE,
        },
    }


def dumps(metadata: dict) -> str:
    return json.dumps(metadata, ensure_ascii=False, indent=2) + "\n"


def write_metadata(path: Path = METADATA_JSON, descriptor: dict | None = None, **kwargs) -> Path:
    """Render and write metadata.json (only when its content changed); returns the path."""
    text = dumps(render_metadata(descriptor, **kwargs))
    path = Path(path)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path
