"""What ingest reads a file into (Workbook, Sheet), the bounds it reads within (Limits) and
why it cannot read one (ReadError, LimitError, EncodingError); shared by the CSV reader
(read.py) and the XLSX reader (xlsx.py)."""


from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import PipelineError


@dataclass(frozen=True)
class Limits:
    """What ingest will read.  A 50,000-row penalties file takes about 400 MB to ingest;
    agencies publish a few thousand rows a year, so every bound leaves a wide margin."""

    file_bytes: int = 32 * 2**20  # the file on disk, CSV or XLSX
    rows: int = 50_000  # the last row that holds anything (Excel's row number)
    columns: int = 256  # the last column that holds anything; real templates have about 30
    cells: int = 2_000_000  # non-empty cells, merges filled, and XLSX shared strings
    cell_chars: int = 32_767  # one cell: Excel's own limit
    unzipped_bytes: int = 256 * 2**20  # XLSX: all entries together, as declared and as read
    zip_ratio: int = 100  # XLSX: one entry's unzipped/zipped size (real sheets: 5-40; a zip bomb: ~1000)
    zip_entries: int = 10_000  # XLSX: entries in the zip (a workbook has tens)
    merges: int = 200_000  # XLSX: merged ranges in one sheet
    xml_token_bytes: int = 4 * 2**20  # XLSX: one tag or comment (a huge attribute is held whole by the parser)


LIMITS = Limits()

# bound -> (what is counted, its unit, what to do; each in Chinese, then English)
BOUNDS = {
    "file_bytes": ("文件大小", "file size", "字节", "bytes",
                   "请按年份或机关拆分后分别导入", "split it (by year or by authority) and ingest each part"),
    "rows": ("行数", "number of rows", "行", "rows",
             "请拆分后分别导入；若数据并没有这么多行，请删除表格下方多余的内容",
             "split it and ingest each part; if the data is not that long, delete what lies below it"),
    "columns": ("列数", "number of columns", "列", "columns",
                "请删除表格右侧多余的内容", "delete what lies to the right of the table"),
    "cells": ("非空单元格数", "number of non-empty cells", "个", "cells", "请拆分后分别导入", "split it and ingest each part"),
    "cell_chars": ("字符数", "number of characters", "个字符", "characters",
                   "Excel 的单元格最多 32767 个字符，请检查该单元格", "an Excel cell holds at most 32,767 characters: check that cell"),
    "unzipped_bytes": ("解压后大小", "unzipped size", "字节", "bytes",
                       "文件可能已损坏或被刻意构造；请在 Excel 中打开后另存为新文件再导入",
                       "the file may be damaged or crafted; open it in Excel, save it as a new file and ingest that"),
    "zip_ratio": ("压缩比", "compression ratio", "倍", "to 1",
                  "文件可能已损坏或被刻意构造（“压缩炸弹”）；请在 Excel 中打开后另存为新文件再导入",
                  "the file may be damaged or crafted (a 'zip bomb'); open it in Excel, save it as a new file and ingest that"),
    "zip_entries": ("文件数", "number of entries", "个", "entries",
                    "这不像 Excel 保存的文件；请在 Excel 中另存为新文件再导入",
                    "this does not look like a file Excel saved; save it as a new file in Excel and ingest that"),
    "merges": ("合并区域数", "number of merged ranges", "个", "ranges",
               "请取消不必要的合并单元格", "unmerge the cells that need not be merged"),
    "xml_token_bytes": ("单个 XML 标记的长度", "length of one XML tag", "字节", "bytes",
                        "文件可能已损坏或被刻意构造；请在 Excel 中另存为新文件再导入",
                        "the file may be damaged or crafted; save it as a new file in Excel and ingest that"),
}


class ReadError(PipelineError):
    """The file cannot be read at all; message in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


class LimitError(ReadError):
    """The file is beyond one of the `Limits`: names the file, where (cell, row, zip entry), the bound."""

    def __init__(self, path: Path, bound: str, limit: int, where: tuple[str, str] = ("", ""), found: int | None = None):
        self.path, self.bound, self.limit, self.where, self.found = path, bound, limit, where, found
        what_zh, what_en, unit_zh, unit_en, todo_zh, todo_en = BOUNDS[bound]
        of_zh = f"{where[0]}{' ' if where[0][-1:].isascii() else ''}的" if where[0] else ""
        of_en = f" of {where[1]}" if where[1] else ""
        is_zh = f"为 {found:,}，" if found is not None else ""
        is_en = f" ({found:,})" if found is not None else ""
        super().__init__(f"{path}：{of_zh}{what_zh}{is_zh}超过导入上限 {limit:,} {unit_zh}；{todo_zh}",
                         f"{path}: the {what_en}{of_en}{is_en} exceeds ingest's bound of {limit:,} {unit_en}; {todo_en}")


class EncodingError(ReadError):
    """Some lines of a CSV cannot be decoded; `lines` are their 1-based line numbers in the file."""

    def __init__(self, zh: str, en: str, lines: list[int]):
        super().__init__(zh, en)
        self.lines = lines


@dataclass
class Sheet:
    """One table of text cells: rows[i] is (row number as the clerk sees it, cells)."""

    name: str | None
    rows: list[tuple[int, list[str]]]
    # (row number, column index) -> True where the cell came from a number cell in Excel
    numeric: set[tuple[int, int]] = field(default_factory=set)
    # (row number, column index) -> (formula as written, the value Excel saved or None)
    formulas: dict[tuple[int, int], tuple[str, str | None]] = field(default_factory=dict)

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


def cell_ref(row: int, col: int) -> tuple[str, str]:
    """('B5 单元格', 'cell B5') for row 5, column index 1."""
    from openpyxl.utils.cell import get_column_letter

    ref = f"{get_column_letter(col + 1)}{row}"
    return f"{ref} 单元格", f"cell {ref}"


def has_value(row: int, col: int) -> tuple[str, str]:
    zh, en = cell_ref(row, col)
    return f"表格（{zh}有内容）", f"the table up to {en}"
