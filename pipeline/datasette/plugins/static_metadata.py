"""Remember which `allow` blocks apply to each table instead of recomputing them per request.

Datasette 0.65.5 answers every view-table permission check by deep-copying the whole
metadata (Datasette._table_permission_allows).  With every table and column described,
that copy was about a third of the CPU time of a table request.  The metadata here is
fixed for the life of the process (it is read once at start; no plugin changes it and
--reload is never used), so the answer for a (database, table) pair never changes:
compute it once, with Datasette's own function, and keep it.  Reads and writes no data.
"""

from datasette.app import Datasette

_compute = Datasette._table_permission_allows


def _table_permission_allows(self, database, table):
    cache = self.__dict__.setdefault("_nanchang_table_allows", {})
    key = (database, table)
    if key not in cache:
        cache[key] = _compute(self, database, table)
    return cache[key]


if not getattr(Datasette._table_permission_allows, "_nanchang_cached", False):
    _table_permission_allows._nanchang_cached = True
    Datasette._table_permission_allows = _table_permission_allows
