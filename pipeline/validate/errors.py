"""Typed validation errors: a stable code, a location, and a message in Chinese and English.

Codes are part of the public interface (reports, tests, ingest quarantine files):
never rename one; add a new code instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pipeline.validate.personal import WITHHELD, looks_personal

# code -> (severity, Chinese template, English template)
# Templates are filled with the error's attributes plus `detail`.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    # package and file structure
    "descriptor-invalid": ("error", "数据包描述文件无效：{detail}", "The package descriptor is invalid: {detail}"),
    "registry-mismatch": ("error", "数据包与表登记不一致：{detail}", "The package and the table registry disagree: {detail}"),
    "resource-missing": ("error", "找不到资源文件：{detail}", "Resource file not found: {detail}"),
    "source-hash": ("error", "原文文件的 sha256 与描述文件记录的不一致：{detail}", "The source text's sha256 differs from the descriptor: {detail}"),
    "encoding-error": ("error", "文件不是 UTF-8 编码（{detail}）；请先用 python -m pipeline ingest 转换", "File is not UTF-8 ({detail}); convert it with python -m pipeline ingest first"),
    "csv-parse-error": ("error", "无法解析 CSV：{detail}", "CSV could not be parsed: {detail}"),
    "header-mismatch": ("error", "表头与数据结构不符：{detail}", "Header does not match the schema: {detail}"),
    "extra-cell": ("error", "该行的单元格比表头多", "Row has more cells than the header"),
    "missing-cell": ("error", "该行的单元格比表头少", "Row has fewer cells than the header"),
    # Table Schema constraints
    "type-error": ("error", "值“{value}”不是有效的{detail}", "Value '{value}' is not a valid {detail}"),
    "required": ("error", "必填字段为空", "Required field is empty"),
    "unique": ("error", "值“{value}”重复（首次出现在第{detail}行）", "Value '{value}' is a duplicate (first seen in row {detail})"),
    "primary-key": ("error", "主键“{value}”重复（首次出现在第{detail}行）", "Primary key '{value}' is a duplicate (first seen in row {detail})"),
    "foreign-key": ("error", "“{value}”在 {detail} 中不存在", "'{value}' does not exist in {detail}"),
    "enum": ("error", "值“{value}”不在允许的取值中：{detail}", "Value '{value}' is not one of the allowed values: {detail}"),
    "pattern": ("error", "值“{value}”不符合格式 {detail}", "Value '{value}' does not match the pattern {detail}"),
    "minimum": ("error", "值 {value} 小于最小值 {detail}", "Value {value} is below the minimum {detail}"),
    "maximum": ("error", "值 {value} 大于最大值 {detail}", "Value {value} is above the maximum {detail}"),
    "min-length": ("error", "值“{value}”短于 {detail} 个字符", "Value '{value}' is shorter than {detail} characters"),
    "max-length": ("error", "值“{value}”长于 {detail} 个字符", "Value '{value}' is longer than {detail} characters"),
    # domain rules
    "uscc-check-digit": ("error", "统一社会信用代码“{value}”校验位错误（GB 32100-2015）", "USCC '{value}' fails its check character (GB 32100-2015)"),
    "uscc-org-code": ("error", "统一社会信用代码“{value}”内嵌的组织机构代码校验位错误（GB 11714）", "USCC '{value}' embeds an organisation code with a wrong check digit (GB 11714)"),
    "uscc-required": ("error", "单位或个体工商户必须填写统一社会信用代码或旧登记号码", "Organisations and sole traders need a USCC or a legacy registration number"),
    "personal-id-number": ("error", "发现居民身份证号码，不得公开（含部分遮盖）", "A resident ID number was found; it must never be published, not even masked"),
    "phone-number": ("error", "发现电话号码，不得公开", "A phone number was found; it must not be published"),
    "control-character": ("error", "含有控制字符或改变文字方向的不可见字符（{detail}），不得发布；请删除后重新导入",
                          "Contains a control character or an invisible bidirectional control ({detail}); remove it and ingest again"),
    "date-order": ("error", "日期先后不合理：{detail}", "Dates are out of order: {detail}"),
    "early-removal-too-soon": ("error", "2023年规定下提前移出须在列入满12个月后：{detail}", "Under the 2023 rules early removal needs at least 12 months on the list: {detail}"),
    "regime-mismatch": ("error", "与适用规定不符：{detail}", "Inconsistent with the rules applied: {detail}"),
    "org-code-check-digit": ("error", "组织机构代码“{value}”校验位错误（GB 11714）", "Organisation code '{value}' fails its check digit (GB 11714)"),
    "display-period": ("error", "公示期不符合规定：{detail}", "Display period breaks the rules: {detail}"),
    "future-date": ("error", "日期 {value} 晚于构建日期 {detail}", "Date {value} is after the build date {detail}"),
    "amount-precision": ("error", "金额 {value} 万元超过6位小数（精确到分即可）", "Amount {value} (万元) has more than 6 decimals (the fen is enough)"),
    "campaign-reconciliation": ("warning", "{detail}", "{detail}"),
    # releases and corrections
    "uncorrected-change": ("error", "已发布的值被改动却没有更正记录：{detail}", "A published value changed without a corrections record: {detail}"),
    "period-order": ("error", "年份先后不合理：{detail}", "Years out of order: {detail}"),
    "target-out-of-range": ("error", "目标数值 {value} 不可用：{detail}", "Target value {value} cannot be used: {detail}"),
    "figure-after-source": ("error", "{value}年的数字晚于给出它的文件的日期（{detail}）", "A figure for {value} is later than the document stating it ({detail})"),
    "series-mismatch": ("error", "同一序列“{value}”的指标（{detail}）单位、方向或统计期类型不同", "Indicators of series '{value}' ({detail}) differ in unit, direction or period kind"),
    "reserved-id": ("error", "编号“{value}”是网站已有页面或图表的名称（index、campaign…、…-gap），请换一个",
                    "Id '{value}' is the name of a page or chart the site already has (index, campaign…, …-gap); choose another"),
    "plan-page-reserved": ("error", "规划页面“{value}”不可用：{detail}", "Plan page '{value}' cannot be used: {detail}"),
    "private-person-named": ("error", "提出方“{value}”像是个人姓名；个人一律写“公众”", "Requester '{value}' looks like a person's name; write 公众 for private persons"),
    # citations
    "quote-not-in-passage": ("error", "引文不在出处段落 {detail} 中", "The quote is not in its passage {detail}"),
    "passage-source-mismatch": ("error", "段落“{value}”不属于本行的来源文件（{detail}）", "Passage '{value}' belongs to another source than the row's ({detail})"),
    "figure-not-in-quote": ("error", "数字“{value}”不在引文中：{detail}", "Figure '{value}' is not in the quote: {detail}"),
    "table-cell-mismatch": ("error", "数值“{value}”与原表单元格不符：{detail}", "Value '{value}' differs from the table cell: {detail}"),
    "passages-stale": ("error", "passages 表与原文不一致：{detail}；请运行 python -m pipeline passages", "The passages table is out of step with the text: {detail}; run python -m pipeline passages"),
    "value-mismatch": ("error", "数值与原文写法不符：{detail}", "Value disagrees with the figure as written: {detail}"),
}


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
