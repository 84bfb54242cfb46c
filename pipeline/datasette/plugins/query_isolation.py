"""Keep arbitrary SQL from slowing everyone else down.  Reads and writes no data.

Datasette runs every query, a table page's or a visitor's own ?sql=, on one pool of
threads, and enforces sql_time_limit_ms with a SQLite progress handler: a Python
function called every 1,000 virtual-machine instructions.  Under a loop of hostile
queries (a cross join of the penalty table with itself) that costs everyone else twice:

- the hostile queries hold the shared threads, so table pages wait for a free one;
- the progress handler takes the GIL about every 0.1 ms from each running query, so
  the event loop that answers every request is preempted over and over.

This plugin changes both, for Datasette 0.65 (checked at start):

1. The time limit is enforced by one watchdog thread that calls `conn.interrupt()` at
   the deadline.  A running query never enters Python; the error is the same
   ("interrupted" -> 400 "SQL query took too long").
2. Queries of a request with `sql=` in its query string (arbitrary SQL; saved queries
   and table pages are not affected) run on their own `arbitrary_sql_threads` threads
   (default 2), at the lowest CPU priority (nice 19): they take what CPU the table pages
   leave, and at most that many run at once (the rest wait their turn).

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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from urllib.parse import parse_qs

import datasette
import datasette.database as database
from datasette import hookimpl

DEFAULTS = {"arbitrary_sql_threads": 2}
ARBITRARY = contextvars.ContextVar("nanchang_arbitrary_sql", default=False)

if not datasette.__version__.startswith("0.65."):  # the two functions replaced below are 0.65's
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
        with self._lock:
            heapq.heappush(self._heap, (time.monotonic() + seconds, ticket, conn))
            self._live.add(ticket)
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


async def execute_fn(self, fn):
    pool = _pools.get(id(self.ds)) if ARBITRARY.get() else None
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
database.Database.execute_fn = execute_fn


@hookimpl
def startup(datasette):
    config = {**DEFAULTS, **(datasette.plugin_config("nanchang-query-isolation") or {})}
    threads = int(config["arbitrary_sql_threads"])
    if threads > 0 and datasette.executor is not None:
        _pools[id(datasette)] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="arbitrary-sql",
                                                   initializer=_lowest_priority)


@hookimpl
def asgi_wrapper(datasette):
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
