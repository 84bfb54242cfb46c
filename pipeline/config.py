"""Public base URLs, configured per deployment: SITE_URL and DATASETTE_URL.

Nothing defaults to localhost: a production build whose public addresses are not
configured leaves every absolute URL out (canonical links, JSON-LD urls, the sitemap,
links into Datasette) instead of publishing a machine-local address.  `make serve`
sets both to its own localhost ports explicitly, for a local preview.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit


class BadURL(ValueError):
    """A configured base URL that is not an absolute http(s) URL."""


def base_url(value: str | None, name: str) -> str | None:
    """`value` as a base URL ending with '/', or None when empty.  Anything but an
    absolute http(s) URL is refused with a message naming the setting."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment \
            or any(c.isspace() or c in '<>"\'`' for c in value):
        raise BadURL(f"{name}={value!r} 不是 http(s) 网址 / is not an absolute http(s) URL "
                     f"(例 e.g. https://data.example.org/)")
    return value.rstrip("/") + "/"


def site_url() -> str | None:
    """Where the static site is published ($SITE_URL), ending with '/'; None if not configured."""
    return base_url(os.environ.get("SITE_URL"), "SITE_URL")


def datasette_url() -> str | None:
    """Where Datasette answers ($DATASETTE_URL), ending with '/'; None if not configured."""
    return base_url(os.environ.get("DATASETTE_URL"), "DATASETTE_URL")


def is_local(url: str | None) -> bool:
    """True for a loopback address (a local preview, never to be published)."""
    host = urlsplit(url or "").hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")
