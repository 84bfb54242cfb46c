"""Run the SQL models in pipeline/warehouse/sql: macros, then staging views, then marts as tables.

A model is one SELECT in one file, named after the relation it creates.  Marts may
read other marts; the order is worked out from the names each file mentions.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipeline.errors import PipelineError
from pipeline.paths import SQL


class ModelError(PipelineError):
    """A SQL model failed; the message names its file and DuckDB's reason."""


def _models(layer: str) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted((SQL / layer).glob("*.sql"))}


def _ordered(models: dict[str, str]) -> list[str]:
    """Topological order by name references (a mart that reads another runs after it)."""
    deps = {name: {other for other in models if other != name and re.search(rf"\b{other}\b", sql)} for name, sql in models.items()}
    done: list[str] = []
    while len(done) < len(models):
        ready = sorted(n for n in models if n not in done and deps[n] <= set(done))
        if not ready:
            raise ModelError(f"circular model references among {sorted(set(models) - set(done))}")
        done.extend(ready)
    return done


def staging_names() -> list[str]:
    return list(_models("staging"))


def mart_names() -> list[str]:
    return _ordered(_models("marts"))


def run_models(con: duckdb.DuckDBPyConnection, build_date, source_sha256: str, version: str) -> list[str]:
    """Create build_info, the staging views and the mart tables; returns the marts built."""
    con.execute("CREATE OR REPLACE TABLE build_info AS SELECT ?::DATE AS build_date, ? AS source_sha256, ? AS package_version",
                [build_date.isoformat(), source_sha256, version])
    con.execute((SQL / "macros.sql").read_text(encoding="utf-8"))
    for name, sql in _models("staging").items():
        _run(con, name, f"CREATE OR REPLACE VIEW {name} AS {sql}")
    marts = _models("marts")
    order = _ordered(marts)
    for name in order:
        _run(con, name, f"CREATE OR REPLACE TABLE {name} AS {marts[name]}")
    return order


def _run(con: duckdb.DuckDBPyConnection, name: str, sql: str) -> None:
    try:
        con.execute(sql)
    except duckdb.Error as e:
        where = model_path(name).relative_to(SQL.parents[2])
        raise ModelError(f"{where}: {type(e).__name__}: {e}") from None


def model_path(name: str) -> Path:
    for layer in ("staging", "marts"):
        p = SQL / layer / f"{name}.sql"
        if p.exists():
            return p
    raise KeyError(name)
