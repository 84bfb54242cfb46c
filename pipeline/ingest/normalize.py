"""Per-field normalisers: what a clerk typed → the package's canonical text.

Each field gets the mildest treatment that makes it canonical:

- every cell: surrounding whitespace removed (ASCII, full-width U+3000, no-break U+00A0,
  zero-width U+200B and stray BOMs U+FEFF); line breaks inside a cell become "\\n";
- free text (names, facts, remarks, quotes excepted): full-width digits and Latin letters
  become ASCII; nothing else changes.  Chinese punctuation （），。 stays as written:
  full NFKC would turn 示例（虚构） into 示例(虚构), ① into 1 and ㎡ into m2;
- dates, amounts, integers, identifiers and enumerations: full NFKC first (they hold
  none of ① ㎡ that matter), then parsed;
- quotes (campaign `quote`) are left exactly as written apart from trimming: they must be
  verbatim in the plan.

A value that cannot be parsed is passed on cleaned but unparsed: the validator then
reports it as a type error against the cell, which is what the clerk has to fix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import cn2an

from pipeline.ingest.headers import config

SPACE = " \t\r\n\u3000\u00a0\u200b\ufeff"
PLACEHOLDERS = {"/", "-", "--", "—", "——", "－", "无", "暂无", "空", "null", "none", "n/a", "na", "nan"}
CN_NUMERALS = "零〇○一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟萬点"

CODE_FIELDS = {"uscc", "authority_uscc", "registration_no", "org_code"}
DOC_NUMBER_FIELDS = {"decision_number", "penalty_decision_number", "listing_decision_number"}
VERBATIM_FIELDS = {"quote"}
UNTIL_FIELDS = {"valid_until", "publicity_until", "display_until"}


@dataclass
class Cell:
    """A normalised value, or the problem that stops it being one."""

    value: str
    code: str | None = None  # an ingest finding code (see findings.py), None when fine


def trim(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return text.strip(SPACE)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", trim(text)).strip(SPACE)


def halfwidth_alnum(text: str) -> str:
    """Full-width 0-9, A-Z, a-z → ASCII; every other character as it was."""
    return "".join(
        chr(ord(ch) - 0xFEE0) if ("０" <= ch <= "９" or "Ａ" <= ch <= "Ｚ" or "ａ" <= ch <= "ｚ") else ch for ch in text
    )


def is_placeholder(text: str) -> bool:
    return text.strip().lower() in PLACEHOLDERS


def format_decimal(d: Decimal) -> str:
    """Plain notation, no trailing zeros: Decimal('2.5000') -> '2.5', Decimal('1E+1') -> '10'."""
    text = format(d.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# -- dates --------------------------------------------------------------------

DATE_RE = re.compile(r"(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?(?:\s*T?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
RANGE_SPLIT = re.compile(r"\s*(?:至|到|~|～|—+|－)\s*")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def normalize_date(text: str, *, until: bool = False, excel_number: bool = False) -> Cell:
    """2015年6月1日, 二〇一五年六月一日, 2015.6.1, 2015/6/1, 20150601, Excel dates → 2015-06-01.

    For "until" fields a range "2016-03-15至2017-03-15" gives its end.  An Excel number
    cell in a date column (a date formatted as General) is read as an Excel serial date.
    """
    s = nfkc(text)
    if not s or is_placeholder(s):
        return Cell("")
    if excel_number and re.fullmatch(r"\d{5}(?:\.0+)?", s) and 20000 <= float(s) <= 80000:
        return Cell((EXCEL_EPOCH + dt.timedelta(days=int(float(s)))).isoformat())
    if until:
        parts = [p for p in RANGE_SPLIT.split(s) if p]
        if len(parts) == 2:
            s = parts[1]
    if any(ch in CN_NUMERALS for ch in s):
        s = s.replace("○", "〇").replace("◯", "〇")  # circles typed for the numeral zero
        try:
            s = cn2an.transform(s, "cn2an")
        except (ValueError, KeyError):  # cn2an raises ValueError on what it cannot read
            return Cell(s)
    m = DATE_RE.fullmatch(s) or COMPACT_DATE_RE.fullmatch(s)
    if not m:
        return Cell(s)
    y, mo, d = (int(g) for g in m.groups()[:3])
    iso = f"{y:04d}-{mo:02d}-{d:02d}"  # an impossible date (2019-02-30) stays visible as such
    return Cell(iso)


# -- numbers and amounts ------------------------------------------------------

ARABIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def _clean_number(text: str) -> str:
    s = nfkc(text)
    s = re.sub(r"(?<=\d)[,，](?=\d{3})", "", s)  # thousands separators
    s = re.sub(r"^(?:人民币|rmb|¥|￥)", "", s, flags=re.IGNORECASE)
    return re.sub(r"\s+", "", s)


def parse_number(body: str) -> Decimal | None:
    """Arabic or Chinese numerals, including mixed ('2万5千') and financial ('贰万伍仟')."""
    if not body:
        return None
    if ARABIC.fullmatch(body):
        return Decimal(body)
    if all(ch in CN_NUMERALS or ch.isdigit() or ch == "." for ch in body):
        try:
            return Decimal(str(cn2an.cn2an(body.replace("○", "〇"), "smart")))
        except (ValueError, KeyError, InvalidOperation):
            return None
    return None


def parse_amount(text: str) -> tuple[Decimal | None, str | None]:
    """(number, unit) where unit is '万元', '元' or None (not stated in the value).

    41.1万元 -> (41.1, 万元); 41.1万 -> (41.1, 万元); 25,000元 -> (25000, 元);
    贰万伍仟元整 -> (25000, 元); 壹佰元伍角 -> (100.5, 元); 2.5 -> (2.5, None).
    """
    s = _clean_number(text)
    s = re.sub(r"(?<=[元圆])[整正]$", "", s)
    if s.endswith("万元"):
        return parse_number(s[:-2]), "万元"
    if re.search(r"[元圆]", s) and re.search(r"[角分]$", s):
        try:  # cn2an reads 元角分 itself
            return Decimal(str(cn2an.cn2an(s.replace("圆", "元"), "normal"))), "元"
        except (ValueError, KeyError, InvalidOperation):
            return None, "元"
    if s.endswith(("元", "圆")):
        return parse_number(s[:-1]), "元"
    if s.endswith(("万", "萬")) and ARABIC.fullmatch(s[:-1]):
        return Decimal(s[:-1]), "万元"  # "41.1万": a count of ten-thousands of yuan
    return parse_number(s), None


def normalize_amount_wan(text: str, header_unit: str | None) -> Cell:
    """Any amount → 万元, the schema's unit (fine_amount_wan, confiscation_amount_wan).

    A unit in the value wins; else the header's unit; else a bare number is ambiguous
    (is 25000 yuan or 万元?) and the row is rejected with amount-unit-unknown, except 0.
    """
    s = nfkc(text)
    if not s or is_placeholder(s):
        return Cell("")
    number, unit = parse_amount(s)
    if number is None:
        return Cell(_clean_number(s))  # the validator reports the type error
    unit = unit or header_unit
    if unit is None:
        return Cell(format_decimal(number), None if number == 0 else "amount-unit-unknown")
    if unit == "元":
        number = number / Decimal(10000)
    return Cell(format_decimal(number))


def normalize_integer(text: str) -> Cell:
    """'2015', '２０１５年', '二〇一五' → '2015'; 'seven' stays for the validator."""
    s = nfkc(text)
    if not s or is_placeholder(s):
        return Cell("")
    body = re.sub(r"[年度]+$", "", _clean_number(s))
    number = parse_number(body)
    if number is None or number != number.to_integral_value():
        return Cell(body)
    return Cell(str(int(number)))


def normalize_number(text: str) -> Cell:
    s = nfkc(text)
    if not s or is_placeholder(s):
        return Cell("")
    number = parse_number(_clean_number(s))
    return Cell(format_decimal(number) if number is not None else _clean_number(s))


def split_figure(text: str, units: list[str]) -> tuple[str, str, str]:
    """'41.1万元' -> ('41.1', '万元', '41.1万元'): (number, unit or '', the figure as written)."""
    s = nfkc(text)
    for u in sorted(units, key=len, reverse=True):
        if s.endswith(u):
            body = s[: -len(u)].strip()
            n = parse_number(_clean_number(body))
            return (format_decimal(n) if n is not None else body), u, s
    n = parse_number(_clean_number(s))
    return (format_decimal(n) if n is not None else s), "", s


# -- identifiers, enumerations, text ------------------------------------------


def normalize_code(text: str) -> Cell:
    """USCC and registration codes: NFKC, no spaces, upper case (letters are never guessed)."""
    s = nfkc(text)
    if is_placeholder(s):
        return Cell("")
    return Cell(re.sub(r"\s+", "", s).upper())


def normalize_doc_number(text: str) -> Cell:
    """Decision numbers: ASCII digits, no spaces, and the year in 〔〕 (GB/T 9704-2012 7.2.4):
    洪应急罚[２０１６]12号, 洪应急罚（2016）12号 and 洪应急罚〔2016〕12号 are one decision."""
    s = re.sub(r"\s+", "", halfwidth_alnum(trim(text)))
    if is_placeholder(s):
        return Cell("")
    return Cell(re.sub(r"[\[［【(（〔]\s*((?:19|20)\d\d)\s*[\]］】)）〕]", r"〔\1〕", s))


def normalize_enum(text: str, field_name: str) -> Cell:
    s = re.sub(r"\s+", "", nfkc(text))
    if is_placeholder(s):
        return Cell("")
    for canonical, variants in config().get("values", {}).get(field_name, {}).items():
        if isinstance(variants, list) and (s == canonical or s in variants):
            return Cell(canonical)
    return Cell(s)


def normalize_penalty_category(text: str) -> Cell:
    """'罚款、责令停产整顿' / '罚款；警告' → '罚款;责令停产停业' / '罚款;警告'."""
    s = nfkc(text)
    if is_placeholder(s):
        return Cell("")
    items = [p for p in re.split(r"[;,、/|\s]+", s) if p]
    return Cell(";".join(normalize_enum(p, "penalty_category").value for p in items))


def regime_of(text: str) -> str | None:
    s = nfkc(text)
    for canonical, hints in config().get("values", {}).get("regime", {}).items():
        if any(h in s for h in hints):
            return canonical
    return None


def normalize_regime(text: str, legal_basis: str) -> Cell:
    """'2017' / '2017年规定' / '应急管理部令第11号' → '2017' or '2023'; when empty, the
    regime named in the row's legal basis (列入依据) — never a guess from dates."""
    s = nfkc(text)
    if s and not is_placeholder(s):
        return Cell(regime_of(s) or s)
    return Cell(regime_of(legal_basis) or "")


def normalize_text(text: str) -> Cell:
    return Cell(halfwidth_alnum(trim(text)))


def normalize_field(f: dict, text: str, *, unit: str | None = None, excel_number: bool = False) -> Cell:
    """The normaliser for one schema field (type and name decide)."""
    name, kind = f["name"], f.get("type", "string")
    if kind == "date":
        return normalize_date(text, until=name in UNTIL_FIELDS, excel_number=excel_number)
    if kind == "number" and name.endswith("_wan"):
        return normalize_amount_wan(text, unit)
    if kind == "integer":
        return normalize_integer(text)
    if kind == "number":
        return normalize_number(text)
    if name in CODE_FIELDS:
        return normalize_code(text)
    if name in DOC_NUMBER_FIELDS:
        return normalize_doc_number(text)
    if name == "penalty_category":
        return normalize_penalty_category(text)
    if name in ("measure_id", "passage_id"):
        return Cell(re.sub(r"\s+", "", nfkc(text)).lower())
    if name == "source_url":
        return Cell(re.sub(r"\s+", "", nfkc(text)))
    if name in VERBATIM_FIELDS:
        return Cell(trim(text))
    if "enum" in f.get("constraints", {}) or name in config().get("values", {}):
        return normalize_enum(text, name)
    return normalize_text(text)
