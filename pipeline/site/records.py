"""Record pages: one page per enterprise and bounded list pages of penalties and 黑名单
entries, as many as the data has, written straight to HTML.

A city's 双公示 reaches thousands of records, a province's hundreds of thousands: the
pages MkDocs renders stay a fixed set (their size does not grow with the data), and every
page that exists because a record exists is written here.  They look exactly like the
others because they are the others: MkDocs renders one shell page (SHELL_MD) with markers
for title, description and content, and each record page is that shell with the markers
replaced, its body HTML written here with h() (every value HTML-escaped, no Markdown).
All record pages sit two folders deep (enterprises/<key>/, enforcement/<year>/,
blacklist/list-<n>/ ...), the shell's depth, so its relative links hold for every one.

    pages(data, ...)        -> the record pages: path, title, description, body
    write_shell(docs)       before MkDocs: the shell's Markdown
    render(site, pages)     after MkDocs: the pages from the shell; the shell removed;
                            the sitemap extended

Record pages are not in the site's search index (its size would grow with the data, and
every page loads it); the enterprise finder (assets/finder.js, finder_index) looks names
and codes up in small files fetched on demand instead.

Which records: exactly those of penalties_public and blacklist_public, the tables already
limited to the display period, so a record past its display date is on no page.
Natural persons get no page of their own: the law lets their penalties be shown by name
in the list of decisions, and a page per person would make a profile of them.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
import shutil
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import PipelineError
from pipeline.site.md import h, num

SHELL_MD = "enterprises/_shell.md"
SHELL_PATH = "enterprises/_shell/"
TITLE = "RECORDPAGETITLE7f3c"
DESCRIPTION = "RECORDPAGEDESCRIPTION7f3c"
BODY = "RECORDPAGEBODY7f3c"

ROWS_PER_PAGE = 100          # list pages: rows of a table
NAMES_PER_PAGE = 200         # enterprise directory pages
FINDER_SHARDS = 128          # bigram index files
FINDER_CHUNK = 500           # names per name file


@dataclass(frozen=True)
class RecordPage:
    path: str          # site path, two folders deep, ending with "/": enterprises/91360100XXXXXXXXXX/
    title: str         # plain text
    description: str   # plain text
    body: str          # HTML, every value escaped


# --------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------

def enterprise_key(uscc: str | None, registration_no: str | None = None, org_code: str | None = None,
                   name: str | None = None, category: str | None = None) -> str | None:
    """The stable key of an enterprise's page: its 统一社会信用代码; else its legacy
    registration number or organisation code; else a digest of its name.  Never the row
    order.  None for a natural person (no page of their own)."""
    if category == "自然人":
        return None
    if uscc:
        return uscc.upper()
    if registration_no:
        return f"reg-{registration_no}"
    if org_code:
        return f"org-{org_code.replace('-', '').upper()}"
    if name:
        return "n-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]
    return None


def enterprise_path(key: str) -> str:
    return f"enterprises/{key}/"


def authority_slug(authority: str) -> str:
    return "by-" + hashlib.sha256(authority.encode("utf-8")).hexdigest()[:10]


@functools.lru_cache(maxsize=None)
def _pinyin(ch: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(ch, style=Style.NORMAL, errors="default")[0].lower()


def sort_key(name: str) -> str:
    """Names in pinyin order, as a Chinese reader looks them up: character by character (a
    few thousand names share a few hundred characters, so each is looked up once; a
    polyphonic character takes its most common reading, which is fine for an ordering)."""
    return " ".join(_pinyin(ch) for ch in name) + " " + name


def in_directory_order(ents: list[dict]) -> list[dict]:
    return sorted(ents, key=lambda e: (sort_key(e["name"]), e["key"]))


# --------------------------------------------------------------------------
# HTML pieces (the same elements and classes MkDocs-Material writes)
# --------------------------------------------------------------------------

def heading(level: int, text: str, anchor: str) -> str:
    return (f'<h{level} id="{h(anchor)}">{h(text)}<a class="headerlink" href="#{h(anchor)}" '
            f'title="Permanent link">&para;</a></h{level}>')


def html_table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A table; cells are HTML already (escape them with h())."""
    head = "".join(f'<th{" align=right" if i in numeric else ""}>{c}</th>' for i, c in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td{" align=right" if i in numeric else ""}>{c}</td>' for i, c in enumerate(r))
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def a(text: str, href: str) -> str:
    return f'<a href="{h(href)}">{h(text)}</a>'


def rel_from_record(target: str) -> str:
    """A link from a record page (two folders deep) to a site path: ../../<target>."""
    return "../../" + target


def pager(base: str, n: int, total: int, label: str) -> str:
    """Plain links to the other pages of a list (works without JavaScript)."""
    if total <= 1:
        return ""
    links = []
    for k in range(1, total + 1):
        path = page_path(base, k)
        links.append(f"<strong>{k}</strong>" if k == n else a(str(k), rel_from_record(path)))
    return (f'<nav class="record-pager" aria-label="{h(label)}分页">{h(label)}：第{n}页，共{total}页　'
            + " ".join(links) + "</nav>")


def page_path(base: str, k: int) -> str:
    """enforcement/2024 -> enforcement/2024/ (page 1), enforcement/2024-2/ (page 2) ..."""
    return f"{base}/" if k == 1 else f"{base}-{k}/"


def chunks(rows: list, size: int) -> list[list]:
    return [rows[i:i + size] for i in range(0, len(rows), size)] or [[]]


# --------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------

PENALTY_HEADER = ["处罚决定日期", "行政相对人", "违法行为", "处罚类别", "罚款（万元）", "处罚机关", "决定书文号", "公示截止"]


def public_until(p: dict) -> str:
    if p["publicity_until"]:
        return str(p["publicity_until"])
    decided = p["decision_date"]
    try:
        latest = decided.replace(year=decided.year + 3)
    except ValueError:  # 29 February
        latest = decided.replace(year=decided.year + 3, day=28)
    return f"未定（最迟{latest}）"


def penalty_cells(p: dict, link_party: bool = True) -> list[str]:
    key = enterprise_key(p["uscc"], p["registration_no"], p["org_code"], p["party_name"], p["party_category"])
    party = (a(p["party_name"], rel_from_record(enterprise_path(key))) if key and link_party else h(p["party_name"]))
    return [h(p["decision_date"]), party, h(p["violation_type"]), h((p["penalty_category"] or "").replace(";", "、")),
            h(num(p["fine_amount_wan"], "—")), h(p["authority"]), h(p["decision_number"]), h(public_until(p))]


def enterprises(penalties: list[dict], blacklist: list[dict]) -> dict[str, dict]:
    """key -> {name, uscc, category, penalties, blacklist}: every enterprise with a record on display."""
    out: dict[str, dict] = {}
    for p in penalties:
        key = enterprise_key(p["uscc"], p["registration_no"], p["org_code"], p["party_name"], p["party_category"])
        if key:
            e = out.setdefault(key, {"key": key, "name": p["party_name"], "uscc": p["uscc"], "category": p["party_category"],
                                     "registration_no": p["registration_no"], "penalties": [], "blacklist": []})
            e["penalties"].append(p)
    for b in blacklist:
        key = enterprise_key(b["uscc"], name=b["enterprise_name"])
        if key:
            e = out.setdefault(key, {"key": key, "name": b["enterprise_name"], "uscc": b["uscc"], "category": "法人及非法人组织",
                                     "registration_no": None, "penalties": [], "blacklist": []})
            e["blacklist"].append(b)
    return out


def enterprise_page(e: dict, build_date: str, datasette_url: str | None, regime_words) -> RecordPage:
    name = e["name"]
    ids = [f"统一社会信用代码 {e['uscc']}" if e["uscc"] else None,
           f"注册号 {e['registration_no']}" if e.get("registration_no") and not e["uscc"] else None]
    ids = [i for i in ids if i]
    np_, nb = len(e["penalties"]), len(e["blacklist"])
    description = (f"{name}：截至{build_date}，本站收录的公示期内行政处罚{np_}条，"
                   + (f"黑名单公示期内条目{nb}条。" if nb else "不在本站收录的公示期内黑名单上。"))
    out = [(f"<p>{h('；'.join(ids + [e['category'] or '']))}。数据日期：{h(build_date)}。"
           f"本页只列出本站收录的、仍在公示期内的记录；公示期满的记录依规定撤下，不在本页。</p>")]
    out.append(heading(2, f"行政处罚（{np_}条）", "penalties"))
    if e["penalties"]:
        rows = [penalty_cells(p, link_party=False) for p in sorted(e["penalties"], key=lambda p: str(p["decision_date"]),
                                                                    reverse=True)]
        out.append(html_table(PENALTY_HEADER, rows, {4}))
    else:
        out.append("<p>本站收录的公示期内处罚决定中没有该单位。这不代表该单位没有受过处罚。</p>")
    out.append(heading(2, f"黑名单（{nb}条）", "blacklist"))
    if e["blacklist"]:
        for b in e["blacklist"]:
            left = "今天是公示的最后一天" if b["days_left"] == 0 else f"还剩{b['days_left']}天"
            items = [("列入情形", b["listing_situation"]), ("列入依据", b["legal_basis"]),
                     ("适用规定", regime_words(b["regime"])), ("作出决定机关", b["deciding_authority"]),
                     ("列入日期", str(b["listing_date"])), ("公示截止", f"{b['display_until']}（{left}）"),
                     ("列入决定书文号", b.get("listing_decision_number")),
                     ("相关行政处罚决定书文号", b.get("penalty_decision_number")),
                     ("救济期限和途径", b.get("remedy") or "记录中未载明")]
            out.append("<ul>" + "".join(f"<li>{h(k)}：{h(v)}</li>" for k, v in items if v) + "</ul>")
    else:
        out.append("<p>不在本站收录的公示期内名单上。公示期满或已移出的条目依规定不再公开名称，所以这也不代表该单位从未被列入。</p>")
    out.append(heading(2, "查询和来源", "data"))
    links = [a("执法", rel_from_record("enforcement/")), a("全部单位", rel_from_record("enterprises/")),
             a("黑名单", rel_from_record("blacklist/"))]
    if datasette_url:
        from urllib.parse import urlencode

        q = e["uscc"] or name
        links.append(f'<a href="{h(datasette_url)}safety/enterprise_history?{h(urlencode({"q": q}))}" '
                     f'rel="nofollow noopener">在 Datasette 中查询该单位的记录</a>')
    out.append("<p>" + " · ".join(links) + "</p>")
    return RecordPage(enterprise_path(e["key"]), name, description, "\n".join(out))


def list_pages(base: str, title: str, intro: str, penalties: list[dict]) -> list[RecordPage]:
    """A list of penalties in pages of ROWS_PER_PAGE, newest first, with a pager."""
    parts = chunks(penalties, ROWS_PER_PAGE)
    pages = []
    for k, rows in enumerate(parts, start=1):
        nav = pager(base, k, len(parts), title)
        body = (f"<p>{h(intro)}</p>{nav}"
                + html_table(PENALTY_HEADER, [penalty_cells(p) for p in rows], {4}) + nav
                + f"<p>{a('返回执法页', rel_from_record('enforcement/'))} · {a('全部单位', rel_from_record('enterprises/'))}</p>")
        suffix = f"（第{k}页）" if len(parts) > 1 else ""
        pages.append(RecordPage(page_path(base, k), title + suffix, f"{intro}{suffix}", body))
    return pages


def directory_pages(ents: list[dict]) -> list[RecordPage]:
    """The enterprise directory in pinyin order, NAMES_PER_PAGE a page: enterprises/list-<n>/."""
    ordered = in_directory_order(ents)
    parts = chunks(ordered, NAMES_PER_PAGE)
    pages = []
    for k, rows in enumerate(parts, start=1):
        items = "".join(f"<li>{a(e['name'], rel_from_record(enterprise_path(e['key'])))}"
                        f"（处罚{len(e['penalties'])}条" + ("，黑名单" if e["blacklist"] else "") + "）</li>" for e in rows)
        nav = pager("enterprises/list", k, len(parts), "单位名录")
        body = (f"<p>按名称拼音排序。{a('返回单位名录首页', rel_from_record('enterprises/'))}</p>{nav}<ul>{items}</ul>{nav}")
        first, last = rows[0]["name"], rows[-1]["name"]
        pages.append(RecordPage(page_path("enterprises/list", k), f"单位名录（第{k}页）",
                                f"单位名录第{k}页：{first}至{last}", body))
    return pages


def directory_ranges(ents: list[dict]) -> list[tuple[str, str, str]]:
    """(path, first name, last name) of each directory page, for the index page."""
    ordered = in_directory_order(ents)
    return [(page_path("enterprises/list", k), rows[0]["name"], rows[-1]["name"])
            for k, rows in enumerate(chunks(ordered, NAMES_PER_PAGE), start=1) if rows]


def blacklist_pages(entries: list[dict], regime_words) -> list[RecordPage]:
    parts = chunks(entries, ROWS_PER_PAGE)
    pages = []
    header = ["单位", "统一社会信用代码", "列入情形", "适用规定", "作出决定机关", "列入日期", "公示截止"]
    for k, rows in enumerate(parts, start=1):
        cells = [[a(b["enterprise_name"], rel_from_record(enterprise_path(enterprise_key(b["uscc"], name=b["enterprise_name"])))),
                  h(b["uscc"]), h(b["listing_situation"]), h(regime_words(b["regime"])), h(b["deciding_authority"]),
                  h(b["listing_date"]), h(b["display_until"])] for b in rows]
        nav = pager("blacklist/list", k, len(parts), "公示期内的名单")
        body = (f"<p>公示期内的全部条目，按列入日期从新到旧。{a('返回黑名单页', rel_from_record('blacklist/'))}</p>"
                f"{nav}{html_table(header, cells)}{nav}")
        pages.append(RecordPage(page_path("blacklist/list", k), f"黑名单：公示期内的条目（第{k}页）",
                                f"安全生产黑名单公示期内的条目，第{k}页，共{len(parts)}页。", body))
    return pages


# --------------------------------------------------------------------------
# Finder: enterprise names and codes, looked up in small files fetched on demand
# --------------------------------------------------------------------------

def finder_text(name: str, code: str | None) -> str:
    """What the finder matches: NFKC, no whitespace, ASCII upper-case (the JS does the same)."""
    text = unicodedata.normalize("NFKC", f"{name}{code or ''}")
    return re.sub(r"\s+", "", text).upper()


def bigram_hash(bigram: str) -> int:
    """djb2 over UTF-16 code units, as finder.js computes it."""
    data = bigram.encode("utf-16-le")
    v = 5381
    for i in range(0, len(data), 2):
        v = ((v * 33) + int.from_bytes(data[i:i + 2], "little")) & 0xFFFFFFFF
    return v % FINDER_SHARDS


def finder_index(ents: list[dict]) -> dict[str, bytes]:
    """path under the site -> file: enterprises/find/n-<k>.json (names), b-<h>.json (bigrams)."""
    ordered = in_directory_order(ents)
    files: dict[str, bytes] = {}
    postings: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for i, e in enumerate(ordered):
        text = finder_text(e["name"], e["uscc"])
        for bg in dict.fromkeys(text[j:j + 2] for j in range(len(text) - 1)):
            postings[bigram_hash(bg)].setdefault(bg, []).append(i)
    for k, part in enumerate(chunks(ordered, FINDER_CHUNK)):
        names = [[e["key"], e["name"], e["uscc"] or ""] for e in part]
        files[f"enterprises/find/n-{k}.json"] = json.dumps(names, ensure_ascii=False, separators=(",", ":")).encode()
    for shard in range(FINDER_SHARDS):
        files[f"enterprises/find/b-{shard}.json"] = json.dumps(postings.get(shard, {}), ensure_ascii=False,
                                                               separators=(",", ":")).encode()
    files["enterprises/find/meta.json"] = json.dumps(
        {"count": len(ordered), "chunk": FINDER_CHUNK, "shards": FINDER_SHARDS}).encode()
    return files


# --------------------------------------------------------------------------
# Rendering from the shell
# --------------------------------------------------------------------------

def write_shell(docs: Path) -> None:
    p = docs / SHELL_MD
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(f"---\ntitle: {TITLE}\ndescription: {DESCRIPTION}\nsearch:\n  exclude: true\n---\n\n{BODY}\n",
                 encoding="utf-8")


class ShellError(PipelineError, RuntimeError):
    """The rendered shell lacks a marker: the theme changed; record pages cannot be written."""


def render(site: Path, pages: list[RecordPage], extra_files: dict[str, bytes], site_url: str | None) -> int:
    """Write every record page from the rendered shell; remove the shell; add the pages to the
    sitemap.  Returns how many pages were written."""
    shell_file = site / SHELL_PATH / "index.html"
    shell = shell_file.read_text(encoding="utf-8")
    body_marker = f"<p>{BODY}</p>"
    for marker in (TITLE, DESCRIPTION, body_marker):
        if marker not in shell:
            raise ShellError(f"site: the rendered shell {SHELL_PATH} has no {marker!r}; record pages not written")
    before, after = shell.split(body_marker, 1)
    seen: set[str] = set()
    for page in pages:
        if page.path in seen or page.path.count("/") != 2:
            raise ShellError(f"site: record page {page.path!r} is repeated or not two folders deep")
        seen.add(page.path)
        if "<script" in page.body.lower():
            raise ShellError(f"site: record page {page.path} holds a script")
        title, desc = h(page.title), h(page.description)
        html = (before.replace(TITLE, title).replace(DESCRIPTION, desc).replace(SHELL_PATH, page.path)
                + page.body
                + after.replace(TITLE, title).replace(DESCRIPTION, desc).replace(SHELL_PATH, page.path))
        out = site / page.path / "index.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(html, encoding="utf-8")
    for rel, data in extra_files.items():
        out = site / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    shutil.rmtree(site / SHELL_PATH)
    _sitemap(site, [p.path for p in pages], site_url)
    return len(pages)


def _sitemap(site: Path, paths: list[str], site_url: str | None) -> None:
    """Drop the shell from MkDocs' sitemap and add the record pages (same lastmod)."""
    xml_path = site / "sitemap.xml"
    if not site_url or not xml_path.is_file():
        return
    xml = xml_path.read_text(encoding="utf-8")
    xml = re.sub(r"\s*<url>\s*<loc>[^<]*" + re.escape(SHELL_PATH) + r"</loc>.*?</url>", "", xml, flags=re.DOTALL)
    lastmod = re.search(r"<lastmod>([^<]+)</lastmod>", xml)
    stamp = f"\n         <lastmod>{lastmod.group(1)}</lastmod>" if lastmod else ""
    entries = "".join(f"\n    <url>\n         <loc>{h(site_url + p)}</loc>{stamp}\n    </url>" for p in paths)
    xml = xml.replace("</urlset>", entries + "\n</urlset>")
    xml_path.write_text(xml, encoding="utf-8")
    gz = site / "sitemap.xml.gz"
    if gz.exists():
        gz.write_bytes(gzip.compress(xml.encode("utf-8"), mtime=0))
