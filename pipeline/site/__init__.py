"""The public site: Markdown and assets generated from the warehouse, rendered by MkDocs.

    build_site(con, descriptor, staging, on_date, demo=False)

1. load inputs    every figure the pages show, read from the warehouse (data.py), and the
                  exports under staging/data with their checksums
2. write pages    staging/site-src/ = a copy of the hand-written site/ + generated Markdown
                  (pages.py) + charts as inline SVG, PNG, SVG and Vega-Lite JSON (plots.py)
                  + downloads/ (the exports, hard-linked: served from this origin)
3. render         MkDocs (strict) -> staging/site/, with SOURCE_DATE_EPOCH taken from the
                  build date, so the same inputs on the same date give byte-identical output;
                  then a Content-Security-Policy meta tag on every page (csp.py)

The pipeline writes plain Markdown and files only; MkDocs is just the renderer (no plugin
generates pages), so another static-site engine could render staging/site-src as well.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipeline import config, paths
from pipeline.errors import SiteBuildError
from pipeline.files import sha256_file
from pipeline.site import (
    csp,
    enforcement,
    home,
    indicators,
    pages,
    plans,
    plots,
    records,
)
from pipeline.site.context import Context, saved_queries
from pipeline.site.data import load

HAND_WRITTEN = paths.ROOT / "site"
MKDOCS_YML = paths.ROOT / "mkdocs.yml"

#: Shown on every page of the demo build (and never present in a production build).
DEMO_BANNER = ("演示站点：处罚和黑名单记录，以及标有“示例（虚构）”的统计公报、年鉴和规划中的数字和据此作出的判断，"
               "均为虚构示例，不是真实数据。")
#: Strings that only fictional fixture data contains; the production build must hold none.
FICTIONAL_MARKERS = ("虚构", "example.invalid")


def build_site(con: duckdb.DuckDBPyConnection, descriptor: dict, staging: Path, on_date: dt.date,
               demo: bool = False, cache: Path | None = None) -> None:
    started = time.perf_counter()
    staging = Path(staging)
    docs, out, data_dir = staging / "site-src", staging / "site", staging / "data"

    # -- load inputs ---------------------------------------------------------------------
    data = load(con, descriptor, data_dir)
    if data.build_date != on_date:
        raise SiteBuildError(f"site: warehouse build date {data.build_date} is not the build date {on_date}")
    penalties_collected = con.execute("SELECT count(*) FROM stg_penalties").fetchone()[0]
    blacklist_collected = con.execute("SELECT count(*) FROM stg_blacklist").fetchone()[0]

    # -- write pages ---------------------------------------------------------------------
    if docs.exists():
        shutil.rmtree(docs)
    shutil.copytree(HAND_WRITTEN, docs)
    extra_files = link_downloads(data_dir, docs / "downloads")
    ctx = Context(data=data, docs=docs, site_url=config.site_url(), datasette=config.datasette_url(),
                  demo=demo, queries=saved_queries(), chart_cache=cache / "charts" if cache else None)
    for name, url in (("SITE_URL", ctx.site_url), ("DATASETTE_URL", ctx.datasette)):
        if url is None:
            print(f"  site: {name} 未设置，页面不含依赖它的绝对网址 / not set: the pages leave out the absolute URLs "
                  "that need it")
        elif config.is_local(url) and not demo:
            print(f"  site: {name}={url} 是本机地址，只适合本机预览，不要发布 / a local address: preview only, do not publish")
    stages: dict[str, float] = {}
    t = time.perf_counter()
    plots.build_all(ctx)
    stages["charts"] = time.perf_counter() - t
    t = time.perf_counter()
    home.home(ctx)
    for plan in data.plans:
        plans.plan_page(ctx, plan)
    plans.plans_index(ctx)
    plans.gaps_page(ctx)
    indicators.indicators_index(ctx)
    for iid in data.indicators:
        indicators.indicator_page(ctx, iid)
    enforcement.enforcement(ctx, penalties_collected)
    enforcement.blacklist(ctx, blacklist_collected)
    enforcement.enterprises_index(ctx)
    record_pages, finder_files = enforcement.record_pages(ctx)
    records.write_shell(docs)
    pages.downloads(ctx, extra_files)
    pages.sources_pages(ctx)
    pages.changelog(ctx)
    pages.api(ctx)
    sitemap = f"\nSitemap: {ctx.site_url}sitemap.xml\n" if ctx.site_url else ""
    (docs / "robots.txt").write_text("User-agent: *\n" + ("Disallow: /\n" if demo else f"Allow: /\n{sitemap}"),
                                     encoding="utf-8")

    # -- render --------------------------------------------------------------------------
    share = home.share_figure(ctx)
    # Nav titles are printed as HTML by the theme: a plan's name goes in escaped.
    nav_plans = [{html.escape(f"“{p['name_zh']}”"): plans.plan_md(p)} for p in data.plans]
    stages["pages"] = time.perf_counter() - t
    t = time.perf_counter()
    run_mkdocs(docs, out, site_url=ctx.site_url, on_date=on_date, demo=demo, nav_plans=nav_plans,
               extra={"og_image_default": share.png, "og_image_default_alt": f"{share.title}。{share.summary}"})
    csp.apply(out)   # before the record pages: they are the shell, policy included
    stages["mkdocs"] = time.perf_counter() - t
    t = time.perf_counter()
    n_records = records.render(out, record_pages, finder_files, ctx.site_url)
    stages["record pages"] = time.perf_counter() - t
    if not ctx.site_url:
        # A sitemap lists absolute URLs; without the site's address it would list guesses.
        for name in ("sitemap.xml", "sitemap.xml.gz"):
            (out / name).unlink(missing_ok=True)
    if not demo:
        assert_no_fictional_data(staging)
    n_pages = sum(1 for _ in out.rglob("index.html"))
    print(f"  site: {n_pages} pages ({n_records} record pages), {len(ctx.figures)} charts "
          f"({time.perf_counter() - started:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()) + ")")


def link_downloads(data_dir: Path, dest: Path) -> dict[str, tuple[int, str]]:
    """Put every export under docs/downloads/ (hard links where the filesystem allows), so the
    site serves them from its own origin.  Returns (bytes, sha256) of the files the
    datapackage does not describe itself: datapackage.json, SHA256SUMS and the zip."""
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    described = {r["path"] for r in package["resources"]}
    extra = {}
    for src in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        rel = src.relative_to(data_dir).as_posix()
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, target)
        except OSError:
            shutil.copyfile(src, target)
        if rel not in described:
            extra[rel] = (src.stat().st_size, sha256_file(src))
    return extra


@contextlib.contextmanager
def _source_date_epoch(on_date: dt.date) -> Iterator[None]:
    """SOURCE_DATE_EPOCH = noon of the build date in China (UTC+8), so the sitemap's
    lastmod is the build date and nothing depends on the clock."""
    noon = dt.datetime.combine(on_date, dt.time(12), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(noon.timestamp()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def run_mkdocs(docs: Path, out: Path, *, site_url: str, on_date: dt.date, demo: bool,
               extra: dict | None = None, nav_plans: list[dict] | None = None) -> None:
    """Render docs -> out with MkDocs-Material in strict mode (any warning fails the build).
    ``extra`` adds keys to mkdocs.yml's `extra` (read by theme/main.html).  ``nav_plans``
    fills the nav section 规划 (one entry per plan in plans.csv), so a new plan gets a nav
    entry without an edit to mkdocs.yml; an engine reading mkdocs.yml alone still reaches
    every plan page from the home page."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    import jieba  # Material's search plugin segments Chinese with it; keep its chatter quiet

    jieba.setLogLevel(logging.WARNING)
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    # MkDocs reports what is wrong as log warnings and then raises Abort, a SystemExit:
    # uncaught, the build would exit 1 with no word of why.  Keep the warnings and say them.
    warnings = _WarningLog()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(warnings)
    try:
        with _source_date_epoch(on_date):
            cfg = load_config(config_file=str(MKDOCS_YML), docs_dir=str(docs), site_dir=str(out),
                              site_url=site_url, strict=True)
            cfg.extra["demo_banner"] = DEMO_BANNER if demo else ""
            for key, value in (extra or {}).items():
                cfg.extra[key] = value
            if nav_plans is not None:
                cfg["nav"] = _with_plans(cfg["nav"], nav_plans)
            build(cfg)
    except Abort as e:
        raise SiteBuildError("MkDocs (strict) 停止 / stopped: " + "; ".join(warnings.messages or [str(e)])) from None
    finally:
        logger.removeHandler(warnings)


def _with_plans(nav: list, plan_entries: list[dict]) -> list:
    """mkdocs.yml's nav with one entry per plan after the 规划 section's index page."""
    out = []
    for item in nav:
        if isinstance(item, dict) and "规划" in item:
            index, *rest = item["规划"]
            out.append({"规划": [index, *plan_entries, *rest]})
        else:
            out.append(item)
    return out


class _WarningLog(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def assert_no_fictional_data(staging: Path) -> None:
    """The production build must contain nothing from the fictional fixtures."""
    markers = [m.encode() for m in FICTIONAL_MARKERS]
    for p in sorted(staging.rglob("*")):
        if p.is_file() and p.suffix != ".duckdb":
            body = p.read_bytes()
            found = [m.decode() for m in markers if m in body]
            if found:
                raise SiteBuildError(f"site: {p.relative_to(staging)} contains {found}: fictional data in a production build")
