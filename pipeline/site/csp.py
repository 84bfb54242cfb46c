"""A Content-Security-Policy on every page of the built site, as a <meta> tag.

The site is static files, so there are no response headers to set; a meta tag placed
before any script applies to the whole page.  The policy allows scripts only from the
site itself and, for the few inline scripts Material writes into each page, exactly
those scripts by their sha256.  Nothing else inline runs: not an `onfocus=` or
`onanimationstart=` attribute, not a `javascript:` URL, not a script some record's text
managed to smuggle past the escaping in pipeline/site/md.py.  Styles may be inline (the
charts' SVG and Material use style attributes); CSS cannot run script under this policy.

Frame-ancestors and reporting cannot be set from a meta tag; a host that serves the site
can add them as headers (site/deploy.md).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

_SCRIPT = re.compile(r"<script(?P<attrs>\s[^>]*)?>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
# Data blocks are never executed, so the policy need not (and cannot usefully) hash them.
_DATA_TYPE = re.compile(r"""\stype\s*=\s*["']?application/(ld\+)?json""", re.IGNORECASE)
_CHARSET = re.compile(r"<meta charset=[\"']?utf-8[\"']?\s*/?>", re.IGNORECASE)
META_NAME = 'http-equiv="Content-Security-Policy"'


# The page's content: what the pipeline wrote from data.  Material's own inline scripts sit
# in the template around it; a <script> inside it can only be one that got past the
# escaping, so it is never allowed.
_CONTENT = re.compile(r"<article\b.*?</article>", re.DOTALL | re.IGNORECASE)


def inline_script_hashes(html: str) -> list[str]:
    """'sha256-…' of every inline script of the page's template (outside the <article> that
    holds its content) that the page would execute, in page order."""
    out = []
    for m in _SCRIPT.finditer(_CONTENT.sub("", html)):
        attrs = m.group("attrs") or ""
        if re.search(r"\ssrc\s*=", attrs, re.IGNORECASE) or _DATA_TYPE.search(attrs):
            continue
        digest = hashlib.sha256(m.group("body").encode("utf-8")).digest()
        out.append("'sha256-" + base64.b64encode(digest).decode("ascii") + "'")
    return list(dict.fromkeys(out))


def policy(hashes: list[str]) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(hashes) if hashes else "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ])


def apply(site_dir: Path) -> int:
    """Add the policy to every HTML file under site_dir; returns how many.  Only the template's
    inline scripts are allowed (see inline_script_hashes).  A page without
    a <meta charset> (MkDocs always writes one first) gets it right after <head>."""
    n = 0
    for path in sorted(Path(site_dir).rglob("*.html")):
        html = path.read_text(encoding="utf-8")
        if META_NAME in html:
            raise RuntimeError(f"site: {path} already has a Content-Security-Policy")
        tag = f'<meta {META_NAME} content="{policy(inline_script_hashes(html))}">'
        m = _CHARSET.search(html)
        if m:
            html = html[:m.end()] + "\n    " + tag + html[m.end():]
        else:
            head = re.search(r"<head[^>]*>", html, re.IGNORECASE)
            if not head:
                raise RuntimeError(f"site: {path} has no <head> to put the Content-Security-Policy in")
            html = html[:head.end()] + tag + html[head.end():]
        path.write_text(html, encoding="utf-8")
        n += 1
    return n
