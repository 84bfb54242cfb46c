"""The table registry (pipeline/registry.yml): one declaration of the public tables that
validation, exports, Datasette, releases and the site all read (issue 17)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline import paths, registry
from pipeline.registry import TABLES, RegistryError
from tests.conftest import codes, validate


def descriptor() -> dict:
    return json.loads(paths.PACKAGE.read_text(encoding="utf-8"))


def test_the_registry_and_the_package_agree():
    assert registry.problems(descriptor()) == []


def test_every_mart_schema_is_a_registered_mart():
    # a mart .yml without an entry would describe a table no export writes
    marts = {p.stem for p in (paths.SQL / "marts").glob("*.yml")}
    assert marts == {n for n, t in TABLES.items() if t.schema == "mart"}


def test_a_resource_missing_from_the_registry_fails_validation_by_name(package_copy):
    # Guards against a new resource being validated and then silently left out of every export.
    desc = json.loads(package_copy.read_text(encoding="utf-8"))
    extra = json.loads(json.dumps(next(r for r in desc["resources"] if r["name"] == "plans")))
    extra["name"] = "inspections"
    desc["resources"].append(extra)
    package_copy.write_text(json.dumps(desc, ensure_ascii=False, indent=2), encoding="utf-8")
    plans = package_copy.parent / "data" / "plans.csv"
    plans.write_text(plans.read_text(encoding="utf-8").replace(",2011,2015,", ",2011,二〇一五,", 1), encoding="utf-8")
    report = validate(package_copy)
    assert not report.ok
    assert ("registry-mismatch", "inspections", None, None) in codes(report)
    # the tables are still checked: a registry mismatch is not a broken descriptor
    assert ("type-error", "plans", 2, "end_year") in codes(report)
    error = next(e for e in report.errors if e.code == "registry-mismatch")
    assert "pipeline/registry.yml" in error.message_zh and "inspections" in error.message_en

    run = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(package_copy), "--date", "2026-11-28"],
                         capture_output=True, text=True, cwd=paths.ROOT)
    assert run.returncode != 0
    assert "inspections" in run.stdout + run.stderr


def test_a_column_the_schema_lacks_is_named():
    desc = descriptor()
    penalties = next(r for r in desc["resources"] if r["name"] == "penalties")
    penalties["schema"]["fields"] = [f for f in penalties["schema"]["fields"] if f["name"] != "decision_date"]
    found = registry.problems(desc)
    assert ("penalties", found[0][1]) in found and "decision_date" in found[0][1]


@pytest.mark.parametrize("old, new, message", [
    ("    facets: [kind]\n", "    facet: [kind]\n", r"registry.yml: tables.sources: unknown keys \['facet'\]"),
    ("fines_wan: wan", "fines_wan: wann", r"tables.penalty_stats.units.fines_wan: no unit named 'wann'"),
    ("    relation: stg_plans\n", "", r"tables.plans: missing keys \['relation'\]"),
], ids=["misspelled key", "unknown unit", "missing key"])
def test_a_mistake_in_the_registry_is_refused_with_its_place(tmp_path, old, new, message):
    bad = tmp_path / "registry.yml"
    bad.write_text(registry.REGISTRY_YML.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        registry._load(bad)


@pytest.mark.parametrize("schema", [None, {"fields": None}, {"fields": "end_year"}], ids=["null", "null fields", "text"])
def test_a_malformed_schema_is_reported_not_a_crash(package_copy, schema):
    # Guards against the registry check reading a schema the descriptor check rejects.
    desc = json.loads(package_copy.read_text(encoding="utf-8"))
    next(r for r in desc["resources"] if r["name"] == "plans")["schema"] = schema
    package_copy.write_text(json.dumps(desc, ensure_ascii=False), encoding="utf-8")
    report = validate(package_copy)
    assert not report.ok and {c for c, *_ in codes(report)} == {"descriptor-invalid"}
