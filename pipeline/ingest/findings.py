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
    # --into observations | targets (figures.py, citations.py)
    "source-unknown": (
        "error",
        "数据包中没有来源“{value}”：请先用 python -m pipeline source add 登记该文件（已登记：{detail}）",
        "The package has no source '{value}': register the document first with python -m pipeline source add (registered: {detail})",
    ),
    "indicator-unknown": (
        "error",
        "数据包中没有指标“{value}”：请核对指标编号（见 indicators 表）；新的规划指标用 --into targets 登记",
        "The package has no indicator '{value}': check the ID (see the indicators table); register a new plan indicator with --into targets",
    ),
    "unit-mismatch": (
        "error",
        "单位“{value}”与{detail}",
        "Unit '{value}' differs from {detail}",
    ),
    "quote-not-in-source": (
        "error",
        "引文不在来源的原文中（已统一全角半角、合并空白后比较）：{detail}",
        "The quote is not in the source's text (compared after NFKC and collapsing whitespace): {detail}",
    ),
    "quote-ambiguous": (
        "error",
        "引文在来源的多个段落中都出现（{detail}）：请引得长一些，使它只出现在一个段落中",
        "The quote occurs in several passages of the source ({detail}): quote more, so that it occurs in one only",
    ),
    "figure-not-in-quote": (
        "error",
        "数值“{value}”不在引文中（可识别 234、２３４、二百三十四、41.1万、10%、百分之十 等写法）：{detail}",
        "Value '{value}' is not in the quote (forms read: 234, ２３４, 二百三十四, 41.1万, 10%, 百分之十): {detail}",
    ),
    "figure-form-unsupported": (
        "error",
        ("原文写作“{value}”，与数值相符，但数据包的校验规则{detail}，加入此行会使数据包无效；"
         "请告知维护者（pipeline/validate/rules.py 的 figure_of）"),
        ("The source writes '{value}', which matches the value, but the package's validation rule {detail}, so the row "
         "would make the package invalid; tell the maintainers (figure_of in pipeline/validate/rules.py)"),
    ),
    "table-column-mismatch": (
        "error",
        "数值“{value}”在原表的“{detail}”列，与填写的年份不符",
        "Value '{value}' stands in the table's column '{detail}', which names another year than the row's",
    ),
    "year-invalid": (
        "error",
        "年份“{value}”无法识别{detail}；可写作 2015、2015年、二〇一五年，或期间 2011-2015、2011—2015年",
        "Year '{value}' cannot be read{detail}; write 2015, 2015年, 二〇一五年, or a period 2011-2015",
    ),
    "value-invalid": (
        "error",
        "数值“{value}”无法识别；可写作 234、二百三十四、41.1万、10%、百分之十",
        "Value '{value}' cannot be read; write 234, 二百三十四, 41.1万, 10% or 百分之十",
    ),
    "choice-invalid": (
        "error",
        "“{value}”不是可用的取值；可写作：{detail}",
        "'{value}' is not one of the values allowed: {detail}",
    ),
    "translation-missing": (
        "error",
        "新的{detail}须在本文件中写明；本项目不代拟译名，请填写后重新导入",
        "A new {detail} must be given in this file; this project never makes up a translation: fill it in and ingest again",
    ),
    "same-as-unknown": (
        "error",
        "“同一序列”不能是“{value}”：{detail}",
        "same_as cannot be '{value}': {detail}",
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
