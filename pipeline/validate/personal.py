"""What a resident ID number or a phone number looks like, for keeping them out of reports.

The validator's personal-data rule (rules.py) reports them; every error message, quarantine
file and report also withholds any value that looks like one, whatever rule flagged it
(a malformed registration number may be an ID number typed into the wrong column).
"""

from __future__ import annotations

import re

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
