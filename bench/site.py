"""make bench, section "site": what the public site weighs on a phone, and Lighthouse.

    .venv/bin/python -m bench --only site

1. Build the real package (fixed date) into build/bench/site-build, with SITE_URL set to
   the address the site is then served from, so canonical and og: URLs are the served ones.
2. Serve it with tests/browser.serve_directory, gzip on (level 6, text types only), as a
   production static host serves it; and once more without compression.
3. Page weight: a cold load of each page in Debian chromium (Playwright, 375x812), summing
   every response until the network is idle: bytes on the wire as Chromium reports them
   (body + headers), and the same bodies decompressed.
4. Lighthouse (npm, package.json at the repository root) against Debian chromium, default
   mobile profile (simulated slow 4G, 4x CPU slowdown), RUNS runs per page, median score.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline import paths

if str(paths.ROOT) not in sys.path:  # tests/browser.py holds the browser and server helpers
    sys.path.insert(0, str(paths.ROOT))

BENCH = paths.BUILD / "bench"
OUT = BENCH / "site-build"
BUILD_DATE = "2026-11-28"
RUNS = 3
HOME, INDICATOR = "", "indicators/fyp12-road-deaths/"
TARGET_KB = {HOME: 300, INDICATOR: 400}
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
LIGHTHOUSE = paths.ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build(site_url: str) -> Path:
    env = {**os.environ, "SITE_URL": site_url, "BUILD_DATE": BUILD_DATE}
    shutil.rmtree(OUT, ignore_errors=True)
    p = subprocess.run([sys.executable, "-m", "pipeline", "build", "--out", str(OUT), "--force"],
                       cwd=paths.ROOT, env=env, capture_output=True, text=True, check=False)
    if p.returncode:
        raise SystemExit(f"site build failed:\n{p.stdout}\n{p.stderr}")
    return (OUT / "site").resolve()


def _weights(site: Path, pages: list[str], port: int, gzip: bool) -> dict[str, list]:
    from tests.browser import launch_chromium, page_transfers, serve_directory

    with serve_directory(site, port=port, gzip=gzip) as base, launch_chromium() as browser:
        return {p: page_transfers(browser, base + p) for p in pages}


def _ensure_lighthouse() -> str:
    """'' when node_modules/.bin/lighthouse is there (installed by `npm ci` if not), else why not."""
    if LIGHTHOUSE.exists():
        return ""
    npm = shutil.which("npm")
    if not npm:
        return "npm is not installed, so Lighthouse (node_modules/.bin/lighthouse) cannot be installed"
    p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=paths.ROOT, capture_output=True, text=True, check=False)
    if p.returncode or not LIGHTHOUSE.exists():
        return f"`npm ci` failed: {(p.stderr or p.stdout).strip()[-500:]}"
    return ""


def _lighthouse(url: str, workdir: Path) -> tuple[dict[str, int] | None, str]:
    """Category scores (0-100) of one run, or None and the reason it could not run."""
    missing = _ensure_lighthouse()
    if missing:
        return None, missing
    report = workdir / "lh.json"
    p = subprocess.run(
        [str(LIGHTHOUSE), url, "--output=json", f"--output-path={report}", "--quiet",
         f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(CATEGORIES)],
        env={**os.environ, "CHROME_PATH": CHROME}, capture_output=True, text=True, timeout=300, check=False)
    if p.returncode or not report.exists():
        return None, f"lighthouse exited {p.returncode}: {p.stderr.strip()[-800:]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    if data.get("runtimeError"):
        return None, f"lighthouse runtime error: {data['runtimeError']}"
    scores = {c: round(100 * (data["categories"][c]["score"] or 0)) for c in CATEGORIES}
    failing = sorted({ref["id"] for c in CATEGORIES for ref in data["categories"][c]["auditRefs"]
                      if ref.get("weight") and (data["audits"][ref["id"]].get("score") is not None)
                      and data["audits"][ref["id"]]["score"] < 0.9})
    metrics = {k: data["audits"][k].get("displayValue", "") for k in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")}
    return {**scores, "_failing": failing, "_metrics": metrics, "_version": data.get("lighthouseVersion"),
            "_ua": data.get("environment", {}).get("hostUserAgent", "")}, ""


# ---------------------------------------------------------------------------
# Lighthouse with a time limit (make bench --only scale, issue 15)
# ---------------------------------------------------------------------------

LIGHTHOUSE_TIMEOUT_S = 240  # per run; the first run of a page that times out is its last


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
        except (OSError, ValueError, IndexError):
            pass
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _score(data: dict, category: str, without: tuple[str, ...] = ()) -> int | None:
    """A category's score (0-100), or None when Lighthouse could not score it; `without`:
    recomputed without those audits (the demo's noindex)."""
    cat = data["categories"][category]
    if not without:
        return None if cat.get("score") is None else round(100 * cat["score"])
    total = weight = 0.0
    for ref in cat["auditRefs"]:
        audit = data["audits"].get(ref["id"], {})
        if ref["id"] in without or not ref.get("weight") or audit.get("scoreDisplayMode") not in ("binary", "numeric"):
            continue
        if audit.get("score") is None:
            return None
        total += ref["weight"] * audit["score"]
        weight += ref["weight"]
    return round(100 * total / weight) if weight else None


def lighthouse(url: str, workdir: Path) -> tuple[dict | None, str]:
    """One Lighthouse run (mobile, Debian chromium): scores or None and why.  Past
    LIGHTHOUSE_TIMEOUT_S the run is killed, Lighthouse and the Chromium it started (by pid)."""
    missing = _ensure_lighthouse()
    if missing:
        return None, missing
    report = workdir / "lh.json"
    report.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(LIGHTHOUSE), url, "--output=json", f"--output-path={report}", "--quiet",
         f"--chrome-flags={CHROME_FLAGS}", "--only-categories=" + ",".join(CATEGORIES)],
        env={**os.environ, "CHROME_PATH": CHROME}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=LIGHTHOUSE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        for pid in [*reversed(_descendants(proc.pid)), proc.pid]:  # chrome-launcher detaches Chromium
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.communicate()
        return None, f"timed out: no result after {LIGHTHOUSE_TIMEOUT_S} s (killed)"
    seconds = time.perf_counter() - started
    if proc.returncode or not report.exists():
        return None, f"lighthouse exited {proc.returncode} after {seconds:.0f} s: {err.strip()[-400:]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    scores = {c: _score(data, c) for c in CATEGORIES}
    scores["seo-without-noindex"] = _score(data, "seo", without=("is-crawlable",))
    errored = sorted(a["id"] for a in data["audits"].values() if a.get("scoreDisplayMode") == "error")
    failing = sorted({ref["id"] for c in CATEGORIES for ref in data["categories"][c]["auditRefs"]
                      if ref.get("weight") and data["audits"][ref["id"]].get("score") is not None
                      and data["audits"][ref["id"]]["score"] < 0.9})
    metrics = {k: data["audits"].get(k, {}).get("displayValue", "?") for k in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift")}
    return {**scores, "_errored": errored, "_failing": failing, "_metrics": metrics, "_seconds": seconds,
            "_runtime_error": (data.get("runtimeError") or {}).get("code"), "_version": data.get("lighthouseVersion")}, ""


def lighthouse_page(url: str, workdir: Path) -> dict:
    """Up to RUNS runs; a run that fails or times out is the last."""
    runs, reason = [], ""
    for _ in range(RUNS):
        result, reason = lighthouse(url, workdir)
        if result is None:
            break
        runs.append(result)
    return {"runs": runs, "stopped": reason}


def _kb(n: int) -> str:
    return f"{n / 1000:.1f} KB"


def section_site() -> str:
    from tests.browser import serve_directory

    port = _free_port()
    site_url = f"http://127.0.0.1:{port}/"
    site = _build(site_url)
    pages = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    pages = ["" if p == "." else p + "/" for p in pages]
    gz = _weights(site, pages, port, gzip=True)
    raw = _weights(site, [HOME, INDICATOR], port, gzip=False)

    def wire(ts):
        return sum(t.body_bytes + t.header_bytes for t in ts)

    def decoded(ts):
        return sum(t.decoded_bytes for t in ts)

    heaviest = max((p for p in pages if p not in (HOME, INDICATOR)), key=lambda p: wire(gz[p]))
    rows = []
    for label, p in (("首页 home", HOME), ("指标页 indicator page (道路交通死亡人数)", INDICATOR),
                     (f"heaviest other page (`{heaviest}`)", heaviest)):
        target = TARGET_KB.get(p)
        ok = "" if target is None else (" ✓" if wire(gz[p]) < target * 1000 else " ✗")
        raw_col = _kb(wire(raw[p])) if p in raw else "—"
        rows.append(f"| {label} | {len(gz[p])} | **{_kb(wire(gz[p]))}**{ok} | {raw_col} | {_kb(decoded(gz[p]))} | "
                    f"{f'< {target} KB' if target else '—'} |")
    breakdown = "\n".join(f"| `{t.url.replace(site_url, '/')}` | {_kb(t.body_bytes)} | {_kb(t.decoded_bytes)} |"
                          for t in sorted(gz[HOME], key=lambda t: -t.body_bytes))

    # Lighthouse
    lh_rows, notes, version, ua = [], [], "", ""
    with serve_directory(site, port=port, gzip=True), tempfile.TemporaryDirectory() as tmp:
        for label, p in (("首页 home", HOME), ("指标页 indicator page", INDICATOR)):
            runs, reason = [], ""
            for _ in range(RUNS):
                result, reason = _lighthouse(site_url + p, Path(tmp))
                if result is None:
                    break
                runs.append(result)
            if not runs:
                notes.append(f"- {label}: Lighthouse could not run: {reason}")
                lh_rows.append(f"| {label} | " + " | ".join("not measured" for _ in CATEGORIES) + " |")
                continue
            version, ua = runs[0]["_version"], runs[0]["_ua"]
            cells = []
            for c in CATEGORIES:
                vals = [r[c] for r in runs]
                med = int(statistics.median(vals))
                mark = "✓" if med >= 95 else "✗"
                cells.append(f"**{med}** {mark} ({min(vals)}–{max(vals)})")
            lh_rows.append(f"| {label} | " + " | ".join(cells) + " |")
            m = runs[len(runs) // 2]["_metrics"]
            failing = sorted({a for r in runs for a in r["_failing"]})
            notes.append(f"- {label}: FCP {m['first-contentful-paint']}, LCP {m['largest-contentful-paint']}, "
                         f"TBT {m['total-blocking-time']}, CLS {m['cumulative-layout-shift']} (middle run); "
                         f"audits below 0.9 in any run: {', '.join(failing) or 'none'}.")
    chromium = subprocess.run([CHROME, "--version"], capture_output=True, text=True, check=False).stdout.strip()

    return f"""## Site: page weight and Lighthouse (public site issue)

Built from the real package (`BUILD_DATE={BUILD_DATE}`, `SITE_URL={site_url}`) into `build/bench/site-build`, and served
from `localhost` by `tests/browser.serve_directory(gzip=True)`: text responses (HTML, CSS, JS, JSON, SVG) gzip level 6,
images as they are, the way nginx/Caddy/GitHub Pages serve static files. {len(pages)} pages.

### Page weight: cold load at 375×812 in {chromium}, everything until the network is idle

| page | requests | transferred, gzip | transferred, no compression | decompressed | target |
|---|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

"Transferred" is what Chromium reports for each response (body as sent plus headers), summed over every request the
page makes, including Material's search worker and the search index that Material fetches on every page load (the
worker's script size is not reported by Chromium and is counted as the gzip size of its body).
**The targets hold only when the host compresses text**: without compression the same home page is
{_kb(wire(raw[HOME]))}, because Material's own CSS and JavaScript (~300 KB) and the Chinese search index are sent as they
are. Home page, gzip, by request:

| request | transferred | decompressed |
|---|---:|---:|
{breakdown}

### Lighthouse {version}, mobile profile (simulated slow 4G, 4× CPU), median of {RUNS} runs (min–max)

Run as `node_modules/.bin/lighthouse URL --chrome-flags="{CHROME_FLAGS}"` with `CHROME_PATH={CHROME}` ({ua or chromium}),
against the gzip server above. Target: 95 or more in every category.

| page | performance | accessibility | best practices | SEO |
|---|---:|---:|---:|---:|
{chr(10).join(lh_rows)}

{chr(10).join(notes)}

Machine: {platform.machine()}, {os.cpu_count()} cores; Lighthouse's simulated throttling makes scores depend little on
the machine, but performance still varies by a few points between runs.
"""


SECTIONS = {"site": section_site}

if __name__ == "__main__":
    print(section_site())
