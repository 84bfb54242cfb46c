"""Everything Datasette-specific: metadata, the inspect file, settings, plugins.

    render_metadata / write_metadata   metadata.json from the package descriptor, mart YAML
                                       and queries.yml (saved queries)
    write_inspect_file                 row counts + hash for --inspect-file
    write_build_files                  both, for one build (called by pipeline/build.py)
    datasette_command                  the `datasette serve` command line (settings, -i, --cors)
    table_url / query_url              links from the site into Datasette
    plugins/                           read-only Datasette plugins (--plugins-dir)
"""

from __future__ import annotations

from pathlib import Path

from pipeline.datasette.config import (
    DEFAULT_DATASETTE_URL,
    DEFAULT_SITE_URL,
    PLUGINS_DIR,
    SETTINGS,
    datasette_command,
    datasette_url,
    query_url,
    site_url,
    table_url,
)
from pipeline.datasette.inspect import inspect_data, write_inspect_file
from pipeline.datasette.metadata import (
    METADATA_JSON,
    load_queries,
    render_metadata,
    write_metadata,
)

INSPECT_NAME = "inspect.json"
METADATA_NAME = "metadata.json"


def write_build_files(out_dir: Path, db: Path, descriptor: dict | None = None, demo: bool = False) -> dict[str, Path]:
    """Write `inspect.json` (for `db`) and `metadata.json` (base URLs from $SITE_URL and
    $DATASETTE_URL, like the site) into `out_dir`; returns their paths by name."""
    out_dir = Path(out_dir)
    return {
        "inspect": write_inspect_file(db, out_dir / INSPECT_NAME),
        "metadata": write_metadata(out_dir / METADATA_NAME, descriptor, demo=demo),
    }


__all__ = [
    "DEFAULT_DATASETTE_URL", "DEFAULT_SITE_URL", "INSPECT_NAME", "METADATA_JSON", "METADATA_NAME", "PLUGINS_DIR",
    "SETTINGS", "datasette_command", "datasette_url", "inspect_data", "load_queries", "query_url",
    "render_metadata", "site_url", "table_url", "write_build_files", "write_inspect_file", "write_metadata",
]
