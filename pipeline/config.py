"""Public base URLs, configurable per deployment; the defaults serve a local `make serve`."""

from __future__ import annotations

import os


def site_url() -> str:
    """Where the static site is published (SITE_URL); always ends with '/'."""
    return os.environ.get("SITE_URL", "http://localhost:8000/").rstrip("/") + "/"


def datasette_url() -> str:
    """Where Datasette answers (DATASETTE_URL); always ends with '/'."""
    return os.environ.get("DATASETTE_URL", "http://localhost:8001/").rstrip("/") + "/"
