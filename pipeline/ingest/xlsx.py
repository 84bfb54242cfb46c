"""XLSX: streamed from the zip with expat, never loaded whole (read.py's docstring says how
and why); read_xlsx is called by read.read_file."""


from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from pipeline.ingest.workbook import (
    LIMITS,
    LimitError,
    Limits,
    ReadError,
    Sheet,
    Workbook,
    cell_ref,
    has_value,
)


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
