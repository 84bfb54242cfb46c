"""python -m pipeline ingest FILE --into observations|targets: figures quoted from a source.

Both read a sheet (CSV or XLSX, Chinese or English headers: headers.toml) in which each
row quotes a registered source (sources.csv) and gives a figure of that quote.  Nobody
types a passage ID or how the figure is written: citations.py finds the one passage of
that source holding the quote (NFKC, whitespace collapsed) and the figure in it
(２３４, 二百三十四, 41.1万, 10%, 百分之十 ...), and the quote is stored as the passage
writes it.  Everything else is run.py's: report, quarantine beside the input, dry run,
idempotence, and the package's own validator as the gate.

--into observations, one figure per row:
    indicator_id 指标编号 · year 年份 (2015, 二〇一五年, or a period 2011-2015 for a
    total) · kind 类型 (actual 实际数 | target 目标 | baseline 基数) · value 数值 · unit
    单位 (the indicator's own) · source_id 来源编号 · quote 原文引文
  -> observations.csv: `{indicator}:{kind}:{year}:{source}` (without `:{source}` for the
     first source, the plan, whose passage IDs have no prefix: the package's convention,
     so a figure already curated from it is recognised), table_column when the passage
     is a table row and one cell under a matching header holds the figure, no note.  A
     period is for a five-year-total indicator, one year for an annual one.

--into targets, one target of a plan per row:
    plan_id 规划编号 · plan_name_zh 规划名称 · plan_start / plan_end 起始年 / 终止年 ·
    indicator_id 指标编号 · name_zh 指标名称 · unit 单位 · direction 方向 · target_kind 目标类型
    (level 水平 | reduction_pct 累计降幅 | increase_pct 累计增幅) · value 目标值 · base_year 基期 ·
    base_value 基期值 · target_year 目标年 · same_as 同一序列 · source_id 来源编号 · quote 原文引文
  and, when needed: plan_name_en 规划英文名称 (a new plan), name_en 指标英文名称 and unit_en
  英文单位 (a new indicator: never made up, a row without them is quarantined),
  definition_zh / definition_en 指标说明 (else a sentence saying the text gives none),
  base_quote 基期值引文 (where the base value is quoted, when not in `quote`).
  `unit` is the indicator's (人, 起 ...); a reduction or increase is in % by its kind, so
  "%" there is also accepted for an existing indicator.
  -> plans.csv: a new plan (base year and how it is known in base_year_note);
     indicators.csv: a new indicator of that plan (annual; its passage is the target's;
     series_id that of same_as, else its own ID);
     observations.csv: the target (level -> target in the indicator's unit;
     reduction_pct / increase_pct -> cumulative_reduction_target /
     cumulative_increase_target in %, from plan_start to the target year, with its base
     year), and base_value as that plan's baseline observation of the base year.
  Empty years follow the plan: the target year is plan_end, the base year the plan's
  own or the year before plan_start.  A year the quote does not state is said so in the
  observation's note and in years_assumed / base_year_note of a new plan.

Decisions:
- A quote found in several passages is quarantined (quote-ambiguous): a longer quote
  settles it; ingest never picks one.  A quote across two passages is too.
- A figure must read, by the package's own rule (pipeline/validate/citations.py), as the value
  it states: a form the rule cannot read (full-width digits, 百分之十, 41.1万 of a unit
  without 万 in this version) is quarantined as figure-form-unsupported instead of
  making the package invalid.
- An existing plan, indicator or observation with the same ID is reused when it agrees
  with the row and a key conflict when it does not; nothing existing is ever changed.
- Files are written plans, indicators, observations: a failure half-way leaves a valid
  package, and the same command completes it.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.ingest.figure_rows import (
    COLUMNS,
    KINDS,
    OBSERVATION_KIND,
    SAME,
    TABLE_NAMES,
    WRITE_ORDER,
    Entry,
    NewRow,
    Package,
    RowReader,
    slug,
    unit_text,
    year_note,
)
from pipeline.ingest.findings import Finding, shown
from pipeline.ingest.headers import Aliases, HeaderMap, aliases
from pipeline.ingest.normalize import trim
from pipeline.ingest.outcome import Outcome
from pipeline.ingest.read import ReadError, read_file
from pipeline.ingest.run import pick_sheet, same_value, save
from pipeline.ingest.staging import (
    dataset_bytes,
    error_key,
    unvalidated,
    validate_staged,
)

OBSERVATION_ORIGIN = {
    "observation_id": ["indicator_id", "kind", "year", "source_id"], "indicator_id": ["indicator_id"], "kind": ["kind"],
    "period_start": ["year"], "period_end": ["year"], "value": ["value"], "value_as_written": ["value", "quote"],
    "unit": ["unit"], "source_id": ["source_id"], "passage_id": ["quote"], "table_column": ["quote"], "quote": ["quote"],
}
TARGET_ORIGIN = {
    "observation_id": ["indicator_id", "target_kind", "target_year", "source_id"], "indicator_id": ["indicator_id"],
    "kind": ["target_kind"], "period_start": ["plan_start"], "period_end": ["target_year"], "base_year": ["base_year"],
    "value": ["value"], "value_as_written": ["value", "quote"], "unit": ["unit"], "source_id": ["source_id"],
    "passage_id": ["quote"], "table_column": ["quote"], "quote": ["quote"],
}
BASELINE_ORIGIN = {**TARGET_ORIGIN, "observation_id": ["indicator_id", "base_year", "source_id"], "kind": ["base_value"],
                   "period_start": ["base_year"], "period_end": ["base_year"], "value": ["base_value"],
                   "value_as_written": ["base_value", "base_quote", "quote"], "passage_id": ["base_quote", "quote"],
                   "quote": ["base_quote", "quote"]}
PLAN_ORIGIN = {"plan_id": ["plan_id"], "name_zh": ["plan_name_zh"], "name_en": ["plan_name_en"], "start_year": ["plan_start"],
               "end_year": ["plan_end"], "base_year": ["base_year"], "source_id": ["source_id"]}
INDICATOR_ORIGIN = {"indicator_id": ["indicator_id"], "plan": ["plan_name_zh", "plan_id"], "name_zh": ["name_zh"],
                    "name_en": ["name_en"], "unit": ["unit"], "unit_en": ["unit_en"], "direction": ["direction"],
                    "series_id": ["same_as"], "passage_id": ["quote"], "definition_zh": ["definition_zh"],
                    "definition_en": ["definition_en"]}


class Run(RowReader):
    """One file: entries read, rows derived, pooled and checked; then validated and saved."""

    # -- what exists, what this file adds ---------------------------------------

    def existing(self, name: str, key: str) -> dict | None:
        """A row already in the package, or added by an earlier row of this file."""
        if key in self.pool[name]:
            return self.pool[name][key].values
        hit = self.pkg.index[name].get(key)
        return hit[1] if hit else None

    def differs(self, name: str, new: dict, old: dict) -> list[str]:
        types = {f["name"]: f for f in self.pkg.fields(name)}
        return [n for n in SAME[name] if n in types and new.get(n) and not same_value(types[n], new[n], old.get(n, ""))]

    def located(self, name: str, key: str) -> tuple[str, str]:
        pooled = self.pool[name].get(key)
        if pooled:
            return f"本文件第{pooled.users[0].row}行", f"row {pooled.users[0].row} of this file"
        line = self.pkg.index[name][key][0]
        return f"{name}.csv 第{line}行", f"{name}.csv row {line}"

    def conflicts(self, e: Entry, name: str, key: str, values: dict, old: dict, origin: dict) -> bool:
        """Flag each field in which `values` differs from the row `old` already under `key`."""
        where = self.located(name, key)
        diff = self.differs(name, values, old)
        for n in diff:
            was, now = shown(old.get(n, "")), shown(values[n])
            self.flag(e, "key-conflict", tuple(origin.get(n, [n])), values[n],
                      (f"{TABLE_NAMES[name][0]}编号“{key}”（{where[0]}）；{n} 原为“{was}”，本文件为“{now}”",
                       f"{TABLE_NAMES[name][1]} ID '{key}' ({where[1]}); {n} was '{was}', this file says '{now}'"))
        return bool(diff)

    def commit(self, e: Entry, wanted: list[tuple[str, dict, dict]]) -> None:
        """Each (resource, row, origin) the entry needs: the same row already in the package
        or added by an earlier row is reused, a different one under its key is a conflict,
        the rest are new.  An entry that adds nothing is a duplicate (`e.same` says of what)."""
        new, reused = [], []
        for name, values, origin in wanted:
            key = Package.key(name, values)
            pooled = self.pool[name].get(key)
            old = self.existing(name, key)
            if old is None:
                new.append((name, key, values, origin))
                continue
            self.conflicts(e, name, key, values, old, origin)
            if pooled:
                reused.append(pooled)
            if name == "observations" or not e.same:  # a duplicate is told by its figure
                e.same = " / ".join(self.located(name, key))
        if e.findings or not new:
            return
        for name, key, values, origin in new:
            made = self.pool[name][key] = NewRow(name, key, values, origin)
            reused.append(made)
            e.created += 1
        for made in reused:
            made.users.append(e)
            e.needs.append(made)

    # -- --into observations ---------------------------------------------------

    def derive_observation(self, e: Entry) -> list[tuple[str, dict, dict]]:
        r = e.raw
        if not self.need(e, "indicator_id", "year", "kind", "value", "unit", "source_id", "quote"):
            return []
        years = self.year(e, "year", period=True)
        kind = self.choice(e, "kind", KINDS["observations"], "kind")
        unit = unit_text(r["unit"])
        value = self.number(e, "value", unit)
        source_id = self.source(e)
        indicator_id = slug(r["indicator_id"])
        indicator = self.existing("indicators", indicator_id)
        if indicator is None:
            self.flag(e, "indicator-unknown", "indicator_id", r["indicator_id"])
        elif unit != indicator["unit"]:
            self.flag(e, "unit-mismatch", "unit", r["unit"],
                      (f"指标“{indicator_id}”的单位“{indicator['unit']}”不同", f"the unit of {indicator_id}, '{indicator['unit']}'"))
        elif years and (years[0] != years[1]) != (indicator["period_kind"] == "five_year_total"):
            total = indicator["period_kind"] == "five_year_total"
            why = ((f"：指标“{indicator_id}”是五年合计，须填期间（如 2011-2015）",
                    f": {indicator_id} is a five-year total: give the period (e.g. 2011-2015)") if total else
                   (f"：指标“{indicator_id}”是年度指标，只填一个年份", f": {indicator_id} is annual: give one year"))
            self.flag(e, "year-invalid", "year", r["year"], why)
        if e.findings:
            return []
        cited = self.cite(e, source_id, "quote", "value", value, unit, years[1])
        if cited is None:
            return []
        obs = self.observation(indicator_id=indicator_id, kind=kind, start=years[0], end=years[1], base_year=None,
                               value=value, unit=unit, source_id=source_id, cited=cited)
        if not self.precheck(e, obs, "value", "quote"):
            return []
        return [("observations", obs, OBSERVATION_ORIGIN)]

    # -- --into targets ----------------------------------------------------------

    def derive_target(self, e: Entry) -> list[tuple[str, dict, dict]]:
        r = e.raw
        if not self.need(e, "plan_id", "indicator_id", "target_kind", "value", "source_id", "quote"):
            return []
        wanted: list[tuple[str, dict, dict]] = []
        source_id = self.source(e)
        target_kind = self.choice(e, "target_kind", KINDS["targets"], "target_kind")
        years = {c: self.year(e, c) for c in ("plan_start", "plan_end", "base_year", "target_year") if r.get(c)}
        if e.findings:
            return []

        # The plan: the package's, an earlier row's, or new.
        plan_id = slug(r["plan_id"])
        plan = self.existing("plans", plan_id)
        name_zh = trim(r.get("plan_name_zh", ""))
        if plan is None and name_zh in self.pkg.plan_names:
            other = self.pkg.plan_names[name_zh]
            self.flag(e, "key-conflict", ("plan_id", "plan_name_zh"), name_zh,
                      (f"规划名称“{name_zh}”（规划编号为“{other['plan_id']}”，不是“{plan_id}”）",
                       f"plan name '{name_zh}' (its plan_id is '{other['plan_id']}', not '{plan_id}')"))
            return []
        if plan is None:
            why = ("（新的规划须填写）", " (a new plan needs it)")
            if not self.need(e, "plan_name_zh", "plan_start", "plan_end", why=why):
                return []
            if not r.get("plan_name_en"):
                self.flag(e, "translation-missing", "plan_name_en", "", ("规划的英文名称（plan_name_en）", "plan's English name (plan_name_en)"))
                return []
            start, end = years["plan_start"][0], years["plan_end"][0]
            if start > end:
                self.flag(e, "year-invalid", ("plan_start", "plan_end"), f"{start}-{end}", ("：起始年晚于终止年", ": the first year is after the last"))
                return []
        else:
            given = {"name_zh": name_zh, "name_en": trim(r.get("plan_name_en", "")),
                     "start_year": str(years["plan_start"][0]) if "plan_start" in years else "",
                     "end_year": str(years["plan_end"][0]) if "plan_end" in years else ""}
            if self.conflicts(e, "plans", plan_id, given, plan, PLAN_ORIGIN):
                return []
            start, end, name_zh = int(plan["start_year"]), int(plan["end_year"]), plan["name_zh"]
        # Years left empty follow the plan; how each is known goes into the notes.
        if "target_year" in years:
            target_year, target_how = years["target_year"][0], "given"
        else:
            target_year, target_how = end, "last"
        if "base_year" in years:
            base_year, base_how = years["base_year"][0], "given"
        elif plan and plan.get("base_year"):
            base_year, base_how = int(plan["base_year"]), "plan"
        else:
            base_year, base_how = start - 1, "before"

        # The indicator: the package's, an earlier row's, or new.
        indicator_id = slug(r["indicator_id"])
        indicator = self.existing("indicators", indicator_id)
        unit = unit_text(r.get("unit", ""))
        if unit == "%" and target_kind != "level" and indicator is not None and indicator["unit"] != "%":
            unit = ""  # the unit of the percentage itself, not of the indicator: nothing to compare
        if indicator is None:
            if not self.need(e, "name_zh", "unit", "direction", why=("（新的指标须填写）", " (a new indicator needs it)")):
                return []
            untranslated = [c for c in ("name_en", "unit_en") if not r.get(c)]
            if untranslated:
                for c in untranslated:
                    what = {"name_en": ("指标的英文名称（name_en）", "indicator's English name (name_en)"),
                            "unit_en": ("指标的英文单位（unit_en）", "indicator's unit in English (unit_en)")}[c]
                    self.flag(e, "translation-missing", c, "", what)
                return []
        elif unit and unit != indicator["unit"]:
            self.flag(e, "unit-mismatch", "unit", r["unit"],
                      (f"指标“{indicator_id}”的单位“{indicator['unit']}”不同", f"the unit of {indicator_id}, '{indicator['unit']}'"))
            return []
        elif indicator["plan"] != name_zh:
            self.flag(e, "key-conflict", ("indicator_id", "plan_id"), indicator_id,
                      (f"指标编号“{indicator_id}”（属于规划“{indicator['plan']}”，不是“{name_zh}”）",
                       f"indicator ID '{indicator_id}' (of plan '{indicator['plan']}', not '{name_zh}')"))
            return []
        unit = unit or indicator["unit"]
        series = indicator_id if indicator is None else indicator["series_id"]
        if r.get("same_as"):
            same = self.existing("indicators", slug(r["same_as"]))
            if same is None:
                self.flag(e, "same-as-unknown", "same_as", r["same_as"],
                          ("数据包和本文件中都没有这个指标", "no such indicator in the package or this file"))
                return []
            if unit != same["unit"]:
                self.flag(e, "same-as-unknown", ("same_as", "unit"), r["same_as"],
                          (f"它的单位是“{same['unit']}”，本指标是“{unit}”；同一序列须同一单位",
                           f"its unit is '{same['unit']}', this indicator's '{unit}'; a series has one unit"))
                return []
            series = same["series_id"]
        direction = None
        if r.get("direction"):
            direction = self.choice(e, "direction", ["lower_is_better", "higher_is_better"], "direction")
            if direction is None:
                return []

        # The figures and their citations.
        value_unit = "%" if target_kind != "level" else unit
        value = self.number(e, "value", value_unit)
        base_value = self.number(e, "base_value", unit) if r.get("base_value") else None
        if e.findings:
            return []
        cited = self.cite(e, source_id, "quote", "value", value, value_unit, target_year)
        if cited is None:
            return []
        base_cited = None
        if base_value is not None:
            base_col = "base_quote" if r.get("base_quote") else "quote"
            base_cited = self.cite(e, source_id, base_col, "base_value", base_value, unit, base_year)
            if base_cited is None:
                return []
        quotes = cited[1] + " " + (base_cited[1] if base_cited else "")
        target_year_item = ("target_year", target_year, target_how)
        base_year_item = ("base_year", base_year, base_how)

        if plan is None:
            # years_assumed: a plan's years are stated only when the quotes cited write them.
            measured = target_kind != "level" or base_value is not None  # a base year is part of the target
            unstated = year_note([target_year_item] + [base_year_item] * measured, quotes)
            title = self.pkg.sources[source_id]["title"]
            based = year_note([base_year_item], quotes)
            plan_row = self.pkg.blank(
                "plans", plan_id=plan_id, name_zh=name_zh, name_en=trim(r["plan_name_en"]), start_year=str(start),
                end_year=str(end), base_year=str(base_year), source_id=source_id,
                years_assumed="true" if unstated[0] else "false",
                base_year_note=(f"{based[0]}{based[1]}" if based[0] else
                                f"引自《{title}》：引文写明{base_year}年。The quote states {base_year}."))
            wanted.append(("plans", plan_row, PLAN_ORIGIN))
        if indicator is None:
            passage = cited[0]
            title = self.pkg.sources[source_id]["title"]
            wanted.append(("indicators", self.pkg.blank(
                "indicators", indicator_id=indicator_id, plan=name_zh,
                table_no=passage["table_no"] if passage["kind"] == "table_row" else "",
                table_row=passage["table_row"] if passage["kind"] == "table_row" else "",
                name_zh=trim(r["name_zh"]), name_en=trim(r["name_en"]), unit=unit, unit_en=trim(r["unit_en"]),
                direction=direction or "", period_kind="annual", series_id=series, passage_id=passage["passage_id"],
                definition_zh=trim(r.get("definition_zh", "")) or f"引自《{title}》的指标，原文没有给出定义。",
                definition_en=trim(r.get("definition_en", "")) or f"An indicator quoted from 《{title}》; the text gives no definition."),
                INDICATOR_ORIGIN))
        else:
            # Said again for an existing indicator: must agree (commit compares what is given).
            given = {"plan": name_zh, "name_zh": trim(r.get("name_zh", "")), "name_en": trim(r.get("name_en", "")),
                     "unit_en": trim(r.get("unit_en", "")), "direction": direction or "",
                     "series_id": series if r.get("same_as") else ""}
            wanted.append(("indicators", {**indicator, **{k: v for k, v in given.items() if v}}, INDICATOR_ORIGIN))
        if plan is not None:
            wanted.insert(0, ("plans", plan, PLAN_ORIGIN))  # agrees (checked above); an earlier row's is then needed

        kind = OBSERVATION_KIND[target_kind]
        level = kind == "target"
        target = self.observation(
            indicator_id=indicator_id, kind=kind, start=target_year if level else start, end=target_year,
            base_year=None if level else base_year, value=value, unit=value_unit, source_id=source_id, cited=cited,
            note=year_note([target_year_item] + [base_year_item] * (not level), cited[1]))
        if not self.precheck(e, target, "value", "quote"):
            return []
        wanted.append(("observations", target, TARGET_ORIGIN))
        if base_cited:
            base = self.observation(indicator_id=indicator_id, kind="baseline", start=base_year, end=base_year,
                                    base_year=None, value=base_value, unit=unit, source_id=source_id, cited=base_cited,
                                    note=year_note([base_year_item], base_cited[1]))
            if not self.precheck(e, base, "base_value", "base_quote" if r.get("base_quote") else "quote"):
                return []
            wanted.append(("observations", base, BASELINE_ORIGIN))
        return wanted


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def input_aliases(into: str) -> Aliases:
    return aliases(into, [{"name": c, "title": t} for c, t, _ in COLUMNS[into]])


def read_entries(header: HeaderMap, out: Outcome) -> list[Entry]:
    """Every row that holds anything, trimmed; formula cells flagged (run.py's rule)."""
    by_field = header.by_field()
    formulas = header.sheet.formulas
    in_row: dict[int, list[int]] = {}
    for r, c in formulas:
        in_row.setdefault(r, []).append(c)
    entries = []
    for number, cells in header.data:
        if not any(trim(c) for c in cells) and all(formulas[number, c][1] is not None for c in in_row.get(number, ())):
            out.blank_rows += 1
            continue
        out.rows_read += 1
        out.cells[number] = cells
        raw = {f: trim(cells[c.index]) if c.index < len(cells) else "" for f, c in by_field.items()}
        e = Entry(number, cells, raw)
        for name, col in by_field.items():
            if (number, col.index) in formulas:
                formula, cached = formulas[number, col.index]
                detail = ((f"（文件中保存的计算结果为“{shown(cached)}”）", f" (cached result in the file: '{shown(cached)}')")
                          if cached is not None else ("（文件中没有保存计算结果）", " (no result saved in the file)"))
                e.findings.append(Finding.ingest("formula-cell", number, name, col.where, formula, detail))
        entries.append(e)
    return entries


def ingest_figures(path: Path, into: str, package: Path, *, on_date=None, dry_run: bool = False,
                   sheet: str | None = None) -> Outcome:
    from pipeline.config import build_date
    from pipeline.validate import validate_package

    # -- load inputs -----------------------------------------------------------
    path, package = Path(os.path.abspath(path)), Path(package).resolve()
    out = Outcome(path, into, dry_run=dry_run, quarantine=path.with_name(f"{path.stem}.quarantine.csv"))
    on_date = on_date or build_date()
    try:
        pkg = Package(package)
        out.dataset = pkg.file("observations")
        out.workbook = read_file(path)
        header = pick_sheet(out.workbook, input_aliases(into), sheet)
    except ReadError as exc:
        out.error = exc
        return out
    out.header = header
    out.missing_required = [c for c, _, required in COLUMNS[into] if required and c not in header.by_field()]

    # -- process ---------------------------------------------------------------
    run = Run(pkg, into, header)
    entries = read_entries(header, out)
    for e in entries:
        if not e.findings:
            wanted = run.derive_observation(e) if into == "observations" else run.derive_target(e)
            if not e.findings:
                run.commit(e, wanted)
        if e.findings:
            out.rejected[e.row] = e.findings
        elif not e.created:
            out.duplicates.append((e.row, e.same))

    live = [e for e in entries if e.row not in out.rejected and e.created]
    baseline: set | None = None

    def new_errors(errors) -> list:
        nonlocal baseline
        errors = [x for x in errors if x.severity == "error"]
        if errors and baseline is None:
            before, con = validate_package(package, on_date=on_date)
            con.close()
            baseline = {error_key(x) for x in before.errors}
            out.preexisting = sum(x.severity == "error" for x in before.errors)
        return [x for x in errors if error_key(x) not in (baseline or set())]

    def staged(keep: list[Entry]):
        """Validate the package with the rows `keep` needs (a row several need is written once)."""
        wanted = set(keep)  # entries compare by identity
        rows = {name: [n for n in run.pool[name].values() if wanted.intersection(n.users)] for name in WRITE_ORDER}
        replace = {pkg.res[name]["path"]: dataset_bytes(pkg.file(name), pkg.names(name), [n.values for n in rs])
                   for name, rs in rows.items() if rs}
        report = validate_staged(package, pkg.descriptor, replace, on_date)
        return report, rows, replace

    accepted: list[Entry] = []
    rest: list = []
    replace: dict[str, bytes] = {}
    rows: dict[str, list[NewRow]] = {}
    if live:
        try:
            report, rows, replace = staged(live)
        except ReadError as exc:
            out.error = exc
            return out
        out.error = unvalidated(report, "observations", package)
        if out.error:
            return out
        for x in report.errors:
            new = rows.get(x.resource or "", [])
            at = (x.row or 0) - 2 - len(pkg.rows.get(x.resource or "", []))
            if not (x.resource in rows and 0 <= at < len(new)):
                rest.append(x)
                continue
            made = new[at]
            fields = (x.field or "").split(",")
            columns = [c for f in fields for c in made.origin.get(f, [])]
            columns = [c for c in dict.fromkeys(columns) if c in run.cols] or columns[:1]
            for u in made.users:
                raw = " | ".join(u.raw.get(c, "") for c in columns)
                u.findings.append(Finding(x.code, u.row, ",".join(columns) or None, run.where(*columns) if columns else "",
                                          shown(raw), f"{made.resource}.{x.field}：{x.message_zh}",
                                          f"{made.resource}.{x.field}: {x.message_en}", x.severity))
        for e in live:
            if any(f.severity == "error" for f in e.findings):
                out.rejected[e.row] = e.findings
            else:
                accepted.append(e)
                out.warnings += e.findings
        problems = new_errors(rest)
        if not problems and accepted and len(accepted) < len(live):
            # The gate: the package exactly as it will be written.
            try:
                report, rows, replace = staged(accepted)
            except ReadError as exc:
                out.error = exc
                return out
            out.error = unvalidated(report, "observations", package)
            if out.error:
                return out
            problems = new_errors(report.errors)
        if problems:
            detail = "；".join(x.message_zh for x in problems[:3]) + " / " + "; ".join(x.message_en for x in problems[:3])
            for e in accepted:
                out.rejected[e.row] = e.findings + [Finding.ingest("package-invalid", e.row, None, "", "", detail)]
            accepted = []
        out.warnings += [Finding(x.code, None, x.field, "", shown(x.value or ""), x.message_zh, x.message_en, x.severity)
                         for x in rest if x.severity != "error"]
    out.accepted = sorted(e.row for e in accepted)
    order = {c.field: c.index for c in header.columns if c.field}
    out.rejected = {row: sorted(fs, key=lambda f: order.get((f.field or "").split(",")[0], 10_000))
                    for row, fs in sorted(out.rejected.items())}
    writes = []
    for name in WRITE_ORDER:
        n = len(rows.get(name, [])) if accepted else 0
        out.appended[pkg.file(name)] = n
        if n:
            writes.append((pkg.file(name), replace[pkg.res[name]["path"]]))

    # -- save outputs ----------------------------------------------------------
    save(out, writes)
    return out
