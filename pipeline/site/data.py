"""Load inputs: everything the site shows, read from the warehouse and the exports.

Every figure on the site comes from here, and everything here comes from the
warehouse tables (which trace to the plan) or from staging/data (the exports the
download page lists).  Nothing is computed in this module beyond reshaping rows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

Row = dict[str, Any]

# Columns each page relies on; a model that stops producing one fails the build here,
# with the table's name, instead of as a KeyError somewhere in a page writer.
EXPECTED_COLUMNS: dict[str, set[str]] = {
    "indicator_status": {"target_id", "indicator_id", "series_id", "plan", "plan_id", "table_no", "table_row", "name_zh",
                         "unit", "direction", "target_kind", "target_as_written", "baseline_year", "baseline",
                         "baseline_low", "baseline_high", "baseline_method", "baseline_source_id",
                         "baseline_observation_id", "target_year", "target", "target_low", "target_high",
                         "reduction_pct", "actual", "actual_low", "actual_high", "actual_year", "actual_source_id",
                         "actual_observation_id", "sources_disagree", "status", "status_zh", "actual_vs_target",
                         "gap_to_target", "gap_pct", "target_looser_than_baseline", "change_from_baseline",
                         "change_from_baseline_pct", "progress_year", "progress_value", "progress_source_id",
                         "progress_cagr_observed", "progress_cagr_required", "progress_ratio", "progress",
                         "progress_zh", "summary_zh", "assumption_zh", "null_reasons_zh", "target_source_id",
                         "passage_id", "quote"},
    "target_levels_2020": {"indicator_id", "reduction_pct", "base_year", "target_year", "baseline_indicator_id",
                           "baseline_value", "baseline_observation_id", "target_level", "derivation",
                           "baseline_method", "name_match", "assumption_zh", "reduction_observation_id"},
    "series": {"series_id", "indicator_id", "plan", "kind", "period_start", "period_end", "value", "value_as_written",
               "unit", "value_low", "value_high", "is_latest", "sources_for_period", "sources_disagree", "source_id",
               "source_title", "source_date", "observation_id", "passage_id", "quote"},
    "data_gaps": {"target_id", "indicator_id", "plan", "plan_id", "name_zh", "unit", "target_year", "baseline_year",
                  "status", "status_zh", "missing", "decimals_needed", "needed_zh", "precision_zh", "usual_sources_zh"},
    "stg_indicators": {"indicator_id", "plan", "table_no", "table_row", "name_zh", "name_en", "unit", "direction",
                       "period_kind", "series_id", "passage_id", "definition_zh"},
    "stg_observations": {"observation_id", "indicator_id", "kind", "period_start", "period_end", "value",
                         "value_as_written", "unit", "source_id", "passage_id", "table_column", "quote",
                         "corroborating_passage_id", "corroborating_quote", "note_zh"},
    "stg_campaign_results": {"year", "measure_id", "seq", "campaign_zh", "measure_zh", "value", "unit",
                             "value_as_written", "amount_yuan", "passage_id", "quote"},
    "stg_commitments": {"commitment_id", "seq", "plan", "kind", "topic_zh", "subject_zh", "commitment_zh", "value",
                        "unit", "value_as_written", "due_year", "due_as_written", "passage_id", "quote", "note_zh"},
    "enforcement_results": {"year", "source", "campaign_zh", "measure", "measure_zh", "value", "unit", "scope_zh",
                            "passage_id", "quote"},
    "stg_legal_references": {"ref_id", "document_number", "title_zh", "issuing_body", "issue_date", "issue_date_note",
                             "effective_date", "effective_date_note", "regime", "provisions_zh", "verification",
                             "verification_note_zh", "url", "cited_in_plan"},
    "penalties_public": {"decision_number", "party_name", "party_category", "penalty_category", "penalty_content",
                         "fine_amount_wan", "decision_date", "publicity_until", "authority", "violation_type",
                         "legal_basis", "source_url"},
    "blacklist_public": {"enterprise_name", "uscc", "regime", "listing_situation", "legal_basis",
                         "deciding_authority", "listing_date", "display_until", "remedy", "source_url", "days_left"},
    "blacklist_takedowns": {"regime", "deciding_authority", "reason_zh", "listing_date", "display_until",
                            "taken_down_on", "entries"},
    "releases": {"version", "release_date", "previous_version", "rows_added", "rows_removed", "rows_changed",
                 "summary_zh"},
    "stg_corrections": {"correction_id", "date", "kind", "outcome", "resource", "record_key", "field", "old_value",
                        "new_value", "reason_zh", "requested_by", "passage_id"},
    "stg_sources": {"source_id", "title", "kind", "issuer", "issuer_note", "document_number", "document_number_note",
                    "date", "date_note", "url", "url_note", "retrieved_date", "retrieved_note", "path", "sha256",
                    "passage_id_prefix", "note_zh", "licence_note_zh"},
    "stg_plans": {"plan_id", "name_zh", "name_en", "start_year", "end_year", "base_year", "base_year_note",
                  "years_assumed", "source_id", "page", "note_zh"},
    "stg_passages": {"passage_id", "source_id", "seq", "kind", "chapter", "section", "item", "table_no", "table_row",
                     "locator_zh", "text"},
}


@dataclass
class DataFile:
    """One downloadable file of staging/data, as the output datapackage describes it."""

    path: str            # relative to data/, e.g. csv/indicators.csv
    title: str
    format: str
    mediatype: str
    bytes: int
    sha256: str
    table: str | None = None   # the public table it holds, if any
    rows: int | None = None


@dataclass
class SiteData:
    build_date: dt.date
    package_version: str
    descriptor: dict                      # the input datapackage.json
    package: dict                         # staging/data/datapackage.json (the output one)
    status: list[Row]                     # indicator_status: one row per target, by plan, table and row
    levels: dict[str, Row]                # target_levels_2020 (derived levels) by target_id
    indicators: dict[str, Row]            # stg_indicators by indicator_id, in file order
    observations: list[Row]
    campaign: list[Row]
    commitments: list[Row]
    enforcement: list[Row]
    penalties: list[Row]                  # penalties_public: already limited to the display period
    blacklist: list[Row]                  # blacklist_public: already limited to the display period
    takedowns: list[Row]                  # blacklist_takedowns: dates and counts only
    legal: list[Row]                      # stg_legal_references: national rules from outside the plan
    passages: list[Row]
    sources: list[Row] = field(default_factory=list)          # stg_sources, the plan (no passage prefix) first
    plans: list[Row] = field(default_factory=list)            # stg_plans, oldest first
    series: list[Row] = field(default_factory=list)           # every actual or base-year figure, every source
    gaps: list[Row] = field(default_factory=list)             # data_gaps: targets that cannot be judged yet
    releases: list[Row] = field(default_factory=list)         # the releases table, newest first
    corrections: list[Row] = field(default_factory=list)      # stg_corrections: the 更正 / 异议 log
    files: list[DataFile] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)   # SHA256SUMS: path -> sha256

    # -- convenience views -------------------------------------------------
    def targets_of(self, indicator_id: str) -> list[Row]:
        """indicator_status rows (one per target) of one indicator."""
        return [r for r in self.status if r["indicator_id"] == indicator_id]

    def observations_of(self, indicator_id: str) -> list[Row]:
        return [o for o in self.observations if o["indicator_id"] == indicator_id]

    def plan_targets(self, plan_id: str) -> list[Row]:
        return [r for r in self.status if r["plan_id"] == plan_id]

    def plan(self, plan_id: str) -> Row:
        return next(p for p in self.plans if p["plan_id"] == plan_id)

    def plan_named(self, name_zh: str) -> Row | None:
        return next((p for p in self.plans if p["name_zh"] == name_zh), None)

    def series_of(self, series_id: str) -> list[Row]:
        """Every figure of a series from every source (the series mart's rows), oldest first."""
        return [r for r in self.series if r["series_id"] == series_id]

    def series_targets(self, series_id: str) -> list[Row]:
        """Every plan's targets for one series (indicators linked by same_as share it)."""
        return [r for r in self.status if r["series_id"] == series_id]

    @property
    def passage_ids(self) -> set[str]:
        return {p["passage_id"] for p in self.passages}

    def totals_of_plan(self, plan_name: str) -> list[Row]:
        """Figures that are sums over several years (no target): shown apart from the targets."""
        return [o for o in self.observations if self.indicators[o["indicator_id"]]["plan"] == plan_name
                and self.indicators[o["indicator_id"]]["period_kind"] != "annual"]


def _rows(con: duckdb.DuckDBPyConnection, relation: str, order: str = "") -> list[Row]:
    cur = con.execute(f"SELECT * FROM {relation} {order}")
    names = [d[0] for d in cur.description]
    missing = EXPECTED_COLUMNS.get(relation, set()) - set(names)
    if missing:
        raise RuntimeError(f"site: {relation} lacks the columns {sorted(missing)} the pages show")
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """True if the warehouse has this table or view.  build.py creates the release log and
    the corrections view before the site; a warehouse without them has none to show."""
    n = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [relation]).fetchone()[0]
    return n > 0


def read_checksums(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if name:
            out[name] = digest
    return out


def load(con: duckdb.DuckDBPyConnection, descriptor: dict, data_dir: Path) -> SiteData:
    """Read everything the pages need; check that the exports agree with their checksums."""
    build_date, version = con.execute("SELECT build_date, package_version FROM build_info").fetchone()
    indicators = _rows(con, "stg_indicators")
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    checksums = read_checksums(data_dir / "SHA256SUMS")
    files = []
    for r in package["resources"]:
        sha = r["hash"].removeprefix("sha256:")
        if checksums.get(r["path"]) != sha:
            raise RuntimeError(f"site: {r['path']} has sha256 {sha} in datapackage.json but "
                               f"{checksums.get(r['path'])} in SHA256SUMS")
        files.append(DataFile(path=r["path"], title=r.get("title") or r["name"], format=r["format"],
                              mediatype=r["mediatype"], bytes=r["bytes"], sha256=sha,
                              table=r["name"].split(".")[0],
                              rows=r.get("rows")))
    return SiteData(
        build_date=build_date,
        package_version=version,
        descriptor=descriptor,
        package=package,
        status=_rows(con, "indicator_status"),
        levels={r["reduction_observation_id"]: r for r in _rows(con, "target_levels_2020")},
        indicators={r["indicator_id"]: r for r in indicators},
        observations=_rows(con, "stg_observations"),
        campaign=_rows(con, "stg_campaign_results", "ORDER BY year, seq"),
        commitments=_rows(con, "stg_commitments", "ORDER BY seq"),
        enforcement=_rows(con, "enforcement_results"),
        legal=_rows(con, "stg_legal_references", "ORDER BY regime NULLS LAST, ref_id"),
        penalties=_rows(con, "penalties_public"),
        blacklist=_rows(con, "blacklist_public"),
        takedowns=_rows(con, "blacklist_takedowns"),
        passages=_rows(con, "stg_passages", "ORDER BY source_id, seq"),
        sources=_rows(con, "stg_sources", "ORDER BY passage_id_prefix <> '', date NULLS FIRST, source_id"),
        plans=_rows(con, "stg_plans", "ORDER BY start_year, plan_id"),
        series=_rows(con, "series"),
        gaps=_rows(con, "data_gaps"),
        releases=_rows(con, "releases", "ORDER BY release_date DESC, version DESC") if _exists(con, "releases") else [],
        corrections=_rows(con, "stg_corrections", "ORDER BY date DESC, correction_id DESC")
        if _exists(con, "stg_corrections") else [],
        files=files,
        checksums=checksums,
    )
