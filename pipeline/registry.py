"""The public tables, declared once (pipeline/registry.yml) and read by every stage.

    from pipeline.registry import TABLES, SEARCH, INDEXED_COLUMNS, schemas

    TABLES["penalties"].relation        -> "penalties_public"
    TABLES["penalties"].sort            -> ("desc", "decision_date")
    schemas(descriptor)["penalties"]    -> {title, title_en, description, schema}

Validation (which tables' every cell is scanned for personal data), the warehouse's exports,
Datasette's metadata, the release history (which tables are kept hashed) and the site (which
columns a page may rely on) all read these facts here, so adding a table or a column is one
edit in registry.yml plus its schema: the resource in datasets/datapackage.json or the mart's
pipeline/warehouse/sql/marts/<name>.yml.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipeline.errors import PipelineError
from pipeline.paths import SQL

REGISTRY_YML = Path(__file__).resolve().parent / "registry.yml"
ORIGINS = {"plan", "agency", "external", "project"}


@dataclass(frozen=True)
class PublicTable:
    name: str                      # published name: CSV file, workbook sheet, SQLite table, Datasette URL
    relation: str                  # the warehouse relation it is exported from
    schema: str                    # "package" or "mart": where its columns are described
    origin: str                    # plan | agency | external | project
    page: str                      # the site page presenting it, relative to the site's address
    sort: tuple[str, str] | None   # ("asc" | "desc", column): Datasette's default order; None: primary key
    facets: tuple[str, ...] = ()
    units: dict[str, tuple[str, str]] = field(default_factory=dict)
    ordinals: frozenset[str] = frozenset()
    search: tuple[str, ...] = ()   # columns of its full-text index; () for none
    scan_every_column: bool = False
    hashed_in_history: bool = False


class RegistryError(PipelineError, ValueError):
    """registry.yml names something that does not exist or is spelled wrongly."""


def _load(path: Path = REGISTRY_YML) -> tuple[dict[str, PublicTable], dict[str, tuple[str, ...]], frozenset[str]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    units = {k: tuple(v) for k, v in raw["units"].items()}
    search = {name: tuple(cols) for name, cols in raw["search"].items()}
    tables: dict[str, PublicTable] = {}
    for name, t in raw["tables"].items():
        where = f"{path.name}: tables.{name}"
        unknown = set(t) - {"relation", "schema", "origin", "page", "sort", "facets", "units", "ordinals", "personal_data"}
        if unknown:
            raise RegistryError(f"{where}: unknown keys {sorted(unknown)}")
        missing = {"relation", "schema", "origin", "page"} - set(t)
        if missing:
            raise RegistryError(f"{where}: missing keys {sorted(missing)}")
        if t["schema"] not in ("package", "mart") or t["origin"] not in ORIGINS:
            raise RegistryError(f"{where}: schema must be package or mart, origin one of {sorted(ORIGINS)}")
        sort = t.get("sort")
        if sort is not None and (len(sort) != 2 or sort[0] not in ("asc", "desc")):
            raise RegistryError(f"{where}.sort: [asc|desc, column], not {sort!r}")
        col_units = {}
        for col, u in (t.get("units") or {}).items():
            if isinstance(u, str) and u not in units:
                raise RegistryError(f"{where}.units.{col}: no unit named {u!r} (units: {sorted(units)})")
            col_units[col] = units[u] if isinstance(u, str) else tuple(u)
        personal = t.get("personal_data") or {}
        tables[name] = PublicTable(
            name=name, relation=t["relation"], schema=t["schema"], origin=t["origin"], page=t["page"],
            sort=tuple(sort) if sort else None, facets=tuple(t.get("facets") or ()), units=col_units,
            ordinals=frozenset(t.get("ordinals") or ()), search=search.get(name, ()),
            scan_every_column=bool(personal.get("scan_every_column")),
            hashed_in_history=bool(personal.get("hashed_in_history")))
    if set(search) - set(tables):
        raise RegistryError(f"{path.name}: search names tables that are not declared: {sorted(set(search) - set(tables))}")
    return tables, search, frozenset(raw["indexed_columns"])


#: Every public table, in the order every export lists them.
TABLES, SEARCH, INDEXED_COLUMNS = _load()
#: Package resources whose every cell validation scans for ID and phone numbers.
SCAN_EVERY_COLUMN = frozenset(n for n, t in TABLES.items() if t.scan_every_column)
#: Package resources the release history keeps as hashes (pipeline/publish/history.py).
HASHED_IN_HISTORY = tuple(n for n, t in TABLES.items() if t.hashed_in_history)


def mart_schema(name: str) -> dict:
    return yaml.safe_load((SQL / "marts" / f"{name}.yml").read_text(encoding="utf-8"))


def schemas(descriptor: dict) -> dict[str, dict]:
    """Published name -> {title, title_en, description, schema} for every public table: a package
    table's from its resource in the descriptor, a mart's from its .yml."""
    by_name = {r["name"]: r for r in descriptor["resources"]}
    out = {}
    for name, t in TABLES.items():
        if t.schema == "package":
            r = by_name[name]
            out[name] = {"title": r["title"], "title_en": r.get("title_en"), "description": r["description"],
                         "schema": r["schema"]}
        else:
            m = mart_schema(name)
            fields = [dict(f) for f in m["fields"]]
            out[name] = {"title": m["title"], "title_en": m.get("title_en"), "description": m["description"].strip(),
                         "schema": {"fields": fields, "primaryKey": m.get("primaryKey", []), "missingValues": [""]}}
    return out


def problems(descriptor: dict) -> list[tuple[str, str]]:
    """(table, what is wrong) for every disagreement between the registry and the package: a
    resource no entry publishes (it would silently be left out of every export), an entry whose
    resource is missing, a column the registry names that the table's schema lacks."""
    resources = descriptor.get("resources")
    by_name = {r.get("name"): r for r in resources if isinstance(r, dict)} if isinstance(resources, list) else {}
    out = [(name, f"资源未在 pipeline/registry.yml 登记，不会被发布 / resource {name!r} is not in pipeline/registry.yml "
                  "and would not be published") for name in by_name if name not in TABLES]
    for name, t in TABLES.items():
        if t.schema == "package" and name not in by_name:
            out.append((name, f"pipeline/registry.yml 登记的资源不在数据包中 / pipeline/registry.yml lists {name!r}, "
                              "which the package lacks"))
            continue
        if t.schema == "package":
            schema = by_name[name].get("schema")
            fields = schema.get("fields") if isinstance(schema, dict) else None
            if not isinstance(fields, list):
                continue  # a malformed schema is the descriptor check's to report (descriptor-invalid)
        else:
            fields = mart_schema(name).get("fields", [])
        columns = {f.get("name") for f in fields if isinstance(f, dict)}
        named = {*t.facets, *t.units, *t.ordinals, *t.search, *([t.sort[1]] if t.sort else [])}
        for col in sorted(named - columns):
            out.append((name, f"pipeline/registry.yml 提到的列“{col}”不在表 {name} 中 / pipeline/registry.yml names a "
                              f"column {col!r} that table {name!r} does not have"))
    return out


def columns_by_relation(descriptor: dict) -> dict[str, set[str]]:
    """The columns each exported relation must have: its public table's declared fields."""
    return {TABLES[name].relation: {f["name"] for f in s["schema"]["fields"]} for name, s in schemas(descriptor).items()}
