"""How Datasette is run: base URLs, settings, and the one command line every caller uses.

`make serve`, the tests and the deployment page all start Datasette through
`datasette_command()`, so what is tested is what is served.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import quote, urlencode

from pipeline import config
from pipeline.publish.export import DB_NAME

HERE = Path(__file__).resolve().parent
PLUGINS_DIR = HERE / "plugins"

# Where `make serve` / `pipeline serve` answer on this machine (pipeline/config.py)
DEFAULT_SITE_URL = config.local_url(config.LOCAL_SITE_PORT)
DEFAULT_DATASETTE_URL = config.local_url(config.LOCAL_DATASETTE_PORT)

# Settings for a read-only, immutable database served to the public, sized for the
# load test (filtered table JSON at 1M penalty rows, 32 connections, 2 cores).
# The value is a string, as on the command line (--setting NAME VALUE).
SETTINGS: dict[str, str] = {
    # A hostile query (a cross join of big tables) is stopped after 1 s and answered
    # with 400 "SQL query took too long"; the thread it held is then free again.  The
    # saved queries all finish well inside this on 1M penalty rows.
    "sql_time_limit_ms": "1000",
    # JSON and HTML pages return at most this many rows; ?_next= pages on, and the
    # CSV export can stream every row (allow_csv_stream below).
    "max_returned_rows": "1000",
    # 50 rows per page instead of 100: half the rows to fetch, render and serialise
    # on every table request; ?_size= asks for more (up to max_returned_rows).
    "default_page_size": "50",
    # Facets are GROUP BY queries over the filtered rows: cheap on the small tables,
    # expensive at millions of rows.  One that takes longer is dropped from the page
    # (listed in facets_timed_out) instead of holding the request.
    "facet_time_limit_ms": "100",
    # Suggested facets run a query per column on every table page: the largest cost
    # of a default Datasette table request.  Configured facets (metadata) and
    # ?_facet= still work.
    "suggest_facets": "off",
    "allow_facet": "on",
    # Threads for table pages and saved queries.  2, 4 and 8 gave the same throughput on
    # 2 cores (the process is bound by Python, not SQLite).  Arbitrary ?sql= runs on two
    # low-priority threads of its own (plugins/query_isolation.py), so hostile queries
    # cannot take these.
    "num_sql_threads": "4",
    # The database file is published with a checksum on the static site (downloads);
    # streaming it from the Datasette replicas would only take their bandwidth.
    "allow_download": "off",
    "allow_csv_stream": "on",
    "max_csv_mb": "100",
    # The data changes only when a build is published, so responses may be cached by
    # browsers and a CDN for 10 minutes (plugins/response_cache.py keeps them in memory).
    "default_cache_ttl": "600",
    # Page cache per SQLite connection (KiB), 4 threads x 32 MiB at most.  Bounded, and
    # keeps index pages of a large table in the process; no difference measured at 1M rows.
    "cache_size_kb": "32768",
    "default_allow_sql": "on",
    "trace_debug": "off",
    "template_debug": "off",
}


def site_url(value: str | None = None) -> str | None:
    """Base URL of the static site: the argument, else $SITE_URL; None if neither is set."""
    return config.base_url(value, "site URL") if value else config.site_url()


def datasette_url(value: str | None = None) -> str | None:
    """Base URL of Datasette: the argument, else $DATASETTE_URL; None if neither is set."""
    return config.base_url(value, "Datasette URL") if value else config.datasette_url()


def table_url(table: str, base: str | None = None, fmt: str = "", **params) -> str:
    """URL of a table in Datasette, e.g. table_url("blacklist", fmt="json", regime="2023").
    For local use (tests, benchmarks): without a base or $DATASETTE_URL it is the address
    `make serve` uses."""
    url = f"{datasette_url(base) or DEFAULT_DATASETTE_URL}{DB_NAME}/{quote(table)}" + (f".{fmt}" if fmt else "")
    return url + (f"?{urlencode(params)}" if params else "")


def query_url(name: str, base: str | None = None, fmt: str = "", **params) -> str:
    """URL of a saved query, e.g. query_url("blacklist_on_date", date="2026-11-28")."""
    return table_url(name, base, fmt, **params)


def datasette_command(db: Path, metadata: Path, inspect_file: Path, *, host: str = "127.0.0.1",
                      port: int = 8001, settings: dict[str, str] | None = None) -> list[str]:
    """The `datasette serve` command line: immutable database with its inspect file,
    CORS on, the project's read-only plugins, and SETTINGS."""
    cmd = [sys.executable, "-m", "datasette", "serve",
           "-i", str(db), "--inspect-file", str(inspect_file),
           "--metadata", str(metadata), "--plugins-dir", str(PLUGINS_DIR),
           "--cors", "--host", host, "--port", str(port)]
    for name, value in (settings or SETTINGS).items():
        cmd += ["--setting", name, value]
    return cmd
