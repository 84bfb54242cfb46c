"""Citations: every figure of the plan's tables traces to the sentence it came from.

Each registered source's text file exists and matches its sha256 (source_files); the passages
table is the text as `python -m pipeline passages` splits it (check_passages); every quote is
verbatim in its passage, every figure in its quote, and a figure read from a table row sits
in the column its year names (check_citations).  figure_of is the one reading of a written
figure, which ingest uses too.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pipeline.numerals import figure_value
from pipeline.source import collapse_ws, passage_rows
from pipeline.validate.errors import ValidationError
from pipeline.validate.tables import Table, q

WORD_VALUES = {"杜绝": 0.0}  # 'eliminate entirely' means zero


def figure_of(as_written: str, unit: str | None = None) -> float | None:
    """The number a written figure states in `unit`: '41.1万元' of 万元 -> 41.1, '下降25%' -> -25,
    '一次' -> 1, '２３４' -> 234, '二百一十五' -> 215, '1,598' -> 1598, '百分之十' -> 10
    (pipeline.numerals, the reading ingest uses too)."""
    if as_written in WORD_VALUES:
        return WORD_VALUES[as_written]
    number = figure_value(as_written, unit)
    if number is None:
        return None
    return -number if as_written.startswith("下降") else number


def figure_in(quote: str, as_written: str) -> bool:
    """The written figure occurs in the quote and is not part of a longer number."""
    return re.search(rf"(?<![0-9.]){re.escape(as_written)}(?![0-9]|\.[0-9])", quote) is not None


def source_files(con, tables: dict[str, Table], package_dir: Path, errors: list[ValidationError]) -> dict[str, dict]:
    """Every registered source: its text file exists, is UTF-8 and matches its recorded
    sha256.  Returns {source_id: {path, title, prefix}} of those that do."""
    table = tables.get("sources")
    if not (table and table.loaded):
        return {}
    out = {}
    for rowid, sid, title, rel, sha, prefix in con.execute(
            f"SELECT rowid, source_id, title, path, sha256, passage_id_prefix FROM {table.sql} ORDER BY rowid").fetchall():
        where = dict(resource="sources", file=str(table.path), row=rowid + 2)
        path = package_dir / (rel or "")
        if not rel or not path.is_file():
            errors.append(ValidationError("resource-missing", field="path", value=rel, detail=str(path), **where))
            continue
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if sha and sha != actual:
            errors.append(ValidationError("source-hash", field="sha256", value=sid, detail=f"{path.name}: {sha[:12]}… ≠ {actual[:12]}…", **where))
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            errors.append(ValidationError("encoding-error", field="path", value=rel, detail=f"{path.name}: byte {e.start}", **where))
            continue
        out[sid] = {"path": path, "title": title, "prefix": prefix or ""}
    return out


def check_passages(con, tables: dict[str, Table], sources: dict[str, dict], errors: list[ValidationError]) -> None:
    """passages.csv holds exactly the passages each source's text splits into."""
    table = tables.get("passages")
    if not (table and table.loaded):
        return
    expected = {r["passage_id"]: r for sid, s in sources.items()
                for r in passage_rows(s["path"], title=s["title"], prefix=s["prefix"], source_id=sid)}
    actual = {r[0]: r for r in con.execute(f"SELECT passage_id, text, char_start, char_end, rowid FROM {table.sql}").fetchall()}
    known = set(sources)
    for pid, row in expected.items():
        got = actual.get(pid)
        if got is None:
            errors.append(ValidationError("passages-stale", resource="passages", file=str(table.path), field="passage_id", value=pid, detail="缺少段落 / passage missing"))
        elif (got[1], int(got[2] or -1), int(got[3] or -1)) != (row["text"], row["char_start"], row["char_end"]):
            errors.append(ValidationError("passages-stale", resource="passages", file=str(table.path), row=got[4] + 2, field="text", value=pid, detail="文字或位置不同 / text or offsets differ"))
    source_of = dict(con.execute(f"SELECT passage_id, source_id FROM {table.sql}").fetchall())
    for pid, got in actual.items():
        if pid not in expected and source_of.get(pid) in known:
            errors.append(ValidationError("passages-stale", resource="passages", file=str(table.path), row=got[4] + 2, field="passage_id", value=pid, detail="原文中没有该段落 / not in the text"))


def check_citations(con, tables: dict[str, Table], errors: list[ValidationError]) -> None:
    """Every cited figure: quote inside its passage, figure inside its quote, cell == value."""
    passages = tables.get("passages")
    if not (passages and passages.loaded):
        return
    text_of = dict(con.execute(f"SELECT passage_id, text FROM {passages.sql}").fetchall())
    source_of = dict(con.execute(f"SELECT passage_id, source_id FROM {passages.sql}").fetchall())
    # A table row's header is the header above it in the same document: every document may
    # have a 表1, and one document may number two tables 1 (an annex).
    headers: dict[str, list[str]] = {}
    table_of: dict[str, str] = {}
    above: dict[tuple, str] = {}
    for pid, src, n, kind, text in con.execute(
            f"SELECT passage_id, source_id, table_no, kind, text FROM {passages.sql} "
            "WHERE kind IN ('table_header', 'table_row') ORDER BY source_id, TRY_CAST(seq AS INTEGER)").fetchall():
        if kind == "table_header":
            headers[pid] = text.split(" ")
            above[(src, n)] = pid
        elif (src, n) in above:
            table_of[pid] = above[(src, n)]
    for name in ("observations", "campaign_results", "commitments"):
        table = tables.get(name)
        if not (table and table.loaded):
            continue
        cols = table.field_names()
        rows = con.execute(f"SELECT rowid, {', '.join(q(c) for c in cols)} FROM {table.sql} ORDER BY rowid").fetchall()
        for rowid, *values in rows:
            r = dict(zip(cols, values))
            where = dict(resource=name, file=str(table.path), row=rowid + 2)
            if r.get("source_id") and r.get("passage_id") in source_of and source_of[r["passage_id"]] != r["source_id"]:
                errors.append(ValidationError("passage-source-mismatch", field="passage_id", value=r["passage_id"],
                                              detail=f"{source_of[r['passage_id']]} ≠ {r['source_id']}", **where))
                continue
            _check_row_citation(r, text_of, headers, table_of, where, errors)


def _check_row_citation(r: dict, text_of: dict, headers: dict, table_of: dict, where: dict, errors: list) -> None:
    quote, pid = r.get("quote") or "", r.get("passage_id") or ""
    passage = text_of.get(pid)
    if passage is None:
        return  # a foreign-key error says so
    if collapse_ws(quote) not in passage:
        errors.append(ValidationError("quote-not-in-passage", field="quote", value=quote, detail=pid, **where))
        return
    written = r.get("value_as_written") or ""
    if written and not figure_in(quote, written):
        errors.append(ValidationError("figure-not-in-quote", field="value_as_written", value=written, detail=quote, **where))
    due = r.get("due_as_written") or ""
    if due:
        if due not in quote:
            errors.append(ValidationError("figure-not-in-quote", field="due_as_written", value=due, detail=quote, **where))
        if r.get("due_year") and r["due_year"] not in due:
            errors.append(ValidationError("value-mismatch", field="due_year", value=r["due_year"], detail=f"期限原文 / as written: {due}", **where))
    value = r.get("value")
    if written and value not in (None, ""):
        stated = figure_of(written, r.get("unit"))
        try:
            number = float(value)
        except ValueError:
            number = None  # a type error says so
        if number is not None and (stated is None or abs(stated - number) > 1e-9):
            errors.append(ValidationError("value-mismatch", field="value", value=value, detail=f"原文写作 / written as “{written}”", **where))
        if r.get("unit") == "万元" and r.get("amount_yuan") not in (None, "") and number is not None:
            if round(number * 10000) != int(r["amount_yuan"]):
                errors.append(ValidationError("value-mismatch", field="amount_yuan", value=r["amount_yuan"], detail=f"{written} = {round(number * 10000)}元", **where))
    column = r.get("table_column")
    if column:
        cells = passage.split(" ")
        header = headers.get(table_of.get(pid), [])
        if column not in header or len(cells) != len(header):
            errors.append(ValidationError("table-cell-mismatch", field="table_column", value=column, detail=f"{pid} 无此列 / no such column", **where))
        elif cells[header.index(column)] != written:
            errors.append(ValidationError("table-cell-mismatch", field="value_as_written", value=written,
                                          detail=f"{pid}「{column}」= {cells[header.index(column)]}", **where))
    cq, cp = r.get("corroborating_quote") or "", r.get("corroborating_passage_id") or ""
    if cp:
        other = text_of.get(cp, "")
        if collapse_ws(cq) not in other:
            errors.append(ValidationError("quote-not-in-passage", field="corroborating_quote", value=cq, detail=cp, **where))
        elif written and not figure_in(cq, written):
            errors.append(ValidationError("figure-not-in-quote", field="corroborating_quote", value=written, detail=cq, **where))
