"""Split the plan's full text into citable passages.

The retrieved copy is plain text with one block per line and blank lines between
blocks; tables are laid out one cell per line.  Each passage gets an id derived
from its place in the document (chapter / section / item, or table / row), so a
citation such as ``t1-r7`` (表1 row 7) or ``c4-s6-i2`` (四、(六) 2.) keeps
pointing at the same words as long as the source text is unchanged (its sha256
is recorded in the package).

Quotes cite passages "verbatim after whitespace is collapsed": inside a passage
every run of whitespace (including the line breaks between table cells) becomes
one space, and leading/trailing whitespace is dropped.  Nothing else changes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

CHINESE_ORDINALS = "一二三四五六七八九十"
CHAPTER_RE = re.compile(rf"^([{CHINESE_ORDINALS}]+)、")
SECTION_RE = re.compile(rf"^[(（]([{CHINESE_ORDINALS}]+)[)）]")
ITEM_RE = re.compile(r"^(\d+)\.")
TABLE_CAPTION_RE = re.compile(r"^(\d):")
# Page furniture of the government website, kept so offsets stay exact.
CHROME_LINES = {"访问量:", "扫码浏览"}
# Table layouts in this document: header cells, then rows of the same width.
TABLE_WIDTHS = {1: 5, 2: 3}


def collapse_ws(text: str) -> str:
    """The normalisation under which quotes are verbatim (see module docstring)."""
    return " ".join(text.split())


def ordinal(chinese: str) -> int:
    """一 -> 1 ... 十 -> 10 (the plan never goes past ten)."""
    return CHINESE_ORDINALS.index(chinese) + 1 if len(chinese) == 1 else 10 + ordinal(chinese[1:])


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


def split_passages(text: str) -> list[Passage]:
    blocks = list(_blocks(text))
    out: list[Passage] = []
    chapter = section = item = None
    para = 0
    title_seen = 0
    i = 0

    def add(pid, kind, locator, first, last, *, table_no=None, table_row=None, body=None):
        in_text = kind != "page_chrome"  # the web page's own lines belong to no chapter
        out.append(
            Passage(
                passage_id=pid,
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
            parts.append(f"{CHINESE_ORDINALS[chapter - 1]}、")
        if section:
            parts.append(f"({CHINESE_ORDINALS[section - 1]})")
        if item:
            parts.append(f"{item}.")
        return "".join(parts)

    while i < len(blocks):
        block = blocks[i]
        line = block[3]
        if i == 0 or line in CHROME_LINES:
            add(f"page-{len([p for p in out if p.kind == 'page_chrome']) + 1}", "page_chrome", "网页栏目", block, block)
        elif line.startswith("南昌市安全生产“十三五”规划"):
            title_seen += 1
            add(f"title-{title_seen}", "title", "标题", block, block)
        elif m := TABLE_CAPTION_RE.match(line):
            tno = int(m.group(1))
            width = TABLE_WIDTHS[tno]
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
            add(f"c{chapter}", "heading", where(), block, block)
        elif m := SECTION_RE.match(line):
            section, item, para = ordinal(m.group(1)), None, 0
            # In 一、 a section marker opens a whole paragraph; elsewhere it is a heading line.
            kind = "heading" if len(line) <= 40 else "paragraph"
            add(f"c{chapter}-s{section}", kind, where(), block, block)
        elif (m := ITEM_RE.match(line)) and section:
            item, para = int(m.group(1)), 0
            add(f"c{chapter}-s{section}-i{item}", "paragraph", where(), block, block)
        else:
            para += 1
            scope = f"c{chapter}" if chapter else "preamble"
            if section:
                scope += f"-s{section}"
            if item:
                scope += f"-i{item}"
            add(f"{scope}-p{para}", "paragraph", f"{where() or '前言'}第{para}段", block, block)
        i += 1
    return out


def passages_from_file(path: Path) -> list[Passage]:
    return split_passages(path.read_text(encoding="utf-8"))


def passage_rows(path: Path) -> list[dict]:
    return [asdict(p) for p in passages_from_file(path)]
