"""make bench, section "scale" (issue 15): the site at a city's volume.

    .venv/bin/python -m bench --only scale

In one run:
1. Build the real package (`--force`, fixed date, SITE_URL set to the local address the
   scale site is served from later) and time it: the baseline.
2. Make the scale package under build/bench/scale/package/ (generated, never committed; reused
   when present and identical): a copy of datasets/ with 20,000 fictional penalties on display
   on the build date plus a few whose display period has passed, and 2,000 fictional 黑名单 rows
   (about 23% on display), from tests/fictional.py with a fixed seed.  It must pass
   `python -m pipeline validate`.  build/bench/scale/expected.json says what is on display and
   what is not (the past penalties' decision numbers, for a test that they appear on no page).
3. Build it with `--demo --force` and time it, as a multiple of the real build.
4. Append one penalty (for an enterprise already present) and rebuild without --force; time it
   as a share of the full build; the package is restored afterwards.
5. Page weight: serve the built site with gzip (tests/browser.serve_directory) and load, cold,
   in Debian chromium: home, enforcement/, blacklist/ and 3 enterprise pages if the site has
   any (enterprises/*/); bytes transferred in total (the search index included) and DOM
   nodes.  Statically, for every HTML file of the build: gzip size and element count.
6. Lighthouse (mobile) on enforcement/, blacklist/ and the heaviest enterprise page, median of
   3 runs; a run past LIGHTHOUSE_TIMEOUT_S is killed and recorded as timed out (a finding).

The scale package and its date shift: bench/scale_package.py.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

from bench.scale_package import (  # noqa: F401  (tests/test_bench_scale.py reads them here)
    BLACKLIST,
    BUILD_DATE,
    FOLDER,
    PAST_PENALTIES,
    PENALTIES,
    SEED,
    make_scale_package,
    penalty_on_display,
    scale_package,
    scale_penalties,
)
from pipeline import paths

if str(paths.ROOT) not in sys.path:  # tests/fictional.py and tests/browser.py
    sys.path.insert(0, str(paths.ROOT))

SCALE_OUT = FOLDER / "build"
REAL_OUT = FOLDER / "build-real"

TARGET_KB = 300
TARGET_DOM = 5_000
TARGET_BUILD_X = 4.0
TARGET_REBUILD_PCT = 25.0
TARGET_LIGHTHOUSE = 95
ENTERPRISE_PAGES = 3
# An enterprise's page (issue 15), keyed as pipeline/site/records.enterprise_key does: its USCC, else reg-/org-
# and the legacy code, else n- and a digest of its name (the directory enterprises/list-N/ is not one).
ENTERPRISE_PAGE = r"enterprises/(?:[0-9A-Z]{18}|(?:reg|org|n)-[0-9A-Za-z]+)/"
LOAD_TIMEOUT_MS = 120_000  # a cold load in Chromium, until the network is idle


# ---------------------------------------------------------------------------
# Builds
# ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _site_stage(stdout: str) -> tuple[float | None, int | None]:
    """(seconds, pages) of the site stage, from the build's own line `site: N pages, ... (X s)`."""
    m = re.search(r"site: ([\d,]+) pages\b.*?\(([\d.]+) s[:)]", stdout)
    return (float(m.group(2)), int(m.group(1).replace(",", ""))) if m else (None, None)


def _build(package: Path, out: Path, env: dict, *, force: bool, demo: bool) -> dict:
    from bench import run_measured

    cmd = [sys.executable, "-m", "pipeline", "build", str(package), "--out", str(out), "--date", BUILD_DATE.isoformat()]
    cmd += ["--force"] if force else []
    cmd += ["--demo"] if demo else []
    cpu: list = []
    wall, mb, result = run_measured(cmd, env, cpu)
    if result.returncode:
        raise SystemExit(f"build failed ({' '.join(cmd)}):\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}")
    site_s, pages = _site_stage(result.stdout)
    return {"s": wall, "cpu": cpu[0], "mb": mb, "site_s": site_s, "pages": pages, "stdout": result.stdout,
            "up_to_date": "up to date" in result.stdout}


def _append_row(csv_path: Path, row: dict) -> None:
    from tests.fictional import PENALTY_FIELDS

    with open(csv_path, "a", newline="", encoding="utf-8") as f:
        csv.DictWriter(f, fieldnames=list(PENALTY_FIELDS), lineterminator="\n").writerow(row)


def _files_containing(folder: Path, texts: list[str], suffixes: tuple[str, ...]) -> dict[str, list[str]]:
    """{text: the files under folder (by suffix) that contain it}, each file read once."""
    needles = {t: t.encode() for t in texts}
    found: dict[str, list[str]] = {t: [] for t in texts}
    for p in sorted(folder.rglob("*")):
        if p.suffix in suffixes and p.is_file():
            body = p.read_bytes()
            for t, needle in needles.items():
                if needle in body:
                    found[t].append(p.relative_to(folder).as_posix())
    return found


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.count = 0

    def handle_starttag(self, tag, attrs):
        self.count += 1

    def handle_startendtag(self, tag, attrs):
        self.count += 1


def static_pages(site: Path) -> list[dict]:
    """Every HTML file: its URL path, bytes, gzip bytes (level 6, as served) and elements."""
    out = []
    for p in sorted(site.rglob("*.html")):
        raw = p.read_bytes()
        parser = _Elements()
        parser.feed(raw.decode("utf-8", errors="replace"))
        parser.close()
        rel = p.relative_to(site).as_posix()
        url = rel.removesuffix("index.html")
        out.append({"page": url, "bytes": len(raw), "gzip": len(gzip.compress(raw, compresslevel=6, mtime=0)),
                    "elements": parser.count})
    return out


def cold_load(browser, url: str) -> dict:
    """A cold load at 375x812 until the network is idle (tests.browser.page_transfers): every
    response, DOM nodes after load, and the seconds it took; or the error."""
    from playwright.sync_api import Error as PlaywrightError

    from tests.browser import page_transfers

    dom: list[int] = []
    started = time.perf_counter()
    try:
        transfers = page_transfers(browser, url, timeout_ms=LOAD_TIMEOUT_MS,
                                   inspect=lambda page: dom.append(page.evaluate("() => document.querySelectorAll('*').length")))
    except PlaywrightError as e:
        return {"error": f"{type(e).__name__} after {time.perf_counter() - started:.0f} s: {str(e).splitlines()[0]}"}
    return {"transfers": transfers, "dom": dom[0], "seconds": time.perf_counter() - started}


def _wire(transfers) -> int:
    return sum(t.body_bytes + t.header_bytes for t in transfers)


def enterprise_pages(pages: list[dict]) -> list[str]:
    """Up to 3 enterprise pages (enterprises/<code>/), if the site has them: the heaviest, the
    median and the lightest by HTML size."""
    found = sorted((p for p in pages if re.fullmatch(ENTERPRISE_PAGE, p["page"])), key=lambda p: (p["bytes"], p["page"]))
    if len(found) <= ENTERPRISE_PAGES:
        return [p["page"] for p in reversed(found)]
    return [found[-1]["page"], found[len(found) // 2]["page"], found[0]["page"]]


# ---------------------------------------------------------------------------
# The section
# ---------------------------------------------------------------------------


def _kb(n: int) -> str:
    return f"{n / 1000:,.1f} KB"


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("✓" if ok else "✗")


def section_scale() -> str:
    from bench.site import (
        CATEGORIES,
        CHROME_FLAGS,
        LIGHTHOUSE_TIMEOUT_S,
        lighthouse_page,
    )
    from bench.site import RUNS as LIGHTHOUSE_RUNS
    from tests.browser import launch_chromium, serve_directory

    port = _free_port()
    site_url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "SITE_URL": site_url, "BUILD_DATE": BUILD_DATE.isoformat()}

    # 1-2. the package, validated
    t = time.perf_counter()
    package, manifest, reused = scale_package()
    made_s = time.perf_counter() - t
    p = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(package), "--no-report"], cwd=paths.ROOT,
                       env=env, capture_output=True, text=True, check=False)
    if p.returncode:
        raise SystemExit(f"the scale package does not validate:\n{p.stdout[-5000:]}\n{p.stderr[-3000:]}")
    warnings = re.search(r"(\d+)\s*(?:个)?\s*警告|(\d+) warnings?", p.stdout)
    print(f"  scale package {'reused' if reused else f'generated in {made_s:.1f} s'}: validates", flush=True)

    # 1, 3, 4. builds, one at a time; the real one before and after the others, as the machine's
    # speed drifts (other work shares its 2 cores): the baseline is their mean.  Every full build
    # starts from an empty output directory, so none reuses another's caches (rendered charts);
    # the rebuild keeps the full build's, as an incremental build should.
    load = os.getloadavg()[0]
    shutil.rmtree(REAL_OUT, ignore_errors=True)
    real_before = _build(paths.PACKAGE, REAL_OUT, env, force=True, demo=False)
    print(f"  real build {real_before['s']:.1f} s", flush=True)
    shutil.rmtree(SCALE_OUT, ignore_errors=True)
    full = _build(package, SCALE_OUT, env, force=True, demo=True)
    print(f"  scale build {full['s']:.1f} s (site {full['site_s']} s, {full['pages']} pages)", flush=True)
    penalties_csv = package.parent / "data" / "penalties.csv"
    original = penalties_csv.read_bytes()
    added = manifest["added_penalty"]
    try:
        _append_row(penalties_csv, added)
        rebuild = _build(package, SCALE_OUT, env, force=False, demo=True)
    finally:
        penalties_csv.write_bytes(original)
    site = (SCALE_OUT / "site").resolve()
    pages_with_added = _files_containing(site, [added["decision_number"]], (".html",))[added["decision_number"]]
    data_with_added = _files_containing((SCALE_OUT / "data").resolve(), [added["decision_number"]],
                                        (".csv",))[added["decision_number"]]
    # records past their display date: on no page, not in the search index
    gone = [r["decision_number"] for r in manifest["penalties"]["past_display"]]
    gone_listings = manifest["blacklist"]["not_on_display_listing_numbers"]
    leaked = {t: f for t, f in _files_containing(site, gone + gone_listings, (".html", ".json")).items() if f}
    print(f"  rebuild after one added penalty {rebuild['s']:.1f} s; on {len(pages_with_added)} pages", flush=True)
    shutil.rmtree(REAL_OUT, ignore_errors=True)  # cold again: no chart cache (REAL_OUT/.cache) from the first
    real_after = _build(paths.PACKAGE, REAL_OUT, env, force=True, demo=False)
    print(f"  real build again {real_after['s']:.1f} s", flush=True)
    real = {**real_after, "s": (real_before["s"] + real_after["s"]) / 2, "cpu": (real_before["cpu"] + real_after["cpu"]) / 2,
            "mb": max(real_before["mb"], real_after["mb"])}

    # 5. page weight: every HTML file statically, a few pages in Chromium
    pages = static_pages(site)
    by_page = {p["page"]: p for p in pages}
    enterprises = enterprise_pages(pages)
    wanted = ["", "enforcement/", "blacklist/", *enterprises]
    index = site / "search" / "search_index.json"
    index_raw = index.read_bytes() if index.exists() else b""
    real_site = (REAL_OUT / "site").resolve()
    with serve_directory(site, port=port, gzip=True) as base, launch_chromium() as browser:
        loads = {p: cold_load(browser, base + p) for p in wanted}
        with serve_directory(real_site, gzip=True) as real_base:
            real_home = cold_load(browser, real_base)
    home = loads[""]
    shared = [] if "error" in home else [t for t in home["transfers"] if t.url != base]
    shared_bytes = _wire(shared)
    estimate = {p["page"]: p["gzip"] + shared_bytes for p in pages}
    heaviest = max(pages, key=lambda p: p["gzip"])
    most = max(pages, key=lambda p: p["elements"])
    over_kb = [p for p in pages if estimate[p["page"]] >= TARGET_KB * 1000]
    over_dom = [p for p in pages if p["elements"] >= TARGET_DOM]
    print(f"  {len(pages)} HTML files: heaviest {heaviest['page']} {_kb(heaviest['gzip'])} gzip, "
          f"most elements {most['page']} {most['elements']:,}", flush=True)

    # 6. Lighthouse, one page at a time, against the same gzip server
    lh_pages = ["enforcement/", "blacklist/", *enterprises[:1]]
    lh: dict[str, dict] = {}
    with serve_directory(site, port=port, gzip=True), tempfile.TemporaryDirectory() as tmp:
        for p in lh_pages:
            lh[p] = lighthouse_page(site_url + p, Path(tmp))  # bench/site.py
            print(f"  lighthouse {p or 'home'}: {len(lh[p]['runs'])} runs {lh[p]['stopped']}", flush=True)

    # 7. the tables
    ratio = full["s"] / real["s"]
    pct = 100 * rebuild["s"] / full["s"]
    cpu_ratio = full["cpu"] / real["cpu"]
    cpu_pct = 100 * rebuild["cpu"] / full["cpu"]
    pen, bl = manifest["penalties"], manifest["blacklist"]
    label = {"": "首页 home", "enforcement/": "执法 enforcement/", "blacklist/": "黑名单 blacklist/"}

    def name(p: str) -> str:
        return label.get(p, f"`{p}`")

    def site_line(b: dict) -> str:
        return f" (site stage {b['site_s']:.1f} s, {b['pages']:,} pages)" if b["site_s"] is not None else ""

    where_added = ", ".join(f"`{f.removesuffix('index.html') or '/'}`" for f in pages_with_added[:3])
    rows = [
        (f"| full build of the real package (baseline, same run: the mean of {real_before['s']:.2f} s before the others and "
         f"{real_after['s']:.2f} s after) | {real['s']:.2f} s{site_line(real)}, CPU {real['cpu']:.1f} s, peak {real['mb']:,} MB "
         "| — | — |"),
        (f"| full build of the scale package (`--demo --force`) | **{full['s']:.2f} s**{site_line(full)}, CPU {full['cpu']:.1f} s, "
        f"peak {full['mb']:,} MB = **{ratio:.1f}x** the real build (CPU time: {cpu_ratio:.1f}x) | < {TARGET_BUILD_X:g}x | {_mark(ratio < TARGET_BUILD_X)} |"),
        (f"| rebuild after one added penalty (no `--force`) | **{rebuild['s']:.2f} s** = **{pct:.0f}%** of the full build (CPU time: {rebuild['cpu']:.1f} s, {cpu_pct:.0f}%)"
        f"{'' if not rebuild['up_to_date'] else ' (WRONG: reported up to date)'}; the new penalty is on "
        f"{len(pages_with_added)} page(s) ({where_added or 'none'}{' …' if len(pages_with_added) > 3 else ''}), in {len(data_with_added)} CSV export(s) | < {TARGET_REBUILD_PCT:g}% | "
        f"{_mark(pct < TARGET_REBUILD_PCT and not rebuild['up_to_date'] and bool(pages_with_added))} |"),
    ]
    for p in wanted:
        r = loads[p]
        if "error" in r:
            rows.append(f"| {name(p)}: cold load | not measured: {r['error']} | < {TARGET_KB} KB, < {TARGET_DOM:,} nodes | ✗ |")
            continue
        total, dom = _wire(r["transfers"]), r["dom"]
        rows.append(f"| {name(p)}: cold load, transferred in total / DOM nodes | **{_kb(total)}** / **{dom:,}** "
                    f"({len(r['transfers'])} requests, {r['seconds']:.1f} s to network idle) | < {TARGET_KB} KB, "
                    f"< {TARGET_DOM:,} nodes | {_mark(total < TARGET_KB * 1000 and dom < TARGET_DOM)} |")
    over_dom_list = (": " + ", ".join(f"`{p['page'] or '/'}` ({p['elements']:,})" for p in over_dom[:8])
                     + (" …" if len(over_dom) > 8 else "")) if over_dom else ""
    rows += [
        (f"| records past their display date found in the site's HTML and JSON (search index included): "
         f"{len(gone)} penalties, {len(gone_listings):,} 黑名单 listing decision numbers | **{len(leaked)}**"
         f"{': ' + ', '.join(f'{t} in {f[0]}' for t, f in list(leaked.items())[:3]) if leaked else ''} | 0 | "
         f"{_mark(not leaked)} |"),
        (f"| heaviest HTML of all {len(pages):,} HTML files (gzip, level 6) | **{_kb(heaviest['gzip'])}** "
        f"(`{heaviest['page'] or '/'}`, {_kb(heaviest['bytes'])} raw) | — | — |"),
        (f"| most elements in one HTML file (start tags) | **{most['elements']:,}** (`{most['page'] or '/'}`) | "
        f"< {TARGET_DOM:,} | {_mark(most['elements'] < TARGET_DOM)} |"),
        (f"| HTML files with {TARGET_DOM:,} elements or more | {len(over_dom):,} of {len(pages):,}{over_dom_list} | 0 | "
        f"{_mark(not over_dom)} |"),
        (f"| HTML files whose estimated load is {TARGET_KB} KB or more (HTML gzip + the {_kb(shared_bytes)} the home page "
        f"loads besides itself) | {len(over_kb):,} of {len(pages):,} | 0 | {_mark(not over_kb)} |"),
        (f"| `search/search_index.json` | {len(index_raw) / 1e6:,.2f} MB raw, "
        f"**{_kb(len(gzip.compress(index_raw, compresslevel=6, mtime=0)))}** gzip (fetched on every page load) | "
        f"(part of each page's total) | — |"),
    ]
    if "error" not in real_home:
        rows.append(f"| for comparison: home of the real site, cold load | {_kb(_wire(real_home['transfers']))} / "
                    f"{real_home['dom']:,} DOM nodes | — | — |")

    breakdown = []
    for p in wanted:
        r = loads[p]
        if "error" in r:
            continue
        ts = sorted(r["transfers"], key=lambda t: -t.body_bytes)
        top = ", ".join(f"`{t.url.replace(base, '/')}` {_kb(t.body_bytes)}" for t in ts[:3])
        breakdown.append(f"| {name(p)} | {_kb(by_page[p]['gzip']) if p in by_page else '?'} | "
                         f"{by_page[p]['elements'] if p in by_page else 0:,} | {top} |")

    lh_rows, lh_notes, version = [], [], ""
    for p in lh_pages:
        runs, stopped = lh[p]["runs"], lh[p]["stopped"]
        if not runs:
            lh_rows.append(f"| {name(p)} | " + " | ".join("—" for _ in CATEGORIES) + f" | ✗ {stopped} |")
            continue
        version = runs[0]["_version"] or version
        cells, ok = [], True
        for c in CATEGORIES:
            vals = [r[c] for r in runs if r[c] is not None]
            if not vals:
                cells.append("no score")
                ok = False
                continue
            med = int(statistics.median(vals))
            seo = ""
            if c == "seo":
                plain = [r["seo-without-noindex"] for r in runs if r["seo-without-noindex"] is not None]
                if plain:
                    med_plain = int(statistics.median(plain))
                    seo = f"; {med_plain} without is-crawlable"
                    med = med_plain  # the target leaves the demo's noindex aside
            ok = ok and med >= TARGET_LIGHTHOUSE
            cells.append(f"**{int(statistics.median(vals))}** ({min(vals)}–{max(vals)}{seo})")
        note = f"{len(runs)} run(s)" + (f"; then: {stopped}" if stopped else "")
        lh_rows.append(f"| {name(p)} | " + " | ".join(cells) + f" | {_mark(ok)} {note} |")
        m = runs[len(runs) // 2]["_metrics"]
        errored = sorted({a for r in runs for a in r["_errored"]})
        failing = sorted({a for r in runs for a in r["_failing"]})
        lh_notes.append(f"- {name(p)}: FCP {m['first-contentful-paint']}, LCP {m['largest-contentful-paint']}, TBT "
                        f"{m['total-blocking-time']}, CLS {m['cumulative-layout-shift']} (middle run; "
                        f"{statistics.median(r['_seconds'] for r in runs):.0f} s per run); audits that errored: "
                        f"{', '.join(errored) or 'none'}; below 0.9: {', '.join(failing) or 'none'}.")

    past = pen["past_display"]
    return f"""## The site at a city's volume (issue 15)

Package: `build/bench/scale/package/` ({"reused" if reused else "generated"}; not committed), a copy of `datasets/` with
{pen['rows']:,} fictional penalties from `tests/fictional.penalty_rows(seed={SEED})`, of which {pen['on_display']:,} are on
display on {BUILD_DATE} (decisions {pen['oldest_decision_on_display']} to {BUILD_DATE}, {pen['on_display_without_publicity_until']:,} without
publicity_until) and {len(past)} are past their display period ({", ".join(r["decision_number"] for r in past[:3])} …), and
{bl['rows']:,} fictional 黑名单 rows from `blacklist_rows(seed={SEED})`, {bl['on_display']:,} on display ({bl['enterprises_on_display']:,} enterprises).
The generator's decisions (2016-2020) move by whole years into the window that keeps each on display (the module's
docstring says how); `build/bench/scale/expected.json` lists what is and is not on display. It passes
`python -m pipeline validate`{f" ({warnings.group(0)})" if warnings else ""}. Built with `BUILD_DATE={BUILD_DATE}`,
`SITE_URL={site_url}`, `--demo` into `build/bench/scale/build`; the real package with `--force` into
`build/bench/scale/build-real`, in the same run, one build at a time, each full build from an empty output directory
(no cache of an earlier build). The rebuild appends
`{added['decision_number']}` ({added['party_name']}, already present) to the package's `penalties.csv`, builds without
`--force`, and restores the file. Pages were measured on the build with that penalty in, served by
`tests/browser.serve_directory(gzip=True)` (text at gzip level 6) and loaded cold at 375×812 in Debian chromium until the
network is idle; "transferred" sums every response (page, CSS, JS, search worker, search index), body as sent plus
headers. Load average when the builds started: {load:.2f} (2 cores; other work may share them, which moves wall
times by tens of percent: the CPU times, user + system of each build, move less).

| measured | figure | target | met |
|---|---|---:|:-:|
{chr(10).join(rows)}

Pages loaded in Chromium, by their own HTML and their three largest transfers:

| page | HTML gzip | elements (static) | largest transfers (as sent) |
|---|---:|---:|---|
{chr(10).join(breakdown)}

### Lighthouse {version}, mobile (simulated slow 4G, 4× CPU), median of up to {LIGHTHOUSE_RUNS} runs (min–max)

`node_modules/.bin/lighthouse URL --chrome-flags="{CHROME_FLAGS}"` against the gzip server above; a run that has no
result after {LIGHTHOUSE_TIMEOUT_S} s is killed and is the page's last. Target: {TARGET_LIGHTHOUSE} or more in all four
categories; SEO is judged without `is-crawlable`, which the demo's `noindex` fails by design.

| page | performance | accessibility | best practices | SEO | met |
|---|---:|---:|---:|---:|---|
{chr(10).join(lh_rows)}

{chr(10).join(lh_notes)}

Reproduce: `.venv/bin/python -m bench --only scale` (about {max(1, round((time.perf_counter() - t) / 60))} min here; needs
Debian `chromium` and `npm ci` for Lighthouse). The generator alone: `tests/test_bench_scale.py`.
"""


SECTIONS = {"scale": section_scale}

if __name__ == "__main__":
    print(section_scale())
