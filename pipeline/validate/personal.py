"""What a resident ID number or a phone number looks like, for keeping them out of reports.

The validator's personal-data rule (rules.py) reports them; every error message, quarantine
file and report also withholds any value that looks like one, whatever rule flagged it
(a malformed registration number may be an ID number typed into the wrong column).
"""

from __future__ import annotations

import datetime as dt
import re

from stdnum.cn import ric, uscc
from stdnum.iso7064 import mod_11_10

# What stands for a value withheld from a report: in a bilingual message, and in a cell of a
# Chinese-only text (an ingest quarantine file, a Chinese message).
WITHHELD = "（已隐去 / withheld）"
WITHHELD_ZH = "（已隐去）"

# Full-width forms (０-９, ＊, （）, －, Ｘ…) and the ideographic space, folded to ASCII one
# character for one; so are Chinese digits (一三八…, 〇/零 for 0, 幺 as said for 1 in phone
# numbers): a number typed in full width or spelled in characters is still personal data.
_FOLD = ({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
         | {ord(c): ord(d) for c, d in zip("〇零一幺二三四五六七八九", "001123456789")})


def fold(text: str) -> str:
    return text.translate(_FOLD)


# What people and programs put inside a number: spaces (also no-break and ideographic),
# hyphens and dashes, dots, middle dots, and invisible characters (zero-width space,
# joiners, word joiner, BOM).  Removed only between two digits (or masking stars), so
# "2016-03-15" stays a date but "138 0013 8000" and "1​3​8…" become numbers.
SEPARATORS = " \u00a0\u3000-\u2010\u2011\u2012\u2013\u2014\u2212.\u00b7\u30fb\u200b\u200c\u200d\u2060\ufeff"
_INSIDE = re.compile(f"(?<=[0-9*])[{re.escape(SEPARATORS)}]+(?=[0-9*])")


def normalize(text: str) -> tuple[str, list[int]]:
    """(text folded with separators inside numbers removed, the original index of each
    character of it).  Patterns run on the first; redact maps matches back with the second."""
    folded = fold(text)
    out, index, end = [], [], 0
    for m in _INSIDE.finditer(folded):
        out.append(folded[end:m.start()])
        index.extend(range(end, m.start()))
        end = m.end()
    out.append(folded[end:])
    index.extend(range(end, len(folded)))
    return "".join(out), index


# RE2 (DuckDB) has no look-around, so this one, used in SQL too, has none.
MASKED_ID = r"[0-9]{3,6}\*{4,}[0-9Xx*]{0,4}"
# Only a digit next to it stops an ID number: "身份证号ID360102…" is one.
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{6}(?:19|20)[0-9*]{9}[0-9Xx*](?![0-9])")
# The 15-digit ID numbers issued before 1999: region, YYMMDD (19YY), sequence.
OLD_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{5}[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}(?![0-9])")
# Mobile numbers with or without +86; landlines with their area code, in brackets or not
# (separators inside are gone after normalize; one may remain after a bracket).
PHONE_NUMBER = re.compile(r"(?<![0-9])(?:(?:\+?86[ -]?)?1[3-9][0-9]{9}"
                          r"|(?:\(0[0-9]{2,3}\)|0[0-9]{2,3})[ -]?[0-9]{7,8})(?![0-9])")
MASKED_ID_NUMBER = re.compile(MASKED_ID)
PATTERNS = (ID_NUMBER, MASKED_ID_NUMBER, PHONE_NUMBER, OLD_ID_NUMBER)


def looks_personal(text: str | None) -> bool:
    """Anything shaped like an ID number (full, old 15-digit, or partly masked) or a phone number."""
    return bool(text) and any(p.search(normalize(text)[0]) for p in PATTERNS)


def redact(text: str, replacement: str) -> str:
    """The text with every ID-like or phone-like run replaced, however it was typed."""
    normal, index = normalize(text)
    spans = sorted({(index[m.start()], index[m.end() - 1] + 1) for p in PATTERNS for m in p.finditer(normal)})
    out, end = [], 0
    for start, stop in spans:
        if start < end:  # overlaps the run just replaced: replace up to its end too
            end = max(end, stop)
            continue
        out += [text[end:start], replacement]
        end = stop
    return "".join(out) + text[end:]


def finding(text: str | None, field: str | None = None) -> str | None:
    """The validator's personal-data rule on one cell: "personal-id-number", "phone-number"
    or None.  Every column goes through it; a value of an identifier column that is a valid
    identifier of its kind (USCC, organisation code, 15-digit registration number) is not
    personal data, whatever digits it holds.

    Any partly masked number, or a full one whose birth date is a real date, is an ID number.
    The check digit and region are not required: a mistyped ID number is still personal data,
    and python-stdnum's region table does not know every county code."""
    if not text:
        return None
    if field is not None and is_valid_identifier(field, text):
        return None
    text = normalize(text)[0]
    if MASKED_ID_NUMBER.search(text) or any("*" in m.group(0) or is_date(m.group(0)[6:14]) or ric.is_valid(m.group(0))
                                            for m in ID_NUMBER.finditer(text)):
        return "personal-id-number"
    if any(is_date("19" + m.group(0)[6:12]) for m in OLD_ID_NUMBER.finditer(text)):
        return "personal-id-number"
    return "phone-number" if PHONE_NUMBER.search(text) else None


ORG_CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code_ok(code: str) -> bool:
    """GB 11714 check on the 9 characters at USCC positions 9-17."""
    try:
        total = sum(ORG_CODE_CHARS.index(ch) * w for ch, w in zip(code[:8], ORG_CODE_WEIGHTS))
    except ValueError:
        return False
    check = 11 - total % 11
    expected = {10: "X", 11: "0"}.get(check, str(check))
    return code[8] == expected


# Columns whose whole value is an organisation's identifier, with its own check.
IDENTIFIER_FIELDS = {"uscc", "authority_uscc", "org_code", "registration_no"}


def is_valid_identifier(field: str, value: str) -> bool:
    """A value that passes its identifier's own check: a USCC (GB 32100 check character and
    the embedded GB 11714 organisation code), an organisation code, or a 15-digit
    registration number (ISO 7064 MOD 11,10).  Residual risk: an old 15-digit ID number
    typed into registration_no passes that check about one time in ten."""
    if field in ("uscc", "authority_uscc"):
        return (len(value) == 18 and value.isalnum() and value.upper() == value
                and uscc.calc_check_digit(value[:17]) == value[17] and org_code_ok(value[8:17]))
    if field == "org_code":
        code = value.replace("-", "")
        return len(code) == 9 and code.isalnum() and org_code_ok(code)
    if field == "registration_no":
        return len(value) == 15 and value.isdigit() and mod_11_10.is_valid(value)
    return False


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


# A cheap test, in SQL, that finds every text `finding` could flag, so that it runs on few
# rows: one pass of one automaton over the row's joined text.  Every pattern of `finding`
# needs, in the original text, a run of at least 11 characters that are digits (ASCII,
# full width or Chinese), masking stars, X, brackets, + or separators, starting with a
# digit; or at least 10 starting with a 0 (a landline such as 0101234567); or four stars.
# Ordinary text (dates such as 2016-03-15, amounts, case numbers) has no such run.
_DIGIT = "0-9０-９〇零一幺二三四五六七八九"
_RUN = _DIGIT + "*＊XxＸｘ()（）+＋" + SEPARATORS.replace("-", "\\-") + "－．"  # "-" escaped: a class range otherwise
CANDIDATES = (f"[{_DIGIT}][{_RUN}]{{10}}|[0０〇零][{_RUN}]{{9}}",)
LITERALS = ("****", "＊＊＊＊")


# C0 and C1 control characters other than tab, line feed and carriage return, and the
# bidirectional embeddings, overrides and isolates that reorder text on screen (a name
# that reads one way and is stored another), and the invisible marks and joiners that make
# two names look alike (十\u200b三五 beside 十三五).  Published text may hold none of them.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                     "\u2066-\u2069\ufeff]")
CONTROL_SQL = (r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x{9f}\x{61c}\x{200b}-\x{200f}\x{202a}-\x{202e}\x{2060}-\x{2064}"
               r"\x{2066}-\x{2069}\x{feff}]")


def control_characters(text: str | None) -> str | None:
    """"U+0000, U+202E" for the control characters in text (each once), or None."""
    if not text:
        return None
    found = dict.fromkeys(f"U+{ord(c):04X}" for c in CONTROL.findall(text))
    return ", ".join(found) or None


def candidate_sql(text: str) -> str:
    """SQL, TRUE when the SQL string `text` could hold what `finding` flags."""
    def lit(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"
    return " OR ".join([f"regexp_matches({text}, {lit(p)})" for p in CANDIDATES]
                       + [f"contains({text}, {lit(s)})" for s in LITERALS])
