"""Two per-request costs of Datasette 0.65 that buy nothing here.  Reads and writes no data.

Measured with py-spy on filtered table pages of 1M penalty rows (no response cache):

- `detect_json1()` opens a new in-memory SQLite connection to ask whether the JSON1
  functions exist, twice per table request (facet classes and filters): 7% of the time.
  The answer is a property of the SQLite library loaded in this process and cannot
  change, so it is asked once.
- asgi_csrf makes a new CSRF token for every request without a cookie, drawing each of
  its 16 characters with a separate `secrets.choice` call (an os.urandom read each): 6%
  of the time.  The same 16 unguessable URL-safe characters come from one
  `secrets.token_urlsafe` call.  (The token only matters for forms that POST; every
  database here is read-only.)
"""

from __future__ import annotations

import functools
import secrets

import asgi_csrf
import datasette.facets
import datasette.filters
import datasette.utils

_detect_json1 = datasette.utils.detect_json1


@functools.cache
def _library_has_json1() -> bool:
    return _detect_json1()


def detect_json1(conn=None):
    return _library_has_json1() if conn is None else _detect_json1(conn)


def make_secret(length: int) -> str:
    return secrets.token_urlsafe(length)[:length]


for _module in (datasette.utils, datasette.facets, datasette.filters):
    _module.detect_json1 = detect_json1
asgi_csrf.make_secret = make_secret
