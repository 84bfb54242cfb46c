"""Domain rules: identifiers, personal data, dates, amounts, reconciliation, the plan's tables
(periods, series, page names), requesters and corrections; citations are citations.py.

Rules run on the raw text tables that tables.py loaded; identifier checks call
python-stdnum once per distinct value, so they cost little even at a million rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from stdnum.cn import uscc

from pipeline.registry import SCAN_EVERY_COLUMN
from pipeline.validate import personal
from pipeline.validate.errors import ValidationError
from pipeline.validate.personal import WITHHELD, WITHHELD_ZH
from pipeline.validate.scan import RowCheck
from pipeline.validate.tables import Table, lit, q, typed_name

# Tables every column of which is scanned for ID and phone numbers (SCAN_EVERY_COLUMN,
# pipeline/registry.yml: personal_data): the free text in the one SQL pass (text_checks), the
# identifier columns once per distinct value (identifier_errors), each through
# personal.finding.  No column is exempt: an ID number inside a decision number or a phone
# number in a URL's query string is found too.
# Dates that look forward by nature; every other date must not be after the build date.
FORWARD_DATES = {"display_until", "valid_until", "publicity_until"}


def identifier_columns(table: Table) -> set[str]:
    return personal.IDENTIFIER_FIELDS & set(table.field_names())


def identifier_errors(con, table: Table) -> list[ValidationError]:
    """Check characters of organisation codes, once per distinct value (python-stdnum)."""
    errors: list[ValidationError] = []
    where = dict(resource=table.name, file=str(table.path))
    for f in table.fields:
        name = f["name"]
        if name not in identifier_columns(table):
            continue
        values = [v for (v,) in con.execute(f"SELECT DISTINCT {q(name)} FROM {table.sql} WHERE {q(name)} <> ''").fetchall()]
        pattern = re.compile(f.get("constraints", {}).get("pattern", ".*"))
        bad: dict[str, str] = {}
        for v in values:
            if (table.name in SCAN_EVERY_COLUMN or personal.looks_personal(v)) and (code := personal.finding(v, name)):
                bad[v] = code  # personal data, whatever its shape: never published, never echoed
                continue
            if not pattern.fullmatch(v):
                continue  # already a pattern error
            if name == "registration_no":
                continue  # 13- or 15-digit numbers: no check character every issuer used
            if name == "org_code":
                if not personal.org_code_ok(v.replace("-", "")):
                    bad[v] = "org-code-check-digit"
            # stdnum's validate() insists on digits in positions 1-2, but GB 32100 allows
            # letters there (N2… for village collectives): check the character directly.
            elif uscc.calc_check_digit(v[:17]) != v[17]:
                bad[v] = "uscc-check-digit"
            elif not personal.org_code_ok(v[8:17]):
                bad[v] = "uscc-org-code"
        if not bad:
            continue
        con.execute("CREATE OR REPLACE TEMP TABLE bad_codes (v VARCHAR, code VARCHAR)")
        con.executemany("INSERT INTO bad_codes VALUES (?, ?)", list(bad.items()))
        for rowid, v, code in con.execute(
            f"SELECT t.rowid, t.{q(name)}, b.code FROM {table.sql} t JOIN bad_codes b ON t.{q(name)} = b.v ORDER BY 1"
        ).fetchall():
            shown = WITHHELD if code in ("personal-id-number", "phone-number") else v
            errors.append(ValidationError(code, row=rowid + 2, field=name, value=shown, **where))
    return errors


def identifier_checks(table: Table) -> list[RowCheck]:
    """双公示: organisations and sole traders are identified by USCC or a legacy registration code."""
    names = table.field_names()
    if not ("party_category" in names and "uscc" in names):
        return []
    legacy = [n for n in ("registration_no", "org_code") if n in names]
    none_legacy = " AND ".join(f"coalesce({q(n)}, '') = ''" for n in legacy) or "TRUE"
    return [RowCheck("uscc-required", "uscc", f"""party_category IN ('法人及非法人组织', '个体工商户')
                     AND coalesce(uscc, '') = '' AND {none_legacy}""", valueless=True)]


TEXT = q("__text")  # a row's free text, joined once for all the candidate tests


def text_checks(table: Table) -> list[RowCheck]:
    """Control characters in any text field of any table; and, in the tables about people
    and enterprises, ID and phone numbers: for those, one SQL predicate over the row's
    joined text finds candidate rows in the same pass, and the exact checks run in Python
    on those rows only.  (Identifier columns are checked per distinct value, identifier_errors.)"""
    text_fields = [f["name"] for f in table.fields if f.get("type", "string") == "string"]
    control = f"'{personal.CONTROL_SQL}'"
    if table.name not in SCAN_EVERY_COLUMN:
        return [RowCheck("control-character", name, f"regexp_matches({q(name)}, {control})", valueless=True,
                         detail="见 / see U+0000–U+001F, U+007F–U+009F, U+061C, U+200B–U+200F, U+202A–U+202E, "
                                "U+2060–U+2064, U+2066–U+2069, U+FEFF")
                for name in text_fields]
    text_fields = [n for n in text_fields if n not in personal.IDENTIFIER_FIELDS]
    if not text_fields:
        return []
    joined = "concat_ws(chr(10), " + ", ".join(q(n) for n in text_fields) + ")"
    where = dict(resource=table.name, file=str(table.path))

    def exact(rowid: int, row: dict) -> list[ValidationError]:
        errors = []
        for name in text_fields:
            if code := personal.finding(row.get(name), name):
                # The value itself is personal data: the report must not repeat it.
                errors.append(ValidationError(code, row=rowid + 2, field=name, value=WITHHELD, **where))
            if found := personal.control_characters(row.get(name)):
                errors.append(ValidationError("control-character", row=rowid + 2, field=name, detail=found, **where))
        return errors

    predicate = f"{personal.candidate_sql(TEXT)} OR regexp_matches({TEXT}, {control})"
    return [RowCheck("text-candidate", None, predicate, then=exact, computes=((TEXT, joined),))]


def _date(col: str) -> str:
    """A date field's parsed value, as the scan provides it (tables.typed_columns)."""
    return typed_name(col, "date")


def date_checks(table: Table, build_date: dt.date) -> list[RowCheck]:
    names = set(table.field_names())
    dates = {f["name"] for f in table.fields if f.get("type") == "date"}  # parsed once by the scan
    checks: list[RowCheck] = []

    def rule(code: str, field_name: str, cond: str, detail: str, severity: str | None = None):
        checks.append(RowCheck(code, field_name, cond, detail, severity=severity))

    for f in table.fields:
        if f.get("type") == "date" and f["name"] not in FORWARD_DATES:
            rule("future-date", f["name"], f"{_date(f['name'])} > DATE '{build_date.isoformat()}'", build_date.isoformat())
    if {"listing_date", "display_until"} <= dates:
        rule("date-order", "display_until", f"{_date('display_until')} <= {_date('listing_date')}",
             "公示截止日期须晚于列入日期 / display-until must be after the listing date")
        rule("display-period", "display_until", f"{_date('display_until')} > {_date('listing_date')} + INTERVAL 3 YEAR",
             "名单公示期最长3年（应急管理部令第11号，据报道；见 legal_references）/ at most 3 years (MEM Order No. 11, as reported; see legal_references)")
    if {"listing_date", "removal_date"} <= dates:
        rule("date-order", "removal_date", f"{_date('removal_date')} < {_date('listing_date')}",
             "移出日期不得早于列入日期 / removal cannot precede listing")
        rule("early-removal-too-soon", "removal_date",
             f"""regime = '2023' AND removal_kind = '提前移出'
                 AND {_date('removal_date')} < {_date('listing_date')} + INTERVAL 12 MONTH""",
             "应急管理部令第11号 / MEM Order No. 11")
    if {"removal_kind", "removal_date"} <= names:
        rule("date-order", "removal_kind", "coalesce(removal_kind, '') <> '' AND coalesce(removal_date, '') = ''",
             "有移出方式却无移出日期 / removal kind without a removal date")
        rule("date-order", "removal_kind", "coalesce(removal_date, '') <> '' AND coalesce(removal_kind, '') = ''",
             "有移出日期却无移出方式 / removal date without a removal kind")
    if "regime" in names and {"listing_date", "display_until"} <= dates:
        rule("regime-mismatch", "removal_kind", "removal_kind = '提前移出' AND regime <> '2023'",
             "提前移出（信用修复）只适用于应急管理部令第11号（2023）/ early removal exists only under the 2023 rules")
        rule("regime-mismatch", "listing_date", f"regime = '2023' AND {_date('listing_date')} < DATE '2023-10-01'",
             "应急管理部令第11号自2023年10月1日起施行 / the 2023 rules apply from 2023-10-01")
        # Display periods: 3 years under the 2023 rules, 1 year under the 2017 rules, and under
        # the 2015 interim rules 1 year, or 3 for a repeat listing in some localities.  Either
        # end-day convention (same date, or the day before) is accepted.
        listed, until = _date("listing_date"), _date("display_until")

        def period(years: int) -> str:
            return f"{until} IN ({listed} + INTERVAL {years} YEAR, {listed} + INTERVAL {years} YEAR - INTERVAL 1 DAY)"
        rule("display-period", "display_until",
             f"""{until} > {listed} AND {until} <= {listed} + INTERVAL 3 YEAR AND NOT (
                 (regime = '2023' AND {period(3)}) OR (regime = '2017' AND {period(1)})
                 OR (regime = '2015' AND ({period(1)} OR {period(3)})))""",
             "公示期与所适用规定的期限（2023年规定3年；2017年规定1年；2015年规定1年，部分地方再次列入3年）不一致，请核对 / "
             "differs from the period of the rules applied (3 years under the 2023 rules, 1 under the 2017 rules, "
             "1 under the 2015 rules or 3 for a repeat in some localities)",
             severity="warning")
    if {"decision_date", "publicity_until"} <= dates:
        rule("date-order", "publicity_until", f"{_date('publicity_until')} < {_date('decision_date')}",
             "公示截止期不得早于处罚决定日期 / public-until before the decision date")
        rule("display-period", "publicity_until", f"{_date('publicity_until')} > {_date('decision_date')} + INTERVAL 3 YEAR",
             "行政处罚信息公示最长3年（发改办财金〔2019〕527号）/ at most 3 years (NDRC 2019 No. 527)")
    if {"decision_date", "valid_until"} <= dates:
        rule("date-order", "valid_until", f"{_date('valid_until')} < {_date('decision_date')}",
             "处罚有效期不得早于处罚决定日期 / effective-until before the decision date")
    return checks


def amount_checks(table: Table) -> list[RowCheck]:
    """Amounts in 万元 to at most 6 decimals (one yuan is 0.0001 万元; cents 0.000001)."""
    # The byte length first (cheap): 7 decimals need at least 8 bytes, so the regex runs on few cells.
    return [RowCheck("amount-precision", name, f"strlen({q(name)}) > 7 AND regexp_matches({q(name)}, '\\.[0-9]{{7,}}$')")
            for name in ("fine_amount_wan", "confiscation_amount_wan") if name in table.field_names()]


def row_checks(table: Table, build_date: dt.date) -> list[RowCheck]:
    """Every domain rule that one row can break on its own."""
    return identifier_checks(table) + text_checks(table) + date_checks(table, build_date) + amount_checks(table)


def cross_row_columns(table: Table, tables: dict[str, Table]) -> set[str] | str:
    """Columns that rules across rows read, beyond keys and identifiers ("*": all of them)."""
    if table.name in ("campaign_results", "observations", "commitments", "passages", "sources"):
        return "*"  # citations (and reconciliation); sources: their files
    if table.name == "corrections":
        return "*"  # requesters, corrections against the previous release
    if table.name == "plans":
        return {"page"}  # plan pages: unique, not the site's own
    if table.name == "indicators":
        return {"series_id", "unit", "direction", "period_kind"}  # one series, one measure
    if table.name == "penalties" and "campaign_results" in tables:
        return {"decision_date", "fine_amount_wan"}  # reconciliation
    return set()


def check_reconciliation(con, tables: dict[str, Table], errors: list[ValidationError]) -> None:
    """Campaign fine totals against case-level fines of the same year: a difference is
    explained, never an error.

    Case-level records are collected piecemeal, so a sum below the campaign total is
    partial coverage.  A sum above it is not an error either: the total covers one
    campaign (2015's 安全大检查深化“打非治违”和专项整治), and penalties decided outside it
    are in the same year's records.  Both say what the difference means; the one above
    also asks to check units (元 typed as 万元) and duplicates, the likely mistakes.
    """
    camp, pen = tables.get("campaign_results"), tables.get("penalties")
    if not (camp and pen and camp.loaded and pen.loaded):
        return
    rows = con.execute(
        f"""WITH c AS (SELECT TRY_CAST(year AS INTEGER) AS y, TRY_CAST(value AS DOUBLE) AS total, campaign_zh
                       FROM {camp.sql} WHERE measure_id = 'fines'),
                 p AS (SELECT year(TRY_CAST(decision_date AS DATE)) AS y, count(*) AS n,
                              sum(TRY_CAST(NULLIF(fine_amount_wan, '') AS DOUBLE)) AS s
                       FROM {pen.sql} GROUP BY 1)
            SELECT c.y, c.total, c.campaign_zh, p.n, coalesce(p.s, 0) FROM c JOIN p USING (y) ORDER BY 1"""
    ).fetchall()
    for year, total, campaign, n, case_sum in rows:
        if abs(case_sum - total) < 1e-6:
            continue
        where = dict(resource="penalties", field="fine_amount_wan", value=f"{case_sum:g}")
        if case_sum < total:
            errors.append(ValidationError(
                "campaign-reconciliation", **where,
                message_zh=f"{year}年：已收录的{n}条处罚记录罚款合计{case_sum:g}万元，少于“{campaign}”的汇总数{total:g}万元；"
                           f"差额{total - case_sum:g}万元是尚未收录的处罚（部分覆盖）。",
                message_en=f"{year}: the {n} case-level penalties collected so far total {case_sum:g} (万元), less than the "
                           f"campaign total {total:g}; the difference of {total - case_sum:g} is penalties not yet collected "
                           "(partial coverage)."))
        else:
            errors.append(ValidationError(
                "campaign-reconciliation", **where,
                message_zh=f"{year}年：已收录的{n}条处罚记录罚款合计{case_sum:g}万元，多于“{campaign}”的汇总数{total:g}万元。"
                           f"汇总数只涵盖这一专项行动，差额{case_sum - total:g}万元可以是行动之外的处罚；"
                           "若差额异常大，请核对金额单位（元/万元）和重复记录。",
                message_en=f"{year}: the {n} case-level penalties total {case_sum:g} (万元), more than the campaign total "
                           f"{total:g}. That total covers one campaign only, so the difference of {case_sum - total:g} can be "
                           "penalties decided outside it; if it is unusually large, check the units (元 or 万元) and for "
                           "duplicate records."))


# -- corrections against the previous release ----------------------------------------

ORG_SUFFIXES = ("局", "委", "厅", "院", "会", "所", "公司", "中心", "部", "办", "社", "站", "队", "报", "台", "网", "大学",
                "学校", "协会", "集团", "厂", "店", "处", "科", "组", "室", "政府", "法院", "检察院", "媒体", "杂志", "机构")


#: Site paths a plan's page may not take: the site's own pages and folders.  A plan page is
#: one word (results-12th, as published) or plans/<word>.
RESERVED_PAGES = {"index", "plans", "gaps", "indicators", "sources", "source", "enforcement", "blacklist", "downloads",
                  "api", "methodology", "about", "changelog", "deploy", "assets", "search", "404", "releases"}


def check_plan_pages(con, tables: dict[str, Table], errors: list[ValidationError]) -> None:
    """A plan's page (plans.page) is its site URL: unique, and never one of the site's own."""
    table = tables.get("plans")
    if not (table and table.loaded):
        return
    seen: dict[str, int] = {}
    for rowid, plan_id, page in con.execute(f"SELECT rowid, plan_id, page FROM {table.sql} ORDER BY 1").fetchall():
        page = page or f"plans/{plan_id}"
        where = dict(resource="plans", file=str(table.path), row=rowid + 2, field="page", value=page)
        if page.split("/")[0] in RESERVED_PAGES - {"plans"} or page in ("plans", "plans/index"):
            errors.append(ValidationError("plan-page-reserved", detail="本站已有此页 / a page of the site", **where))
        elif page in seen:
            errors.append(ValidationError("plan-page-reserved", detail=f"第{seen[page]}行已用 / used by row {seen[page]}",
                                          **where))
        seen.setdefault(page, rowid + 2)


def check_figures(con, tables: dict[str, Table], build_date: dt.date, errors: list[ValidationError]) -> None:
    """What judging a target takes for granted, checked where the figures come in: periods in
    order, a base year before the target year, a cumulative reduction under 100% (at 100% or
    more the level is zero or negative), no actual for a year after the build date or after
    the date of the document that states it, and one measure per series (same unit, direction
    and period kind: same_as links only indicators that can share a chart and a judgment)."""
    obs, src, ind = tables.get("observations"), tables.get("sources"), tables.get("indicators")
    if obs and obs.loaded:
        dates = {}
        if src and src.loaded:
            dates = dict(con.execute(f"SELECT source_id, TRY_CAST(NULLIF(date, '') AS DATE) FROM {src.sql}").fetchall())
        rows = con.execute(
            f"""SELECT rowid, kind, TRY_CAST(period_start AS INTEGER), TRY_CAST(period_end AS INTEGER),
                       TRY_CAST(NULLIF(base_year, '') AS INTEGER), TRY_CAST(value AS DOUBLE), source_id
                FROM {obs.sql} ORDER BY 1""").fetchall()
        for rowid, kind, start, end, base, value, source_id in rows:
            where = dict(resource="observations", file=str(obs.path), row=rowid + 2)
            if start is not None and end is not None and start > end:
                errors.append(ValidationError("period-order", field="period_end", value=end,
                                              detail=f"period_start {start} > period_end {end}", **where))
            if base is not None and end is not None and base >= end:
                errors.append(ValidationError("period-order", field="base_year", value=base,
                                              detail=f"base_year {base} ≥ period_end {end}", **where))
            if kind == "cumulative_reduction_target" and value is not None and not 0 < value < 100:
                errors.append(ValidationError("target-out-of-range", field="value", value=value,
                                              detail="累计降幅须大于0、小于100% / a cumulative reduction is above 0 and under 100%",
                                              **where))
            if kind in ("actual", "baseline") and end is not None:
                stated_on = dates.get(source_id)
                if end > build_date.year:
                    errors.append(ValidationError("future-date", field="period_end", value=end, detail=str(build_date),
                                                  **where))
                elif stated_on is not None and end > stated_on.year:
                    errors.append(ValidationError("figure-after-source", field="period_end", value=end,
                                                  detail=f"{source_id}: {stated_on}", **where))
    if ind and ind.loaded:
        rows = con.execute(
            f"""SELECT series_id, min(rowid), count(DISTINCT unit), count(DISTINCT direction), count(DISTINCT period_kind),
                       string_agg(indicator_id, '、' ORDER BY rowid)
                FROM {ind.sql} GROUP BY series_id HAVING count(*) > 1 ORDER BY 2""").fetchall()
        for series, rowid, units, directions, kinds, members in rows:
            if units > 1 or directions > 1 or kinds > 1:
                errors.append(ValidationError("series-mismatch", resource="indicators", file=str(ind.path), row=rowid + 2,
                                              field="series_id", value=series, detail=members))


def check_reserved_ids(con, tables: dict[str, Table], errors: list[ValidationError]) -> None:
    """Ids that name a page or a chart of the site may not take the name of one the site
    already has: indicators/index, sources/index, the campaign chart, a plan's -gap chart."""
    rules = {"indicators": ("indicator_id", lambda v: v == "index" or v.startswith("campaign") or v.endswith("-gap")),
             "sources": ("source_id", lambda v: v == "index")}
    for name, (column, reserved) in rules.items():
        table = tables.get(name)
        if not (table and table.loaded):
            continue
        for rowid, value in con.execute(f"SELECT rowid, {column} FROM {table.sql} ORDER BY 1").fetchall():
            if value and reserved(value):
                errors.append(ValidationError("reserved-id", resource=name, file=str(table.path), row=rowid + 2,
                                              field=column, value=value))


def check_requesters(con, tables: dict[str, Table], errors: list[ValidationError]) -> None:
    """A private person is recorded only as 公众: flag what looks like a personal name.

    Heuristic: 2-4 Chinese characters with no organisational suffix (局, 公司, 报 ...)."""
    table = tables.get("corrections")
    if not (table and table.loaded):
        return
    for rowid, who in con.execute(f"SELECT rowid, requested_by FROM {table.sql} ORDER BY 1").fetchall():
        if who and who not in ("公众", "本项目") and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", who) and not who.endswith(ORG_SUFFIXES):
            errors.append(ValidationError("private-person-named", resource="corrections", file=str(table.path), row=rowid + 2,
                                          field="requested_by", value=who))


def check_corrections(con, tables: dict[str, Table], previous: Path, errors: list[ValidationError]) -> None:
    """Every value that differs from the previous release needs a corrections record.

    `previous` is a release's copy of the curated package (build/releases/V/package).
    A changed cell matches a record with outcome 已更正 and the same table, key, field, old and
    new value; a removed row matches field '(row)'.  Added rows need no record.
    """
    corrections = tables.get("corrections")
    prev_desc = json.loads((previous / "datapackage.json").read_text(encoding="utf-8"))
    for res in prev_desc.get("resources", []):
        name = res["name"]
        table = tables.get(name)
        pk = res.get("schema", {}).get("primaryKey")
        prev_path = previous / res.get("path", "")
        if not (table and table.loaded and pk and prev_path.is_file()):
            continue
        pk = [pk] if isinstance(pk, str) else pk
        prev = f'"prev_{name}"'
        con.execute(f"CREATE OR REPLACE TEMP TABLE {prev} AS SELECT * FROM read_csv(?, header=true, all_varchar=true, "
                    f"nullstr='\x01', quote='\"', escape='\"', delim=',', auto_detect=false, "
                    f"columns=?)", [str(prev_path), {f["name"]: "VARCHAR" for f in res["schema"]["fields"]}])
        # A release record keeps the tables about people and enterprises as hashed cells
        # (pipeline/publish/history.py): then today's cells are hashed the same way to compare.
        hashed = bool(res.get("x-cells-hashed"))
        cell = (lambda c: f"CASE WHEN coalesce({c}, '') = '' THEN {c} ELSE 'sha256:' || sha256({c}) END") if hashed else (lambda c: c)
        key = lambda alias: "concat_ws(', ', " + ", ".join(f"{alias}.{q(k)}" for k in pk) + ")"
        ckey = "concat_ws(', ', " + ", ".join(cell(f"c.{q(k)}") for k in pk) + ")"
        shared = [f["name"] for f in res["schema"]["fields"] if f["name"] in table.field_names() and f["name"] not in pk]
        parts = [f"""SELECT c.rowid + 2 AS row, {key('c')} AS k, {lit(f)} AS field, p.{q(f)} AS old, c.{q(f)} AS new
                     FROM {table.sql} c JOIN {prev} p ON {ckey} = {key('p')}
                     WHERE coalesce(p.{q(f)}, '') <> coalesce({cell(f'c.{q(f)}')}, '')""" for f in shared]
        parts.append(f"""SELECT NULL AS row, {key('p')} AS k, '(row)' AS field, '(row)' AS old, '' AS new FROM {prev} p
                         WHERE NOT EXISTS (SELECT 1 FROM {table.sql} c WHERE {ckey} = {key('p')})""")
        matched = "FALSE"
        if corrections and corrections.loaded:
            # a removed row of a hashed table is known by its hashed key: hash the record's key parts
            rkey = ("array_to_string(list_transform(string_split(r.record_key, ', '), lambda x: 'sha256:' || sha256(x)), ', ')"
                    if hashed else "r.record_key")
            old = cell("r.old_value")
            matched = f"""EXISTS (SELECT 1 FROM {corrections.sql} r WHERE r.outcome = '已更正' AND r.resource = {lit(name)}
                          AND (r.record_key = d.k OR {rkey} = d.k) AND r.field = d.field
                          AND (d.field = '(row)' OR (coalesce({old}, '') = coalesce(d.old, '')
                                                     AND coalesce(r.new_value, '') = coalesce(d.new, ''))))"""
        sql = f"SELECT row, k, field, old, new FROM ({' UNION ALL '.join(parts)}) d WHERE NOT {matched} ORDER BY row NULLS LAST, k, field"
        personal = name in ("penalties", "blacklist")
        for row, k, field, old, new in con.execute(sql).fetchall():
            shown_old = WITHHELD_ZH if personal else old
            shown_new = WITHHELD_ZH if personal else new
            if field == "(row)":
                detail = f"{name} 中主键 {k} 的行已删除 / row with key {k} removed"
            else:
                detail = f"{k}.{field}: “{shown_old}” → “{shown_new}”"
            errors.append(ValidationError("uncorrected-change", resource=name, file=str(table.path), row=row, field=None if field == "(row)" else field,
                                          value=k, detail=detail))
        con.execute(f"DROP TABLE {prev}")
