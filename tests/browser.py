"""Browser test helpers: Debian chromium driven by Playwright, a static file
server, and a page visit that records console errors and every request.

Never downloads a browser: Playwright is pointed at /usr/bin/chromium
(override with the CHROMIUM_PATH environment variable). Each launch gets a
fresh, throw-away user-data directory (Playwright creates one per launch and
deletes it on close; Chromium does not accept --user-data-dir through
``launch``). Each visit runs in its own browser context, isolated like a
fresh incognito profile.

Typical use::

    from tests.browser import launch_chromium, serve_directory, open_page

    with serve_directory("build/site") as base, launch_chromium() as browser:
        with open_page(browser, base, width=375) as (page, log):
            assert log.console_errors == []
            assert log.foreign_requests() == []
            assert horizontal_overflow(page) == 0
"""

from __future__ import annotations

import gzip as _gzip
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

PHONE_WIDTH = 375
PHONE_HEIGHT = 812


def chromium_available(path: str = CHROMIUM_PATH) -> bool:
    """True if the Debian chromium binary and the playwright package are both there."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(path).is_file() or shutil.which(path) is not None


# --------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------

_playwright_lock = threading.Lock()
_playwright = None          # the one Playwright driver of this process (sync API)
_playwright_cm = None
_playwright_users = 0


def _acquire_playwright():
    """Playwright's sync API allows one driver per thread at a time, so every
    launch_chromium() in this process shares it (reference-counted): a session-wide
    browser in one test module and a module-wide one in another can both be open."""
    global _playwright, _playwright_cm, _playwright_users
    from playwright.sync_api import sync_playwright

    with _playwright_lock:
        if _playwright is None:
            _playwright_cm = sync_playwright()
            _playwright = _playwright_cm.start()
        _playwright_users += 1
        return _playwright


def _release_playwright() -> None:
    global _playwright, _playwright_cm, _playwright_users
    with _playwright_lock:
        _playwright_users -= 1
        if _playwright_users == 0 and _playwright is not None:
            _playwright.stop()
            _playwright = _playwright_cm = None


@contextmanager
def launch_chromium(*, executable_path: str = CHROMIUM_PATH, extra_args: tuple[str, ...] = (),
                    timeout_ms: float = 30_000) -> Iterator[playwright.sync_api.Browser]:  # noqa: F821
    """Start headless Debian chromium through Playwright; yield the Browser.

    Uses ``executable_path`` so Playwright never looks for (or downloads) its
    own browser build.  Several browsers may be open at once (they share one
    Playwright driver).
    """
    p = _acquire_playwright()
    try:
        browser = p.chromium.launch(
            executable_path=executable_path,
            args=[*CHROMIUM_ARGS, *extra_args],
            headless=True,
            chromium_sandbox=False,
            timeout=timeout_ms,
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        _release_playwright()


# --------------------------------------------------------------------------
# Static server
# --------------------------------------------------------------------------

@contextmanager
def serve_directory(directory: str | os.PathLike, *, host: str = "127.0.0.1", port: int = 0,
                    not_found_page: str | None = "404.html", gzip: bool = False) -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free port in a background thread, with the handler
    `python -m pipeline serve` uses (pipeline.serve.SiteHandler).

    Yields the base URL, e.g. ``http://127.0.0.1:41234/`` (always ends in /).
    Missing paths get ``not_found_page`` (if present) with status 404.
    ``gzip=True`` compresses text responses (HTML, CSS, JS, JSON, SVG, XML…) at
    level 6 when the client accepts it, as `pipeline serve` and a production static host do;
    page-weight figures say which server they were measured against.
    """
    from pipeline.serve import SiteHandler, start_site

    directory = Path(directory).resolve()
    if not directory.is_dir():
        raise FileNotFoundError(directory)
    # the product's own handler (python -m pipeline serve), quiet, with this call's options
    handler = type("TestSiteHandler", (SiteHandler,), {"gzip": gzip, "not_found_page": not_found_page, "log": False})
    server = start_site(directory, host, port, handler)
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------
# Page visits
# --------------------------------------------------------------------------

def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_LOCAL_SCHEMES = ("data:", "blob:", "about:", "javascript:")


@dataclass
class PageLog:
    """What happened while a page was open."""

    origin: str
    requests: list[str] = field(default_factory=list)        # every request URL, in order
    console_errors: list[str] = field(default_factory=list)  # console.error and failed loads
    page_errors: list[str] = field(default_factory=list)     # uncaught exceptions
    failed_requests: list[str] = field(default_factory=list) # "URL (reason)"
    blocked: list[str] = field(default_factory=list)         # foreign requests aborted
    status: int | None = None                                # main document status

    def foreign_requests(self) -> list[str]:
        """Request URLs not on the page's own origin (data:/blob: count as local)."""
        return [u for u in self.requests
                if not u.startswith(_LOCAL_SCHEMES) and origin_of(u) != self.origin]

    @property
    def errors(self) -> list[str]:
        return [*self.console_errors, *self.page_errors]


@contextmanager
def open_page(browser, url: str, *, javascript_enabled: bool = True, width: int = PHONE_WIDTH,
              height: int = PHONE_HEIGHT, block_foreign: bool = True,
              wait_until: str = "load", timeout_ms: float = 30_000):
    """Open ``url`` in a fresh context; yield ``(page, log)``.

    Records every request (page, workers, subresources) and console errors
    from the start. With ``block_foreign`` requests to other origins are
    recorded and then aborted, so a stray CDN link fails fast offline instead
    of hanging; tests should assert ``log.foreign_requests() == []``.
    """
    log = PageLog(origin=origin_of(url))
    context = browser.new_context(
        java_script_enabled=javascript_enabled,
        viewport={"width": width, "height": height},
        service_workers="block",
        locale="zh-CN",
    )
    context.set_default_timeout(timeout_ms)

    def on_request(request):
        log.requests.append(request.url)

    def on_failed(request):
        log.failed_requests.append(f"{request.url} ({request.failure})")

    context.on("request", on_request)
    context.on("requestfailed", on_failed)

    if block_foreign:
        def route(r):
            u = r.request.url
            if u.startswith(_LOCAL_SCHEMES) or origin_of(u) == log.origin:
                r.continue_()
            else:
                log.blocked.append(u)
                r.abort("blockedbyclient")
        context.route("**/*", route)

    page = context.new_page()
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))
    try:
        response = page.goto(url, wait_until=wait_until)
        log.status = response.status if response else None
        yield page, log
    finally:
        context.close()


@dataclass
class Visit:
    url: str
    log: PageLog
    title: str
    scroll_width: int
    inner_width: int

    @property
    def horizontal_overflow(self) -> int:
        return max(0, self.scroll_width - self.inner_width)


def horizontal_overflow(page) -> int:
    """Pixels the document is wider than the viewport (0 = no page-level horizontal scroll)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


def visit(browser, url: str, *, javascript_enabled: bool = True, width: int = PHONE_WIDTH,
          height: int = PHONE_HEIGHT, settle_ms: int = 300) -> Visit:
    """Load ``url``, let it settle, and return what was logged plus layout widths."""
    with open_page(browser, url, javascript_enabled=javascript_enabled,
                   width=width, height=height) as (page, log):
        page.wait_for_load_state("networkidle")
        if settle_ms:
            page.wait_for_timeout(settle_ms)
        sw, iw = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        return Visit(url=url, log=log, title=page.title(), scroll_width=sw, inner_width=iw)


def material_search(page, query: str, *, timeout_ms: float = 15_000) -> list[dict[str, str]]:
    """Type ``query`` into Material for MkDocs' search (opening it on narrow
    screens first) and return the results as ``{"title", "href", "text"}``.

    Returns [] when the search finishes with no match.
    """
    toggle = page.locator('label.md-header__button[for="__search"]')
    if toggle.is_visible():
        toggle.click()
    box = page.locator("input.md-search__input")
    box.wait_for(state="visible", timeout=timeout_ms)
    box.fill(query)
    box.press("End")  # Material runs the query on keyup; fill() alone sends no key events
    # The meta line reads 正在初始化搜索引擎 / 键入以开始搜索 until a query has run,
    # then "N 个符合条件的结果" or "没有找到符合条件的结果" (English: "... matching ...").
    page.wait_for_function(
        """() => {
            const m = document.querySelector('.md-search-result__meta');
            return !!m && /结果|matching/i.test(m.textContent);
        }""",
        timeout=timeout_ms,
    )
    return page.evaluate(
        """() => [...document.querySelectorAll('.md-search-result__item a.md-search-result__link')]
              .map(a => ({
                  title: (a.querySelector('h1, h2')?.textContent || '').trim(),
                  href: a.href,
                  text: a.textContent.trim(),
              }))"""
    )


# --------------------------------------------------------------------------
# Page weight
# --------------------------------------------------------------------------

@dataclass
class Transfer:
    url: str
    status: int
    body_bytes: int        # bytes on the wire (compressed if the server compressed)
    header_bytes: int
    encoding: str          # Content-Encoding ('' when none)
    decoded_bytes: int     # size of the body after decompression


def page_transfers(browser, url: str, *, width: int = PHONE_WIDTH, height: int = PHONE_HEIGHT,
                   settle_ms: int = 500, timeout_ms: float = 30_000, inspect=None) -> list[Transfer]:
    """Every response a cold load of ``url`` fetches (fresh context, empty cache), with
    its transferred size as Chromium reports it (Request.sizes()), until the network is
    idle: the page, its CSS and JS, the search worker and the search index.  ``inspect``,
    if given, is called with the loaded page (to count its DOM nodes, say)."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block",
                                  locale="zh-CN")
    context.set_default_timeout(timeout_ms)
    finished: list = []
    context.on("requestfinished", lambda r: finished.append(r))
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(settle_ms)
        if inspect is not None:
            inspect(page)
        out, seen = [], set()
        for r in finished:
            resp = r.response()
            if resp is None or r.url in seen:
                continue
            seen.add(r.url)
            sizes = r.sizes()
            encoding = resp.headers.get("content-encoding", "")
            try:
                body = resp.body()
            except PlaywrightError:  # a worker's script body is not always retrievable
                body = None
            decoded = len(body) if body is not None else sizes["responseBodySize"]
            wire = sizes["responseBodySize"]
            if wire == 0 and body:
                # Chromium reports 0 for a worker's script; count what the server sent.
                wire = len(_gzip.compress(body, compresslevel=6, mtime=0)) if encoding == "gzip" else len(body)
            out.append(Transfer(url=r.url, status=resp.status, body_bytes=wire,
                                header_bytes=sizes["responseHeadersSize"],
                                encoding=encoding, decoded_bytes=decoded))
        return out
    finally:
        context.close()
