"""Split a source document's text into citable passages.

A retrieved copy is plain text with one block per line (blank lines between blocks
are optional); tables are laid out one cell per line after a caption such as
"1:…" or "表1…", their width given by the header cells before the row numbered 1.
Each passage gets an id derived from its place in the document (chapter / section /
item, or table / row), so a citation such as ``t1-r7`` (表1 row 7) or ``c4-s6-i2``
(四、(六) 2.) keeps pointing at the same words as long as the text is unchanged (its
sha256 is recorded in sources.csv).  The first source, the plan, keeps these ids as
they were published; every other source's ids carry its prefix (``bulletin-2020--c11-p1``),
so ids are unique across sources.  Headings go up to 九十九、; numbered items (1. 1、 1．)
count under a section, a chapter, or before either; （1） sub-items are numbered paragraphs
(``-p1``) of their item.  Where numbering starts again, the repeated id gets ``-n2``.

Quotes cite passages "verbatim after whitespace is collapsed": inside a passage
every run of whitespace (including the line breaks between table cells) becomes
one space, and leading/trailing whitespace is dropped.  Nothing else changes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

CHINESE_ORDINALS = "一二三四五六七八九十"
# 一 … 十, 十一 … 十九, 二十 … 九十九: a run such as 一二 or 三五 is no ordinal, so "三五、" opens nothing.
_ORDINAL = "[一二三四五六七八九]?十[一二三四五六七八九]?|[一二三四五六七八九]"
CHAPTER_RE = re.compile(rf"^({_ORDINAL})、")
SECTION_RE = re.compile(rf"^[(（]({_ORDINAL})[)）]")
# 1. / 1、 / 1． opens a numbered item; not "1.35" (a decimal: a table cell laid out one per
# line, or a sentence that starts with a figure) nor "2020、" (a year): items are 1–99.
ITEM_RE = re.compile(r"^(\d{1,2})[.、．](?!\d)")
TABLE_CAPTION_RE = re.compile(r"^(?:表\s*)?(\d{1,2})[:：\s]")  # not "2020 年…": tables are 1–99
# Page furniture of government websites, kept so offsets stay exact.
CHROME_LINES = {"访问量:", "扫码浏览"}
CHROME_PREFIXES = ("您当前所在位置", "当前位置")
# Header cells before a table's first row, at most (a caption followed by prose is no table).
MAX_TABLE_WIDTH = 12


def collapse_ws(text: str) -> str:
    """The normalisation under which quotes are verbatim (see module docstring)."""
    return " ".join(text.split())


def ordinal(chinese: str) -> int:
    """一 -> 1 ... 十 -> 10, 十一 -> 11 … 十九 -> 19, 二十 -> 20."""
    if len(chinese) == 1:
        return CHINESE_ORDINALS.index(chinese) + 1
    if chinese[0] == "十":
        return 10 + ordinal(chinese[1:])
    tens = CHINESE_ORDINALS.index(chinese[0]) + 1
    return tens * 10 + (ordinal(chinese[2:]) if len(chinese) > 2 else 0)


def chinese_number(n: int) -> str:
    """1 -> 一 … 10 -> 十, 11 -> 十一, 20 -> 二十 (the inverse of ordinal)."""
    if n <= 10:
        return CHINESE_ORDINALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_ORDINALS[tens - 1]) + "十" + (CHINESE_ORDINALS[ones - 1] if ones else "")


@dataclass(frozen=True)
class Passage:
    passage_id: str
    seq: int
    kind: str
    chapter: int | None
    section: int | None
    item: int | None
    table_no: int | None
    table_row: int | None
    locator_zh: str
    line_start: int
    line_end: int
    char_start: int
    char_end: int
    text: str


def _blocks(text: str):
    """Yield (line_no, char_start, char_end, stripped_text) for non-empty lines."""
    offset = 0
    for line_no, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            start = offset + lead
            yield line_no, start, start + len(stripped), stripped
        offset += len(line) + 1


def _table_width(blocks, start: int) -> int | None:
    """Header cells from blocks[start] up to the block "1" that opens the first row."""
    for width in range(1, MAX_TABLE_WIDTH + 1):
        if start + width < len(blocks) and blocks[start + width][3] == "1":
            return width
    return None


def split_passages(text: str, title: str | None = None, prefix: str = "") -> list[Passage]:
    """The passages of one document.  `title`: a line equal to it is the title; `prefix`:
    put before every id (the plan's is empty: its ids were published without one)."""
    blocks = list(_blocks(text))
    out: list[Passage] = []
    chapter = section = item = None
    para = 0
    title_seen = 0
    i = 0
    uses: dict[str, int] = {}

    def add(pid, kind, locator, first, last, *, table_no=None, table_row=None, body=None):
        in_text = kind != "page_chrome"  # the web page's own lines belong to no chapter
        # Numbering that starts again (an annex with its own 一、, notes 1. 2. after the items
        # of the same section) would repeat an id: the second place gets -n2, the third -n3.
        n = uses[pid] = uses.get(pid, 0) + 1
        if n > 1:
            pid, locator = f"{pid}-n{n}", f"{locator}（第{n}处）"
        out.append(
            Passage(
                passage_id=prefix + pid,
                seq=len(out) + 1,
                kind=kind,
                chapter=chapter if in_text else None,
                section=section if in_text else None,
                item=item if in_text else None,
                table_no=table_no,
                table_row=table_row,
                locator_zh=locator,
                line_start=first[0],
                line_end=last[0],
                char_start=first[1],
                char_end=last[2],
                text=body if body is not None else collapse_ws(text[first[1] : last[2]]),
            )
        )

    def where() -> str:
        parts = []
        if chapter:
            parts.append(f"{chinese_number(chapter)}、")
        if section:
            parts.append(f"({chinese_number(section)})")
        if item:
            parts.append(f"{item}.")
        return "".join(parts)

    def scope() -> str:
        """c4-s6-i2; before the first chapter, preamble-s1 (a document without 一、 headings)."""
        s = f"c{chapter}" if chapter else "preamble"
        if section:
            s += f"-s{section}"
        if item:
            s += f"-i{item}"
        return s

    while i < len(blocks):
        block = blocks[i]
        line = block[3]
        if line in CHROME_LINES or line.startswith(CHROME_PREFIXES):
            add(f"page-{len([p for p in out if p.kind == 'page_chrome']) + 1}", "page_chrome", "网页栏目", block, block)
        elif title and line == title:
            title_seen += 1
            add(f"title-{title_seen}", "title", "标题", block, block)
        elif (m := TABLE_CAPTION_RE.match(line)) and (width := _table_width(blocks, i + 1)):
            tno = int(m.group(1))
            add(f"t{tno}-caption", "table_caption", f"表{tno} 标题", block, block, table_no=tno)
            header = blocks[i + 1 : i + 1 + width]
            add(f"t{tno}-header", "table_header", f"表{tno} 表头", header[0], header[-1], table_no=tno)
            i += 1 + width
            row = 0
            # Rows start with their 序号 and keep the header's width.
            while i + width <= len(blocks) and blocks[i][3] == str(row + 1):
                row += 1
                cells = blocks[i : i + width]
                add(f"t{tno}-r{row}", "table_row", f"表{tno} 第{row}行", cells[0], cells[-1], table_no=tno, table_row=row)
                i += width
            continue
        elif m := CHAPTER_RE.match(line):
            chapter, section, item, para = ordinal(m.group(1)), None, None, 0
            add(scope(), "heading", where(), block, block)
        elif m := SECTION_RE.match(line):
            section, item, para = ordinal(m.group(1)), None, 0
            # In 一、 a section marker opens a whole paragraph; elsewhere it is a heading line.
            kind = "heading" if len(line) <= 40 else "paragraph"
            add(scope(), kind, where(), block, block)
        elif m := ITEM_RE.match(line):
            # Also straight under 一、 (bulletins number their items there) or before it.
            item, para = int(m.group(1)), 0
            add(scope(), "paragraph", where(), block, block)
        else:
            para += 1
            add(f"{scope()}-p{para}", "paragraph", f"{where() or '前言'}第{para}段", block, block)
        i += 1
    return out


def passages_from_file(path: Path, title: str | None = None, prefix: str = "") -> list[Passage]:
    return split_passages(path.read_text(encoding="utf-8"), title=title, prefix=prefix)


def package_passage_rows(package_dir: Path) -> list[dict]:
    """Rows of passages.csv for every source registered in package_dir/data/sources.csv, in
    the order of that file."""
    import csv

    with open(Path(package_dir) / "data" / "sources.csv", newline="", encoding="utf-8") as f:
        sources = list(csv.DictReader(f))
    return [row for s in sources
            for row in passage_rows(Path(package_dir) / s["path"], title=s["title"], prefix=s["passage_id_prefix"],
                                    source_id=s["source_id"])]


def passage_rows(path: Path, title: str | None = None, prefix: str = "", source_id: str | None = None) -> list[dict]:
    """Rows of passages.csv for one source (source_id first after the id, when given)."""
    rows = []
    for p in passages_from_file(path, title, prefix):
        row = asdict(p)
        if source_id is not None:
            row = {"passage_id": row.pop("passage_id"), "source_id": source_id, **row}
        rows.append(row)
    return rows
