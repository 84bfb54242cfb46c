"""Small, pure helpers for writing Markdown: escaping, tables, links, front matter.

Links are written relative to the Markdown file that contains them (`../source.md#t1-r7`),
as any Markdown site generator resolves them; MkDocs checks every one in strict mode.

Text from agencies reaches pages only through one of these, each right for its context:

    esc(text)        Markdown text: paragraphs, list items, table cells, headings
    h(text)          raw HTML: element content and double-quoted attribute values
    ext_link(t, u)   a link to another site: raw HTML <a>, only for http(s) URLs
    json_script(v)   JSON inside <script type="application/ld+json">

esc() backslash-escapes every character Python-Markdown treats as syntax (its
ESCAPED_CHARS) and writes "?" and ":" as entities (pymdownx.details, def_list), so `{: onfocus=… }` (attr_list), `[x](javascript:…)`, `![`, `*[abbr]:`
and `|` stay text; `<` and `&` are HTML-escaped first.  A Content-Security-Policy on every
page (pipeline/site/csp.py) is the second wall: no inline handler could run even so.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

import yaml

from pipeline.numerals import plain

# Python-Markdown's ESCAPED_CHARS (with the tables extension's "|"): a backslash before any
# of these makes it literal.  ">" never reaches here unescaped (html.escape runs first).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")
# C0/C1 controls and the zero-width/bidi marks that can hide or reorder text on a page.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def esc(text: object) -> str:
    """Text safe inside Markdown (paragraphs, list items, table cells, headings):
    HTML-escaped, every Markdown syntax character backslash-escaped, newlines folded into
    spaces, control and invisible characters removed."""
    if text is None:
        return ""
    s = _INVISIBLE.sub("", str(text))
    s = html.escape(s, quote=False)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    # Not in ESCAPED_CHARS, yet syntax of enabled extensions: "???" opens a pymdownx.details
    # block and ":" after a line starts a def_list definition; as entities they are text.
    s = s.replace("?", "&#63;").replace(":", "&#58;")
    return re.sub(r"\s*\n\s*", " ", s).strip()


def h(text: object) -> str:
    """Text safe inside raw HTML element content and double-quoted attribute values."""
    return html.escape(_INVISIBLE.sub("", "" if text is None else str(text)), quote=True)


def safe_url(url: object) -> str | None:
    """An absolute http(s) URL fit for an href, or None.  Anything else (javascript:,
    data:, relative, with spaces, quotes or angle brackets) is refused rather than
    repaired: validation already rejects such URLs, this is the second check."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or _URL_BAD.search(url):
        return None
    return url


_URL_BAD = re.compile(r"[\s<>\"'`{}|\\^\x00-\x1f\x7f]")


def json_script(value: object) -> str:
    """JSON for a <script type="application/ld+json"> block: "<", ">" and "&" as \\u escapes,
    so no string inside can close the script or open a comment."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


num = plain  # a number as the plan writes it (pipeline.numerals.plain: pages, charts and SQL agree)


def signed_num(v: float | None) -> str:
    """+5 / −14 / 0 (true minus sign)."""
    if v is None:
        return "—"
    return f"+{num(v)}" if v > 0 else (f"−{num(abs(v))}" if v < 0 else "0")


def signed_pct(v: float | None) -> str:
    """+2.3% / −6.4% (true minus sign)."""
    if v is None:
        return "—"
    text = num(abs(v))
    return f"+{text}%" if v > 0 else (f"−{text}%" if v < 0 else "0%")


def size(n: int) -> str:
    """Bytes for people: 1.2 MB, 48 KB, 312 B (1 KB = 1000 B)."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.0f} KB" if n >= 10_000 else f"{n / 1_000:.1f} KB"
    return f"{n} B"


def rel(from_md: str, to: str) -> str:
    """Link from the Markdown file `from_md` to docs path `to` (both relative to the
    docs root; `to` may carry #anchor or ?query)."""
    path, sep, rest = to.partition("#")
    start = posixpath.dirname(from_md) or "."
    target = posixpath.relpath(path, start) if path else ""
    return target + (sep + rest if sep else "")


def link(text: str, from_md: str, to: str) -> str:
    return f"[{esc(text)}]({rel(from_md, to)})"


def ext_link(text: str, url: str) -> str:
    """A link to another site (Datasette, an agency's page) as raw HTML: the URL is checked
    (http/https only) and attribute-escaped, the text HTML-escaped.  A URL that fails the
    check is shown as text, never linked."""
    ok = safe_url(url)
    if ok is None:
        return esc(text)
    return f'<a href="{h(ok)}" rel="nofollow noopener">{h(text)}</a>'


def table(header: Sequence[str], rows: Iterable[Sequence[object]], align: Sequence[str] | None = None) -> str:
    """A Markdown table. Cells are used as given (escape them with esc() first);
    `align` per column: 'l', 'r' or 'c'."""
    align = align or ["l"] * len(header)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    for r in rows:
        cells = [str(c) if c not in (None, "") else "—" for c in r]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def front_matter(meta: dict) -> str:
    """YAML front matter; keys in the given order, Chinese kept readable."""
    body = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False)
    return f"---\n{body}---\n\n"


STATUS_CLASS = {"达成": "met", "未达成": "missed", "无法判断": "indeterminate", "无数据": "nodata"}


def status_badge(status_zh: str) -> str:
    """The status as words in a coloured label (the words carry the meaning)."""
    return f'<span class="status status--{STATUS_CLASS.get(status_zh, "nodata")}">{h(status_zh)}</span>'


def quote_block(quote: str, source_link: str) -> str:
    """A verbatim quote with its source passage link under it."""
    return f"> {esc(quote)}\n>\n> —— {source_link}\n"
