"""The pipeline's error model: every finding's code in one catalogue, every failure a
PipelineError.

Findings are what validation (pipeline/validate/errors.ValidationError, located by file,
resource, row and field) and ingest (pipeline/ingest/findings.Finding, located by the input's
row and column) report about data: a stable code, a severity and a message in Chinese and
English, filled from this catalogue.  Codes are part of the public interface (reports, tests,
ingest quarantine files): never rename one; add a new code instead.  tests/test_error_codes.py
demands a defect fixture that produces each code.

Failures are exceptions a user can act on (a build stage, a file that cannot be read, a date
setting): each is a PipelineError whose message says what and where, in both languages.
"""

from __future__ import annotations


class PipelineError(Exception):
    """A failure the message explains (what, where, which record), in Chinese and English."""


class SiteBuildError(PipelineError, RuntimeError):
    """The site could not be rendered; the message says which page or table, and what."""


# code -> (severity, Chinese template, English template); filled with `value` and `detail`.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    # ---- validation (pipeline/validate) -------------------------------------------------
    # package and file structure
    "descriptor-invalid": ("error", "数据包描述文件无效：{detail}", "The package descriptor is invalid: {detail}"),
    "registry-mismatch": ("error", "数据包与公开表的登记不一致：{detail}", "The package and the table registry disagree: {detail}"),
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
    "table-cell-mismatch": ("error", "数值“{value}”与原表单元格不符：{detail}", "Value '{value}' differs from the table cell: {detail}"),
    "passages-stale": ("error", "passages 表与原文不一致：{detail}；请运行 python -m pipeline passages", "The passages table is out of step with the text: {detail}; run python -m pipeline passages"),
    "value-mismatch": ("error", "数值与原文写法不符：{detail}", "Value disagrees with the figure as written: {detail}"),
    # ---- ingest (pipeline/ingest): the validator's codes keep their names; ingest adds ----
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
    # validation looks for the figure as written; ingest says in `detail` which forms it reads
    "figure-not-in-quote": ("error", "数字“{value}”不在引文中：{detail}", "Figure '{value}' is not in the quote: {detail}"),
    "figure-form-unsupported": (
        "error",
        ("原文写作“{value}”，与数值相符，但数据包的校验规则{detail}，加入此行会使数据包无效；"
         "请告知维护者（pipeline/validate/citations.py 的 figure_of）"),
        ("The source writes '{value}', which matches the value, but the package's validation rule {detail}, so the row "
         "would make the package invalid; tell the maintainers (figure_of in pipeline/validate/citations.py)"),
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


# python -m pipeline source add (pipeline/sources_add.py) refuses a document with one of these
# codes; its message names the file and says what to do, in both languages.
SOURCE_ADD_CODES: dict[str, str] = {
    "file-missing": "找不到或读不了要登记的文件 / the file to register is missing or unreadable",
    "not-a-file": "不是普通文件 / not a regular file",
    "file-too-large": "太大，不像一份文件的纯文本 / too large to be a document's plain text",
    "not-plain-text": "PDF、Word、网页等，不是纯文本 / a PDF, Word file or web page, not plain text",
    "not-decodable": "编码无法确定或混杂 / an encoding that cannot be told, or mixed encodings",
    "empty-text": "没有文字 / no text",
    "control-character": "含控制字符或改变文字方向的字符 / control or bidirectional characters",
    "id-not-slug": "来源编号不合格式 / the source id is not a slug",
    "title-invalid": "名称不是一行文字 / the title is not one line of text",
    "issuer-invalid": "印发机关不是一行文字 / the issuer is not one line of text",
    "url-invalid": "网址不合 sources.url 的规则 / the URL breaks sources.url's rule",
    "date-invalid": "日期不是 YYYY-MM-DD / a date that is not YYYY-MM-DD",
    "date-future": "日期晚于今天 / a date after today",
    "date-order": "印发日期晚于获取日期 / issued after it was retrieved",
    "kind-invalid": "类型不在允许的取值中 / a kind that is not allowed",
    "package-invalid": "数据包读不了或结构不符 / the package cannot be read or does not match its schema",
    "id-conflict": "同一编号已登记另一份文本 / the id is registered with other text",
    "stored-copy-altered": "已登记的全文副本缺失或被改动 / the registered copy is missing or altered",
    "duplicate-content": "同一文本已用另一编号登记 / the same text is registered under another id",
    "metadata-differs": "同一文本已登记，但说明不同 / the same text is registered with other details",
    "path-taken": "存放路径已属于另一来源 / its path belongs to another source",
    "unregistered-file": "存放路径上有未登记的文件 / an unregistered file is in the way",
    "locked": "另一个命令正在修改数据包 / another command is changing the package",
    "validation-failed": "登记后数据包将无效 / the package would not validate with it",
    "write-failed": "写入失败，数据包保持原样 / a write failed; the package is as it was",
}
