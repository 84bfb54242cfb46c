"""Keep visitors' own SQL from slowing, stopping or exhausting the server.  Reads and writes no data.

Datasette runs every query, a table page's or a visitor's own, on one pool of threads,
and enforces sql_time_limit_ms with a SQLite progress handler: a Python function called
every 1,000 virtual-machine instructions.  Under a loop of hostile queries (a cross join
of the penalty table with itself) that costs everyone else twice: the hostile queries
hold the shared threads, so table pages wait for a free one; and the progress handler
takes the GIL about every 0.1 ms from each running query, so the event loop that answers
every request is preempted over and over.  And some queries cannot be stopped at all from
inside the process (see sql_sandbox.py: one function call that runs for minutes, or asks
for gigabytes).  This plugin, for Datasette 0.65 (checked at start):

1. Enforces the time limit with one watchdog thread that calls `conn.interrupt()` at the
   deadline.  A running query never enters Python; the error is the same ("interrupted"
   -> 400 "SQL query took too long").
2. Sends every query of a request that carries the visitor's own SQL or expressions
   (carries_visitor_sql: ?sql=, ?_where=, ?_facet*=, ?_search*=, ?_through=, ?_fts_table=,
   ?_fts_pk=, and the filters whose LIKE/GLOB pattern the visitor writes) to
   `arbitrary_sql_threads` lanes (default 2) at the lowest CPU priority (nice 19).  Such a
   request holds a lane from its start until its answer starts; the others wait their
   turn.  So a visitor's result, and the page made of it, exist for at most that many
   requests at once, and table pages and saved queries without those parameters never
   wait for a lane.  Each lane hands its queries to its own sandbox process
   (sql_sandbox.py) and waits at most the time limit plus GRACE_S: a sandbox still busy
   then (in a call SQLite does not interrupt) is killed and replaced, and the visitor gets
   the usual 400 "SQL query took too long".  Rows come back only if they make at most
   `max_result_mb` of JSON or of HTML table and hold at most `max_result_values` values;
   otherwise the answer is 400 with a message in both languages.
   - 16 MB: more than five times the largest page anyone can ask of safety.db without
     SQL (1,000 rows of the penalty table: 2.9 MB as HTML, 1.0 MB as JSON).
   - 30,000 values: that page's size (1,000 rows of the widest table, 30 columns).  Datasette
     spends 10 to 20 µs of the event loop on each value of an HTML page, so no visitor's
     query costs more to show than a page anyone can ask for.
3. Frees a failed in-process query's cursor in its own thread (see `_frees_its_cursor`):
   freed later on the event loop, it could stop the whole server for up to the time limit.

Configure in metadata: plugins -> nanchang-query-isolation -> {"arbitrary_sql_threads": 2,
"max_result_mb": 16, "max_result_values": 30000}.  arbitrary_sql_threads 0 turns 2 off.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import io
import itertools
import json
import os
import pickle
import select
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs

import datasette
import datasette.database as database
from datasette import hookimpl
from datasette.views.base import DataView, DatasetteError

DEFAULTS = {"arbitrary_sql_threads": 2, "max_result_mb": 16, "max_result_values": 30_000}
SANDBOX = Path(__file__).with_name("sql_sandbox.py")
GRACE_S = 0.5  # past the time limit before a sandbox that ignores its interrupt is killed
STARTUP_S = 30  # for a new sandbox to import, open the database and say it is ready

# Query-string parameters that put the visitor's own text into SQL (or into a LIKE/GLOB
# pattern or a full-text query), or make SQLite group or join by a column of their choice.
VISITOR_PARAMS = frozenset({"sql", "_where", "_search", "_through", "_fts_table", "_fts_pk"})
VISITOR_PREFIXES = ("_facet", "_search_")  # _facet, _facet_array, _facet_date; _search_COLUMN
NOT_VISITOR = frozenset({"_facet_size"})  # only sizes the configured facets
PATTERN_FILTERS = ("__contains", "__startswith", "__endswith", "__like", "__notlike", "__glob")

ARBITRARY = contextvars.ContextVar("nanchang_arbitrary_sql", default=False)  # the request carries visitor SQL
ISOLATE = contextvars.ContextVar("nanchang_isolate", default=False)  # run this query on a lane, in-process

if not datasette.__version__.startswith("0.65."):  # the functions replaced below are 0.65's
    raise RuntimeError(f"query_isolation.py is written for Datasette 0.65, not {datasette.__version__}")


def carries_visitor_sql(query_string: str) -> bool:
    for key in parse_qs(query_string, keep_blank_values=True):
        if (key in VISITOR_PARAMS or key.endswith(PATTERN_FILTERS)
                or (key.startswith(VISITOR_PREFIXES) and key not in NOT_VISITOR)):
            return True
    return False


class Watchdog:
    """Interrupts each connection whose deadline has passed; one thread for all of them."""

    def __init__(self):
        self._lock = threading.Condition()
        self._heap: list = []  # (deadline, ticket, connection)
        self._live: set = set()
        self._tickets = itertools.count()
        threading.Thread(target=self._run, name="sql-time-limit", daemon=True).start()

    def arm(self, conn, seconds: float) -> int:
        ticket = next(self._tickets)
        deadline = time.monotonic() + seconds
        with self._lock:
            # Wake the watchdog only when it would otherwise sleep past this deadline.
            wake = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, ticket, conn))
            self._live.add(ticket)
            if wake:
                self._lock.notify()
        return ticket

    def disarm(self, ticket: int) -> None:
        with self._lock:
            self._live.discard(ticket)

    def _run(self) -> None:
        with self._lock:
            while True:
                while self._heap and self._heap[0][1] not in self._live:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._lock.wait()
                    continue
                deadline, ticket, conn = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(ticket)
                conn.interrupt()


WATCHDOG = Watchdog()


@contextmanager
def sqlite_timelimit(conn, ms):
    """Drop-in for datasette.utils.sqlite_timelimit: same error, no Python inside the query."""
    ticket = WATCHDOG.arm(conn, ms / 1000)
    try:
        yield
    finally:
        WATCHDOG.disarm(ticket)


def _lowest_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # Linux: per thread
    except (AttributeError, OSError):
        pass


# ---------------------------------------------------------------------------
# The sandbox process of one lane (one per database), seen from the lane's thread
# ---------------------------------------------------------------------------

HEADER = struct.Struct(">Q")  # as in sql_sandbox.py


class _PlainValues(pickle.Unpickler):
    """The sandbox runs visitors' SQL, so what it sends is read as plain values only."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"the sandbox sent {module}.{name}, not a plain value")


class Sandbox:
    def __init__(self, db):
        self.config = json.dumps({"path": str(db.path), "cache_size_kb": db.ds.setting("cache_size_kb") or 2000})
        self.proc = None
        self.ready = False
        self._start()

    def _start(self) -> None:
        # Its own session: Ctrl-C in a terminal is for the server, which ends the sandbox by
        # closing its stdin.  Two malloc arenas keep its address space (capped) for data.
        self.proc = subprocess.Popen([sys.executable, str(SANDBOX), self.config], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, bufsize=0, close_fds=True, start_new_session=True,
                                     env={**os.environ, "MALLOC_ARENA_MAX": "2"})
        self.ready = False

    def _kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()

    def _read(self, deadline: float):
        fd = self.proc.stdout.fileno()

        def exactly(n: int) -> bytes:
            chunks, got = [], 0
            while got < n:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise TimeoutError
                chunk = os.read(fd, min(n - got, 1 << 20))
                if not chunk:
                    raise EOFError
                chunks.append(chunk)
                got += len(chunk)
            return b"".join(chunks)

        (size,) = HEADER.unpack(exactly(HEADER.size))
        return _PlainValues(io.BytesIO(exactly(size))).load()

    def wait_ready(self) -> bool:
        if not self.ready:
            try:
                self.ready = self._read(time.monotonic() + STARTUP_S) == ("ready",)
            except (TimeoutError, EOFError, OSError, pickle.UnpicklingError):
                self.ready = False
            if not self.ready:
                self._kill()
                self._start()
        return self.ready

    def query(self, request: tuple, seconds: float) -> tuple:
        if self.proc.poll() is not None:  # ended since its last query
            self._kill()
            self._start()
        if not self.wait_ready():
            return ("unavailable",)
        try:
            payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
            frame = memoryview(HEADER.pack(len(payload)) + payload)
            while frame:
                frame = frame[os.write(self.proc.stdin.fileno(), frame):]
            return self._read(time.monotonic() + seconds)
        except (TimeoutError, EOFError, OSError, pickle.UnpicklingError):
            # Still busy past its deadline (a call that ignores interrupts), or gone.  The next
            # query of this lane gets a new sandbox, started now.
            self._kill()
            self._start()
            return ("killed",)


_lane = threading.local()  # per lane thread: {database path: Sandbox}, row templates


def _sandbox(db) -> Sandbox:
    sandboxes = _lane.__dict__.setdefault("sandboxes", {})
    if db.path not in sandboxes:
        sandboxes[db.path] = Sandbox(db)
    return sandboxes[db.path]


def _row_template(names: tuple):
    """A cursor whose description has these column names, to build sqlite3.Row objects from
    the sandbox's tuples (Datasette reads rows by name as well as by position)."""
    templates = _lane.__dict__.setdefault("templates", OrderedDict())
    cursor = templates.get(names)
    if cursor is None:
        conn = _lane.__dict__.setdefault("row_conn", sqlite3.connect(":memory:"))
        quoted = ", ".join('null as "{}"'.format(n.replace('"', '""')) for n in names)
        cursor = templates[names] = conn.execute(f"select {quoted}")
        if len(templates) > 64:
            templates.popitem(last=False)
    templates.move_to_end(names)
    return cursor


class Lanes:
    # Not a dataclass: Datasette loads plugin files without putting them in sys.modules.
    def __init__(self, threads: int, max_bytes: int, max_values: int):
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="arbitrary-sql",
                                       initializer=_lowest_priority)
        self.gate = asyncio.Semaphore(threads)  # a visitor request per lane, until its answer starts
        self.max_bytes = max_bytes
        self.max_values = max_values


class ResultTooLarge(DatasetteError):
    def __init__(self, lanes: Lanes):
        mb, values = lanes.max_bytes // (1024 * 1024), f"{lanes.max_values:,}"
        super().__init__(
            f"查询结果超过上限（JSON 或 HTML {mb} MB，或 {values} 个值），没有发送。请减少行数（LIMIT 或 _size）"
            f"或列，或下载完整数据文件。 / The result of this query is over the limit ({mb} MB as JSON or HTML, or"
            f" {values} values) and was not sent: ask for fewer rows (LIMIT or _size) or columns, or use the data"
            " downloads.",
            title="结果过大 / Result too large", status=400)


class QueryTooBig(DatasetteError):
    def __init__(self):
        super().__init__(
            "这个查询需要的内存超过访客查询的上限，已停止。 / This query needs more memory than a"
            " visitor's query may use, and was stopped.",
            title="查询过大 / Query too large", status=400)


def _run_in_sandbox(lanes: Lanes, db, sql, params, truncate, custom_time_limit, page_size):
    # As Database.execute does in-process: the same time limit, page size and truncation.
    ds = db.ds
    time_limit_ms = ds.sql_time_limit_ms
    if custom_time_limit and custom_time_limit < time_limit_ms:
        time_limit_ms = custom_time_limit
    page_size = page_size or ds.page_size
    max_returned_rows = ds.max_returned_rows
    if max_returned_rows == page_size:
        max_returned_rows += 1
    fetch = max_returned_rows + 1 if max_returned_rows and truncate else None
    request = (sql, dict(params) if isinstance(params, dict) else params, time_limit_ms, fetch,
               lanes.max_bytes, lanes.max_values, ds.setting("truncate_cells_html") or 0)
    reply = _sandbox(db).query(request, time_limit_ms / 1000 + GRACE_S)
    if reply[0] == "ok":
        _, rows, description = reply
        truncated = fetch is not None and len(rows) > max_returned_rows
        if fetch is not None:
            rows = rows[:max_returned_rows]
        rows = [sqlite3.Row(_row_template(tuple(d[0] for d in description)), r) for r in rows] if description else []
        return database.Results(rows, truncated, description)
    if reply[0] == "killed" or reply[1:] == ("OperationalError", "interrupted"):
        raise database.QueryInterrupted(sqlite3.OperationalError("interrupted"), sql, params)
    if reply[0] == "error":
        # Whatever SQLite's error, it is the visitor's SQL that failed: OperationalError is
        # what Datasette answers with 400 on every page (a DatabaseError was a 500 on tables).
        raise sqlite3.OperationalError(reply[2])
    if reply[0] == "too_large":
        raise ResultTooLarge(lanes)
    if reply[0] == "memory":
        raise QueryTooBig()
    raise DatasetteError("访客查询的沙箱无法启动 / The sandbox for visitors' queries could not start",
                         title="Service unavailable", status=503)


def _sandboxable(db, params) -> bool:
    # The sandbox opens the database file itself: immutable files only.  Saved queries pass
    # MagicParameters (resolved in this process); they are the project's own SQL anyway.
    return (not db.is_mutable and not db.is_memory and bool(db.path)
            and (params is None or type(params) in (dict, list, tuple)))


# ---------------------------------------------------------------------------
# Routing: Database.execute, Database.execute_fn
# ---------------------------------------------------------------------------

_lanes: dict[int, Lanes] = {}  # by id(Datasette)
_original_execute = None  # Database.execute as the other plugins left it (see _install)
_original_execute_fn = database.Database.execute_fn


def _load_search_sql():
    """chinese_search.search_sql, loaded from its file (plugins are loaded by path, not as a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("nanchang_chinese_search_sql", Path(__file__).with_name("chinese_search.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.search_sql


_search_sql = _load_search_sql()


def _search_layout(db) -> tuple[dict, frozenset]:
    """What the database's metadata says about its search index (nanchang-chinese-search):
    tables whose rows it holds in their pages' order, and tables with a count of rows per pair
    of characters (chinese_search.search_sql).  The metadata cannot change while serving."""
    key = (id(db.ds), db.name)
    layout = _layouts.get(key)
    if layout is None:
        config = db.ds.plugin_config("nanchang-chinese-search", database=db.name, fallback=False) or {}
        layout = _layouts[key] = (config.get("rowid_order") or {}, frozenset(config.get("pair_counts") or ()))
    return layout


_layouts: dict[tuple, tuple] = {}

# Datasette 0.65's own lookups of a table's name (permission_allowed, Database.table_exists): fixed
# SQL, the name a bound parameter.  They run in this process even for a visitor's request: in
# the sandbox each would be a round trip (two per searched page, 0.3 ms each at 1M rows).
DATASETTE_LOOKUPS = frozenset({
    "select name from sqlite_master where type in ('table', 'view') and name = ? collate nocase",
    "select 1 from sqlite_master where type='table' and name=?",
})


async def execute(self, sql, params=None, truncate=False, custom_time_limit=None, page_size=None, log_sql_errors=True):
    # a searched page's SQL planned for many matches (chinese_search.search_sql)
    sql = _search_sql(sql, *_search_layout(self))
    lanes = _lanes.get(id(self.ds)) if ARBITRARY.get() and sql not in DATASETTE_LOOKUPS else None
    if lanes is None:
        return await _original_execute(self, sql, params, truncate, custom_time_limit, page_size, log_sql_errors)
    if _sandboxable(self, params):
        return await asyncio.get_running_loop().run_in_executor(
            lanes.pool, _run_in_sandbox, lanes, self, sql, params, truncate, custom_time_limit, page_size)
    token = ISOLATE.set(True)  # on a lane's thread, in this process (execute_fn below)
    try:
        return await _original_execute(self, sql, params, truncate, custom_time_limit, page_size, log_sql_errors)
    finally:
        ISOLATE.reset(token)


def _frees_its_cursor(fn):
    """fn, but a failure leaves no cursor behind for another thread to free.

    A query that fails (an interrupted one, say) raises an exception whose traceback holds
    the frame, and so the cursor, that ran it.  The exception travels to the event loop,
    and when the loop drops it the cursor is freed there: freeing resets its statement,
    which waits for the connection's mutex.  By then the connection (one per thread) is
    running the next query, perhaps another hostile one: the event loop thread blocks,
    holding the GIL, until that query ends, and the whole server stops for up to
    sql_time_limit_ms.  Clearing the finished frames here frees the cursor at once, in
    the thread that owns the connection."""

    def run(conn):
        try:
            return fn(conn)
        except BaseException as exc:
            seen = set()
            while exc is not None and id(exc) not in seen:
                seen.add(id(exc))
                traceback.clear_frames(exc.__traceback__)
                exc = exc.__cause__ or exc.__context__
            raise

    return run


async def execute_fn(self, fn):
    fn = _frees_its_cursor(fn)
    lanes = _lanes.get(id(self.ds)) if ISOLATE.get() else None
    if lanes is None:
        return await _original_execute_fn(self, fn)

    def in_thread():
        # Connections are per thread (as Datasette's own pool keeps them).
        conn = getattr(database.connections, self.name, None)
        if not conn:
            conn = self.connect()
            self.ds._prepare_connection(conn, self.name)
            setattr(database.connections, self.name, conn)
        return fn(conn)

    return await asyncio.get_running_loop().run_in_executor(lanes.pool, in_thread)


def _install() -> None:
    """Replace Database.execute once every plugin file has been loaded (asgi_wrapper runs
    after that), so that this routing comes first: a visitor's query goes to a lane before
    any other plugin's wrapper (immutable_schema.py's cache) sees it."""
    global _original_execute
    if _original_execute is None:
        _original_execute = database.Database.execute
        database.Database.execute = execute


_original_as_csv = DataView.as_csv


async def as_csv(self, request, database_route):
    # Datasette 0.65 answers an interrupted query with 400 on every page but a CSV export,
    # where it was a 500 (and a traceback in the log for each one).
    try:
        return await _original_as_csv(self, request, database_route)
    except database.QueryInterrupted:
        raise DatasetteError("查询超时（sql_time_limit_ms）。 / SQL query took too long (sql_time_limit_ms).",
                             title="SQL Interrupted", status=400) from None


database.sqlite_timelimit = sqlite_timelimit
database.Database.execute_fn = execute_fn
DataView.as_csv = as_csv


def _warm_up(started: threading.Barrier, dbs: list) -> None:
    # Every lane thread starts now, with its sandboxes ready: the pool starts threads lazily
    # and, counting a thread that has just finished a short query as idle, could leave a
    # long query waiting behind another; and the first visitor should not wait for a start.
    started.wait(10)
    for db in dbs:
        _sandbox(db).wait_ready()


@hookimpl
def asgi_wrapper(datasette):
    _install()
    config = {**DEFAULTS, **(datasette.plugin_config("nanchang-query-isolation") or {})}
    threads = int(config["arbitrary_sql_threads"])
    # Datasette builds its app twice (for datasette.client, then for the server): one set of
    # lanes per Datasette.
    if threads > 0 and datasette.executor is not None and id(datasette) not in _lanes:
        lanes = _lanes[id(datasette)] = Lanes(threads, int(float(config["max_result_mb"]) * 1024 * 1024),
                                              int(config["max_result_values"]))
        started = threading.Barrier(threads)
        dbs = [db for db in datasette.databases.values() if _sandboxable(db, None)]
        for _ in range(threads):
            lanes.pool.submit(_warm_up, started, dbs)

    def wrap(app):
        async def isolated(scope, receive, send):
            if scope["type"] != "http" or not carries_visitor_sql((scope.get("query_string") or b"").decode("latin-1")):
                return await app(scope, receive, send)
            lanes = _lanes.get(id(datasette))
            token = ARBITRARY.set(True)
            try:
                if lanes is None:
                    return await app(scope, receive, send)
                # The request keeps its lane until its answer starts: its result and the page
                # made of it (up to max_result_mb, and a few hundred ms of the event loop for
                # an HTML page of max_result_values) exist for at most that many requests at once.
                await lanes.gate.acquire()
                held = True

                async def release_at_start(message):
                    nonlocal held
                    if held and message["type"] == "http.response.start":
                        held = False
                        lanes.gate.release()
                    await send(message)

                try:
                    return await app(scope, receive, release_at_start)
                finally:
                    if held:
                        lanes.gate.release()
            finally:
                ARBITRARY.reset(token)

        return isolated

    return wrap
