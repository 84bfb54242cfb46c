"""Settings: every environment variable the pipeline reads, declared once (SETTINGS) and read
through this module.  `python -m pipeline commands` prints them; README's list is generated
from it and checked by a test.

Public base URLs, SITE_URL and DATASETTE_URL, are configured per deployment.  Nothing defaults to localhost: a production build whose public addresses are not
configured leaves every absolute URL out (canonical links, JSON-LD urls, the sitemap,
links into Datasette) instead of publishing a machine-local address.  `make serve`
sets both to its own localhost ports explicitly, for a local preview.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pipeline.errors import PipelineError


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str


SETTINGS = (
    Setting("SITE_URL", None, "the static site's public address, e.g. https://data.example.org/ (unset: pages leave "
                              "out every absolute URL: canonical links, the sitemap, share images)"),
    Setting("DATASETTE_URL", None, "Datasette's public address (unset: pages leave out their links into Datasette)"),
    Setting("BUILD_DATE", None, "the date a build speaks for, YYYY-MM-DD (unset: today in China); the same as --date"),
    Setting("VALIDATE_MEMORY_LIMIT", "700MB", "DuckDB's memory limit while validating (bounded for any file)"),
)
_BY_NAME = {s.name: s for s in SETTINGS}


# Where `make serve` (python -m pipeline serve) answers on this machine: a local preview only;
# a build never falls back to these addresses.
LOCAL_SITE_PORT = 8000
LOCAL_DATASETTE_PORT = 8001


def local_url(port: int) -> str:
    """The address of a local preview server on `port`."""
    return f"http://localhost:{port}/"


def get(name: str) -> str | None:
    """A declared setting's value: the environment's, else its default."""
    setting = _BY_NAME[name]  # KeyError: an undeclared setting is a bug, not a default
    value = os.environ.get(name)
    return value if value not in (None, "") else setting.default


def settings_list() -> str:
    """The settings as README lists them."""
    return "\n".join(f"- `{s.name}`{f' (default `{s.default}`)' if s.default else ''}: {s.help}" for s in SETTINGS)


ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadDate(PipelineError, ValueError):
    """A date setting or argument that is not YYYY-MM-DD."""


def parse_date(value: str, name: str = "--date") -> dt.date:
    """YYYY-MM-DD, or BadDate naming where it came from, in Chinese and English."""
    try:
        # fromisoformat alone would also take 20210301 and 2021-W09-1
        if ISO_DATE.fullmatch(value.strip()):
            return dt.date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        pass
    raise BadDate(f"{name}={value!r} 不是 YYYY-MM-DD 格式的日期 / is not a date as YYYY-MM-DD") from None


def date_argument(value: str) -> dt.date:
    """argparse type of every --date option."""
    try:
        return parse_date(value)
    except BadDate as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def build_date() -> dt.date:
    """The date the build speaks for: $BUILD_DATE, else today in China."""
    value = get("BUILD_DATE")
    if value:
        return parse_date(value, "BUILD_DATE")
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()


class BadURL(PipelineError, ValueError):
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
    return base_url(get("SITE_URL"), "SITE_URL")


def datasette_url() -> str | None:
    """Where Datasette answers ($DATASETTE_URL), ending with '/'; None if not configured."""
    return base_url(get("DATASETTE_URL"), "DATASETTE_URL")


def is_local(url: str | None) -> bool:
    """True for a loopback address (a local preview, never to be published)."""
    host = urlsplit(url or "").hostname or ""
    return host in ("localhost", "::1") or host.startswith("127.")
