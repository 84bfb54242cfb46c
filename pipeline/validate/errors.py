"""Typed validation errors: a stable code, a location, and a message in Chinese and English.

Codes and their templates are in pipeline/errors.py, one catalogue for validation and ingest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pipeline.errors import CATALOGUE
from pipeline.validate.personal import WITHHELD, looks_personal


@dataclass
class ValidationError:
    code: str
    resource: str | None = None
    row: int | None = None  # row number as frictionless counts it: the header is row 1
    field: str | None = None
    value: str | None = None
    detail: str = ""
    severity: str = ""
    message_zh: str = ""
    message_en: str = ""
    file: str | None = None

    def __post_init__(self):
        # Whatever rule flagged it, a value shaped like an ID or phone number is not repeated.
        if self.value is not None and looks_personal(str(self.value)):
            self.value = WITHHELD
        severity, zh, en = CATALOGUE[self.code]
        self.severity = self.severity or severity
        values = {"value": _short(self.value), "detail": _short(self.detail, 160)}
        self.message_zh = self.message_zh or zh.format(**values)
        self.message_en = self.message_en or en.format(**values)

    def to_dict(self) -> dict:
        return asdict(self)


def _short(value, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
