"""Chinese headers → schema fields.  The names live in headers.toml beside this file.

locate() finds the header block of a sheet (a title row, a merged group row and the
row of names are all common) and maps every column:

- the header row is the row whose cells match the most known names; rows above it are
  titles or group rows, and rows just below it that also match many names continue a
  two-row header, so data starts after the last such row;
- each column tries its group joined to its name ("处罚机关" + "统一社会信用代码"), then
  its lowest non-empty header cell, then the cells above it;
- a column is then mapped to a field, marked personal (never ingested), marked not
  needed (序号 and the like), or reported as not recognised;
- units are read from the column's header cells ("罚款金额（元）" → 元).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pipeline.ingest.workbook import Sheet

HEADERS_TOML = Path(__file__).with_name("headers.toml")
SCAN_ROWS = 15  # a header block never starts lower than this
BRACKETS = re.compile(r"[(\[【〔{<《][^)\]】〕}>》]*[)\]】〕}>》]")


@lru_cache(maxsize=1)
def config() -> dict:
    with open(HEADERS_TOML, "rb") as f:
        return tomllib.load(f)


def norm(text: str) -> str:
    """A header as compared: NFKC, no whitespace, no '*' required markers, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s*＊]+", "", text).lower()


def variants(text: str) -> list[str]:
    """The whole header; without its bracketed parts; the bracketed text itself."""
    whole = norm(text)
    out = [whole]
    bare = BRACKETS.sub("", whole)
    if bare and bare != whole:
        out.append(bare)
    for inner in re.findall(r"[(\[【〔]([^)\]】〕]+)[)\]】〕]", whole):
        if inner not in out:
            out.append(inner)
    return out


def unit_of(texts: list[str]) -> str | None:
    """万元 or 元 when a header names the unit, else None."""
    for t in texts:
        t = norm(t)
        if "万元" in t:
            return "万元"
        if re.search(r"(?<!万)元", t):
            return "元"
    return None


@dataclass
class Aliases:
    resource: str
    by_name: dict[str, str]  # normalised alias -> field
    ignore: set[str]
    personal: set[str]
    examples: dict[str, list[str]]  # field -> names to suggest

    def match(self, text: str) -> tuple[str, str] | None:
        """(kind, field) with kind 'field' | 'personal' | 'ignore', or None."""
        for v in variants(text):
            if v in self.personal:
                return "personal", ""
            if v in self.by_name:
                return "field", self.by_name[v]
            if v in self.ignore:
                return "ignore", ""
        return None


def aliases(resource: str, schema_fields: list[dict]) -> Aliases:
    cfg = config()
    section = cfg.get(resource, {})
    by_name: dict[str, str] = {}
    examples: dict[str, list[str]] = {}
    for f in schema_fields:
        names = list(section.get("fields", {}).get(f["name"], []))
        if f.get("title"):
            names.insert(0, f["title"])
        names = list(dict.fromkeys(names))
        examples[f["name"]] = names[:4]
        for n in names + [f["name"]]:
            by_name.setdefault(norm(n), f["name"])
            bare = BRACKETS.sub("", norm(n))
            if bare:
                by_name.setdefault(bare, f["name"])
    ignore = {norm(n) for n in section.get("ignore", [])}
    personal = {norm(n) for n in cfg.get("personal", {}).get("headers", [])}
    return Aliases(resource, by_name, ignore, personal, examples)


@dataclass
class Column:
    index: int
    label: str  # the header as the clerk wrote it (lowest non-empty header cell)
    kind: str  # field | personal | ignore | unknown | duplicate | empty
    field: str | None = None
    unit: str | None = None  # 元 / 万元 named in the header
    note: str = ""

    @property
    def letter(self) -> str:
        from openpyxl.utils.cell import get_column_letter

        return get_column_letter(self.index + 1)

    @property
    def where(self) -> str:
        return f"{self.letter}列「{self.label}」" if self.label else f"{self.letter}列"


@dataclass
class HeaderMap:
    sheet: Sheet
    header_rows: list[int]  # row numbers of the header block (titles and group rows included)
    columns: list[Column]
    data: list[tuple[int, list[str]]] = field(default_factory=list)
    score: int = 0

    def by_field(self) -> dict[str, Column]:
        return {c.field: c for c in self.columns if c.kind == "field"}

    def of_kind(self, kind: str) -> list[Column]:
        return [c for c in self.columns if c.kind == kind]


def _row_score(cells: list[str], al: Aliases) -> int:
    seen = set()
    for c in cells:
        if c.strip():
            m = al.match(c)
            if m and m[0] == "field":
                seen.add(m[1])
    return len(seen)


def locate(sheet: Sheet, al: Aliases) -> HeaderMap | None:
    """Find the header block and map the columns; None when no row looks like a header."""
    head = sheet.rows[:SCAN_ROWS]
    scores = [_row_score(cells, al) for _, cells in head]
    if not scores or max(scores) < 2:
        return None
    best = max(scores)
    threshold = max(2, (best + 1) // 2)  # a data row never names half the fields
    top = scores.index(best)
    last = top
    while last + 1 < len(head) and scores[last + 1] >= threshold:
        last += 1
    block = head[: last + 1]
    width = max((len(c) for _, c in sheet.rows), default=0)
    # A row above the header with one text only (a merged title) names no column.
    titles = {i for i, (_, cells) in enumerate(block[:top]) if len({c.strip() for c in cells if c.strip()}) == 1}
    grid = [[(cells[j].strip() if j < len(cells) and i not in titles else "") for j in range(width)]
            for i, (_, cells) in enumerate(block)]
    for i in range(top):
        # A group row saved as CSV keeps its text in the first cell of the merge only:
        # the group spans the empty cells to its right (Excel merges are already filled).
        for j in range(1, width):
            if grid[top][j]:
                grid[i][j] = grid[i][j] or grid[i][j - 1]
    columns: list[Column] = []
    taken: dict[str, Column] = {}
    for j in range(width):
        cells = [row[j] for row in grid]
        # Cells at and above the header row, lowest first, without repeats (merges repeat).
        stack: list[str] = []
        for text in reversed(cells):
            if text and text not in stack:
                stack.append(text)
        label = stack[0] if stack else ""
        # The group joined to the name first: 处罚机关 + 统一社会信用代码 is the authority's code,
        # not the party's.
        tries = [a + b for a, b in zip(stack[1:], stack)][:1] + list(stack) + [a + b for a, b in zip(stack[2:], stack[1:])]
        kind, fld = "unknown", None
        for t in tries:
            m = al.match(t)
            if m:
                kind, fld = m
                fld = fld or None
                label = t if t in stack else label
                break
        if not stack:
            kind = "empty"
        col = Column(j, label, kind, fld, unit_of([label] + stack))
        if kind == "field":
            if fld in taken:
                col.kind = "duplicate"
                col.note = f"{taken[fld].letter}"
            else:
                taken[fld] = col
        columns.append(col)
    data = sheet.rows[last + 1:]
    return HeaderMap(sheet, [n for n, _ in block], columns, data, best)
