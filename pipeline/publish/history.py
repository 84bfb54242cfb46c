"""The record of releases (datasets/releases/, written by `python -m pipeline release`): read it,
compare a package with the last release row by row, and list the corrections made since.

The build reads it (the corrections check and the releases table) and so does a release;
neither imports the other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import duckdb

from pipeline.errors import PipelineError
from pipeline.registry import HASHED_IN_HISTORY

# In the committed release record, every cell of the tables marked hashed_in_history
# (pipeline/registry.yml: personal_data) is kept only as its sha256
# ("sha256:<hex>", empty stays empty): enough to see that a published value changed, not
# enough to read a listing that has come down.  The copy's descriptor marks them.
HASHED = "x-cells-hashed"


def hash_cell(value: str | None) -> str | None:
    return value if not value else "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def hashed_sql(col: str) -> str:
    """SQL of hash_cell (DuckDB's sha256 hashes the UTF-8 bytes, as hashlib does)."""
    return f"CASE WHEN coalesce({col}, '') = '' THEN {col} ELSE 'sha256:' || sha256({col}) END"


def _hash_in_place(con, alias: str) -> None:
    cols = [c[0] for c in con.execute(f'DESCRIBE "{alias}"').fetchall()]
    select = ", ".join(f'{hashed_sql(chr(34) + c + chr(34))} AS "{c}"' for c in cols)
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{alias}" AS SELECT {select} FROM "{alias}"')


class HistoryMissing(PipelineError, RuntimeError):
    """The release index names a release whose package is not there."""


def releases_dir(package_dir: Path) -> Path:
    """Where the release history of the package in `package_dir` is kept (committed)."""
    return Path(package_dir) / "releases"


def index(package_dir: Path) -> list[dict]:
    path = releases_dir(package_dir) / "index.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def previous_package(package_dir: Path, before: str | None = None) -> Path | None:
    """The curated package of the latest release (other than `before`); None before the
    first release.  A release the index names but whose package is missing is an error,
    never a skipped check: HistoryMissing says which."""
    entries = [e for e in index(package_dir) if e["version"] != before]
    if not entries:
        return None
    path = releases_dir(package_dir) / entries[-1]["version"] / "package"
    if not (path / "datapackage.json").exists():
        raise HistoryMissing(f"发布记录 {entries[-1]['version']} 的数据包不在 {path}，无法检查更正记录；请从 git 恢复。"
                             f" / Release {entries[-1]['version']} is in the index but its package is missing at "
                             f"{path}: corrections cannot be checked; restore it from git.")
    return path


def _read(con, path: Path, fields: list[str], alias: str) -> None:
    con.execute(f'CREATE OR REPLACE TEMP TABLE "{alias}" AS SELECT * FROM read_csv(?, header=true, all_varchar=true, '
                f"nullstr='\x01', quote='\"', escape='\"', delim=',', auto_detect=false, columns=?)",
                [str(path), {f: "VARCHAR" for f in fields}])


def diff_packages(old: Path | None, new: Path) -> dict:
    """Row-level differences between two curated packages, keyed by primary key."""
    new_desc = json.loads((new / "datapackage.json").read_text(encoding="utf-8"))
    old_desc = json.loads((old / "datapackage.json").read_text(encoding="utf-8")) if old else {"resources": []}
    old_res = {r["name"]: r for r in old_desc["resources"]}
    con = duckdb.connect()
    tables = {}
    for res in new_desc["resources"]:
        schema = res.get("schema")
        if not schema or not schema.get("primaryKey") or res["name"] == "passages":
            continue
        name = res["name"]
        pk = schema["primaryKey"]
        pk = [pk] if isinstance(pk, str) else pk
        fields = [f["name"] for f in schema["fields"]]
        _read(con, new / res["path"], fields, "n")
        if name in old_res and (old / old_res[name]["path"]).exists():
            _read(con, old / old_res[name]["path"], [f["name"] for f in old_res[name]["schema"]["fields"]], "o")
            if old_res[name].get(HASHED):  # compare like with like
                _hash_in_place(con, "n")
        else:
            con.execute('CREATE OR REPLACE TEMP TABLE "o" AS SELECT * FROM "n" LIMIT 0')
        key = lambda a: "concat_ws(', ', " + ", ".join(f'{a}."{k}"' for k in pk) + ")"
        common = [f for f in fields if f not in pk and f in [c[0] for c in con.execute('DESCRIBE "o"').fetchall()]]
        added = [dict(zip(fields, r)) for r in con.execute(
            f'SELECT * FROM "n" WHERE {key("n")} NOT IN (SELECT {key("o")} FROM "o") ORDER BY {key("n")}').fetchall()]
        removed_keys = [r[0] for r in con.execute(
            f'SELECT {key("o")} FROM "o" WHERE {key("o")} NOT IN (SELECT {key("n")} FROM "n") ORDER BY 1').fetchall()]
        changed: dict[str, dict] = {}
        for f in common:
            for k, old_v, new_v in con.execute(
                f'SELECT {key("n")}, o."{f}", n."{f}" FROM "n" JOIN "o" ON {key("n")} = {key("o")} '
                f"WHERE coalesce(o.\"{f}\", '') <> coalesce(n.\"{f}\", '') ORDER BY 1"
            ).fetchall():
                changed.setdefault(k, {})[f] = [old_v, new_v]
        entry = {"added": len(added), "removed": len(removed_keys), "changed": len(changed)}
        if name not in HASHED_IN_HISTORY:
            entry["rows_added"] = added
            entry["keys_removed"] = removed_keys
            entry["rows_changed"] = [{"key": k, "changes": v} for k, v in sorted(changed.items())]
        tables[name] = entry
    con.close()
    return {"previous_version": old_desc.get("version"), "version": new_desc.get("version"), "tables": tables}


def summary_zh(diff: dict, corrections: list[dict]) -> str:
    if diff["previous_version"] is None:
        return "首次发布。"
    parts = []
    for name, t in diff["tables"].items():
        bits = [f"新增{t['added']}行" if t["added"] else "", f"删除{t['removed']}行" if t["removed"] else "",
                f"改动{t['changed']}行" if t["changed"] else ""]
        bits = [b for b in bits if b]
        if bits:
            parts.append(f"{name}：" + "、".join(bits))
    text = "；".join(parts) + "。" if parts else "数据无改动。"
    if corrections:
        text += " 更正：" + "；".join(f"{c['record_key']} 的 {c['field']} 由“{c['old_value'] or ''}”改为“{c['new_value'] or ''}”（{c['reason_zh']}，提出方：{c['requested_by']}）"
                                    for c in corrections) + "。"
    return text


def new_corrections(package: Path, previous: Path | None) -> list[dict]:
    """Corrections records added since the previous release."""
    import csv

    def ids(pkg: Path | None) -> set[str]:
        path = pkg / "data" / "corrections.csv" if pkg else None
        if not path or not path.exists():
            return set()
        with open(path, newline="", encoding="utf-8") as f:
            return {r["correction_id"] for r in csv.DictReader(f)}

    seen = ids(previous)
    with open(package / "data" / "corrections.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["correction_id"] not in seen]


def release_row(version: str, on_date: dt.date, diff: dict, corrections: list[dict]) -> dict:
    totals = {k: sum(t[k] for t in diff["tables"].values()) for k in ("added", "removed", "changed")}
    public = {name: {k: v for k, v in t.items()} for name, t in diff["tables"].items()}
    return {"version": version, "release_date": on_date.isoformat(), "previous_version": diff["previous_version"],
            "rows_added": totals["added"], "rows_removed": totals["removed"], "rows_changed": totals["changed"],
            "summary_zh": summary_zh(diff, corrections),
            "changes_json": json.dumps({"tables": public, "corrections": corrections}, ensure_ascii=False, sort_keys=True)}


def releases_table(con: duckdb.DuckDBPyConnection, package_dir: Path, pending: dict | None = None) -> None:
    """The `releases` table of the warehouse: every past release, plus the one being made."""
    rows = [e["row"] for e in index(package_dir) if "row" in e]
    if pending and all(r["version"] != pending["version"] for r in rows):
        rows.append(pending)
    con.execute("""CREATE OR REPLACE TABLE releases (version VARCHAR, release_date DATE, previous_version VARCHAR,
                   rows_added INTEGER, rows_removed INTEGER, rows_changed INTEGER, summary_zh VARCHAR, changes_json VARCHAR)""")
    for r in rows:
        con.execute("INSERT INTO releases VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [r["version"], r["release_date"], r["previous_version"], r["rows_added"], r["rows_removed"],
                     r["rows_changed"], r["summary_zh"], r["changes_json"]])
