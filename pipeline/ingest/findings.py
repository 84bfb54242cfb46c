"""What ingest says about a row: the validator's findings, mapped back to the input, plus
the few that only ingest can know.  Personal data is never repeated.

Codes from the validator (pipeline/validate/errors.py) keep their names; ingest adds:
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.validate import personal

# code -> (severity, Chinese template, English template); filled with value and detail.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    "amount-unit-unknown": (
        "error",
        "金额“{value}”没有单位，表头也没有注明元或万元；请在表头写明（如“罚款金额（万元）”），或在数值后写“元”或“万元”",
        "Amount '{value}' has no unit and the header names none; put the unit in the header (e.g. 罚款金额（万元）) or after the number (元 or 万元)",
    ),
    "key-conflict": (
        "error",
        "数据中已有同一{detail}，但内容不同；若是更正，请直接修改数据文件并说明来源",
        "The dataset already holds this {detail} with different content; if this is a correction, edit the data file and say where it comes from",
    ),
    "citation-missing": (
        "error",
        "活动数据的每个数字都须引用规划原文：请填写“出处段落编号”和“原文引文”两列（见 passages 表）；机关报送的统计表没有这两列，不能直接导入",
        "Every campaign figure must cite the plan: fill in the passage ID and the verbatim quote (see the passages table); an agency's statistics sheet without them cannot be ingested",
    ),
    "measure-unknown": (
        "error",
        "无法确定措施编号：数据中没有名为“{value}”的措施；请填写“措施编号”（英文小写和短横线）及英文名称",
        "Cannot tell the measure ID: no measure named '{value}' in the dataset; fill in 措施编号 (lower-case English with hyphens) and the English name",
    ),
    "formula-cell": (
        "error",
        ("该单元格是公式“{value}”{detail}：导入只收录输入的值，因为公式的结果可能没有保存在文件中，也可能已过期；"
         "请在 Excel 中复制该列，“选择性粘贴 → 数值”，保存后再导入"),
        ("The cell holds the formula '{value}'{detail}: ingest takes typed values only, since a formula's result may be "
         "missing from the file or stale; in Excel copy the column, Paste Special → Values, save and ingest again"),
    ),
    "package-invalid": (
        "error",
        "加入本文件的记录后数据包将无效：{detail}；为此本文件没有写入任何记录",
        "With this file's rows the package would be invalid: {detail}; so none of its rows were written",
    ),
}

WITHHELD = "（已隐去）"
WITHHELD_EN = "（已隐去 / withheld）"

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
