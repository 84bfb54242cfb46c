"""What a resident ID number or a phone number looks like, for keeping them out of reports.

The validator's personal-data rule (rules.py) reports them; every error message, quarantine
file and report also withholds any value that looks like one, whatever rule flagged it
(a malformed registration number may be an ID number typed into the wrong column).
"""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric

WITHHELD = "（已隐去 / withheld）"

# Full-width forms (０-９, ＊, （）, －, Ｘ…) and the ideographic space, folded to ASCII one
# character for one: a number typed in full width is still personal data, and a match's
# position in the folded text is its position in the original (redact relies on that).
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def fold(text: str) -> str:
    return text.translate(_FOLD)


# RE2 (DuckDB) has no look-around, so this one, used in SQL too, has none.
MASKED_ID = r"[0-9]{3,6}\*{4,}[0-9Xx*]{0,4}"
# Only a digit next to it stops an ID number: "身份证号ID360102…" is one.
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{6}(?:19|20)[0-9*]{9}[0-9Xx*](?![0-9])")
# Mobile numbers with or without +86 and with the usual 3-4-4 spaces or dashes; landlines
# with their area code, in brackets or not, and a space or a dash.
PHONE_NUMBER = re.compile(r"(?<![0-9])(?:(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
                          r"|(?:\(0[0-9]{2,3}\)|0[0-9]{2,3})[ -]?[0-9]{7,8})(?![0-9])")
MASKED_ID_NUMBER = re.compile(MASKED_ID)
PATTERNS = (ID_NUMBER, MASKED_ID_NUMBER, PHONE_NUMBER)


def looks_personal(text: str | None) -> bool:
    """Anything shaped like an ID number (full or partly masked) or a phone number."""
    return bool(text) and any(p.search(fold(text)) for p in PATTERNS)


def redact(text: str, replacement: str) -> str:
    """The text with every ID-like or phone-like run replaced, full width or not."""
    folded = fold(text)
    out, end = [], 0
    for start, stop in sorted({m.span() for p in PATTERNS for m in p.finditer(folded)}):
        if start < end:  # overlaps the run just replaced: replace up to its end too
            end = max(end, stop)
            continue
        out += [text[end:start], replacement]
        end = stop
    return "".join(out) + text[end:]


def finding(text: str | None) -> str | None:
    """The validator's personal-data rule on one free-text cell: "personal-id-number",
    "phone-number" or None.

    Any partly masked number, or a full one whose birth date is a real date, is an ID number.
    The check digit and region are not required: a mistyped ID number is still personal data,
    and python-stdnum's region table does not know every county code."""
    if not text:
        return None
    text = fold(text)
    if MASKED_ID_NUMBER.search(text) or any("*" in m.group(0) or is_date(m.group(0)[6:14]) or ric.is_valid(m.group(0))
                                            for m in ID_NUMBER.finditer(text)):
        return "personal-id-number"
    return "phone-number" if PHONE_NUMBER.search(text) else None


def looks_like_id(value: str) -> bool:
    """18 characters that are a resident ID number: digits, a real birth date, a valid GB 11643 check."""
    return (len(value) == 18 and value[:17].isdigit() and is_date(value[6:14])
            and ric.calc_check_digit(value) == value[17].upper())


def is_date(yyyymmdd: str) -> bool:
    try:
        dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
        return True
    except ValueError:
        return False


# Cheap tests, in SQL, that find every text `finding` could flag, so that it runs on few rows.
# Each pattern starts with one literal character: RE2 then skips with memchr to where it could
# match, 6x faster over Chinese text than a pattern such as [0-9]{11}, whose every byte goes
# through the automaton.  Together they cover:
# - a mobile number 1[3-9]… (spaced, dashed or after +86), or an ID number born 19xx, partly
#   masked or not: 1 and 10 more digits, stars or separators;
# - an ID number born 20xx: 2 and 10 more;
# - a landline 0…, its area code in brackets or not, with or without a separator;
# - a masked ID number (MASKED_ID): a run of four asterisks;
# - a number typed in full width: it holds a full-width 1 (mobile numbers, IDs born 19xx) or
#   0 (landlines, IDs born 20xx), or four full-width asterisks.  (A number mixing ASCII and
#   full-width digits is found only when one of these tests holds for it.)
_SEP = " \\-－　"  # the separators fold() turns into a space or a dash, as an RE2 class
CANDIDATES = (f"1[0-9*＊{_SEP}]{{10}}", f"2[0-9*＊{_SEP}]{{10}}", f"0[0-9]{{2,3}}[)）{_SEP}]{{0,2}}[0-9]{{7}}")
LITERALS = ("****", "１", "０", "＊＊＊＊")


def candidate_sql(text: str) -> str:
    """SQL, TRUE when the SQL string `text` could hold what `finding` flags."""
    return " OR ".join([f"regexp_matches({text}, '{p}')" for p in CANDIDATES]
                       + [f"contains({text}, '{s}')" for s in LITERALS])
