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
import io
import stat
from pathlib import Path

LEGACY_CHINESE = {"gbk", "gb2312", "cp936", "gb18030", "hz", "hz_gb_2312", "euc_cn", "gb_2312_80", "ms936"}


from pipeline.ingest.workbook import (  # noqa: F401 - the reader's types, imported from here too
    BOUNDS,
    LIMITS,
    EncodingError,
    LimitError,
    Limits,
    ReadError,
    Sheet,
    Workbook,
    cell_ref,
    has_value,
)
from pipeline.ingest.xlsx import read_xlsx


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
