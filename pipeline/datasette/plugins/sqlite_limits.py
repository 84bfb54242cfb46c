"""Hard limits on every SQLite connection Datasette opens (reads only, changes no data).

sql_time_limit_ms stops a query that runs too long, but not one that asks for a huge
value at once: `select randomblob(1000000000)` or `printf('%.*c', 1e9, 'x')` would
allocate a gigabyte before the time check runs.  Capping the length of any string or
blob (the longest text in safety.db is a few kilobytes) and of a SQL statement makes
such a query fail at once with "string or blob too big".
"""

import sqlite3

from datasette import hookimpl

MAX_VALUE_BYTES = 10_000_000  # 10 MB: any one string or blob, including results being built
MAX_SQL_BYTES = 100_000  # 100 KB of SQL text


@hookimpl
def prepare_connection(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
