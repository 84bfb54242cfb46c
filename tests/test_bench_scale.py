"""The scale package of `make bench --only scale` (bench/scale.py, issue 15): the
generator only, no build.  Its rows must be on display when the bench says they are, a few
must not be, and the package must pass validation."""

from __future__ import annotations

import csv
import datetime as dt

from bench import scale as bench_scale
from tests.conftest import validate
from tests.fictional import add_years

DAY = bench_scale.BUILD_DATE


def test_penalties_on_display_within_their_window():
    rows = list(bench_scale.scale_penalties(3000, past=6, seed=7, on_date=DAY))
    shown, past = rows[:3000], rows[3000:]
    assert all(bench_scale.penalty_on_display(r, DAY) for r in shown)
    assert not any(bench_scale.penalty_on_display(r, DAY) for r in past)
    for r in shown:
        decided = dt.date.fromisoformat(r["decision_date"])
        assert add_years(DAY, -3) < decided <= DAY  # decided within the last 3 years
        assert r["publicity_until"] == "" or r["publicity_until"] > DAY.isoformat()
        assert f"〔{decided.year}〕" in r["decision_number"]  # the number's year follows the decision
        if r["publicity_until"]:
            assert r["publicity_until"] <= add_years(decided, 3).isoformat()
        if r["retrieved_date"]:
            assert r["decision_date"] <= r["retrieved_date"] <= DAY.isoformat()
    without = sum(not r["publicity_until"] for r in shown)
    assert 0.05 * len(shown) < without < 0.2 * len(shown)
    years = {r["decision_date"][:4] for r in shown}
    assert len(years) >= 3  # spread over the display window, not one day
    assert {r["publicity_until"] == "" for r in past} == {True, False}
    assert len({r["decision_number"] for r in rows}) == len(rows)


def test_generation_is_reproducible():
    first = list(bench_scale.scale_penalties(200, past=2))
    assert first == list(bench_scale.scale_penalties(200, past=2))


def test_scale_package_validates_and_says_what_is_on_display(tmp_path):
    manifest = bench_scale.make_scale_package(tmp_path / "package")
    report = validate(tmp_path / "package" / "datapackage.json", on_date=DAY)
    assert report.ok, report.counts()
    pen, bl = manifest["penalties"], manifest["blacklist"]
    assert pen["on_display"] == bench_scale.PENALTIES
    assert len(pen["past_display"]) == bench_scale.PAST_PENALTIES
    assert pen["on_display_without_publicity_until"] > 0
    assert bl["rows"] == bench_scale.BLACKLIST
    assert 0.2 <= bl["on_display"] / bl["rows"] <= 0.25  # the issue: 456 of 2,000
    with open(tmp_path / "package" / "data" / "penalties.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    numbers = {r["decision_number"] for r in rows}
    assert {p["decision_number"] for p in pen["past_display"]} <= numbers
    added = manifest["added_penalty"]
    assert added["decision_number"] not in numbers
    assert added["uscc"] in {r["uscc"] for r in rows}  # an enterprise already present
    assert bench_scale.penalty_on_display(added, DAY)
