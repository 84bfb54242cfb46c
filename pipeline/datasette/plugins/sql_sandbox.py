"""The process that runs visitors' own SQL; query_isolation.py starts it and kills it when it overruns.

Not a Datasette plugin (no hooks): Datasette loads every file of this directory, but this
one only does something when run as a program, `python sql_sandbox.py CONFIG`.

Why a separate process: SQLite checks for interrupts between virtual-machine
instructions, never inside one function call, and some calls run far past any time
limit: printf('%.*c', 2000000000, 'x') loops two billion times; instr() and replace()
compare every position of a 10 MB string with a 5 MB one (minutes); one row can make
thousands of such calls.  No SQLite setting stops them.  Ending the process does, and a
process's memory can be capped and is all given back when it ends.  So:

- time: a watchdog thread interrupts the query at its deadline (the usual "interrupted"
  error); a call that ignores the interrupt is ended by query_isolation.py, which kills
  this process at the deadline plus a grace period and starts another;
- memory: SQLite's own allocations stop at MEMORY_SQLITE_BYTES (hard_heap_limit, with
  sorts and temporary tables in memory so they count too, instead of filling /tmp), and
  the whole process at MEMORY_PROCESS_BYTES (RLIMIT_AS): past either the query fails with
  "out of memory" and the server's own memory is untouched;
- size: rows are fetched until they would make more than the budget the parent sends
  (max_result_mb) of JSON or of HTML table (see row_size), or hold more values than
  max_result_values; then none are sent, only "too_large";
- the connection is read-only, immutable, and hardened like every other (sqlite_limits.py:
  value and SQL sizes, the function allowlist, no server paths).

Protocol on stdin/stdout, one query at a time: frames of an 8-byte big-endian length and
a pickle of plain values (str, bytes, int, float, None, tuples, lists, dicts); the parent
unpickles them with a loader that refuses every class.  First frame out: ("ready",).
In: (sql, params, time_limit_ms, fetch_at_most or None, budget_bytes, max_values,
truncate_cells_html).  Out: ("ok", rows, description) | ("error", exception class name,
message) | ("too_large",) | ("memory",).  Stdin closing, or the parent going away, ends
the process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import pickle
import resource
import signal
import sqlite3
import struct
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from markupsafe import escape

MEMORY_SQLITE_BYTES = 256 * 1024 * 1024
MEMORY_PROCESS_BYTES = 1024 * 1024 * 1024
HEADER = struct.Struct(">Q")


def read_frame(stream):
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    return pickle.loads(stream.read(size))


def write_frame(stream, value) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(HEADER.pack(len(payload)) + payload)
    stream.flush()


SLICE = 65536


def json_length(value, limit: int) -> int:
    """Length of the value in Datasette's JSON (datasette.utils.CustomJSONEncoder: a blob as
    its UTF-8 text, else base64), counted a slice at a time up to just past `limit`: a
    zero byte is six characters there, and a value is not encoded whole only to be refused."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf8")
        except UnicodeDecodeError:
            return 4 * -(-len(value) // 3) + 32  # {"$base64": true, "encoded": "..."}
    if not isinstance(value, str):
        return len(json.dumps(value))
    total = 2
    for start in range(0, len(value), SLICE):
        total += len(json.dumps(value[start:start + SLICE])) - 2
        if total > limit:
            break
    return total


def row_size(row: tuple, names: tuple[int, int], truncate: int, budget: int) -> int:
    """The larger of the row's JSON (each value with its column name, as _shape=objects
    writes it) and its HTML table row (each text cut at truncate_cells_html, then escaped:
    `&` alone is five characters there)."""
    raw = sum(len(v) for v in row if isinstance(v, (str, bytes)))
    if raw > budget:  # text is never longer than its JSON: no need to encode it to know
        return raw
    as_json = names[0] + 2 * len(row) + 2  # "name": before each value, ", " after
    if raw <= SLICE and not any(isinstance(v, bytes) for v in row):
        # a row of short values (the usual page) in one call: json.dumps of the list writes each
        # value as it would alone, with "[", "]" and ", " between them
        as_json += len(json.dumps(list(row))) - 2 * len(row)
    else:
        for value in row:
            as_json += json_length(value, budget - as_json)
            if as_json > budget:
                return as_json
    # escaping works character by character: the texts escaped together are as long as apart
    as_html = names[1] + len(escape("".join((v[:truncate] if truncate else v) for v in row if isinstance(v, str))))
    return max(as_json, as_html)


class Deadline:
    """Interrupts the connection when the running query's time is up, and ends this process
    if the server that started it has gone (it would otherwise run on, alone)."""

    def __init__(self, conn):
        self.conn = conn
        self.at = None
        self.cond = threading.Condition()
        self.parent = os.getppid()
        threading.Thread(target=self._run, daemon=True).start()

    def set(self, at) -> None:
        with self.cond:
            self.at = at
            self.cond.notify()

    def _run(self) -> None:
        with self.cond:
            while True:
                if os.getppid() != self.parent:
                    os._exit(0)
                left = 0.5 if self.at is None else min(0.5, self.at - time.monotonic())
                if left > 0:
                    self.cond.wait(left)
                    continue
                self.at = None
                self.conn.interrupt()


def run(conn, deadline: Deadline, sql, params, time_limit_ms, fetch, budget, max_values, truncate):
    cursor = conn.cursor()
    deadline.set(time.monotonic() + time_limit_ms / 1000)
    try:
        cursor.execute(sql, params if params is not None else {})
        columns = cursor.description or ()
        # per row: "name": before each JSON value; a cell's markup and CSS class in HTML
        names = (sum(len(json.dumps(d[0])) + 2 for d in columns), sum(len(d[0]) + 40 for d in columns))
        rows, size = [], 0
        while fetch is None or len(rows) < fetch:
            row = cursor.fetchone()  # one at a time: a row can be megabytes
            if row is None:
                break
            size += row_size(row, names, truncate, budget - size)
            rows.append(row)
            if size > budget or len(rows) * len(columns) > max_values:
                return ("too_large",)
        return ("ok", rows, cursor.description)
    except MemoryError:
        return ("memory",)
    except sqlite3.Error as e:
        if "out of memory" in str(e):
            return ("memory",)
        return ("error", type(e).__name__, str(e))
    finally:
        deadline.set(None)
        cursor.close()


def _sibling(name: str):
    """A module of this plugins directory, loaded from its file (the sandbox is its own process)."""
    spec = importlib.util.spec_from_file_location(f"nanchang_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def connect(config: dict):
    # The same connection as Datasette's for an immutable database (app.py
    # _prepare_connection), then the same hardening as every connection of the server.
    conn = sqlite3.connect(f"file:{quote(config['path'])}?immutable=1", uri=True, check_same_thread=False)
    conn.text_factory = lambda b: str(b, "utf-8", "replace")
    conn.execute(f"PRAGMA cache_size=-{int(config['cache_size_kb'])}")
    conn.execute("PRAGMA temp_store=memory")
    conn.execute(f"PRAGMA hard_heap_limit={MEMORY_SQLITE_BYTES}")
    # ?_search= as the server answers it: the Chinese-aware escape_fts (chinese_search.py)
    search = _sibling("chinese_search")
    search.register(conn)
    _sibling("sqlite_limits").harden(conn)
    return conn


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server; stdin closing ends us
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_PROCESS_BYTES, MEMORY_PROCESS_BYTES))
    os.setpriority(os.PRIO_PROCESS, 0, 19)
    # The frames get stdout to themselves: anything printed goes to stderr instead.
    stdin, stdout = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    conn = connect(json.loads(argv[0]))
    deadline = Deadline(conn)
    write_frame(stdout, ("ready",))
    while (request := read_frame(stdin)) is not None:
        try:
            reply = run(conn, deadline, *request)
        except MemoryError:
            reply = ("memory",)
        except Exception as e:  # noqa: BLE001 (a parameter SQLite cannot take, say): the visitor's error
            reply = ("error", type(e).__name__, str(e))
        try:
            write_frame(stdout, reply)
        except MemoryError:
            write_frame(stdout, ("memory",))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
