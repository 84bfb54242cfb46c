"""What every page writer shares: the data, where pages go, and how to link out."""

from __future__ import annotations

import datetime as dt
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import yaml

from pipeline.paths import ROOT
from pipeline.publish.export import DB_NAME
from pipeline.site.data import SiteData
from pipeline.site.figures import Figure
from pipeline.site.md import esc, ext_link, rel

QUERIES_YML = ROOT / "pipeline" / "datasette" / "queries.yml"


def saved_queries(path: Path = QUERIES_YML) -> dict[str, dict]:
    """Datasette's saved queries {name: {title, page}}, from the file Datasette's metadata
    is rendered from; each query names the site page that explains it, and that page
    links back.  No file yet: no query links."""
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {name: {"title": str(q.get("title", name)).split(" / ")[0], "page": q.get("page", "")}
            for name, q in raw.items() if isinstance(q, dict)}


def _page_dir(md_path: str) -> str:
    """The directory a page is served from (directory URLs): index.md -> '', a/b.md -> a/b/,
    a/index.md -> a/."""
    stem = md_path.removesuffix(".md")
    if stem == "index":
        return ""
    return stem.removesuffix("index") if stem.endswith("/index") else stem + "/"


def dir_url(from_md: str, to_md: str) -> str:
    """Relative URL from one built page to another (both given as Markdown paths)."""
    start, target = _page_dir(from_md), _page_dir(to_md)
    rel_path = posixpath.relpath(target or ".", start or ".")
    return "./" if rel_path == "." else rel_path + "/"


def zh_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass
class Context:
    data: SiteData
    docs: Path                 # the Markdown tree being written (staging/site-src)
    site_url: str | None       # absolute, ends with /; None when not configured (no absolute URLs)
    datasette: str | None      # absolute, ends with /; None when not configured (no Datasette links)
    demo: bool = False
    chart_cache: Path | None = None   # rendered charts kept between builds (build/.cache/charts)
    queries: dict[str, dict] = field(default_factory=dict)
    figures: dict[str, Figure] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    _passages: dict | None = None

    # -- writing -------------------------------------------------------------
    def write(self, md_path: str, text: str) -> None:
        p = self.docs / md_path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
        self.written.append(md_path)

    # -- links ---------------------------------------------------------------
    def page_url(self, md_path: str) -> str | None:
        """Absolute URL of a page (directory URLs: indicators/x.md -> indicators/x/);
        None when the site's address is not configured."""
        if not self.site_url:
            return None
        stem = md_path.removesuffix(".md")
        if stem == "index":
            return self.site_url
        stem = stem.removesuffix("/index")
        return f"{self.site_url}{stem}/"

    def abs_url(self, docs_path: str) -> str | None:
        return self.site_url + docs_path if self.site_url else None

    def ds_table(self, table: str, **params) -> str | None:
        """A table or saved query in Datasette; None when Datasette's address is not configured."""
        if not self.datasette:
            return None
        url = f"{self.datasette}{DB_NAME}/{quote(table)}"
        return url + (f"?{urlencode(params)}" if params else "")

    @property
    def ds_db(self) -> str | None:
        return f"{self.datasette}{DB_NAME}" if self.datasette else None

    def passage(self, passage_id: str) -> dict:
        if self._passages is None:
            self._passages = {p["passage_id"]: p for p in self.data.passages}
        try:
            return self._passages[passage_id]
        except KeyError:
            raise KeyError(f"site: no passage {passage_id!r} (cited but not in passages)") from None

    def source_md(self, source_id: str) -> str:
        """The page of a source's text: the plan's (its passage ids carry no prefix) is
        source.md, as published; every other source's is sources/<id>.md."""
        row = next((s for s in self.data.sources if s["source_id"] == source_id), None)
        return "source.md" if row is None or not row["passage_id_prefix"] else f"sources/{source_id}.md"

    def source_title(self, source_id: str) -> str:
        row = next((s for s in self.data.sources if s["source_id"] == source_id), None)
        return row["title"] if row else source_id

    def src(self, from_md: str, passage_id: str, label: str | None = None) -> str:
        """Markdown link to a passage on its source's page: [原文 表1 第7行](source.md#t1-r7).
        A passage of a source other than the plan is labelled with that source's title."""
        p = self.passage(passage_id)
        page = self.source_md(p["source_id"])
        if label is None:
            label = f"原文 {p['locator_zh']}" if page == "source.md" else f"{self.source_title(p['source_id'])} {p['locator_zh']}"
        return f"[{esc(label)}]({rel(from_md, page + '#' + passage_id)})"

    def passage_href(self, from_md: str, passage_id: str) -> str:
        """The built URL of a passage, relative to the built page of `from_md`, for raw HTML
        (an SVG link) that MkDocs does not rewrite: indicators/x.md -> ../../source/#t1-r7."""
        p = self.passage(passage_id)
        return dir_url(from_md, self.source_md(p["source_id"])) + "#" + passage_id

    def download(self, from_md: str, data_path: str, label: str) -> str:
        """Link to a file of the data package, served from downloads/ on this site."""
        return f"[{esc(label)}]({rel(from_md, 'downloads/' + data_path)})"

    def query_links(self, page: str) -> list[str]:
        """Markdown links to the saved Datasette queries that this page explains."""
        if not self.datasette:
            return []
        return [ext_link(q["title"], self.ds_table(name)) for name, q in self.queries.items() if q["page"] == page]
