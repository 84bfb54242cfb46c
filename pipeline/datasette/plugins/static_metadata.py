"""Remember which `allow` blocks apply to each table instead of recomputing them per request.

Datasette 0.65.5 answers every view-table permission check by deep-copying the whole
metadata (Datasette._table_permission_allows).  With every table and column described,
that copy was about a third of the CPU time of a table request.  The metadata here is
fixed for the life of the process (it is read once at start; no plugin changes it and
--reload is never used), so the answer for a (database, table) pair never changes:
compute it once, with Datasette's own function, and keep it.  Reads and writes no data.

Every URL names a table, and made-up names (a 404 each) must not add entries for ever:
at most MAX_ENTRIES answers are kept, least recently used dropped first, and none for a
name longer than any real one (MAX_NAME).
"""

from collections import OrderedDict

from datasette.app import Datasette

MAX_ENTRIES = 1024
MAX_NAME = 256

_compute = Datasette._table_permission_allows


def _table_permission_allows(self, database, table):
    if len(table) > MAX_NAME:
        return _compute(self, database, table)
    cache = self.__dict__.setdefault("_nanchang_table_allows", OrderedDict())
    key = (database, table)
    if key in cache:
        cache.move_to_end(key)
    else:
        cache[key] = _compute(self, database, table)
        if len(cache) > MAX_ENTRIES:
            cache.popitem(last=False)
    return cache[key]


if not getattr(Datasette._table_permission_allows, "_nanchang_cached", False):
    _table_permission_allows._nanchang_cached = True
    Datasette._table_permission_allows = _table_permission_allows
