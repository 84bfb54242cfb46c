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

# RE2 (DuckDB) has no look-around, so this one, used in SQL too, has none.
MASKED_ID = r"[0-9]{3,6}\*{4,}[0-9Xx*]{0,4}"
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{6}(?:19|20)[0-9*]{9}[0-9Xx*](?![0-9A-Za-z])")
PHONE_NUMBER = re.compile(r"(?<![0-9])(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
MASKED_ID_NUMBER = re.compile(MASKED_ID)
PATTERNS = (ID_NUMBER, MASKED_ID_NUMBER, PHONE_NUMBER)


def looks_personal(text: str | None) -> bool:
    """Anything shaped like an ID number (full or partly masked) or a phone number."""
    return bool(text) and any(p.search(text) for p in PATTERNS)


def finding(text: str | None) -> str | None:
    """The validator's personal-data rule on one free-text cell: "personal-id-number",
    "phone-number" or None.

    Any partly masked number, or a full one whose birth date is a real date, is an ID number.
    The check digit and region are not required: a mistyped ID number is still personal data,
    and python-stdnum's region table does not know every county code."""
    if not text:
        return None
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
# - a mobile number 1[3-9]…, or an ID number born 19xx, partly masked or not: 1 and 10 more;
# - an ID number born 20xx: 2 and 10 more;
# - a landline 0…, with or without the dash after its area code;
# - a masked ID number (MASKED_ID): a run of four asterisks.
CANDIDATES = (r"1[0-9*]{10}", r"2[0-9*]{10}", r"0[0-9]{2,3}-?[0-9]{7}")
MASK = "****"


def candidate_sql(text: str) -> str:
    """SQL, TRUE when the SQL string `text` could hold what `finding` flags."""
    return " OR ".join([f"regexp_matches({text}, '{p}')" for p in CANDIDATES] + [f"contains({text}, '{MASK}')"])
