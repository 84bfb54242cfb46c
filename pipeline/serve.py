"""python -m pipeline serve: the static site and Datasette together, stopped together.

    site       build/site, served by Python's http.server in a thread   (default :8000)
    datasette  build/data/safety.db, immutable, a child process         (default :8001)
               or, with --replicas N (N > 1), N child processes behind Debian's haproxy on that
               port (pipeline/datasette/replicas.py); a replica that dies is routed around

Both bind 127.0.0.1 unless --host says otherwise.  Ctrl-C (SIGINT) or SIGTERM stops
Datasette, then the site, and the command exits 0; if Datasette dies on its own, the
site is stopped too and the command exits 1.

Datasette reads the committed metadata.json when the base URLs are the defaults;
otherwise ($SITE_URL, $DATASETTE_URL, other ports, --demo) metadata is rendered for
the URLs in effect into a temporary file.  The inspect file is the build's
(build/datasette/inspect.json) when it matches the database, else computed here.
"""

from __future__ import annotations

import functools
import http.server
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from pipeline import config, paths
from pipeline.datasette import (
    INSPECT_NAME,
    METADATA_JSON,
    inspect_data,
)
from pipeline.datasette.metadata import dumps, render_metadata
from pipeline.publish.export import DB_NAME

STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 10


COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".csv", ".map", ".webmanifest")


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzipped (level 6) when the browser accepts it, as any CDN or nginx would: the
    page-weight targets assume it; MkDocs' 404.html for missing pages; one log line per request.
    The tests and benchmarks serve built sites with this same handler (tests/browser.py)."""

    gzip = True                              # compress COMPRESSIBLE files for browsers that accept it
    not_found_page: str | None = "404.html"  # served with status 404 for a missing path
    log = True                               # one line per request on stderr
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".map": "application/json", ".webmanifest": "application/manifest+json"}

    def guess_type(self, path):
        # text is UTF-8 everywhere on this site: say so, compressed or not
        ctype = super().guess_type(path)
        return f"{ctype}; charset=utf-8" if ctype.startswith("text/") and "charset" not in ctype else ctype

    def do_GET(self):
        requested = Path(self.translate_path(self.path))
        if requested.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().do_GET()  # the redirect to the URL with a slash
            requested = requested / "index.html"
        if (self.gzip and "gzip" in self.headers.get("Accept-Encoding", "") and requested.is_file()
                and requested.suffix in COMPRESSIBLE):
            import gzip

            body = gzip.compress(requested.read_bytes(), compresslevel=6, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(str(requested)))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        return super().do_GET()

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / self.not_found_page if self.not_found_page else None
        if code == 404 and page is not None and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, format, *args):
        if self.log:
            sys.stderr.write(f"site: {self.address_string()} {format % args}\n")


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A browser that closed the connection mid-download is not a server problem.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def start_site(site_dir: Path, host: str, port: int, handler: type[SiteHandler] = SiteHandler) -> SiteServer:
    """Serve `site_dir` in a background thread; returns the server (its .shutdown() stops it)."""
    httpd = SiteServer((host, port), functools.partial(handler, directory=str(site_dir)))
    threading.Thread(target=httpd.serve_forever, name="site", daemon=True).start()
    return httpd


def _inspect_file(db: Path, build_dir: Path, workdir: Path) -> Path:
    built = build_dir / "datasette" / INSPECT_NAME
    if built.is_file():
        data = json.loads(built.read_text(encoding="utf-8")).get(DB_NAME, {})
        if data.get("size") == db.stat().st_size and built.stat().st_mtime >= db.stat().st_mtime:
            return built
    out = workdir / INSPECT_NAME
    out.write_text(json.dumps(inspect_data(db), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def _metadata_file(site: str, dsurl: str, demo: bool, workdir: Path) -> Path:
    text = dumps(render_metadata(site=site, dsurl=dsurl, demo=demo))
    if METADATA_JSON.is_file() and METADATA_JSON.read_text(encoding="utf-8") == text:
        return METADATA_JSON
    out = workdir / "metadata.json"
    out.write_text(text, encoding="utf-8")
    return out


def wait_until_answers(url: str, proc: subprocess.Popen | None = None, timeout: float = STARTUP_TIMEOUT_S) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    return False


def serve(build_dir: Path = paths.BUILD, *, site_dir: Path | None = None, host: str = "127.0.0.1",
          site_port: int = config.LOCAL_SITE_PORT, datasette_port: int = config.LOCAL_DATASETTE_PORT,
          site_url: str | None = None,
          datasette_url: str | None = None, demo: bool = False, with_site: bool = True, replicas: int = 1) -> int:
    build_dir = Path(build_dir)
    site_dir = Path(site_dir) if site_dir else build_dir / "site"
    db = build_dir / "data" / f"{DB_NAME}.db"
    missing = [p for p in ([db] + ([site_dir / "index.html"] if with_site else [])) if not p.is_file()]
    if missing:
        print(f"✗ 缺少 / missing: {', '.join(map(str, missing))}\n  先构建 / build first: make build"
              + (" (or: python -m pipeline demo)" if demo else ""), file=sys.stderr)
        return 2
    site = site_url or config.get("SITE_URL") or config.local_url(site_port)
    dsurl = datasette_url or config.get("DATASETTE_URL") or config.local_url(datasette_port)

    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum, _frame):
        received.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with tempfile.TemporaryDirectory(prefix="pipeline-serve-") as tmp:
            return _run(build_dir, site_dir, db, host, site_port, datasette_port, site, dsurl, demo, with_site,
                        Path(tmp), stop, replicas)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if received:
            print("已停止 / stopped", file=sys.stderr)


def _run(build_dir, site_dir, db, host, site_port, datasette_port, site, dsurl, demo, with_site, workdir, stop,
         replicas: int = 1) -> int:
    from pipeline.datasette.replicas import ReplicasError, start

    httpd = None
    group = None
    try:
        if with_site:
            try:
                httpd = start_site(site_dir, host, site_port)
            except OSError as e:
                print(f"✗ 网站端口 {site_port} 不可用 / site port unavailable: {e}", file=sys.stderr)
                return 1
        try:
            group = start(db, _metadata_file(site, dsurl, demo, workdir), _inspect_file(db, build_dir, workdir),
                          host=host, port=datasette_port, replicas=replicas)
        except ReplicasError as e:
            print(f"✗ {e}", file=sys.stderr)
            return 1
        lines = ([f"网站 / site:   {site}"] if with_site else []) + [
            f"Datasette:     {dsurl}" + (f"（{replicas} 个副本，haproxy 分配 / {replicas} replicas behind haproxy）"
                                         if replicas > 1 else ""),
            "按 Ctrl-C 停止 / press Ctrl-C to stop"]
        print("\n".join(lines), flush=True)
        local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{datasette_port}/-/versions.json"

        def announce():
            if wait_until_answers(local, group.processes[0]) and not stop.is_set():
                print("✓ Datasette 已就绪 / ready", flush=True)

        threading.Thread(target=announce, name="announce", daemon=True).start()
        reported: set[str] = set()
        while not stop.is_set() and group.serving():
            for what in set(group.dead()) - reported:  # a replica gone: haproxy sends its visitors elsewhere
                print(f"⚠ 已退出 / exited: {what}", file=sys.stderr, flush=True)
                reported.add(what)
            stop.wait(0.2)
        if not stop.is_set():
            print(f"✗ Datasette 已退出 / Datasette exited: {', '.join(group.dead())}", file=sys.stderr)
            return 1
        return 0
    finally:
        if group is not None:
            group.stop(STOP_TIMEOUT_S)
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
