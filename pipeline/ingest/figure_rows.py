"""One row of a figures sheet (--into observations, --into targets): the columns ingest reads,
the package as ingest needs it (Package), the rows in and out (Entry, NewRow) and the reading
and citing of one row (RowReader).  figures.py derives and saves what the rows become."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pipeline.ingest import citations
from pipeline.ingest.findings import Finding
from pipeline.ingest.headers import HeaderMap, config
from pipeline.ingest.normalize import format_decimal, nfkc, normalize_enum
from pipeline.ingest.read import ReadError
from pipeline.ingest.run import read_dataset

# (column, its Chinese title, required in every row).  Columns needed only by a new plan
# or indicator are checked when one is new.
COLUMNS = {
    "observations": [
        ("indicator_id", "指标编号", True), ("year", "年份", True), ("kind", "类型", True), ("value", "数值", True),
        ("unit", "单位", True), ("source_id", "来源编号", True), ("quote", "原文引文", True),
    ],
    "targets": [
        ("plan_id", "规划编号", True), ("plan_name_zh", "规划名称", False), ("plan_name_en", "规划英文名称", False),
        ("plan_start", "规划起始年", False), ("plan_end", "规划终止年", False),
        ("indicator_id", "指标编号", True), ("name_zh", "指标名称", False), ("name_en", "指标英文名称", False),
        ("unit", "单位", False), ("unit_en", "英文单位", False), ("direction", "方向", False),
        ("definition_zh", "指标说明", False), ("definition_en", "指标英文说明", False),
        ("target_kind", "目标类型", True), ("value", "目标值", True), ("base_year", "基期", False),
        ("base_value", "基期值", False), ("base_quote", "基期值引文", False), ("target_year", "目标年", False),
        ("same_as", "同一序列", False), ("source_id", "来源编号", True), ("quote", "原文引文", True),
    ],
}
KINDS = {"observations": ["actual", "target", "baseline"],
         "targets": ["level", "reduction_pct", "increase_pct"]}
CHOICES_SHOWN = {
    "kind": "actual 实际数、target 目标、baseline 基数（累计降幅、增幅请用 --into targets / cumulative targets: --into targets）",
    "target_kind": "level 水平、reduction_pct 累计降幅、increase_pct 累计增幅",
    "direction": "lower_is_better 越低越好、higher_is_better 越高越好",
}
OBSERVATION_KIND = {"level": "target", "reduction_pct": "cumulative_reduction_target",
                    "increase_pct": "cumulative_increase_target"}
# What ingest compares to tell an existing row from a conflicting one: what the file says,
# not what curators may have added since (notes, corroborating quotes).
SAME = {
    "observations": ("indicator_id", "kind", "period_start", "period_end", "base_year", "value", "unit", "source_id",
                     "passage_id", "quote"),
    "plans": ("name_zh", "name_en", "start_year", "end_year"),
    "indicators": ("plan", "name_zh", "name_en", "unit", "unit_en", "direction", "series_id"),
}
WRITE_ORDER = ("plans", "indicators", "observations")  # each refers only to those before it
TABLE_NAMES = {"plans": ("规划", "plan"), "indicators": ("指标", "indicator"), "observations": ("数值", "observation")}


def slug(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(text)).lower()


def unit_text(text: str) -> str:
    return re.sub(r"\s+", "", nfkc(text))


def year_in(quote: str, year: int) -> bool:
    """The quote names the year: 2020年, ２０２０, 二〇二〇."""
    return any(f.number == year and not f.percent and not f.multiplier for f in citations.figures(quote))


YEAR_WHAT = {"target_year": ("目标年", "target year"), "base_year": ("基期", "base year")}
YEAR_HOW = {"given": ("由导入表格给出", "is given by the ingest sheet"),
            "last": ("为规划期的最后一年（推定）", "is the plan's last year (assumed)"),
            "before": ("为规划起始年的前一年（推定）", "is the year before the plan's first (assumed)"),
            "plan": ("为该规划的基期", "is the plan's base year")}


def year_note(items: list[tuple[str, int, str]], quote: str) -> tuple[str, str]:
    """(Chinese, English) naming each year (what, year, how it is known) the quote does not
    write, and where it comes from; empty when the quote writes them all."""
    missing = [(what, year, how) for what, year, how in items if not year_in(quote, year)]
    if not missing:
        return "", ""
    zh = "；".join(f"引文中没有写{YEAR_WHAT[w][0]}：{y}年{YEAR_HOW[h][0]}" for w, y, h in missing) + "。"
    en = "; ".join(f"The quote does not state the {YEAR_WHAT[w][1]}: {y} {YEAR_HOW[h][1]}" for w, y, h in missing) + "."
    return zh, en


# ---------------------------------------------------------------------------
# The package as ingest needs it
# ---------------------------------------------------------------------------


class Package:
    def __init__(self, path: Path):
        self.path = path
        try:
            self.descriptor = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReadError(f"无法读取数据包描述文件 {path}：{exc}", f"Cannot read the package descriptor {path}: {exc}") from exc
        self.res = {r.get("name"): r for r in self.descriptor.get("resources", [])}
        self.rows: dict[str, list[dict]] = {}
        for name in ("sources", "passages", "plans", "indicators", "observations"):
            if name not in self.res:
                raise ReadError(f"数据包中没有资源 {name}", f"The package has no resource {name}")
            self.rows[name] = read_dataset(self.file(name), self.names(name))
        self.sources = {r["source_id"]: r for r in self.rows["sources"]}
        by_source: dict[str, list[dict]] = {}
        for r in self.rows["passages"]:
            by_source.setdefault(r["source_id"], []).append(r)
        self.passages = {sid: citations.Passages(rows) for sid, rows in by_source.items()}
        # A table row's header is the header above it in the same document, as check_citations
        # knows it (one document may number two tables 1).
        self.header_of: dict[str, str] = {}
        above: dict[tuple, str] = {}
        for rows in by_source.values():
            for r in sorted(rows, key=lambda r: int(r["seq"] or 0)):
                if r["kind"] == "table_header":
                    above[r["table_no"]] = r["text"]
                elif r["kind"] == "table_row" and r["table_no"] in above:
                    self.header_of[r["passage_id"]] = above[r["table_no"]]
            above.clear()
        self.index = {name: {self.key(name, r): (i + 2, r) for i, r in enumerate(self.rows[name])} for name in WRITE_ORDER}
        self.plan_names = {r["name_zh"]: r for r in self.rows["plans"]}

    def fields(self, name: str) -> list[dict]:
        return self.res[name]["schema"]["fields"]

    def names(self, name: str) -> list[str]:
        return [f["name"] for f in self.fields(name)]

    def file(self, name: str) -> Path:
        return self.path.parent / self.res[name]["path"]

    @staticmethod
    def key(name: str, row: dict) -> str:
        return row[{"plans": "plan_id", "indicators": "indicator_id", "observations": "observation_id"}[name]]

    def blank(self, name: str, **values) -> dict:
        """A row of `name` with every field of its schema, those not given empty."""
        row = {n: "" for n in self.names(name)}
        row.update({k: v for k, v in values.items() if k in row})
        return row


# ---------------------------------------------------------------------------
# Rows in, rows out
# ---------------------------------------------------------------------------


@dataclass(eq=False)  # compared by identity: `in` asks "this very row"
class NewRow:
    """A row this file adds to `resource`, and the input rows that need it."""

    resource: str
    key: str
    values: dict[str, str]
    origin: dict[str, list[str]]  # output field -> the input columns it comes from
    users: list[Entry] = field(default_factory=list)


@dataclass(eq=False)
class Entry:
    row: int  # input row number as the clerk sees it
    cells: list[str]
    raw: dict[str, str]  # input column -> cell, trimmed
    findings: list[Finding] = field(default_factory=list)
    needs: list[NewRow] = field(default_factory=list)
    created: int = 0  # how many of its needs it adds itself (none: a duplicate)
    same: str = ""  # what an existing row it repeats is


class RowReader:
    """Reading one row of a figures sheet: its findings, its cells read as years, choices and
    numbers, and its quote found in the source (cite).  figures.Run adds what the rows become."""

    def __init__(self, pkg: Package, into: str, header: HeaderMap):
        self.pkg, self.into = pkg, into
        self.cols = header.by_field()
        self.titles = {c: t for c, t, _ in COLUMNS[into]}
        self.pool: dict[str, dict[str, NewRow]] = {name: {} for name in WRITE_ORDER}

    # -- findings ------------------------------------------------------------

    def where(self, *columns: str) -> str:
        found = [self.cols[c].where for c in columns if c in self.cols]
        return " + ".join(found) or f"（没有“{self.titles.get(columns[0], columns[0])}”列 / no column {columns[0]}）"

    def flag(self, e: Entry, code: str, columns: tuple[str, ...] | str, value: str = "",
             detail: str | tuple[str, str] = "") -> None:
        columns = (columns,) if isinstance(columns, str) else columns
        e.findings.append(Finding.ingest(code, e.row, ",".join(columns), self.where(*columns), value, detail))

    def missing(self, e: Entry, column: str, why: tuple[str, str] = ("", "")) -> None:
        title = self.titles.get(column, column)
        zh, en = f"必填：“{title}”为空{why[0]}", f"Required: {column} is empty{why[1]}"
        if column not in self.cols:
            names = "、".join(([title] + config().get(self.into, {}).get("fields", {}).get(column, []))[:3])
            zh += f"；本文件没有此列（表头可写作：{names}）"
            en += f"; this file has no such column (headers accepted: {names})"
        e.findings.append(Finding("required", e.row, column, self.where(column), "", zh, en))

    def need(self, e: Entry, *columns: str, why: tuple[str, str] = ("", "")) -> bool:
        empty = [c for c in columns if not e.raw.get(c)]
        for c in empty:
            self.missing(e, c, why)
        return not empty

    # -- reading the row -------------------------------------------------------

    def year(self, e: Entry, column: str, period: bool = False) -> tuple[int, int] | None:
        years = citations.parse_years(e.raw[column])
        if years is None or years[0] > years[1] or not 1949 <= years[0] <= 2100 or not 1949 <= years[1] <= 2100:
            self.flag(e, "year-invalid", column, e.raw[column])
            return None
        if years[0] != years[1] and not period:
            self.flag(e, "year-invalid", column, e.raw[column], ("：此列只填一个年份", ": one year only in this column"))
            return None
        return years

    def choice(self, e: Entry, column: str, allowed: list[str], shown_as: str) -> str | None:
        got = normalize_enum(nfkc(e.raw[column]).lower(), column).value
        if got not in allowed:
            self.flag(e, "choice-invalid", column, e.raw[column], CHOICES_SHOWN.get(shown_as, "、".join(allowed)))
            return None
        return got

    def number(self, e: Entry, column: str, unit: str) -> Decimal | None:
        n = citations.parse_value(e.raw[column], unit)
        if n is None:
            self.flag(e, "value-invalid", column, e.raw[column])
        return n

    def source(self, e: Entry) -> str | None:
        sid = slug(e.raw["source_id"])
        if sid not in self.pkg.sources:
            known = "、".join(list(self.pkg.sources)[:5]) or "无 / none"
            self.flag(e, "source-unknown", "source_id", e.raw["source_id"], known)
            return None
        return sid

    # -- citing ----------------------------------------------------------------

    def cite(self, e: Entry, source_id: str, quote_col: str, value_col: str, value: Decimal, unit: str, year: int):
        """(passage, quote as the passage writes it, figure, table column) or None, flagged."""
        title = self.pkg.sources[source_id]["title"]
        if source_id not in self.pkg.passages:
            self.flag(e, "quote-not-in-source", quote_col, e.raw[quote_col],
                      (f"passages.csv 中没有《{title}》（{source_id}）的段落；请运行 python -m pipeline passages",
                       f"passages.csv has no passage of 《{title}》 ({source_id}); run python -m pipeline passages"))
            return None
        m = citations.find_quote(self.pkg.passages[source_id], e.raw[quote_col])
        if m.passage is None:
            if m.ambiguous:
                self.flag(e, "quote-ambiguous", quote_col, e.raw[quote_col], "、".join(m.ambiguous[:6]))
            elif m.spans:
                ids = "、".join(m.spans)
                self.flag(e, "quote-not-in-source", quote_col, e.raw[quote_col],
                          (f"《{title}》（{source_id}）：它跨越了段落 {ids}，请只引其中一段",
                           f"《{title}》 ({source_id}): it runs across passages {ids}; quote one of them"))
            else:
                self.flag(e, "quote-not-in-source", quote_col, e.raw[quote_col],
                          (f"《{title}》（{source_id}）；请从原文逐字复制", f"《{title}》 ({source_id}); copy it word for word"))
            return None
        figure = citations.find_figure(m.quote, value, unit)
        if figure is None:
            stated = f"{format_decimal(value)}{'' if unit == '%' else ' '}{unit}"
            self.flag(e, "figure-not-in-quote", (value_col, quote_col), e.raw[value_col],
                      (f"“{m.quote}”（要找的是 {stated}；可识别 234、２３４、二百三十四、41.1万、10%、百分之十 等写法）",
                       f"'{m.quote}' (looking for {stated}; forms read: 234, ２３４, 二百三十四, 41.1万, 10%, 百分之十)"))
            return None
        column = ""
        p = m.passage
        head = self.pkg.header_of.get(p["passage_id"]) if p["kind"] == "table_row" else None
        if head:
            column, other = citations.table_column(p["text"], head, figure.written, year)
            if other:
                self.flag(e, "table-column-mismatch", (value_col, quote_col), figure.written, other)
                return None
        return p, m.quote, figure, column

    def precheck(self, e: Entry, obs: dict, value_col: str, quote_col: str) -> bool:
        """The figure as written must read, by the package's own rule (figure_of, the one its
        value-mismatch check uses), as the value.  A form that rule cannot read is said so
        here rather than as a bare value-mismatch from the staged package, or, for 百分之十,
        a traceback from inside the validator."""
        from pipeline.validate.citations import figure_of

        written = obs["value_as_written"]
        try:
            stated = figure_of(written, obs.get("unit"))
        except (ValueError, KeyError, IndexError, ArithmeticError):
            stated, detail = None, ("读不出这种写法", "cannot read this form")
        else:
            detail = (("读不出这种写法", "cannot read this form") if stated is None else
                      (f"把它读作 {stated:g}", f"reads it as {stated:g}"))
        if stated is not None and abs(stated - float(obs["value"])) <= 1e-9:
            return True
        self.flag(e, "figure-form-unsupported", (value_col, quote_col), written, detail)
        return False

    def observation(self, *, indicator_id: str, kind: str, start: int, end: int, base_year: int | None, value: Decimal,
                    unit: str, source_id: str, cited, note: tuple[str, str] = ("", "")) -> dict:
        passage, quote, figure, column = cited
        period = str(end) if start == end or kind in ("cumulative_reduction_target", "cumulative_increase_target") \
            else f"{start}-{end}"
        # The package's convention (observations.observation_id): the first source, whose
        # passage IDs have no prefix, gives IDs without a source; so a figure curated from
        # it by hand is recognised here as the same row, not added twice.
        suffix = f":{source_id}" if self.pkg.sources[source_id]["passage_id_prefix"] else ""
        return self.pkg.blank(
            "observations", observation_id=f"{indicator_id}:{kind}:{period}{suffix}", indicator_id=indicator_id,
            kind=kind, period_start=str(start), period_end=str(end), base_year=str(base_year or ""),
            value=format_decimal(value), value_as_written=figure.written, unit=unit, source_id=source_id,
            passage_id=passage["passage_id"], table_column=column, quote=quote, note_zh=note[0], note_en=note[1])
