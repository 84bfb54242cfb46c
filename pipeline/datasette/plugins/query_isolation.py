"""Keep arbitrary SQL from slowing everyone else down.  Reads and writes no data.

Datasette runs every query, a table page's or a visitor's own ?sql=, on one pool of
threads, and enforces sql_time_limit_ms with a SQLite progress handler: a Python
function called every 1,000 virtual-machine instructions.  Under a loop of hostile
queries (a cross join of the penalty table with itself) that costs everyone else twice:

- the hostile queries hold the shared threads, so table pages wait for a free one;
- the progress handler takes the GIL about every 0.1 ms from each running query, so
  the event loop that answers every request is preempted over and over.

This plugin changes both, and one more thing, for Datasette 0.65 (checked at start):

1. The time limit is enforced by one watchdog thread that calls `conn.interrupt()` at
   the deadline.  A running query never enters Python; the error is the same
   ("interrupted" -> 400 "SQL query took too long").
2. The visitor's query of a request with `sql=` in its query string (arbitrary SQL; saved
   queries and table pages are not affected) runs on its own `arbitrary_sql_threads`
   threads (default 2), at the lowest CPU priority (nice 19): it takes what CPU the table
   pages leave, and at most that many run at once (the rest wait their turn).
3. A query that fails frees its cursor in its own thread (see `_frees_its_cursor`): freed
   later on the event loop, it could stop the whole server for up to the time limit.

Configure in metadata: plugins -> nanchang-query-isolation -> {"arbitrary_sql_threads": 2}.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
import os
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import parse_qs

import datasette
import datasette.database as database
from datasette import hookimpl

DEFAULTS = {"arbitrary_sql_threads": 2}
ARBITRARY = contextvars.ContextVar("nanchang_arbitrary_sql", default=False)  # the request has ?sql=
ISOLATE = contextvars.ContextVar("nanchang_isolate", default=False)  # this query is the visitor's SQL

if not datasette.__version__.startswith("0.65."):  # the functions replaced below are 0.65's
    raise RuntimeError(f"query_isolation.py is written for Datasette 0.65, not {datasette.__version__}")


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


_original_execute_fn = database.Database.execute_fn
_pools: dict[int, ThreadPoolExecutor] = {}


_original_execute = database.Database.execute


async def execute(self, sql, params=None, truncate=False, custom_time_limit=None, page_size=None, log_sql_errors=True):
    """The visitor's own query is the one run with truncate=True in an arbitrary-SQL request;
    Datasette's bookkeeping queries in the same request stay on the shared threads, so they
    never wait behind hostile queries."""
    token = ISOLATE.set(True) if truncate and ARBITRARY.get() else None
    try:
        return await _original_execute(self, sql, params, truncate, custom_time_limit, page_size, log_sql_errors)
    finally:
        if token is not None:
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
    pool = _pools.get(id(self.ds)) if ISOLATE.get() else None
    if pool is None:
        return await _original_execute_fn(self, fn)

    def in_thread():
        # Connections are per thread (as Datasette's own pool keeps them).
        conn = getattr(database.connections, self.name, None)
        if not conn:
            conn = self.connect()
            self.ds._prepare_connection(conn, self.name)
            setattr(database.connections, self.name, conn)
        return fn(conn)

    return await asyncio.get_running_loop().run_in_executor(pool, in_thread)


database.sqlite_timelimit = sqlite_timelimit
database.Database.execute = execute
database.Database.execute_fn = execute_fn


@hookimpl
def asgi_wrapper(datasette):
    config = {**DEFAULTS, **(datasette.plugin_config("nanchang-query-isolation") or {})}
    threads = int(config["arbitrary_sql_threads"])
    if threads > 0 and datasette.executor is not None:
        pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="arbitrary-sql", initializer=_lowest_priority)
        # Start every thread now: the pool starts them lazily and, counting a thread that has
        # just finished a short query as idle, can leave a long one waiting behind another.
        started = threading.Barrier(threads)
        for _ in range(threads):
            pool.submit(started.wait, 10)
        _pools[id(datasette)] = pool

    def wrap(app):
        async def isolated(scope, receive, send):
            if scope["type"] == "http" and "sql" in parse_qs((scope.get("query_string") or b"").decode("latin-1")):
                token = ARBITRARY.set(True)
                try:
                    return await app(scope, receive, send)
                finally:
                    ARBITRARY.reset(token)
            return await app(scope, receive, send)

        return isolated

    return wrap
