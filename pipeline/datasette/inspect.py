"""The inspect file: table row counts, hash and size of safety.db, computed once at build.

`datasette --inspect-file` reads it so an immutable database is never counted at
start-up, and an unfiltered table page takes its total from here instead of running
count(*) over every row.  Same content as `datasette inspect`, except that "file" is
the bare file name, so two builds of the same database write the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path


def inspect_data(db: Path) -> dict:
    db = Path(db)
    h = hashlib.sha256()
    with open(db, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    con = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        names = [r[0] for r in con.execute("select name from sqlite_master where type = 'table' order by name")]
        tables = {}
        for name in names:
            try:
                count = con.execute(f'select count(*) from "{name}"').fetchone()[0]
            except sqlite3.OperationalError:  # as datasette inspect does for odd virtual tables
                count = 0
            tables[name] = {"count": count}
    finally:
        con.close()
    return {db.stem: {"hash": h.hexdigest(), "size": db.stat().st_size, "file": db.name, "tables": tables}}


def write_inspect_file(db: Path, out: Path) -> Path:
    """Write the inspect JSON for `db` to `out` (parents created); returns `out`."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(inspect_data(db), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out
