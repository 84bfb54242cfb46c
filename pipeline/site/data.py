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

from pipeline.errors import SiteBuildError
from pipeline.registry import columns_by_relation

Row = dict[str, Any]

# Columns the pages rely on: every relation's public columns (pipeline/registry.yml and the
# schemas it points to) and these besides.  A model that stops producing one fails the build
# here, with the relation's name, instead of as a KeyError somewhere in a page writer.
SITE_ONLY_COLUMNS = {"blacklist_public": {"days_left"}}


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


def _read(con: duckdb.DuckDBPyConnection, relation: str, order: str = "", expected: set[str] = frozenset()) -> list[Row]:
    cur = con.execute(f"SELECT * FROM {relation} {order}")
    names = [d[0] for d in cur.description]
    missing = (expected | SITE_ONLY_COLUMNS.get(relation, set())) - set(names)
    if missing:
        raise SiteBuildError(f"site: {relation} lacks the columns {sorted(missing)} the pages show")
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
    expected = columns_by_relation(descriptor)

    def _rows(relation: str, order: str = "") -> list[Row]:
        return _read(con, relation, order, expected.get(relation, set()))

    indicators = _rows("stg_indicators")
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    checksums = read_checksums(data_dir / "SHA256SUMS")
    files = []
    for r in package["resources"]:
        sha = r["hash"].removeprefix("sha256:")
        if checksums.get(r["path"]) != sha:
            raise SiteBuildError(f"site: {r['path']} has sha256 {sha} in datapackage.json but "
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
        status=_rows("indicator_status"),
        levels={r["reduction_observation_id"]: r for r in _rows("target_levels_2020")},
        indicators={r["indicator_id"]: r for r in indicators},
        observations=_rows("stg_observations"),
        campaign=_rows("stg_campaign_results", "ORDER BY year, seq"),
        commitments=_rows("stg_commitments", "ORDER BY seq"),
        enforcement=_rows("enforcement_results"),
        legal=_rows("stg_legal_references", "ORDER BY regime NULLS LAST, ref_id"),
        penalties=_rows("penalties_public"),
        blacklist=_rows("blacklist_public"),
        takedowns=_rows("blacklist_takedowns"),
        passages=_rows("stg_passages", "ORDER BY source_id, seq"),
        sources=_rows("stg_sources", "ORDER BY passage_id_prefix <> '', date NULLS FIRST, source_id"),
        plans=_rows("stg_plans", "ORDER BY start_year, plan_id"),
        series=_rows("series"),
        gaps=_rows("data_gaps"),
        releases=_rows("releases", "ORDER BY release_date DESC, version DESC") if _exists(con, "releases") else [],
        corrections=_rows("stg_corrections", "ORDER BY date DESC, correction_id DESC")
        if _exists(con, "stg_corrections") else [],
        files=files,
        checksums=checksums,
    )
