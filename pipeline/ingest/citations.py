"""Find a quote in a source's passages and a value in the quote, the way a reader would.

A person copies a sentence from a bulletin and types the figure it states; ingest finds
which passage that is and how the figure is written there, so nobody types a passage ID
or worries whether the source wrote ２３４, 二百三十四 or 234.

- Comparison text (`comparable`): Unicode NFKC character by character (full-width ２３４
  and ，are 234 and ,) and every run of whitespace one space, as pipeline/source.collapse_ws
  does, with a map from each compared character back to the passage's own text.
- `find_quote`: the one passage of the source whose comparison text contains the quote's.
  What is stored is that passage's own words (full-width digits and all), so the package's
  validator, which compares after collapsing whitespace only, finds the quote verbatim.
  A quote in no passage, across two, or in several is a finding, never a guess.
- `find_figure`: the figure of the quote that states the value, exactly as written:
  Arabic or full-width digits (1,598 ２３４ 0.06), Chinese numerals (二 一千二百零四
  二〇二〇 零点零五), a 万 or 亿 after either (41.1万 1.2亿), percentages (10% 百分之十).
  A 万 or 亿 multiplies, unless the unit itself starts with it (41.1万 of 万元 is 41.1).
  A percentage states a value only in the unit %; any other figure only outside it.
- `table_column`: the header of the table cell holding the figure, when the passage is
  a table row and one cell (of the row's year, if several) holds it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from pipeline.numerals import (  # noqa: F401
    CN_DIGIT_CHARS,
    CN_NUMERAL_CHARS,
    DIGITS,
    FIGURE,
    MULTIPLIERS,
    Figure,
    figures,
)
from pipeline.source import collapse_ws


def comparable(text: str) -> tuple[str, list[int]]:
    """(text as compared, index in `text` of each of its characters)."""
    out: list[str] = []
    where: list[int] = []
    space = True  # no leading space
    for i, ch in enumerate(text or ""):
        for c in unicodedata.normalize("NFKC", ch):
            if c.isspace():
                if not space:
                    out.append(" ")
                    where.append(i)
                space = True
            else:
                out.append(c)
                where.append(i)
                space = False
    if out and out[-1] == " ":
        out.pop()
        where.pop()
    return "".join(out), where


# -- quotes -------------------------------------------------------------------


@dataclass
class QuoteMatch:
    passage: dict | None = None  # the passages.csv row cited
    quote: str = ""  # the passage's own words
    ambiguous: list[str] = field(default_factory=list)  # passage IDs, when several hold the quote
    spans: list[str] = field(default_factory=list)  # passage IDs, when the quote runs across them


class Passages:
    """One source's rows of passages.csv, in order, with their comparison text made once
    (a file of a thousand rows searches the same few hundred passages each time)."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.texts = [collapse_ws(r["text"]) for r in rows]
        self.seen = [comparable(t) for t in self.texts]


def find_quote(passages: Passages, quote: str) -> QuoteMatch:
    wanted, _ = comparable(quote)
    if not wanted:
        return QuoteMatch()
    hits = []
    for p, text, (seen, where) in zip(passages.rows, passages.texts, passages.seen):
        at = seen.find(wanted)
        if at >= 0:
            hits.append((p, text[where[at]: where[at + len(wanted) - 1] + 1]))
    if len(hits) == 1:
        return QuoteMatch(*hits[0])
    if hits:
        return QuoteMatch(ambiguous=[p["passage_id"] for p, _ in hits])
    # Not within one passage: does it run across neighbours (a quote of two paragraphs)?
    owner: list[str] = []
    for p, (seen, _) in zip(passages.rows, passages.seen):
        owner += [p["passage_id"]] * (len(seen) + 1)
    whole = " ".join(seen for seen, _ in passages.seen)
    at = whole.find(wanted)
    if at >= 0:
        return QuoteMatch(spans=list(dict.fromkeys(owner[at: at + len(wanted)])))
    return QuoteMatch()


# -- figures ------------------------------------------------------------------


def find_figure(quote: str, value: Decimal, unit: str) -> Figure | None:
    """The figure of the quote that states `value` in `unit`: digits before Chinese
    numerals (一 in 一年内 is seldom the figure meant), then the first."""
    found = [f for f in figures(quote) if f.states(value, unit)]
    found.sort(key=lambda f: not f.arabic)
    return found[0] if found else None


# -- what a person types --------------------------------------------------------


def parse_value(text: str, unit: str) -> Decimal | None:
    """A typed value in the indicator's unit: 234, ２３４, 1,598, 二百三十四, 41.1万 (411000,
    or 41.1 when the unit is 万…), 10% or 百分之十 (10)."""
    from pipeline.ingest.normalize import parse_number

    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    s = s.removeprefix("百分之").removesuffix("%")
    if len(s) > 1 and s[-1] in MULTIPLIERS:
        number = parse_number(s[:-1])
        if number is None:
            return None
        return number if unit.startswith(s[-1]) else number * MULTIPLIERS[s[-1]]
    return parse_number(s)


YEAR_SPLIT = re.compile(r"\s*(?:-|–|—+|－|~|～|至|到)\s*")


def parse_years(text: str, excel_number: bool = False) -> tuple[int, int] | None:
    """'2015', '2015年', '二〇一五年', '２０１５' -> (2015, 2015); '2011-2015', '2011—2015年',
    '2011年至2015年' -> (2011, 2015).  None when it is not a year or a period of years."""
    from pipeline.ingest.normalize import normalize_integer

    s = unicodedata.normalize("NFKC", text or "").strip()
    parts = [p for p in YEAR_SPLIT.split(s) if p]
    if not 1 <= len(parts) <= 2:
        return None
    years = []
    for p in parts:
        n = normalize_integer(p).value
        if not re.fullmatch(r"\d{4}", n):
            return None
        years.append(int(n))
    return years[0], years[-1]


# -- tables -------------------------------------------------------------------


def table_column(row_text: str, header_text: str, written: str, year: int) -> tuple[str, str]:
    """(header of the cell holding `written`, header of a cell of another year holding it).

    The first is empty unless one cell holds it: the one under the row's year when
    several do.  The second is set when the only cells holding it are under other years."""
    cells, header = row_text.split(" "), header_text.split(" ")
    if len(cells) != len(header):
        return "", ""
    at = [i for i, c in enumerate(cells) if c == written and not (i == 0 and header[0] == "序号")]

    def years(h: str) -> list[str]:
        return re.findall(r"(?:19|20)\d\d", unicodedata.normalize("NFKC", h))

    own = [i for i in at if str(year) in years(header[i])]
    if len(own) == 1:
        return header[own[0]], ""
    if len(at) == 1 and not years(header[at[0]]):
        return header[at[0]], ""
    if at and all(years(header[i]) for i in at):
        return "", header[at[0]]
    return "", ""
