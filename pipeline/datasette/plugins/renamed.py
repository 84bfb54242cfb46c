"""Old names keep working: a renamed table or saved query redirects to its new name.

Published URLs are cited by others (articles, notebooks), so a rename must not break
them.  Each entry maps an old name in the safety database to its new one; the format
suffix (.json, .csv) and the query string are kept.  Plugin routes are matched before
Datasette's own, so the redirect wins over "table not found".  Reads no data.
"""

from __future__ import annotations

from datasette import Response, hookimpl

DB = "safety"
# old name -> (new name, why)
RENAMED = {
    # read as the year's enforcement totals; the plan gives one campaign's results
    "enforcement_by_year": "enforcement_results",
    "enforcement_totals": "enforcement_lookup",
}


def _redirect(datasette, new: str):
    async def view(request):
        suffix = request.url_vars.get("suffix") or ""
        query = f"?{request.query_string}" if request.query_string else ""
        return Response.redirect(datasette.urls.path(f"/{DB}/{new}{suffix}") + query, status=301)
    return view


@hookimpl
def register_routes(datasette):
    return [(rf"^/{DB}/{old}(?P<suffix>\.(?:json|csv|atom))?$", _redirect(datasette, new)) for old, new in RENAMED.items()]
