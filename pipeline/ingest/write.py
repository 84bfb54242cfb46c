"""Save what ingest produces without ever leaving a half-written file, and keep what it
writes for people safe to open in a spreadsheet.

- `atomic_write`: a temporary file beside the target, written, flushed and fsync'ed, then
  renamed over the target in one step.  If anything fails (disk full, read-only folder,
  no permission) the temporary file is removed, the target is exactly as it was, and a
  `WriteError` names the path and the cause in Chinese and English.
- `spreadsheet_safe`: formula neutralisation for every cell of a CSV meant for people.
- `is_own_quarantine`: the quarantine file this tool wrote for this input, recognised by
  its header and the input's file name in its 输入文件/input_file column; any other file
  of that name is never deleted or overwritten.
- `Transaction`: several files replaced or created together (source add: the text, sources.csv,
  passages.csv), undone in reverse order by renames alone if one fails; `csv_bytes`, `appended`.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import shutil
import stat
from pathlib import Path

from pipeline.ingest.workbook import ReadError

QUARANTINE_HEADER = ["输入行号/input_row", "列/column", "字段/field", "值/value", "错误代码/code", "原因/reason",
                     "输入文件/input_file"]

CAUSES = {
    errno.ENOSPC: ("磁盘已满", "the disk is full"),
    errno.EDQUOT: ("超出磁盘配额", "the disk quota is exceeded"),
    errno.EROFS: ("文件系统为只读", "the file system is read-only"),
    errno.EACCES: ("没有写入权限", "permission denied"),
    errno.EPERM: ("不允许写入", "operation not permitted"),
    errno.EFBIG: ("文件超过系统允许的大小", "the file is larger than the system allows"),
}


class WriteError(ReadError):
    """An output could not be written: `path`, the OSError's `errno`, and what was left as it was."""

    def __init__(self, path: Path, exc: OSError, kept: tuple[str, str]):
        self.path, self.errno = path, exc.errno
        zh, en = CAUSES.get(exc.errno, (exc.strerror or str(exc), exc.strerror or str(exc)))
        super().__init__(f"无法写入 {path}：{zh}；{kept[0]}", f"Cannot write {path}: {en}; {kept[1]}")


def atomic_write(path: Path, data: bytes, kept: tuple[str, str]) -> None:
    """Replace `path` with `data` in one rename, or raise WriteError and change nothing.
    `kept` says, in both languages, what the failure leaves untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.ingest-tmp")
    fd = -1
    try:
        # O_EXCL: never follow or reuse whatever sits at the temporary name.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        if path.exists():  # keep the dataset's permissions (os.open applied the umask)
            os.fchmod(fd, stat.S_IMODE(path.stat().st_mode))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)  # the bytes are on disk before the rename makes them the dataset
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except OSError as exc:
        if fd >= 0:
            os.close(fd)
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass  # never created, or already renamed
        except OSError:
            pass  # the folder refuses even that: the error below names it
        raise WriteError(path, exc, kept) from exc


# A cell that Excel, LibreOffice or WPS would read as a formula starts with = + - or @;
# a leading tab or carriage return can hide such a start.  Every such text cell gets a
# leading apostrophe, so it is shown, not run.  A plain number (-5, +0.5, 1E-3) is left
# as it is: Excel reads it as the number it is and runs nothing.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_for_people(rows) -> bytes:
    """UTF-8 with BOM (Excel then reads it as UTF-8), CRLF, every cell spreadsheet-safe."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for row in rows:
        w.writerow([spreadsheet_safe(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def is_own_quarantine(path: Path, input_name: str) -> bool:
    """True only for a regular file (not a link) whose header is ours and whose first row
    names `input_name`: what this tool wrote for this input, and nothing else."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as f:
            head = f.read(1 << 20)  # the header and the first row's first seven cells fit
    except OSError:
        return False
    if not head.startswith(b"\xef\xbb\xbf"):
        return False
    try:
        reader = csv.reader(io.StringIO(head[3:].decode("utf-8", errors="replace"), newline=""))
        header, first = next(reader, []), next(reader, [])
    except csv.Error:
        return False
    n = len(QUARANTINE_HEADER)
    return header[:n] == QUARANTINE_HEADER and len(first) >= n and first[n - 1] == spreadsheet_safe(input_name)


class Transaction:
    """Files replaced or created in a package, undone in reverse order by renames alone
    (the old versions are hard links, so putting them back needs no disk space)."""

    KEPT = ("数据包保持原样", "the package is as it was")

    def __init__(self):
        self.done: list[tuple[Path, Path | None]] = []  # (file, its old version or None if new)
        self.made_dirs: list[Path] = []

    def write(self, path: Path, data: bytes) -> None:
        backup = None
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True)
            self.made_dirs.append(path.parent)
        if path.exists():
            backup = path.with_name(f".{path.name}.{os.getpid()}.backup")
            try:
                os.link(path, backup)
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise WriteError(backup, exc, self.KEPT) from exc
                shutil.copy2(path, backup)  # a file system without hard links
        try:
            atomic_write(path, data, self.KEPT)
        except BaseException:
            if backup is not None:
                backup.unlink()
            raise
        self.done.append((path, backup))

    def rollback(self) -> None:
        for path, backup in reversed(self.done):
            if backup is None:
                path.unlink(missing_ok=True)
            else:
                os.replace(backup, path)
        for d in reversed(self.made_dirs):
            try:
                d.rmdir()
            except OSError:
                pass  # not empty: something else put a file there
        self.done.clear()

    def commit(self) -> None:
        for _, backup in self.done:
            if backup is not None:
                backup.unlink(missing_ok=True)
        self.done.clear()


def csv_bytes(rows: list[list]) -> bytes:
    """As `python -m pipeline passages` writes: minimal quoting, LF, None as empty."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([["" if v is None else v for v in r] for r in rows])
    return buf.getvalue().encode("utf-8")


def appended(old: bytes, rows: list[list]) -> bytes:
    return old + (b"" if not old or old.endswith(b"\n") else b"\n") + csv_bytes(rows)
