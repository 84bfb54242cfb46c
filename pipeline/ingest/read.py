"""Read what an agency published into a grid of text cells, row numbers as the clerk sees them.

CSV: the encoding is detected (BOM, then strict UTF-8, then charset-normalizer), and
every legacy Chinese guess (GBK, GB2312, CP936, HZ, GB18030) is decoded as GB18030, the
superset, so that characters GBK lacks (e.g. 𠮷, U+20BB7) survive.  A file whose lines
are mostly UTF-8 but some are not (a row pasted in from a GBK file) is refused naming
those lines: decoding it either way would garble part of it.  The delimiter is sniffed
among comma, tab, semicolon and vertical bar (Excel's "Unicode text" is UTF-16 with
tabs).  Row numbers count CSV records from 1, header included: what Excel shows.

XLSX: streamed from the zip with expat, never loaded whole, so memory follows the cells
that hold something, not the sheet's declared dimension (a stray format at XFD1048576
costs nothing).  Values are as Excel saved them (dates from the cell's number format);
a formula cell is read as its cached value and also recorded in `Sheet.formulas`, so
run.py can refuse its row (a cached value may be missing or stale).  Every merged range
is filled with its top-left value, clipped to the rows and columns that hold values, so
a group header ("处罚信息") stands above each column it spans, a vertically merged header
repeats in both header rows, and a value merged over several data rows applies to each
of them.  Row numbers are Excel's.  The sheet is the one whose header matches best (see
run.py) unless named.

Bounds (`Limits`): every file is checked against them before or while it is read, and a
file beyond one is refused with `LimitError`, which names the file, where, and the bound.
Empty trailing rows and columns are ignored, never materialised.

The input file is only ever opened for reading.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from pipeline.errors import PipelineError

LEGACY_CHINESE = {"gbk", "gb2312", "cp936", "gb18030", "hz", "hz_gb_2312", "euc_cn", "gb_2312_80", "ms936"}


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


def read_file(path: Path, limits: Limits = LIMITS) -> Workbook:
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ReadError(f"找不到文件：{path}", f"File not found: {path}") from None
    except OSError as exc:
        raise ReadError(f"无法读取文件 {path}：{exc.strerror}", f"Cannot read {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise ReadError(f"不是普通文件：{path}", f"Not a regular file: {path}")
    if st.st_size > limits.file_bytes:
        raise LimitError(path, "file_bytes", limits.file_bytes, found=st.st_size)
    try:
        with open(path, "rb") as f:
            data = f.read(limits.file_bytes + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise ReadError(f"无法读取文件 {path}：{exc.strerror}", f"Cannot read {path}: {exc.strerror}") from exc
    if len(data) > limits.file_bytes:
        raise LimitError(path, "file_bytes", limits.file_bytes)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or path.suffix.lower() == ".xls":
        # An OLE compound file: a legacy .xls, or an .xlsx with an opening password.
        raise ReadError("不支持旧版 .xls 文件或设有打开密码的 Excel 文件：请在 Excel 中“另存为” .xlsx（不设密码）或 CSV 后再导入",
                        "Legacy .xls and password-protected workbooks are not supported: save it as .xlsx (no password) "
                        "or CSV in Excel, then ingest that")
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, data, limits)
    return read_csv_bytes(path, data, limits)


# -- CSV ----------------------------------------------------------------------


def line_of(data: bytes, pos: int) -> int:
    """The 1-based line of byte `pos` (LF, CRLF and CR all end a line; no multibyte
    character of UTF-8, GB18030 or GBK contains those bytes)."""
    head = data[:pos]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def undecodable_lines(data: bytes) -> tuple[list[int], list[int]]:
    """(lines that are surely UTF-8 Chinese, lines that are not UTF-8)."""
    utf8, bad = [], []
    for number, line in enumerate(data.splitlines(), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
            continue
        # Surely: three or more CJK ideographs.  A GBK line that happens to be valid UTF-8
        # decodes to Latin and Cyrillic letters (仟扦欠 -> ǪǤǷ); not one of 600,000 random
        # GBK strings gave three ideographs.
        if sum("\u4e00" <= c <= "\u9fff" for c in text) >= 3:
            utf8.append(number)
    return utf8, bad


def _lines(numbers: list[int]) -> str:
    shown = "、".join(str(n) for n in numbers[:10])
    return shown + (f" 等 {len(numbers)} 行" if len(numbers) > 10 else "")


def _lines_en(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (f" and {len(numbers) - 10} more" if len(numbers) > 10 else "")


def mixed(utf8: list[int], bad: list[int], legacy: str) -> EncodingError:
    return EncodingError(
        f"文件编码不一致：第{_lines(bad)}行不是 UTF-8，而第{_lines(utf8[:3])}行等是 UTF-8（{legacy}）；"
        "可能是从另一个文件粘贴的行。请在 Excel 中改正这些行，另存为“CSV UTF-8”后再导入",
        f"Mixed encodings: line {_lines_en(bad)} is not UTF-8 while line {_lines_en(utf8[:3])} and others are "
        f"({legacy}); rows pasted from another file, perhaps. Fix those rows in Excel, save as 'CSV UTF-8' and ingest that",
        bad)


def decode(data: bytes) -> tuple[str, str, str]:
    """(text, codec, how decided).  Never guesses silently: `how` says what was done."""
    if data.startswith(b"\xef\xbb\xbf"):
        codec, body, how = "utf-8-sig", data[3:], "UTF-8 BOM"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec, body, how = "utf-16", data, "UTF-16 BOM"
    else:
        codec, body, how = "utf-8", data, "UTF-8 (strict decode)"
    try:
        return body.decode(codec.replace("-sig", "")), codec, how
    except UnicodeDecodeError as exc:
        if codec != "utf-8":  # a BOM says what the file is: a bad byte after it is a bad line
            line = body[:exc.start].decode(codec.replace("-sig", ""), errors="replace").count("\n") + 1
            raise EncodingError(f"第{line}行无法按 {how} 解码；请改正该行，或在 Excel 中另存为“CSV UTF-8”",
                                f"Line {line} does not decode as {how}; fix that line or save as 'CSV UTF-8' in Excel",
                                [line]) from exc
    utf8, bad = undecodable_lines(data)
    if len(utf8) > len(bad):
        raise mixed(utf8, bad, "其余各行是 UTF-8 / the rest is UTF-8")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    guess = best.encoding if best else None
    if guess is None or guess.lower().replace("-", "_") in LEGACY_CHINESE:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            line = line_of(data, exc.start)
            raise EncodingError(f"无法识别文件编码（第{line}行无法按 GB18030 解码）；请改正该行，或在 Excel 中另存为“CSV UTF-8”",
                                f"Unknown encoding (line {line} does not decode as GB18030); fix that line or save as "
                                "'CSV UTF-8' in Excel", [line]) from exc
        if utf8:  # UTF-8 rows in a GB18030 file decode without error, as nonsense
            raise mixed(utf8, bad, "其余各行按 GB18030 解码 / the rest decodes as GB18030")
        how = f"charset-normalizer: {guess}; decoded as GB18030" if guess else "GB18030 (no confident guess)"
        return text, "gb18030", how
    try:
        return data.decode(guess), guess, f"charset-normalizer: {guess}"
    except (UnicodeDecodeError, LookupError) as exc:
        line = line_of(data, exc.start) if isinstance(exc, UnicodeDecodeError) else None
        where_zh, where_en = (f"第{line}行", f"line {line}") if line else ("文件", "the file")
        raise EncodingError(f"{where_zh}无法按检测到的编码 {guess} 解码；请在 Excel 中另存为“CSV UTF-8”",
                            f"{where_en} does not decode as the detected {guess}; save as 'CSV UTF-8' in Excel",
                            [line] if line else []) from exc


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines most consistently (quotes respected)."""
    sample = "\n".join(text[:65536].splitlines()[:20])
    best, best_score = ",", 0
    for delim in (",", "\t", ";", "|"):
        try:
            counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=delim) if any(c.strip() for c in r)]
        except csv.Error:  # e.g. a field beyond csv's own limit: the reader reports it
            continue
        if not counts:
            continue
        widest = max(counts)
        score = (widest - 1) * sum(c == widest for c in counts)
        if score > best_score:
            best, best_score = delim, score
    return best


def cell_ref(row: int, col: int) -> tuple[str, str]:
    """('B5 单元格', 'cell B5') for row 5, column index 1."""
    from openpyxl.utils.cell import get_column_letter

    ref = f"{get_column_letter(col + 1)}{row}"
    return f"{ref} 单元格", f"cell {ref}"


def has_value(row: int, col: int) -> tuple[str, str]:
    zh, en = cell_ref(row, col)
    return f"表格（{zh}有内容）", f"the table up to {en}"


def read_csv_bytes(path: Path, data: bytes, limits: Limits = LIMITS) -> Workbook:
    text, codec, how = decode(data)
    del data
    delimiter = sniff_delimiter(text)
    rows: list[tuple[int, list[str]]] = []
    blank, cells_seen, number = 0, 0, 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            while cells and not cells[-1]:  # Excel writes a comma for every formatted empty column
                cells.pop()
            if not cells:
                blank += 1  # kept only if a row with data follows: trailing blank lines cost nothing
                continue
            if number > limits.rows:
                raise LimitError(path, "rows", limits.rows, (f"表格（第{number}行有内容）", f"the table up to row {number}"), number)
            if len(cells) > limits.columns:
                raise LimitError(path, "columns", limits.columns, (f"第{number}行", f"row {number}"), len(cells))
            for j, c in enumerate(cells):
                if len(c) > limits.cell_chars:
                    raise LimitError(path, "cell_chars", limits.cell_chars, cell_ref(number, j), len(c))
            cells_seen += sum(1 for c in cells if c)
            if cells_seen > limits.cells:
                raise LimitError(path, "cells", limits.cells, (f"第1–{number}行", f"rows 1–{number}"))
            rows.extend((number - blank + i, []) for i in range(blank))
            blank = 0
            rows.append((number, cells))
    except csv.Error as exc:
        at = number + 1
        if "field larger than field limit" in str(exc):  # csv's own cap (131,072) is above ours
            raise LimitError(path, "cell_chars", limits.cell_chars, (f"第{at}行某个单元格", f"a cell in row {at}")) from exc
        raise ReadError(f"CSV 无法解析（第{at}行）：{exc}", f"CSV could not be parsed (row {at}): {exc}") from exc
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


# Built-in number formats that are dates or times.  14-22 and 45-47 everywhere; 27-36
# and 50-58 are the East Asian locales' date formats (zh-CN: yyyy"年"m"月"d"日" and the
# like), which Excel on a Chinese system writes by number, without their codes.
DATE_FORMAT_IDS = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59))
REF = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # OOXML writes control characters as _x000D_


def unescape(text: str) -> str:
    return ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'B5' -> (5, 1): row number, column index."""
    m = REF.match(ref or "")
    if not m:
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col - 1


class TooLong:
    """A shared string beyond the cell bound: kept as its length only, refused if a cell uses it."""

    def __init__(self, length: int):
        self.length = length


class Zip:
    """The workbook's zip, checked before parsing and metered while parsing."""

    def __init__(self, path: Path, data: bytes, limits: Limits):
        self.path, self.limits, self.read_bytes = path, limits, 0
        self.check_directory(data)
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
            raise self.damaged(exc) from exc
        infos = self.zf.infolist()
        if len(infos) > limits.zip_entries:
            raise LimitError(path, "zip_entries", limits.zip_entries, ("压缩包", "the zip"), len(infos))
        total = 0
        for info in infos:
            total += info.file_size
            # Small entries are exempt: a 2 KB styles.xml may well compress 100:1.
            if info.file_size > 2**20 and info.file_size > limits.zip_ratio * max(info.compress_size, 1):
                raise LimitError(path, "zip_ratio", limits.zip_ratio, (f"压缩包内的 {info.filename}", f"entry {info.filename}"),
                                 info.file_size // max(info.compress_size, 1))
        if total > limits.unzipped_bytes:
            raise LimitError(path, "unzipped_bytes", limits.unzipped_bytes, found=total)
        self.names = {i.filename.lower(): i.filename for i in infos}

    def check_directory(self, data: bytes) -> None:
        """Count the entries from the end record before zipfile builds an object for each."""
        at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
        if at < 0 or len(data) < at + 22:
            raise self.damaged("no end of central directory")
        entries, size = struct.unpack("<HI", data[at + 10:at + 16])
        if entries == 0xFFFF or size == 0xFFFFFFFF:  # ZIP64 markers: never needed below 4 GB and 65,535 entries
            raise self.damaged("ZIP64")
        if entries > self.limits.zip_entries:
            raise LimitError(self.path, "zip_entries", self.limits.zip_entries, ("压缩包", "the zip"), entries)

    def damaged(self, exc) -> ReadError:
        return ReadError(f"无法打开 Excel 文件 {self.path}（文件已损坏或不是 .xlsx）：{exc}",
                         f"Could not open the Excel file {self.path} (damaged, or not .xlsx): {exc}")

    def has(self, name: str) -> bool:
        return name.lower() in self.names

    def parse(self, name: str, start, end=None, text=None) -> None:
        """Stream one entry through expat.  No DTD is allowed (OOXML has none), so no
        entity can expand; bytes are counted as they come out of the decompressor."""
        name = self.names.get(name.lower(), name)
        parser = expat.ParserCreate()
        parser.buffer_text = True

        def no_dtd(*_):
            raise ReadError(f"{self.path}：{name} 含有 DTD，Excel 保存的文件不会有；请另存为新文件再导入",
                            f"{self.path}: {name} has a DTD, which no file saved by Excel has; save it as a new file")

        parser.StartDoctypeDeclHandler = no_dtd
        parser.EntityDeclHandler = no_dtd
        parser.StartElementHandler = start
        if end:
            parser.EndElementHandler = end
        if text:
            parser.CharacterDataHandler = text
        fed = 0
        try:
            with self.zf.open(name) as f:
                while chunk := f.read(1 << 16):
                    self.read_bytes += len(chunk)
                    if self.read_bytes > self.limits.unzipped_bytes:
                        raise LimitError(self.path, "unzipped_bytes", self.limits.unzipped_bytes)
                    parser.Parse(chunk, False)
                    fed += len(chunk)
                    # The position of the last event: text is reported as it streams, so only
                    # one tag (or comment) longer than the bound leaves it this far behind.
                    if fed - max(parser.CurrentByteIndex, 0) > self.limits.xml_token_bytes:
                        raise LimitError(self.path, "xml_token_bytes", self.limits.xml_token_bytes, (f"压缩包内的 {name}", name))
                parser.Parse(b"", True)
        except KeyError as exc:
            raise self.damaged(f"missing {name}") from exc
        except (expat.ExpatError, ValueError) as exc:  # ValueError: a number attribute that is not one
            raise self.damaged(f"{name}: {exc}") from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            raise self.damaged(f"{name}: {exc}") from exc


def local(tag: str) -> str:
    return tag.rpartition(":")[2]


def rels(z: Zip, source: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target path inside the zip) for part `source`."""
    folder, base = posixpath.split(source)
    name = posixpath.join(folder, "_rels", base + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if not z.has(name):
        return found

    def start(tag, attrs):
        if local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            found[attrs.get("Id", "")] = (attrs.get("Type", "").rpartition("/")[2], path)

    z.parse(name, start)
    return found


@dataclass
class Book:
    """What the sheets need from the rest of the workbook."""

    sheets: list[tuple[str, str, str]]  # (name, state, part)
    epoch: dt.datetime
    dates: set[int]  # style indices whose number format is a date or time
    durations: set[int]  # ... a duration ([h]:mm)
    strings: list


def read_book(z: Zip) -> Book:
    from openpyxl.styles.numbers import (
        BUILTIN_FORMATS,
        is_date_format,
        is_timedelta_format,
    )
    from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH

    office = next((p for t, p in rels(z, "").values() if t == "officeDocument"), "xl/workbook.xml")
    parts = rels(z, office)
    sheets, epoch = [], [WINDOWS_EPOCH]

    def on_workbook(tag, attrs):
        tag = local(tag)
        if tag == "workbookPr" and attrs.get("date1904") in ("1", "true"):
            epoch[0] = MAC_EPOCH
        elif tag == "sheet":
            rid = next((v for k, v in attrs.items() if local(k) == "id"), "")
            kind, part = parts.get(rid, ("", ""))
            if kind == "worksheet":  # chart sheets and dialog sheets hold no table
                sheets.append((attrs.get("name", ""), attrs.get("state", "visible"), part))

    z.parse(office, on_workbook)

    codes: dict[int, str] = {}
    xfs: list[int] = []
    where = {"cellXfs": False}

    def on_styles(tag, attrs):
        tag = local(tag)
        if tag == "numFmt":
            codes[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            where["cellXfs"] = True
        elif tag == "xf" and where["cellXfs"]:
            xfs.append(int(attrs.get("numFmtId", 0)))

    def off_styles(tag):
        if local(tag) == "cellXfs":
            where["cellXfs"] = False

    styles = next((p for t, p in parts.values() if t == "styles"), None)
    if styles and z.has(styles):
        z.parse(styles, on_styles, off_styles)
    dates, durations = set(), set()
    for i, fmt in enumerate(xfs):
        code = codes.get(fmt, BUILTIN_FORMATS.get(fmt))
        if is_timedelta_format(code):
            durations.add(i)
        if fmt in DATE_FORMAT_IDS or is_date_format(code):
            dates.add(i)

    strings: list = []
    shared = next((p for t, p in parts.values() if t == "sharedStrings"), None)
    if shared and z.has(shared):
        strings = read_shared_strings(z, shared)
    return Book(sheets, epoch[0], dates, durations, strings)


def read_shared_strings(z: Zip, part: str) -> list:
    limits = z.limits
    strings: list = []
    state = {"in_t": False, "phonetic": 0, "n": 0}
    buf: list[str] = []

    def start(tag, attrs):
        tag = local(tag)
        if tag == "si":
            buf.clear()
            state["n"] = 0
        elif tag == "rPh":  # the phonetic guide above the text: not part of the value
            state["phonetic"] += 1
        elif tag == "t" and not state["phonetic"]:
            state["in_t"] = True

    def end(tag):
        tag = local(tag)
        if tag == "t":
            state["in_t"] = False
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "si":
            if len(strings) >= limits.cells:
                raise LimitError(z.path, "cells", limits.cells, ("共享字符串表", "the shared strings table"))
            n = state["n"]
            strings.append(TooLong(n) if n > limits.cell_chars else unescape("".join(buf)))

    def text(data):
        if state["in_t"]:
            state["n"] += len(data)
            if state["n"] <= limits.cell_chars:  # beyond it, only the length is kept
                buf.append(data)

    z.parse(part, start, end, text)
    return strings


class SheetReader:
    """expat handlers for one worksheet: cells with a value, formulas and merges."""

    def __init__(self, z: Zip, book: Book, counted: list[int]):
        self.z, self.book, self.limits, self.counted = z, book, z.limits, counted
        self.rows: dict[int, list[str]] = {}  # only rows that hold something
        self.pending: dict[int, dict[int, str]] = {}  # the current <row>'s cells, by column
        self.numeric: set[tuple[int, int]] = set()
        self.formulas: dict[tuple[int, int], tuple[str, str | None]] = {}
        self.merges: list[tuple[int, int, int, int]] = []
        self.row, self.col = 0, -1
        self.capture: list[str] | None = None
        self.length = 0
        self.inline, self.phonetic = False, 0

    def start(self, tag, attrs):
        tag = local(tag)
        if tag == "c":
            at = parse_ref(attrs.get("r", ""))
            self.row, self.col = at if at else (self.row, self.col + 1)
            self.type, self.style = attrs.get("t", "n"), int(attrs.get("s", 0) or 0)
            self.value, self.formula, self.text = None, None, []
        elif tag == "row":
            r = attrs.get("r")
            self.row, self.col = (int(r) if r and r.isdigit() else self.row + 1), -1
        elif tag == "v":
            self.begin()
        elif tag == "f":
            self.begin()
            self.formula = ""
        elif tag == "is":
            self.inline = True
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and self.inline and not self.phonetic:
            self.begin()
        elif tag == "mergeCell":
            a, _, b = attrs.get("ref", "").partition(":")
            tl, br = parse_ref(a), parse_ref(b or a)
            if tl and br:
                self.merges.append((tl[0], tl[1], br[0], br[1]))
                if len(self.merges) > self.limits.merges:
                    raise LimitError(self.z.path, "merges", self.limits.merges, found=len(self.merges))

    def begin(self):
        self.capture, self.length = [], 0

    def data(self, text):
        if self.capture is not None:
            self.length += len(text)
            if self.length > self.limits.cell_chars:
                raise LimitError(self.z.path, "cell_chars", self.limits.cell_chars, cell_ref(self.row, self.col))
            self.capture.append(text)

    def end(self, tag):
        tag = local(tag)
        if tag == "v" and self.capture is not None:
            self.value, self.capture = "".join(self.capture), None
        elif tag == "f" and self.capture is not None:
            self.formula, self.capture = "".join(self.capture), None
        elif tag == "t" and self.capture is not None:
            self.text.append("".join(self.capture))
            self.capture = None
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "is":
            self.inline = False
        elif tag == "c":
            self.finish()
        elif tag == "row":
            self.flush()

    def flush(self):
        for r, cells in self.pending.items():
            row = self.rows.setdefault(r, [])
            width = max(max(cells) + 1, len(row))
            row.extend([""] * (width - len(row)))
            for c, text in cells.items():
                row[c] = text
        self.pending.clear()

    def finish(self):
        value = self.convert()
        text = cell_text(value)
        if not text and self.formula is None:
            return  # an empty cell, however formatted: nothing to keep
        row, col, limits = self.row, self.col, self.limits
        if len(text) > limits.cell_chars:
            raise LimitError(self.z.path, "cell_chars", limits.cell_chars, cell_ref(row, col), len(text))
        if row > limits.rows:
            raise LimitError(self.z.path, "rows", limits.rows, has_value(row, col), row)
        if col >= limits.columns:
            raise LimitError(self.z.path, "columns", limits.columns, has_value(row, col), col + 1)
        self.counted[0] += 1
        if self.counted[0] > limits.cells:
            raise LimitError(self.z.path, "cells", limits.cells, ("工作簿", "the workbook"))
        self.pending.setdefault(row, {})[col] = text
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.numeric.add((row, col))
        if self.formula is not None:
            cached = text if (self.value is not None or self.text) else None
            self.formulas[(row, col)] = ("=" + self.formula if self.formula else "=（共享公式 / shared formula）", cached)

    def convert(self):
        """The cell's value as openpyxl would give it with data_only=True."""
        t, v = self.type, self.value
        if t == "inlineStr":
            return unescape("".join(self.text))
        if v is None or v == "":
            return None
        if t == "s":
            try:
                s = self.book.strings[int(v)]
            except (ValueError, IndexError):
                raise self.z.damaged(f"{cell_ref(self.row, self.col)[1]}: no shared string {v}") from None
            if isinstance(s, TooLong):
                raise LimitError(self.z.path, "cell_chars", self.limits.cell_chars, cell_ref(self.row, self.col), s.length)
            return s
        if t == "b":
            return v.strip() in ("1", "true")
        if t in ("str", "e"):
            return unescape(v)
        if t == "d":
            try:
                return dt.datetime.fromisoformat(v)
            except ValueError:
                return v
        try:
            number = float(v) if ("." in v or "e" in v or "E" in v) else int(v)
        except ValueError:
            return v
        if self.style in self.book.dates:
            from openpyxl.utils.datetime import from_excel

            try:
                return from_excel(number, self.book.epoch, timedelta=self.style in self.book.durations)
            except (OverflowError, ValueError):
                return number
        return number

    def sheet(self, name: str) -> Sheet:
        self.flush()  # cells outside any <row>, in a malformed file
        rows, limits = self.rows, self.limits
        if not rows:
            return Sheet(name, [], set(), {})
        last_row = max(rows)
        last_col = max(len(r) for r in rows.values()) - 1
        # A merge carries its top-left value, and only over rows and columns that hold
        # values: a title merged across A1:XFD1 adds no column.  The area filled counts
        # against the cell bound, so overlapping merges cannot make this loop long.
        area = 0
        for r1, c1, r2, c2 in self.merges:
            top = rows.get(r1, [])[c1] if c1 < len(rows.get(r1, [])) else ""
            if not top and (r1, c1) not in self.formulas:
                continue
            r2, c2 = min(r2, last_row), min(c2, last_col)
            area += max(0, r2 - r1 + 1) * max(0, c2 - c1 + 1)
            if self.counted[0] + area > limits.cells:
                raise LimitError(self.z.path, "cells", limits.cells, ("合并单元格", "merged ranges"))
            num, formula = (r1, c1) in self.numeric, self.formulas.get((r1, c1))
            for r in range(r1, r2 + 1):
                row = rows.setdefault(r, [])
                row.extend([""] * (c2 + 1 - len(row)))
                for c in range(c1, c2 + 1):
                    row[c] = top
                    if num:
                        self.numeric.add((r, c))
                    if formula:
                        self.formulas[(r, c)] = formula
        return Sheet(name, [(r, rows.get(r, [])) for r in range(1, last_row + 1)], self.numeric, self.formulas)


def read_xlsx(path: Path, data: bytes, limits: Limits = LIMITS) -> Workbook:
    z = Zip(path, data, limits)
    book = read_book(z)
    sheets, counted = [], [0]
    for name, state, part in book.sheets:
        if state != "visible":
            continue
        reader = SheetReader(z, book, counted)
        z.parse(part, reader.start, reader.end, reader.data)
        sheets.append(reader.sheet(name))
    if not sheets:
        raise ReadError("Excel 文件中没有可见的工作表", "The workbook has no visible sheet")
    return Workbook(path, "xlsx", sheets)
