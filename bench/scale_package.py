"""The scale package of `make bench --only scale` (issue 15): a copy of datasets/ with 20,000
fictional penalties on display on the build date, a few past their display period, and 2,000
fictional 黑名单 rows, from tests/fictional.py with a fixed seed; generated under
build/bench/scale/package/ (never committed) and reused while its inputs are unchanged.

Date shift: the generator dates decisions 2016-2020.  Every penalty moves by whole years into
the window in which it is on display on the build date: the last year for a 1-year 公示期, the
last 3 years for a 3-year one or for a row without publicity_until (then the mart keeps it 3
years after its decision); the year in its decision and licence numbers follows.  The blacklist
generator already dates listings relative to the build date (tests/fictional.AS_OF); seed 7
gives the issue's 456 of 2,000 on display.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import re
import shutil
import sys
from pathlib import Path

from pipeline import paths

if str(paths.ROOT) not in sys.path:  # tests/fictional.py
    sys.path.insert(0, str(paths.ROOT))

BENCH = paths.BUILD / "bench"
FOLDER = BENCH / "scale"
PACKAGE_DIR = FOLDER / "package"
STAMP = FOLDER / "package.sha256"
MANIFEST = FOLDER / "expected.json"

BUILD_DATE = dt.date(2026, 11, 28)
SEED = 7  # the figures (456 of 2,000 黑名单 rows on display) come from seed 7
PENALTIES = 20_000  # on display on BUILD_DATE
PAST_PENALTIES = 10  # and these, whose display period has passed
BLACKLIST = 2_000
NO_PUBLICITY = 0.1  # share of penalties without publicity_until
GENERATOR = 1  # bump when the generation below changes, so an old package is not reused


# ---------------------------------------------------------------------------
# The scale package (pure functions: tests/test_bench_scale.py checks them)
# ---------------------------------------------------------------------------


def _latest_anniversary(day: dt.date, on_date: dt.date) -> int:
    """How many whole years to add to `day` to land on the last anniversary on or before on_date."""
    return on_date.year - day.year - ((day.month, day.day) > (on_date.month, on_date.day))


def _year_tag(text: str, year: int) -> str:
    """洪应急罚〔2019〕示例00012号 -> 洪应急罚〔2025〕示例00012号 (the year of the shifted decision)."""
    return re.sub(r"〔\d{4}〕", f"〔{year}〕", text, count=1) if text else text


def _moved(row: dict, decided: dt.date, publicity_years: int | None, on_date: dt.date) -> dict:
    """The row with its decision on `decided` and every other date moved with it."""
    from tests.fictional import add_years

    old = dt.date.fromisoformat(row["decision_date"])

    def along(value: str, cap: bool = False) -> str:
        if not value:
            return value
        day = decided + (dt.date.fromisoformat(value) - old)
        return min(day, on_date).isoformat() if cap else day.isoformat()

    return {**row,
            "decision_number": _year_tag(row["decision_number"], decided.year),
            "licence_affected": _year_tag(row["licence_affected"], decided.year),
            "decision_date": decided.isoformat(),
            "valid_until": along(row["valid_until"]),
            "publicity_until": add_years(decided, publicity_years).isoformat() if publicity_years else "",
            "retrieved_date": along(row["retrieved_date"], cap=True)}


def scale_penalties(n: int = PENALTIES, past: int = PAST_PENALTIES, seed: int = SEED, on_date: dt.date = BUILD_DATE):
    """Yield n penalties on display on on_date, then `past` whose display period has passed.

    On display: each decision moves by whole years into the window that keeps it public on
    on_date (within the last year for a 1-year 公示期, the last 3 for a 3-year one or for a row
    with publicity_until empty, NO_PUBLICITY of them), the year chosen at random within it.
    Past: the last `past` rows, moved a year beyond that window, every other one without
    publicity_until (the mart's 3 years after the decision applies)."""
    from tests.fictional import add_years, penalty_rows

    rng = random.Random(seed + 1)  # the shift's own stream: penalty_rows(seed) is untouched
    for i, row in enumerate(penalty_rows(n + past, seed=seed)):
        old = dt.date.fromisoformat(row["decision_date"])
        years = dt.date.fromisoformat(row["publicity_until"]).year - old.year  # the template's 1 or 3
        latest = _latest_anniversary(old, on_date)
        if i < n:
            empty = rng.random() < NO_PUBLICITY
            window = 3 if empty else years
            yield _moved(row, add_years(old, latest - rng.randrange(window)), None if empty else years, on_date)
        else:
            empty = (i - n) % 2 == 1
            window = 3 if empty else years
            yield _moved(row, add_years(old, latest - window - 1), None if empty else years, on_date)


def penalty_on_display(row: dict, on_date: dt.date) -> bool:
    """pipeline/warehouse/sql/marts/penalties_public.sql, for one CSV row."""
    from tests.fictional import add_years

    decided = dt.date.fromisoformat(row["decision_date"])
    until = dt.date.fromisoformat(row["publicity_until"]) if row["publicity_until"] else add_years(decided, 3)
    return decided <= on_date <= until


def blacklist_on_display(row: dict, on_date: dt.date) -> bool:
    """pipeline/warehouse/sql/marts/blacklist_public.sql, for one CSV row."""
    day = on_date.isoformat()
    return row["listing_date"] <= day <= row["display_until"] and (not row["removal_date"] or row["removal_date"] > day)


def added_penalty(rows_seen: dict, n_total: int, on_date: dt.date = BUILD_DATE) -> dict:
    """One new penalty (a fine, decided 3 days before on_date) for the party of `rows_seen`,
    an existing row of an enterprise: the row step 4 appends."""
    from tests.fictional import add_years

    decided = on_date - dt.timedelta(days=3)
    width = max(4, len(str(n_total)))
    number = f"洪应急罚〔{decided.year}〕示例{n_total + 1:0{width}d}号"
    return {**rows_seen, "decision_number": number, "decision_date": decided.isoformat(), "valid_until": "",
            "publicity_until": add_years(decided, 1).isoformat(), "licence_affected": "", "remarks": "",
            "source_url": "", "retrieved_date": "", "registration_no": "", "org_code": ""}


def make_scale_package(dest: Path, penalties: int = PENALTIES, past: int = PAST_PENALTIES,
                       blacklist: int = BLACKLIST, seed: int = SEED, on_date: dt.date = BUILD_DATE) -> dict:
    """Copy datasets/ to dest with the fictional penalties and 黑名单 rows in; return the manifest
    (what is on display on on_date, the past penalties, the row step 4 adds)."""
    from tests.fictional import (
        AS_OF,
        BLACKLIST_FIELDS,
        PENALTY_FIELDS,
        blacklist_rows,
        write_csv,
    )

    if on_date != AS_OF:
        # blacklist_rows dates its listings relative to AS_OF; another date would need a shift
        raise ValueError(f"the blacklist generator is dated for {AS_OF}, not {on_date}")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(paths.DATASETS, dest)
    data = dest / "data"
    stats = {"on_display": 0, "without_publicity_until": 0, "past": [], "oldest_on_display": None}
    enterprise_row: dict = {}

    def counted(stream):
        for row in stream:
            if penalty_on_display(row, on_date):
                stats["on_display"] += 1
                stats["without_publicity_until"] += not row["publicity_until"]
                day = row["decision_date"]
                stats["oldest_on_display"] = min(stats["oldest_on_display"] or day, day)
                if not enterprise_row and row["party_category"] == "法人及非法人组织" and row["uscc"] \
                        and row["penalty_category"] == "罚款":
                    enterprise_row.update(row)
            else:
                stats["past"].append({k: row[k] for k in ("decision_number", "party_name", "uscc", "decision_date",
                                                          "publicity_until")})
            yield row

    n_rows = write_csv(data / "penalties.csv", counted(scale_penalties(penalties, past, seed, on_date)), PENALTY_FIELDS)
    listed = list(blacklist_rows(blacklist, seed=seed))
    write_csv(data / "blacklist.csv", listed, BLACKLIST_FIELDS)
    shown = [r for r in listed if blacklist_on_display(r, on_date)]
    return {
        "build_date": on_date.isoformat(),
        "seed": seed,
        "penalties": {"rows": n_rows, "on_display": stats["on_display"],
                      "on_display_without_publicity_until": stats["without_publicity_until"],
                      "oldest_decision_on_display": stats["oldest_on_display"], "past_display": stats["past"]},
        "blacklist": {"rows": len(listed), "on_display": len(shown),
                      "enterprises_on_display": len({r["uscc"] for r in shown}),
                      "not_on_display_listing_numbers": sorted(
                          r["listing_decision_number"] for r in listed
                          if r["listing_decision_number"] and not blacklist_on_display(r, on_date))},
        "added_penalty": added_penalty(enterprise_row, n_rows, on_date),
    }


def _tree_sha256(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        h.update(p.relative_to(folder).as_posix().encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _inputs_key() -> str:
    """What the scale package is made from: the generator's parameters and code, and datasets/."""
    h = hashlib.sha256(json.dumps([GENERATOR, PENALTIES, PAST_PENALTIES, BLACKLIST, SEED, NO_PUBLICITY,
                                   BUILD_DATE.isoformat()]).encode())
    h.update((paths.ROOT / "tests" / "fictional.py").read_bytes())
    h.update(_tree_sha256(paths.DATASETS).encode())
    return h.hexdigest()


def scale_package() -> tuple[Path, dict, bool]:
    """(datapackage.json, manifest, reused?): reuse build/bench/scale/package when it was made
    from the same inputs and is unchanged since (a rebuild's added row would show)."""
    key = _inputs_key()
    if STAMP.exists() and MANIFEST.exists() and PACKAGE_DIR.is_dir():
        stamp = json.loads(STAMP.read_text())
        if stamp.get("inputs") == key and stamp.get("package") == _tree_sha256(PACKAGE_DIR):
            return PACKAGE_DIR / "datapackage.json", json.loads(MANIFEST.read_text(encoding="utf-8")), True
    FOLDER.mkdir(parents=True, exist_ok=True)
    STAMP.unlink(missing_ok=True)
    manifest = make_scale_package(PACKAGE_DIR)
    MANIFEST.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    STAMP.write_text(json.dumps({"inputs": key, "package": _tree_sha256(PACKAGE_DIR)}))
    return PACKAGE_DIR / "datapackage.json", manifest, False
