"""Exports under data/: CSV, CSV for Excel, JSON, Parquet, XLSX, SQLite, datapackage, zip.

Every writer is deterministic (fixed timestamps, sorted entries) so two builds of the
same inputs on the same build date are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import duckdb

from pipeline import registry
from pipeline.files import sha256_file
from pipeline.registry import INDEXED_COLUMNS, SEARCH, TABLES

DB_NAME = "safety"  # Datasette serves it at /safety
BASENAME = "nanchang-work-safety"
FIXED_TIME = dt.datetime(2020, 1, 1)
XLSX_MAX_ROWS = 1_000_000  # timestamps inside xlsx and zip: content, not clock, decides bytes


def datasette_orders(name: str, pk: list[str]) -> tuple[str, str] | None:
    """The ORDER BY of a table's first page and of the pages after it (?_next=, ties broken by the
    primary key), spelled as Datasette 0.65's table view writes them; None without a primary key."""
    if not pk:
        return None
    pks = ", ".join(pk)  # plain names: Datasette's escape_sqlite leaves them as they are
    sort = TABLES[name].sort
    if sort is None:
        return pks, pks
    direction, column = sort
    first = f"{column} desc" if direction == "desc" else column
    return first, f"{first}, {pks}"


def _sqlite_order(name: str, pk: list[str]) -> str:
    """Datasette's full order of a table in DuckDB, NULLs where SQLite puts them (first ascending,
    last descending).  safety.db holds each table's rows in this order, so rowid order is the order
    of its pages: the search plugin reads a searched page in rowid order (chinese_search.search_sql)."""
    orders = datasette_orders(name, pk)
    if orders is None:
        return ""
    terms = []
    for part in orders[1].split(", "):
        column, _, desc = part.partition(" ")
        terms.append(f'"{column}" DESC NULLS LAST' if desc == "desc" else f'"{column}" ASC NULLS FIRST')
    return " ORDER BY " + ", ".join(terms)


# A text cell that a spreadsheet would read as a formula: =, +, - or @ first (or a tab or
# carriage return).  In files made for spreadsheets such a cell gets a leading apostrophe,
# which Excel and LibreOffice show as "text, not a formula".  Number columns are never
# touched: -5 in a number column stays the number -5.  (RE2 class; "-" escaped.)
FORMULA_START = r"^[=+\-@\t\r]"


def _select(con, relation: str, fields: list[dict], for_text: bool, for_spreadsheet: bool = False) -> str:
    cols = []
    for f in fields:
        col = f'"{f["name"]}"'
        if for_spreadsheet and f.get("type", "string") == "string":
            cols.append(f"CASE WHEN regexp_matches({col}, '{FORMULA_START}') THEN chr(39) || {col} ELSE {col} END AS {col}")
        elif for_text and f.get("type") == "number":
            cols.append(f"fmt_num({col}) AS {col}")
        elif for_text and f.get("type") == "boolean":
            cols.append(f"CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END AS {col}")
        else:
            cols.append(col)
    return f"SELECT {', '.join(cols)} FROM {relation}"


def export_all(con: duckdb.DuckDBPyConnection, descriptor: dict, package_dir: Path, out: Path, build_date: dt.date) -> dict:
    """Write every export under `out`; returns the output datapackage descriptor.  The source
    texts (sources.path, relative to package_dir) are copied to out/source/ as they are."""
    schemas = registry.schemas(descriptor)
    for sub in ("csv", "csv-excel", "json", "parquet", "source"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, table in TABLES.items():
        relation = table.relation
        fields = schemas[name]["schema"]["fields"]
        text_sql = _select(con, relation, fields, for_text=True)
        typed_sql = _select(con, relation, fields, for_text=False)
        csv_path = out / "csv" / f"{name}.csv"
        con.execute(f"COPY ({text_sql}) TO '{csv_path}' (FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', NEW_LINE '\\n')")
        # Excel opens UTF-8 CSV correctly only with a byte-order mark; its text cells that
        # would start a formula are neutralised (FORMULA_START).
        excel_path = out / "csv-excel" / f"{name}.csv"
        excel_sql = _select(con, relation, fields, for_text=True, for_spreadsheet=True)
        con.execute(f"COPY ({excel_sql}) TO '{excel_path}' (FORMAT csv, HEADER, DELIMITER ',', QUOTE '\"', NEW_LINE '\\n')")
        excel_path.write_bytes(b"\xef\xbb\xbf" + excel_path.read_bytes())
        con.execute(f"COPY ({typed_sql}) TO '{out / 'json' / f'{name}.json'}' (FORMAT json, ARRAY true)")
        con.execute(f"COPY ({typed_sql}) TO '{out / 'parquet' / f'{name}.parquet'}' (FORMAT parquet, COMPRESSION zstd)")
        counts[name] = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    for (rel,) in con.execute("SELECT path FROM stg_sources ORDER BY source_id").fetchall():
        shutil.copyfile(Path(package_dir) / rel, out / "source" / Path(rel).name)
    write_xlsx(con, schemas, descriptor, out / f"{BASENAME}.xlsx", build_date)
    write_sqlite(con, schemas, out / f"{DB_NAME}.db", build_date)
    package = output_package(con, descriptor, schemas, out, build_date, counts)
    (out / "datapackage.json").write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_zip(out, out / f"{BASENAME}.zip")
    write_checksums(out)
    return package


def write_xlsx(con, schemas: dict, descriptor: dict, path: Path, build_date: dt.date) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_urls": False})
    wb.set_properties({"title": descriptor["title"], "created": FIXED_TIME, "comments": f"build date {build_date}"})
    bold = wb.add_format({"bold": True})
    readme = wb.add_worksheet("说明")
    lines = [descriptor["title"], descriptor.get("title_en", ""), "", f"数据日期 / build date: {build_date}",
             f"许可 / licence: {descriptor['licenses'][0]['name']}", "", "工作表 / sheets:"]
    lines += [f"{name}: {schemas[name]['title']} / {schemas[name].get('title_en') or ''}" for name in TABLES]
    for i, line in enumerate(lines):
        readme.write(i, 0, line, bold if i == 0 else None)
    readme.set_column(0, 0, 90)
    for name, table in TABLES.items():
        relation = table.relation
        fields = schemas[name]["schema"]["fields"]
        ws = wb.add_worksheet(name[:31])
        for j, f in enumerate(fields):
            ws.write(0, j, f"{f.get('title', f['name'])}\n{f['name']}", bold)
        count = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        if count > XLSX_MAX_ROWS:
            # A sheet holds 1,048,576 rows; a table this large belongs in CSV or Parquet.
            ws.write(1, 0, f"本表有 {count:,} 行，超过 Excel 工作表的行数上限，请下载 CSV 或 Parquet。/ "
                           f"{count:,} rows exceed an Excel sheet; download the CSV or Parquet instead.")
            continue
        rows = con.execute(_select(con, relation, fields, for_text=False)).fetchall()
        for i, row in enumerate(rows, start=1):
            for j, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, (dt.date, dt.datetime)):
                    ws.write_string(i, j, v.isoformat())
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v)
                elif isinstance(v, (int, float)):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, str(v))
        ws.freeze_panes(1, 0)
        ws.set_row(0, 32)
    wb.close()


SQLITE_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}


def write_sqlite(con, schemas: dict, path: Path, build_date: dt.date) -> None:
    if path.exists():
        path.unlink()
    db = sqlite3.connect(path)
    for name, table in TABLES.items():
        relation = table.relation
        schema = schemas[name]["schema"]
        fields = schema["fields"]
        pk = schema.get("primaryKey") or []
        cols = ", ".join(f'"{f["name"]}" {SQLITE_TYPES.get(f.get("type"), "TEXT")}' for f in fields)
        pk_sql = f", PRIMARY KEY ({', '.join(chr(34) + p + chr(34) for p in pk)})" if pk else ""
        db.execute(f'CREATE TABLE "{name}" ({cols}{pk_sql})')
        rows = con.execute(_select(con, relation, fields, for_text=False) + _sqlite_order(name, pk)).fetchall()
        marks = ", ".join("?" for _ in fields)
        db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', [tuple(_sqlite_value(v) for v in r) for r in rows])
        for f in fields:
            if f["name"] in INDEXED_COLUMNS and f["name"] not in pk[:1]:
                # Filtered penalty pages sort by decision date: a compound index serves both
                # the filter and the order without sorting every matching row.
                cols = f'"{f["name"]}", "decision_date"' if name == "penalties" and f["name"] != "decision_date" else f'"{f["name"]}"'
                db.execute(f'CREATE INDEX "idx_{name}_{f["name"]}" ON "{name}" ({cols})')
    db.execute("CREATE TABLE build_info (build_date TEXT, package_version TEXT)")
    db.execute("INSERT INTO build_info VALUES (?, ?)", (build_date.isoformat(), con.execute("SELECT package_version FROM build_info").fetchone()[0]))
    db.commit()
    from pipeline.datasette.plugins import chinese_search

    for name, columns in SEARCH.items():
        write_search_index(db, name, list(columns), chinese_search)
    db.commit()
    db.execute("ANALYZE")  # statistics let SQLite pick the compound indexes
    db.execute("VACUUM")
    db.close()


def write_search_index(db: sqlite3.Connection, table: str, columns: list[str], search) -> None:
    """<table>_fts: a contentless FTS5 table (stock unicode61 tokenizer) of the columns' pair tokens,
    rowid = the table's rowid, so Datasette's ?_search= and anyone's MATCH find the table's rows."""
    cols = ", ".join(f'"{c}"' for c in columns)
    db.execute(f'CREATE VIRTUAL TABLE "{table}_fts" USING fts5({cols}, content=\'\', tokenize=\'{search.TOKENIZE}\')')
    rows = db.execute(f'SELECT rowid, {cols} FROM "{table}"').fetchall()
    marks = ", ".join("?" for _ in columns)
    db.executemany(f'INSERT INTO "{table}_fts" (rowid, {cols}) VALUES (?, {marks})',
                   [(r[0], *(search.index_text(v) for v in r[1:])) for r in rows])
    # <table>_fts_pairs: how many rows hold each pair of characters, so the count of a two-character
    # search is one lookup instead of a walk through every match (chinese_search.search_sql)
    db.execute(f"CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, '{table}_fts', 'row')")
    db.execute(f'CREATE TABLE "{table}_fts_pairs" (pair TEXT PRIMARY KEY, row_count INTEGER NOT NULL) WITHOUT ROWID')
    db.execute(f'INSERT INTO "{table}_fts_pairs" SELECT term, doc FROM temp.vocab WHERE length(term) = 2 ORDER BY term')
    db.execute("DROP TABLE temp.vocab")


def _sqlite_value(v):
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, bool):
        return int(v)
    return v


FILE_FORMATS = {
    "csv-excel": ("csv", "text/csv", "CSV（UTF-8 带 BOM，供 Excel 打开）/ CSV for Excel (UTF-8 with BOM)"),
    "json": ("json", "application/json", "JSON（对象数组）/ JSON (array of objects)"),
    "parquet": ("parquet", "application/vnd.apache.parquet", "Parquet（zstd 压缩）/ Parquet (zstd)"),
}


def output_package(con, descriptor: dict, schemas: dict, out: Path, build_date: dt.date, counts: dict) -> dict:
    keep = ("$schema", "name", "title", "title_en", "description", "version", "keywords", "licenses", "sources")
    pkg = {k: descriptor[k] for k in keep if k in descriptor}
    pkg["created"] = f"{build_date.isoformat()}T00:00:00+08:00"
    resources = []
    # A resource may carry its own licence note (the plan's text: copyright status unknown,
    # not CC0); every file made from it carries the note too.
    own = {r["name"]: {"licenses": r["licenses"]} for r in descriptor["resources"] if r.get("licenses")}

    def file_entry(rel: str, **extra) -> dict:
        p = out / rel
        return {"path": rel, "bytes": p.stat().st_size, "hash": "sha256:" + sha256_file(p), **extra}

    for name in TABLES:
        s = schemas[name]
        resources.append({"name": name, "type": "table", "title": s["title"], "title_en": s.get("title_en"),
                          "description": s["description"], "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                          "rows": counts[name], **file_entry(f"csv/{name}.csv"), **own.get(name, {}), "schema": s["schema"]})
    for name in TABLES:
        for sub, (fmt, media, title) in FILE_FORMATS.items():
            ext = "csv" if sub == "csv-excel" else fmt
            resources.append({"name": f"{name}.{sub}", "type": "file", "title": f"{schemas[name]['title']}：{title}",
                              "format": fmt, "mediatype": media, **file_entry(f"{sub}/{name}.{ext}"), **own.get(name, {})})
    resources.append({"name": "workbook", "type": "file", "title": "全部表格（Excel 工作簿）/ All tables as one Excel workbook",
                      "format": "xlsx", "mediatype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      **file_entry(f"{BASENAME}.xlsx")})
    resources.append({"name": "sqlite", "type": "file", "title": "SQLite 数据库（Datasette 所用）/ SQLite database served by Datasette",
                      "format": "sqlite", "mediatype": "application/vnd.sqlite3", **file_entry(f"{DB_NAME}.db")})
    for (sid, title, rel) in con.execute("SELECT source_id, title, path FROM stg_sources ORDER BY source_id").fetchall():
        resources.append({"name": f"source.{sid}", "type": "file", "title": f"{title}（全文，按获取时原样）",
                          "title_en": "Full text, as retrieved", "format": "txt", "mediatype": "text/plain",
                          "encoding": "utf-8", **file_entry(f"source/{Path(rel).name}"), **own.get("sources", {})})
    pkg["resources"] = resources
    return pkg


def write_zip(out: Path, zip_path: Path) -> None:
    files = sorted(p for p in out.rglob("*") if p.is_file() and p != zip_path and p.name != "SHA256SUMS")
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for p in files:
            info = zipfile.ZipInfo(str(p.relative_to(out)), date_time=FIXED_TIME.timetuple()[:6])
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, p.read_bytes())


def write_checksums(out: Path) -> None:
    """SHA256SUMS in the format `sha256sum -c` reads; it covers the zip and the datapackage too."""
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    lines = [f"{sha256_file(p)}  {p.relative_to(out)}" for p in files]
    (out / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")
