"""Figures as Chinese documents write them: 234, ２３４, 1,598, 0.06, 二百三十四,
一千二百零四, 41.1万, 1.2亿, 10%, 百分之十.

One reading for the whole pipeline: the validator's value-mismatch check (is the value
the figure written?) and ingest's search for a figure in a quote use the same functions,
so a row ingest accepts is never refused by validation, and the other way round.
And one writing: `plain` prints a number the way the plan writes it (259, 0.71, 210.6) for
pages and charts, and the warehouse's SQL macro fmt_num (pipeline/warehouse/sql/macros.sql) prints the
same text, which a test checks value by value.
A 万 or 亿 multiplies unless the unit itself starts with it (41.1万 of 万元 is 41.1);
a percentage states a value only in the unit %.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an


def plain(value: float | None, missing: str = "—") -> str:
    """A number as the plan writes it: 259, 0.71, 210.6, 1598 (no separators, no trailing .0,
    at most 6 decimals, no binary noise such as 0.036000000000000004); `missing` for None."""
    if value is None:
        return missing
    v = float(value)
    if not math.isfinite(v):
        return str(v)  # inf, nan: no figure of a document, but never a crash
    # at most 6 decimals, and no more digits than a double holds (15): 99999999999.99, never
    # 99999999999.990005.  Correctly rounded, as the macro's printf('%.*f') is.
    places = 6 if v == 0 else max(0, min(6, 14 - math.floor(math.log10(abs(v)))))
    text = f"{v:.{places}f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text

CN_NUMERAL_CHARS = "零〇○一二三四五六七八九十百千万萬亿億两兩壹贰貳叁參肆伍陆陸柒捌玖拾佰仟点"
CN_DIGIT_CHARS = set("零〇○一二三四五六七八九十两兩壹贰貳叁參肆伍陆陸柒捌玖拾")
DIGITS = "0-9０-９"
MULTIPLIERS = {"万": Decimal(10_000), "萬": Decimal(10_000), "亿": Decimal(100_000_000), "億": Decimal(100_000_000)}
# One figure: an optional 百分之, then digits (a 万/亿 may follow) or a run of Chinese
# numerals, then an optional percent sign.  Thousands separators only as ASCII commas
# before exactly three digits: a Chinese comma ， separates list items ("1598起，死亡1204人"),
# and so does a comma before four ("2010,2015").
FIGURE = re.compile(
    rf"(?P<pre>百分之)?(?:(?P<arabic>[{DIGITS}]+(?:,[{DIGITS}]{{3}}(?![{DIGITS}]))*(?:[.．][{DIGITS}]+)?)(?P<mult>[万萬亿億])?"
    rf"|(?P<cn>[{CN_NUMERAL_CHARS}]+))(?P<pct>[%％])?")


@dataclass(frozen=True)
class Figure:
    written: str  # exactly as in the quote
    number: Decimal  # what the digits say, without the 万/亿
    multiplier: str  # 万 or 亿 written after the number, or ""
    percent: bool
    arabic: bool

    def states(self, value: Decimal, unit: str) -> bool:
        if self.percent != (unit == "%"):
            return False
        if self.multiplier and unit.startswith(self.multiplier.replace("萬", "万").replace("億", "亿")):
            return self.number == value
        return self.number * MULTIPLIERS.get(self.multiplier, Decimal(1)) == value


def _chinese(text: str) -> Decimal | None:
    try:
        return Decimal(str(cn2an.cn2an(text.replace("○", "〇"), "smart")))
    except (ValueError, KeyError, IndexError, InvalidOperation):
        return None  # 十三五 and the like: words, not figures


def figures(quote: str) -> list[Figure]:
    """Every figure of the quote, in order."""
    out = []
    for m in FIGURE.finditer(quote):
        percent = bool(m["pre"] or m["pct"])
        if m["arabic"]:
            digits = unicodedata.normalize("NFKC", m["arabic"]).replace(",", "")
            out.append(Figure(m[0], Decimal(digits), m["mult"] or "", percent, True))
            continue
        run = m["cn"]
        if not set(run) & CN_DIGIT_CHARS or quote[max(m.start() - 1, 0): m.start()] == "第":
            continue  # 万车, 百分, 第一: no figure
        number = _chinese(run)
        if number is None:
            continue
        multiplier = run[-1] if run[-1] in MULTIPLIERS and len(run) > 1 else ""
        if multiplier:
            bare = _chinese(run[:-1])
            out.append(Figure(m[0], bare if bare is not None else number / MULTIPLIERS[multiplier], multiplier, percent, False))
        else:
            out.append(Figure(m[0], number, "", percent, False))
    return out


def figure_value(as_written: str, unit: str | None = None) -> float | None:
    """The number the first figure of `as_written` states in `unit`: 41.1万元 of 万元 -> 41.1,
    41.1万 of 元 -> 411000, ２３４ -> 234, 百分之十 -> 10; None when it holds no figure."""
    found = figures(as_written)
    if not found:
        return None
    f = found[0]
    number = f.number
    if f.multiplier and not (unit or "").startswith(f.multiplier.replace("萬", "万").replace("億", "亿")):
        number *= MULTIPLIERS[f.multiplier]
    return float(number)
