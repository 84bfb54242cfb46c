"""Atom feeds written at build time (plain files served with the site).

Timestamps come from the data (release dates, the build date), never the clock, so
two builds of the same inputs produce the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.sax.saxutils import escape

from pipeline.config import site_url


def _atom(feed_id: str, title: str, link: str, self_link: str, updated: str, entries: list[dict]) -> str:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
        f"  <id>{escape(feed_id)}</id>",
        f"  <title>{escape(title)}</title>",
        f'  <link rel="alternate" type="text/html" href="{escape(link)}"/>',
        f'  <link rel="self" type="application/atom+xml" href="{escape(self_link)}"/>',
        f"  <updated>{updated}</updated>",
        "  <author><name>南昌安全生产开放数据</name></author>",
    ]
    for e in entries:
        parts += [
            "  <entry>",
            f"    <id>{escape(e['id'])}</id>",
            f"    <title>{escape(e['title'])}</title>",
            f"    <updated>{e['updated']}</updated>",
            f'    <link rel="alternate" type="text/html" href="{escape(e["link"])}"/>',
            f'    <content type="text">{escape(e["content"])}</content>',
            "  </entry>",
        ]
    parts.append("</feed>")
    return "\n".join(parts) + "\n"


# Entry and feed ids name the release, not the address the site happens to live at:
# they stay the same when the site moves, and need no configured URL.
FEED_ID = "urn:x-nanchang-work-safety:releases"


def write_release_feed(con, path: Path) -> None:
    """releases.xml: one entry per release, saying what changed and why.  Links are absolute
    where SITE_URL is set, otherwise relative to the feed (it sits at the site's root)."""
    base = site_url() or ""
    build_date = con.execute("SELECT build_date FROM build_info").fetchone()[0].isoformat()
    rows = con.execute(
        "SELECT version, release_date, summary_zh, changes_json FROM releases ORDER BY release_date DESC, version DESC"
    ).fetchall()
    entries = []
    for version, release_date, summary, changes in rows:
        corrections = json.loads(changes).get("corrections", [])
        reasons = "".join(f"\n更正 {c['correction_id']}：{c['reason_zh']}" for c in corrections)
        entries.append({
            "id": f"{FEED_ID}:{version}",
            "title": f"版本 {version}（{release_date.isoformat()}）",
            "updated": f"{release_date.isoformat()}T00:00:00+08:00",
            "link": f"{base}changelog/#v{version}",
            "content": summary + reasons,
        })
    updated = entries[0]["updated"] if entries else f"{build_date}T00:00:00+08:00"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_atom(FEED_ID, "南昌安全生产开放数据：发布与更正", f"{base}changelog/",
                          f"{base}releases.xml", updated, entries), encoding="utf-8")
