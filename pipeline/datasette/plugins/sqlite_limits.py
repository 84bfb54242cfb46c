"""Hard limits on every SQLite connection Datasette opens (reads only, changes no data).

`harden(conn)` is applied to each connection of this process (prepare_connection) and
to the sandbox process that runs visitors' own SQL (sql_sandbox.py loads this file).

- Sizes.  sql_time_limit_ms stops a query that runs too long, but not one that asks for a
  huge value at once: `select randomblob(1000000000)` would allocate a gigabyte before
  the time check runs.  Capping the length of any string or blob (the longest value in
  safety.db is about 4 KB, an FTS index page) and of a SQL statement makes such a query
  fail at once with "string or blob too big".
- Functions.  Visitors write SQL (?sql=, ?_where=), so every function SQLite offers is
  one they can call.  The authorizer lets through only the functions listed in
  ALLOWED_FUNCTIONS, each read for what one call can do; REFUSED_FUNCTIONS says why the
  others are refused.  A function not in either list (a newer SQLite adds some) is
  refused until someone reads it and lists it.  (What one call costs in time and memory
  is bounded elsewhere: by the sandbox process, see sql_sandbox.py.)
- Paths.  `pragma_database_list` would tell a visitor where the database file lies on
  the server: its `file` column reads as NULL.  `sqlite_stmt` would show the SQL other
  visitors ran on the same connection: refused.
"""

import sqlite3

from datasette import hookimpl

MAX_VALUE_BYTES = 10_000_000  # 10 MB: any one string or blob, including results being built
MAX_SQL_BYTES = 100_000  # 100 KB of SQL text

# Bounded by MAX_VALUE_BYTES and the time limit, reading nothing but the database and
# their arguments.
ALLOWED_FUNCTIONS = frozenset("""
    abs changes char coalesce format glob hex ifnull iif instr last_insert_rowid length
    like likelihood likely lower ltrim max min nullif printf quote random randomblob
    replace round rtrim sign soundex sqlite_compileoption_get sqlite_compileoption_used
    sqlite_source_id sqlite_version substr substring subtype total_changes trim typeof
    unicode unlikely upper zeroblob
    avg count group_concat sum total
    row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value
    last_value nth_value
    date time datetime julianday strftime unixepoch current_date current_time
    current_timestamp
    acos acosh asin asinh atan atan2 atanh ceil ceiling cos cosh degrees exp floor ln log
    log10 log2 mod pi pow power radians sin sinh sqrt tan tanh trunc
    json json_array json_array_length json_extract json_group_array json_group_object
    json_insert json_object json_patch json_quote json_remove json_replace json_set
    json_type json_valid -> ->>
    match bm25 highlight snippet fts5_source_id matchinfo offsets
    escape_fts mark_match
""".split())  # escape_fts (?_search=) and mark_match: chinese_search.py

REFUSED_FUNCTIONS = {
    "fts3_tokenizer": "returns a pointer into the server's memory; given two arguments it "
                      "installs code found at an address",
    "load_extension": "loads a shared library into the server",
    "fts5": "hands out a pointer to the FTS5 API",
    "sqlite_log": "writes to the server's error log",
    "optimize": "rewrites an FTS3 index",
    "rtreecheck": "R-tree debugging (no R-tree here)",
    "rtreedepth": "R-tree debugging (no R-tree here)",
    "rtreenode": "R-tree debugging (no R-tree here)",
}


def authorize(action, arg1, arg2, db_name, trigger):
    if action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_OK if arg2.lower() in ALLOWED_FUNCTIONS else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ:
        if arg1 == "pragma_database_list" and arg2 == "file":
            return sqlite3.SQLITE_IGNORE  # the column reads as NULL
        if arg1 == "sqlite_stmt":
            return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def harden(conn) -> None:
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.set_authorizer(authorize)


@hookimpl
def prepare_connection(conn):
    harden(conn)
