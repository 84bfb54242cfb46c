"""Visitors never learn where the server keeps its files.  Reads no data.

Datasette's /-/databases.json (and its HTML page) lists each database with its absolute
path on the server: nothing a visitor needs, and it tells an attacker the user name and
the layout of the deployment.  Plugin routes are matched before Datasette's own, so this
one answers the same list, by Datasette's own view, without `path`.  The same path through
SQL (`select file from pragma_database_list`) reads as NULL: see sqlite_limits.py.
"""

from datasette import hookimpl
from datasette.views.special import JsonDataView


@hookimpl
def register_routes(datasette):
    def databases():
        return [{k: v for k, v in d.items() if k != "path"} for d in datasette._connected_databases()]

    return [(r"^/-/databases(\.(?P<format>json))?$", JsonDataView.as_view(datasette, "databases.json", databases))]
