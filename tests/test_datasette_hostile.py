"""Datasette against what visitors send (issue 13): nothing runs unbounded, leaks or exhausts the server.

One test per class of attack found in review, each with payloads of its own, against the
real server: the command line `make serve` uses (pipeline.datasette.datasette_command)
over the demo database that tests/test_datasette.py builds.  Memory is the server's
resident set (VmRSS in /proc/PID/status), sampled while the attack runs; a page's speed
is compared with the same page measured earlier in the same test, and a stopped query's
time with the configured time limit, never with a fixed time.
"""

from __future__ import annotations

import concurrent.futures
import html
import importlib.util
import json
import os
import statistics
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from pipeline.datasette import (
    PLUGINS_DIR,
    SETTINGS,
    datasette_command,
    render_metadata,
    write_inspect_file,
)
from pipeline.datasette.metadata import dumps
from tests.test_datasette import free_port, get, rows_of, wait_for

TIME_LIMIT_S = int(SETTINGS["sql_time_limit_ms"]) / 1000
CROSS_JOIN = "(select count(*) from passages a, passages b, passages c, passages d) > 0"  # 118^4 rows: seconds


def rows_of_n(n: int, *columns: str) -> str:
    """A query returning n rows of these expressions."""
    return (f"with recursive r(i) as (select 1 union all select i + 1 from r limit {n}) "
            f"select {', '.join(columns)} from r")


class Server:
    def __init__(self, base: str, proc: subprocess.Popen):
        self.base, self.pid = base, proc.pid

    def rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024

    def sandboxes(self) -> set[int]:
        """The sandbox processes running visitors' SQL (plugins/sql_sandbox.py)."""
        found = set()
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    command = f.read()
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.pid and b"sql_sandbox.py" in command:
                found.add(int(entry))
        return found

    def sandbox_replies(self) -> int:
        """Bytes the sandboxes have written so far: each query they run adds its reply."""
        total = 0
        for pid in self.sandboxes():
            with open(f"/proc/{pid}/io") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("wchar"))
        return total


@contextmanager
def running_server(db: Path, work: Path, plugins: dict | None = None):
    """The real server over the demo database, with plugins' configuration added to its metadata."""
    inspect_file = write_inspect_file(db, work / "inspect.json")
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    meta = render_metadata(site="https://safety.example.org/", dsurl=base, use_env=False)
    meta.setdefault("plugins", {}).update(plugins or {})
    metadata = work / "metadata.json"
    metadata.write_text(dumps(meta), encoding="utf-8")
    with open(work / "datasette.log", "w") as log:
        proc = subprocess.Popen(datasette_command(db, metadata, inspect_file, port=port),
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(base + "-/versions.json", proc)
            server = Server(base, proc)
            deadline = time.monotonic() + 30
            while len(server.sandboxes()) < 2 and time.monotonic() < deadline:  # started with the server
                time.sleep(0.1)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    with running_server(demo_db, tmp_path_factory.mktemp("datasette-hostile")) as server:
        yield server


class PeakRSS:
    """The highest VmRSS of a process while the block runs, sampled every few ms."""

    def __init__(self, server: Server):
        self.server, self.mb, self._stop = server, 0.0, threading.Event()

    def _sample(self):
        while not self._stop.is_set():
            self.mb = max(self.mb, self.server.rss_mb())
            time.sleep(0.003)

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed(server: Server, path: str, **params) -> tuple[int, bytes, float]:
    t = time.monotonic()
    status, _, body = get(server.base, path, **params)
    return status, body, time.monotonic() - t


_served = iter(range(10**9))


def normal_page(server: Server) -> float:
    """Seconds for a table page nobody has asked for (a new ignored parameter each time, so
    the response cache cannot answer it)."""
    status, _, took = timed(server, "safety/indicator_status.json", _n=next(_served))
    assert status == 200
    return took


def error_of(body: bytes) -> str:
    """The title and message of a Datasette error, JSON or HTML, as text."""
    text = body.decode("utf-8", "replace")
    try:
        data = json.loads(text)
        return f"{data.get('title')} {data.get('error')}"
    except ValueError:
        return html.unescape(text)


def sandbox_limits():
    spec = importlib.util.spec_from_file_location("sqlite_limits_under_test", PLUGINS_DIR / "sqlite_limits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------
# 1. Size: no answer a visitor asks for grows the server
# ---------------------------------------------------------------------------

@pytest.mark.server
def test_oversized_results_are_refused_before_the_server_holds_them(server):
    # Guards against the 1.5 GB answer: thirty 9 MB zero blobs through ?sql= made a 1.5 GB
    # JSON response (each zero byte is written \u0000), the server grew to 1.8 GB (11 GB at
    # sixty rows) and every page waited 5 s.  Here forty 8 MB blobs are asked for in every
    # format, wide and escaped results besides, and queries that need gigabytes to run:
    # all refused with a message in both languages, and the server stays its size.
    blobs = rows_of_n(40, "zeroblob(8000000) as z", "i")
    attacks = [
        (("safety.json", {"sql": blobs}), "Result too large"),
        (("safety.json", {"sql": blobs, "_shape": "objects"}), "Result too large"),
        (("safety.csv", {"sql": blobs}), "Result too large"),
        (("safety.csv", {"sql": blobs, "_stream": "on"}), "Result too large"),
        (("safety", {"sql": blobs}), "Result too large"),
        # 3,000 texts of 2,000 `&`: 6 MB as JSON, 30 MB as an HTML table (&amp;)
        (("safety", {"sql": rows_of_n(1000, *["printf('%.*c', 2000, '&')"] * 3)}), "Result too large"),
        # 60,000 small values: cheap as JSON, seconds of the event loop as HTML
        (("safety", {"sql": rows_of_n(1000, *["i"] * 60)}), "Result too large"),
        # sixty 9 MB blobs in one row; a sort of 500 MB
        (("safety.json", {"sql": "select " + ", ".join(["zeroblob(9000000)"] * 60)}), "Query too large"),
        (("safety.json", {"sql": rows_of_n(100, "zeroblob(5000000) as b", "i") + " order by random()"}),
         "Query too large"),
    ]
    normal_before = [normal_page(server) for _ in range(20)]
    before = server.rss_mb()
    stop = threading.Event()
    normal_during: list[float] = []

    def keep_asking():
        while not stop.is_set():
            normal_during.append(normal_page(server))

    with PeakRSS(server) as peak, concurrent.futures.ThreadPoolExecutor(8) as pool:
        watcher = pool.submit(keep_asking)
        results = list(pool.map(lambda a: (a[1], *get(server.base, a[0][0], **a[0][1])), attacks * 3))
        # and the largest answer that fits: 2.4 MB of zero bytes, 14.4 MB of JSON
        fits = [pool.submit(get, server.base, "safety.json", sql="select zeroblob(2400000) as z") for _ in range(4)]
        fits = [f.result() for f in fits]
        stop.set()
        watcher.result()
    needs_gigabytes = {a[0][1]["sql"] for a in attacks if a[1] == "Query too large"}
    for (expected, status, _, body), (request, _) in zip(results, attacks * 3):
        assert status == 400, (expected, body[:300])
        message = error_of(body)
        if request[1].get("sql") in needs_gigabytes and "SQL query took too long" in message:
            # Which cap stops a query that needs gigabytes first, memory or time, depends on the
            # machine's speed and on what else the lanes run (a clean CI machine hit the 1 s limit
            # first on the 500 MB sort, a loaded one on the sixty 9 MB blobs): either refusal keeps
            # the server its size, which the peak below checks.
            continue
        assert expected in message and ("结果过大" in message or "查询过大" in message), message
    assert all(status == 200 and len(body) > 14_000_000 for status, _, body in fits)
    # Before: +1,700 MB.  Now at most two answers at a time (the lanes), each held about four
    # times over while it is encoded and sent (rows, JSON text, bytes, socket buffer): 2 x 4
    # x 16 MB, and room.  (Measured: +110 MB.)
    assert peak.mb - before < 200, (before, peak.mb)
    assert statistics.median(normal_during) < 20 * statistics.median(normal_before), (normal_before, normal_during)


@pytest.mark.server
def test_any_answer_over_the_response_bound_is_refused(demo_db, tmp_path):  # noqa: F811
    # The bound on every answer, whatever made it (plugins/response_limit.py), lowered to
    # 20 KB here so that pages of the demo database pass it.
    with running_server(demo_db, tmp_path, {"nanchang-response-limit": {"max_mb": 0.02}}) as small:
        status, headers, body = get(small.base, "safety/passages.json", _size="max")  # 91 KB
        assert status == 400 and headers["access-control-allow-origin"] == "*"
        error = json.loads(body)
        assert error["title"] == "响应过大 / Response too large" and "0.02 MB" in error["error"]
        status, _, body = get(small.base, "safety/passages", _size="max")  # 223 KB
        assert status == 400 and "这个响应超过" in body.decode() and "larger than the" in body.decode()
        assert get(small.base, "safety/passages.json", _size="5")[0] == 200  # 6 KB
        # a streamed CSV (47 KB) is bounded by max_csv_mb instead
        status, _, body = get(small.base, "safety/passages.csv", _stream="on")
        assert status == 200 and len(body) > 0.02 * 1024 * 1024


# ---------------------------------------------------------------------------
# 2. Isolation: every expression a visitor writes runs in the sandbox, on its lanes
# ---------------------------------------------------------------------------

VISITOR_EXPRESSIONS = [
    ("safety.json", {"sql": "select count(*) from passages"}),
    ("safety/passages.json", {"_where": "seq > 10"}),
    ("safety/passages.json", {"_facet": "chapter"}),
    ("safety/passages.json", {"_facet_array": "kind"}),
    ("safety/passages.json", {"_facet_date": "kind"}),
    ("safety/passages.json", {"_search": "打非治违"}),
    ("safety/passages.json", {"_search": "打非 OR 治违", "_searchmode": "raw"}),
    ("safety/passages.json", {"_search_text": "打非治违"}),
    ("safety/passages.json", {"text__contains": "安全"}),
    ("safety/passages.json", {"text__like": "%安全%生产%"}),
    ("safety/passages.json", {"text__glob": "*安全*"}),
    ("safety/passages.json", {"locator_zh__startswith": "表"}),
    ("safety/passages.csv", {"_where": "seq > 10", "_stream": "on"}),
]
PLAIN_PAGES = [
    ("safety/passages.json", {"kind": "table_row"}),
    ("safety/passages.json", {"_sort_desc": "seq", "_size": "max"}),
    ("safety/passages.csv", {"_stream": "on"}),
    ("safety/targets_missed.json", {}),
    ("safety/blacklist.json", {}),
    ("safety/passages", {}),
]


@pytest.mark.server
@pytest.mark.parametrize("path, params", VISITOR_EXPRESSIONS)
def test_visitor_expressions_run_in_the_sandbox(server, path, params):
    # Guards against expressions that bypassed the isolation: only ?sql= went to the
    # low-priority threads, so ?_where=, ?_facet= and search ran on the table pages' own.
    # Each query the sandbox runs adds its reply to the bytes it has written.
    before = server.sandbox_replies()
    status, _, body = get(server.base, path, _n=next(_served), **params)
    assert status in (200, 400), body[:300]  # 400: a date or array facet of a text column
    assert server.sandbox_replies() > before, (path, params)


@pytest.mark.server
def test_plain_pages_never_wait_for_the_sandbox(server):
    for path, params in PLAIN_PAGES:
        before = server.sandbox_replies()
        status, _, body = get(server.base, path, _n=next(_served), **params)
        assert status == 200, (path, body[:300])
        assert server.sandbox_replies() == before, (path, params)


@pytest.mark.server
def test_sandboxed_answers_are_datasettes(server, demo_db):  # noqa: F811
    # Rows come back from another process: names, order, types, truncation, paging and
    # errors must be what Datasette gives in-process.
    data = json.loads(get(server.base, "safety/passages.json", _where="seq > 10", _shape="objects",
                          _size="max")[2])
    expected = rows_of(demo_db, "select * from passages where seq > 10 order by seq")  # the table's sort
    assert [{k: v for k, v in r.items() if k != "rowid"} for r in data["rows"]] == expected
    assert data["filtered_table_rows_count"] == len(expected)
    data = json.loads(get(server.base, "safety.json", sql=rows_of_n(1500, "i", "x'00ff' as b", "1.5 as f", "null as n"))[2])
    assert data["truncated"] is True and len(data["rows"]) == int(SETTINGS["max_returned_rows"])
    assert data["rows"][0] == [1, {"$base64": True, "encoded": "AP8="}, 1.5, None]
    status, _, body = get(server.base, "safety.json", sql="select * from no_such_table")
    assert status == 400 and "no such table: no_such_table" in error_of(body)


@pytest.mark.server
def test_expensive_expressions_leave_table_pages_alone(server):
    # Guards against p95 of table pages going from 5 ms to 1.9 s under 8 loops of costly
    # ?_where= and ?_facet= requests.  Eight loops of cross joins through every kind of
    # visitor expression: each is stopped at the time limit, and table pages are answered
    # as fast as before the attack (within a generous factor).
    attacks = [
        ("safety/passages.json", {"_where": CROSS_JOIN}),
        ("safety/passages.json", {"_facet": "chapter", "_where": CROSS_JOIN}),
        ("safety/passages.json", {"_search": "安全生产", "_where": CROSS_JOIN}),
        ("safety/passages.csv", {"_where": CROSS_JOIN, "_stream": "on"}),
        ("safety.json", {"sql": f"select {CROSS_JOIN}"}),
    ]
    normal_before = sorted(normal_page(server) for _ in range(30))
    stop = threading.Event()
    answers: list[tuple[int, bytes]] = []

    def attack(i: int):
        while not stop.is_set():
            path, params = attacks[i % len(attacks)]
            status, _, body = get(server.base, path, _n=next(_served), **params)
            answers.append((status, body))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        loops = [pool.submit(attack, i) for i in range(8)]
        time.sleep(TIME_LIMIT_S)  # every lane busy, the other loops waiting their turn
        normal_during = sorted(normal_page(server) for _ in range(60))
        stop.set()
        for loop in loops:
            loop.result()
    assert answers
    for status, body in answers:  # the CSV export too (Datasette answered it with a 500)
        assert status == 400 and "SQL query took too long" in error_of(body), body[:300]
    p90 = lambda times: times[int(len(times) * 0.9)]  # noqa: E731
    assert statistics.median(normal_during) < 10 * statistics.median(normal_before), (normal_before, normal_during)
    assert p90(normal_during) < 20 * p90(normal_before), (normal_before, normal_during)


# ---------------------------------------------------------------------------
# 3. Memory that only grows: made-up names
# ---------------------------------------------------------------------------

@pytest.mark.server
def test_made_up_names_leave_nothing_behind(server):
    # Guards against the schema caches keeping an answer for every table name a URL
    # names: unique 404s grew the server by about 22 MB per thousand, never freed.
    def ask(i: int, tag: str) -> list[int]:
        name = f"{tag}{i}_" + "x" * 4000
        return [get(server.base, path)[0] for path in
                (f"safety/{name}", f"safety/{name}.json", f"safety/{name}/1", f"safety/{name.upper()}.csv")]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: ask(i, "warm"), range(200)))  # allocator and caches settle
        before = server.rss_mb()
        statuses = [s for answer in pool.map(lambda i: ask(i, "made_up"), range(1000)) for s in answer]
    assert set(statuses) <= {400, 404}
    # Before: about +37 MB for these 4,000 requests.
    assert server.rss_mb() - before < 10, (before, server.rss_mb())


# ---------------------------------------------------------------------------
# 4. Calls that ignore the time limit, functions that reveal the server
# ---------------------------------------------------------------------------

UNINTERRUPTIBLE = [
    # %c with a precision loops once per character, checking no interrupt: 3 x 2e9 loops
    "select printf('%.*c%.*c%.*c', 2e9, 'x', 2e9, 'x', 2e9, 'x')",
    "select format('%.*c', 2147483647, 'x')",
    # every position of 9 MB compared with 4 MB (memcmp): minutes in one call
    "select instr(printf('%.*c', 9000000, 'a'), printf('%.*c', 4000000, 'a') || 'b')",
    "select length(replace(printf('%.*c', 9000000, 'a'), printf('%.*c', 4000000, 'a') || 'b', ''))",
    "with t(x) as (select printf('%.*c', 9000000, 'a')) select " + ", ".join(["x like '%' || substr(x, 1, 40000) || 'b'"] * 20) + " from t",
]


@pytest.mark.server
def test_calls_that_ignore_the_time_limit_are_stopped(server):
    # Guards against printf('%.*c', 1e9, 'x') running 5 to 6 s against a 1 s limit: SQLite
    # checks for interrupts between instructions, not inside one call, so these ran for
    # seconds to minutes.  The sandbox that runs one is killed at the limit plus a grace
    # period and replaced, and the next query is answered.
    for sql in UNINTERRUPTIBLE:
        sandboxes = server.sandboxes()
        status, body, took = timed(server, "safety.json", sql=sql)
        assert status == 400 and "SQL query took too long" in error_of(body), (sql, body[:300])
        assert took < 3 * TIME_LIMIT_S, (sql, took)
        assert server.sandboxes() != sandboxes, sql  # the one that ran it is gone
        assert json.loads(get(server.base, "safety.json", sql="select 1 as one", _shape="array")[2]) == [{"one": 1}]
    # through ?_where= the same
    status, body, took = timed(server, "safety/passages.json", _where=f"length({UNINTERRUPTIBLE[0][7:]}) > 0")
    assert status == 400 and "SQL query took too long" in error_of(body) and took < 3 * TIME_LIMIT_S


@pytest.mark.server
def test_functions_and_pages_that_reveal_the_server_are_refused(server, demo_db):  # noqa: F811
    # Guards against fts3_tokenizer() handing out a pointer into the process (and, with two
    # arguments, installing code at an address), and against /-/databases.json and
    # pragma_database_list telling where the database file lies.
    for sql, refused in [("select fts3_tokenizer('simple')", "fts3_tokenizer"),
                         ("select fts3_tokenizer('x', x'0000000000000000')", "fts3_tokenizer"),
                         ("select load_extension('/lib/x86_64-linux-gnu/libc.so.6')", "load_extension"),
                         ("select fts5(null)", "fts5"),
                         ("select sql from sqlite_stmt", "sqlite_stmt")]:
        for path, params in (("safety.json", {"sql": sql}), ("safety/passages.json", {"_where": f"({sql}) is not null"})):
            status, _, body = get(server.base, path, **params)
            message = error_of(body)
            assert status == 400 and refused in message, (sql, body[:300])
            assert "not authorized" in message or "prohibited" in message, message
    rows = json.loads(get(server.base, "safety.json", sql="select * from pragma_database_list", _shape="array")[2])
    assert rows == [{"seq": 0, "name": "main", "file": None}]
    folder = str(Path(demo_db).resolve().parent.parent)
    for path in ("-/databases.json", "-/databases", "-/versions.json", "-/plugins.json", "-/threads.json",
                 "-/metadata.json", "safety.json"):
        status, _, body = get(server.base, path)
        assert status == 200 and folder not in body.decode("utf-8"), path
    [db] = json.loads(get(server.base, "-/databases.json")[2])
    assert "path" not in db and db["name"] == "safety"


@pytest.mark.server
def test_every_function_sqlite_offers_has_been_read(server):
    # A newer SQLite adds functions; each must be read and listed as allowed or refused
    # in plugins/sqlite_limits.py (until then the authorizer refuses it).
    limits = sandbox_limits()
    assert not limits.ALLOWED_FUNCTIONS & set(limits.REFUSED_FUNCTIONS)
    offered = json.loads(get(server.base, "safety.json", sql="select distinct name from pragma_function_list",
                             _shape="arrayfirst")[2])
    assert offered and set(offered) - limits.ALLOWED_FUNCTIONS - set(limits.REFUSED_FUNCTIONS) == set()
