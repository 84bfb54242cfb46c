"""Look an immutable database's schema up once, not on every request.  Reads and writes no data.

Datasette 0.65 asks SQLite about the schema many times per table request: it refreshes
its schema catalogue (a query on its internal database and `PRAGMA schema_version` on
each database), resolves the table's name for each permission check, and reads its
columns, primary keys and foreign keys.  Each is a hop to a worker thread and back: on
a filtered page of the penalty table, 7 of the request's 9 queries, and a third of its
time.  A database opened with -i (immutable) cannot change while the process runs, so
the answers cannot either:

- the schema catalogue is refreshed until it has been built once, when every database
  but Datasette's internal one is immutable;
- the schema methods of an immutable Database (table_columns, primary_keys, ...) and
  its queries on sqlite_master / PRAGMAs (not a visitor's own SQL) are answered from
  memory after the first time, a copy each time, so no caller can change what is kept.

Only answers about names the database has are kept: every URL names a table, and
made-up names (`/safety/x1`, `/safety/x2`, ... each a 404) added entries for ever, 22 MB
per thousand requests in review.  At most MAX_SQL_ENTRIES queries are kept besides, the
least recently used dropped first.
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict

import datasette
import datasette.database as database
from datasette.app import Datasette

if not datasette.__version__.startswith("0.65."):  # the methods replaced below are 0.65's
    raise RuntimeError(f"immutable_schema.py is written for Datasette 0.65, not {datasette.__version__}")

SCHEMA_METHODS = ("table_exists", "table_names", "table_columns", "table_column_details", "primary_keys",
                  "fts_table", "label_column_for_table", "foreign_keys_for_table", "hidden_table_names",
                  "view_names", "get_all_foreign_keys", "get_table_definition", "get_view_definition")
SCHEMA_SQL = re.compile(r"^\s*(pragma\s+(schema_version|table_info|table_xinfo|index_list|foreign_key_list)\b"
                        r"|select\b[^;]*\bfrom\s+sqlite_master\b[^;]*$)", re.IGNORECASE)


MAX_SQL_ENTRIES = 512  # Datasette's own schema queries of safety.db: about 100


async def _names(db) -> frozenset:
    """Every name in the schema (tables, views, indexes, triggers), read once."""
    names = db.__dict__.get("_nanchang_names")
    if names is None:
        rows = (await _original_execute(db, "select name from sqlite_master")).rows
        names = db.__dict__["_nanchang_names"] = frozenset(r[0] for r in rows)
    return names


async def _about_the_schema(db, values) -> bool:
    names = await _names(db)
    return all(v in names for v in values if isinstance(v, str))


def _remembered(name: str):
    original = getattr(database.Database, name)

    async def method(self, *args, **kwargs):
        if self.is_mutable:
            return await original(self, *args, **kwargs)
        key = (name, args, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:
            return await original(self, *args, **kwargs)
        cache = self.__dict__.setdefault("_nanchang_schema", {})
        if key in cache:
            return copy.deepcopy(cache[key])
        value = await original(self, *args, **kwargs)
        if await _about_the_schema(self, args[:1]):  # the first argument, if any, is a table or view name
            cache[key] = copy.deepcopy(value)
        return value

    method.__name__ = name
    method.__doc__ = original.__doc__
    return method


_original_execute = database.Database.execute


async def execute(self, sql, params=None, truncate=False, custom_time_limit=None, page_size=None, log_sql_errors=True):
    # truncate=True is how a table page's rows and a visitor's ?sql= are run: never kept.
    if self.is_mutable or truncate or not SCHEMA_SQL.match(sql):
        return await _original_execute(self, sql, params, truncate, custom_time_limit, page_size, log_sql_errors)
    key = ("execute", sql, repr(params), page_size)
    cache = self.__dict__.setdefault("_nanchang_sql", OrderedDict())
    kept = cache.get(key)
    if kept is None:
        kept = await _original_execute(self, sql, params, truncate, custom_time_limit, page_size, log_sql_errors)
        values = params.values() if isinstance(params, dict) else params or ()
        if await _about_the_schema(self, values):
            cache[key] = kept
            if len(cache) > MAX_SQL_ENTRIES:
                cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    return database.Results(list(kept.rows), kept.truncated, kept.description)


async def refresh_schemas(self):
    if self.__dict__.get("_nanchang_schemas_built"):
        return
    if self._refresh_schemas_lock.locked():
        return
    async with self._refresh_schemas_lock:
        await self._refresh_schemas()
    if all(not db.is_mutable for name, db in self.databases.items() if name != "_internal"):
        self._nanchang_schemas_built = True


for _name in SCHEMA_METHODS:
    setattr(database.Database, _name, _remembered(_name))
database.Database.execute = execute
Datasette.refresh_schemas = refresh_schemas
