"""Read what an agency published into a grid of text cells, row numbers as the clerk sees them.

CSV: the encoding is detected (BOM, then strict UTF-8, then charset-normalizer), and
every legacy Chinese guess (GBK, GB2312, CP936, HZ, GB18030) is decoded as GB18030, the
superset, so that characters GBK lacks (e.g. 𠮷, U+20BB7) survive.  The delimiter is
sniffed among comma, tab, semicolon and vertical bar (Excel's "Unicode text" is UTF-16
with tabs).  Row numbers count CSV records from 1, header included: what Excel shows.

XLSX: openpyxl, values as last calculated by Excel (formulas read as their cached
values).  Every merged range is filled with its top-left value, so a group header
("处罚信息") stands above each column it spans, a vertically merged header repeats in
both header rows, and a value merged over several data rows applies to each of them.
Row numbers are Excel's.  The sheet is the one whose header matches best (see run.py)
unless named.

The input file is only ever opened for reading.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

LEGACY_CHINESE = {"gbk", "gb2312", "cp936", "gb18030", "hz", "hz_gb_2312", "euc_cn", "gb_2312_80", "ms936"}


class ReadError(Exception):
    """The file cannot be read at all; message in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass
class Sheet:
    """One table of text cells: rows[i] is (row number as the clerk sees it, cells)."""

    name: str | None
    rows: list[tuple[int, list[str]]]
    # (row number, column index) -> True where the cell came from a number cell in Excel
    numeric: set[tuple[int, int]] = field(default_factory=set)

    @property
    def width(self) -> int:
        return max((len(c) for _, c in self.rows), default=0)


@dataclass
class Workbook:
    path: Path
    kind: str  # "csv" or "xlsx"
    sheets: list[Sheet]
    encoding: str | None = None  # CSV only: the codec used
    encoding_how: str = ""  # how it was decided, for the summary
    delimiter: str | None = None


def read_file(path: Path) -> Workbook:
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"找不到文件：{path}", f"File not found: {path}")
    data = path.read_bytes()
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, data)
    if path.suffix.lower() == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReadError("不支持旧版 .xls 文件：请在 Excel 中“另存为” .xlsx 或 CSV 后再导入",
                        "Legacy .xls is not supported: save it as .xlsx or CSV in Excel, then ingest that")
    return read_csv_bytes(path, data)


# -- CSV ----------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str, str]:
    """(text, codec, how decided).  Never guesses silently: `how` says what was done."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig", "UTF-8 BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16", "UTF-16 BOM"
    try:
        return data.decode("utf-8"), "utf-8", "UTF-8 (strict decode)"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    guess = best.encoding if best else None
    if guess is None or guess.lower().replace("-", "_") in LEGACY_CHINESE:
        try:
            how = f"charset-normalizer: {guess}; decoded as GB18030" if guess else "GB18030 (no confident guess)"
            return data.decode("gb18030"), "gb18030", how
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ReadError(f"无法识别文件编码（第{line}行附近无法按 GB18030 解码）；请在 Excel 中另存为“CSV UTF-8”",
                            f"Unknown encoding (line {line} does not decode as GB18030); save as 'CSV UTF-8' in Excel") from exc
    try:
        return data.decode(guess), guess, f"charset-normalizer: {guess}"
    except (UnicodeDecodeError, LookupError) as exc:
        raise ReadError(f"无法按检测到的编码 {guess} 解码；请在 Excel 中另存为“CSV UTF-8”",
                        f"Could not decode as the detected {guess}; save as 'CSV UTF-8' in Excel") from exc


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines most consistently (quotes respected)."""
    sample = "\n".join(text.splitlines()[:20])
    best, best_score = ",", 0
    for delim in (",", "\t", ";", "|"):
        counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delim) if any(c.strip() for c in r)]
        if not counts:
            continue
        widest = max(counts)
        score = (widest - 1) * sum(c == widest for c in counts)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_csv_bytes(path: Path, data: bytes) -> Workbook:
    text, codec, how = decode(data)
    delimiter = sniff_delimiter(text)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            rows.append((number, cells))
    except csv.Error as exc:
        raise ReadError(f"CSV 无法解析（第{len(rows) + 1}行）：{exc}", f"CSV could not be parsed (row {len(rows) + 1}): {exc}") from exc
    return Workbook(path, "csv", [Sheet(None, rows)], encoding=codec, encoding_how=how, delimiter=delimiter)


# -- XLSX ---------------------------------------------------------------------


def cell_text(value) -> str:
    """An Excel cell as text: dates as ISO, numbers as Excel shows them (15 significant digits)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(value, ".15g")
        if "e" in text:  # very large or small: write it out in full
            text = format(value, "f").rstrip("0").rstrip(".")
        return text
    return str(value)


def read_xlsx(path: Path, data: bytes) -> Workbook:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds; the clerk needs one message
        raise ReadError(f"无法打开 Excel 文件：{exc}", f"Could not open the Excel file: {exc}") from exc
    sheets = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        width = ws.max_column
        grid: list[list] = [list(r) for r in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=width, values_only=True)]
        for rng in ws.merged_cells.ranges:
            top = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(grid) else None
            for r in range(rng.min_row, min(rng.max_row, len(grid)) + 1):
                for c in range(rng.min_col, min(rng.max_col, width) + 1):
                    grid[r - 1][c - 1] = top
        numeric = {(i, j) for i, r in enumerate(grid, start=1) for j, v in enumerate(r)
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        rows = [(i, [cell_text(v) for v in r]) for i, r in enumerate(grid, start=1)]
        sheets.append(Sheet(ws.title, rows, numeric))
    if not sheets:
        raise ReadError("Excel 文件中没有可见的工作表", "The workbook has no visible sheet")
    return Workbook(path, "xlsx", sheets)
