"""Links from Datasette cells back to the site and across the data (HTML pages only).

passage_id -> the passage on its source's page: the plan's ({site_url}source/#t1-r7), or for
              a passage of another source, whose id starts with that source's id and "--",
              that source's page ({site_url}sources/<id>/#<id>--c1-p2)
uscc       -> the enterprise_history saved query for that code; in the tables of records on
              display (penalties, blacklist) also the enterprise's page on the site
              ({site_url}enterprises/<USCC>/), which exists for every enterprise with a record on display
Reads only; configured by metadata.json -> plugins -> nanchang-links.
"""

import re
from urllib.parse import urlencode

from datasette import hookimpl
from markupsafe import Markup, escape

PASSAGE = re.compile(r"^[a-z0-9-]+$")
USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PASSAGE_COLUMNS = {"passage_id", "corroborating_passage_id"}
USCC_COLUMNS = {"uscc"}
# Tables holding only records on display: each of their codes has a page on the site.
ON_DISPLAY_TABLES = {"penalties", "blacklist"}


@hookimpl
def render_cell(value, column, table, database, datasette):
    if not isinstance(value, str):
        return None
    config = datasette.plugin_config("nanchang-links") or {}
    if column in PASSAGE_COLUMNS and PASSAGE.match(value) and config.get("site_url"):
        source_id, sep, _ = value.partition("--")
        page = f"sources/{source_id}/" if sep else config.get("source_page", "source/")
        url = f"{config['site_url']}{page}#{value}"
        return Markup(f'<a href="{escape(url)}" title="原文段落 / source passage">{escape(value)}</a>')
    if column in USCC_COLUMNS and USCC.match(value):
        url = datasette.urls.database(database) + "/enterprise_history?" + urlencode({"q": value})
        cell = f'<a href="{escape(url)}" title="该单位的全部记录 / history of this enterprise">{escape(value)}</a>'
        if table in ON_DISPLAY_TABLES and config.get("site_url"):
            page = f"{config['site_url']}enterprises/{value}/"
            cell += f' <a href="{escape(page)}" title="网站上的单位页 / the enterprise\'s page on the site">单位页</a>'
        return Markup(cell)
    return None
