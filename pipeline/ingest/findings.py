"""What ingest says about a row: the validator's findings, mapped back to the input, plus
the few that only ingest can know.  Personal data is never repeated.

Codes from the validator keep their names; ingest adds its own, in the same catalogue
(pipeline/errors.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.errors import CATALOGUE
from pipeline.validate import personal
from pipeline.validate.personal import WITHHELD_ZH as WITHHELD

PERSONAL_CODES = {"personal-id-number", "phone-number"}
# What looks like a resident ID number (full or partly masked) or a phone number: the
# validator's own patterns, used here only to keep such values out of reports.
looks_personal = personal.looks_personal


def redact(text: str) -> str:
    """A message with every ID-like or phone-like run replaced (validator messages quote values)."""
    return personal.redact(text, WITHHELD)


def shown(text: str) -> str:
    """A value as it may appear in a report: entirely withheld when it holds personal data."""
    return WITHHELD if looks_personal(text or "") else (text or "")


@dataclass
class Finding:
    code: str
    row: int | None  # input row number as the clerk sees it (None: the file as a whole)
    field: str | None  # schema field
    column: str  # where in the input: "F列「罚款金额（元）」"
    value: str  # the cell as given, or WITHHELD
    message_zh: str
    message_en: str
    severity: str = "error"

    @classmethod
    def ingest(cls, code: str, row: int | None, field: str | None, column: str, value: str,
               detail: str | tuple[str, str] = "") -> Finding:
        """`detail` is one text for both messages, or (Chinese, English)."""
        severity, zh, en = CATALOGUE[code]
        safe = shown(value)
        zh_detail, en_detail = (detail, detail) if isinstance(detail, str) else detail
        return cls(code, row, field, column, safe, zh.format(value=safe, detail=zh_detail),
                   en.format(value=safe, detail=en_detail), severity)

    def __post_init__(self):
        self.message_zh, self.message_en = redact(self.message_zh), redact(self.message_en)

    @property
    def reason(self) -> str:
        return f"{self.message_zh} / {self.message_en}"
