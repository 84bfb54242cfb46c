"""A Content-Security-Policy on every page of the built site, as a <meta> tag.

The site is static files, so there are no response headers to set; a meta tag placed
before any script applies to the whole page.  The policy allows scripts only from the
site itself and, for the few inline scripts Material writes into each page, exactly
those scripts by their sha256.  Which inline scripts are Material's is decided by their
text, never by where they stand: any other inline script anywhere in a page (a record's
text that reached the head through a template) stops the build, naming the page.  Nothing else inline runs: not an `onfocus=` or
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

from pipeline.errors import PipelineError, SiteBuildError

_SCRIPT = re.compile(r"<script(?P<attrs>\s[^>]*)?>(?P<body>.*?)</script>", re.DOTALL | re.IGNORECASE)
# Data blocks are never executed, so the policy need not (and cannot usefully) hash them.
_DATA_TYPE = re.compile(r"""\stype\s*=\s*["']?application/(ld\+)?json""", re.IGNORECASE)
_CHARSET = re.compile(r"<meta charset=[\"']?utf-8[\"']?\s*/?>", re.IGNORECASE)
META_NAME = 'http-equiv="Content-Security-Policy"'


# The inline scripts Material 9 writes into a page, by the sha256 of their text with the
# relative root of __md_scope (".", "..", "../..", "/") blanked: its storage helpers, the
# palette restore and the tab restore.  A Material upgrade that changes them stops the
# build with UnknownInlineScript; check the new scripts are Material's and update this set.
MATERIAL_SCRIPTS = {
    "0eb10c249dbdb0beef225a10ce5cbe55418cc4a7014cc208f8e7d6ed8f00906e",
    "7eb3684fdacd2881f67b9428983273a29d8774d8bc82622af9b65a8ec1032a90",
    "ffcc0f7735fdab434d257c80e65cec2e88d716991e69757185b7e450e41a5b2f",
}
_SCOPE_ROOT = re.compile(r'^__md_scope=new URL\("[./]*",location\)')


class UnknownInlineScript(PipelineError, RuntimeError):
    """A page holds an inline script that is not one of Material's: the build stops."""


def is_material_script(body: str) -> bool:
    normalised = _SCOPE_ROOT.sub('__md_scope=new URL("",location)', body)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest() in MATERIAL_SCRIPTS


def inline_script_hashes(html: str, page: str = "") -> list[str]:
    """'sha256-…' of every inline script of the page that would execute, in page order.
    Every one must be Material's own (MATERIAL_SCRIPTS); anything else raises
    UnknownInlineScript, wherever it stands."""
    out = []
    for m in _SCRIPT.finditer(html):
        attrs = m.group("attrs") or ""
        if re.search(r"\ssrc\s*=", attrs, re.IGNORECASE) or _DATA_TYPE.search(attrs):
            continue
        body = m.group("body")
        if not is_material_script(body):
            raise UnknownInlineScript(
                f"site: {page or 'a page'} 含有不属于主题的内联脚本（数据中的文字未被转义？）/ holds an inline script "
                f"that is not the theme's (a record's text not escaped?): {body[:120]!r}")
        digest = hashlib.sha256(body.encode("utf-8")).digest()
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
            raise SiteBuildError(f"site: {path} already has a Content-Security-Policy")
        tag = f'<meta {META_NAME} content="{policy(inline_script_hashes(html, str(path.relative_to(site_dir))))}">'
        m = _CHARSET.search(html)
        if m:
            html = html[:m.end()] + "\n    " + tag + html[m.end():]
        else:
            head = re.search(r"<head[^>]*>", html, re.IGNORECASE)
            if not head:
                raise SiteBuildError(f"site: {path} has no <head> to put the Content-Security-Policy in")
            html = html[:head.end()] + tag + html[head.end():]
        path.write_text(html, encoding="utf-8")
        n += 1
    return n
