"""python -m pipeline demo: the same site and data built from the fictional fixtures.

The demo package is a copy of datasets/ whose empty penalty and blacklist tables are
filled from tests/fixtures/fictional/.  It is built into build-demo/ (never build/),
with a banner on every page saying the records are fictional.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import paths

FICTIONAL = paths.ROOT / "tests" / "fixtures" / "fictional"
DEMO_OUT = paths.ROOT / "build-demo"
DEMO_TABLES = ("penalties", "blacklist")


def make_demo_package(dest: Path) -> Path:
    """Copy datasets/ to dest with the fictional rows in; returns its datapackage.json."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(paths.DATASETS, dest)
    for name in DEMO_TABLES:
        shutil.copyfile(FICTIONAL / f"{name}.csv", dest / "data" / f"{name}.csv")
    return dest / "datapackage.json"


def run_demo(out: Path = DEMO_OUT, with_site: bool = True, on_date=None) -> int:
    from pipeline.build import build

    package = make_demo_package(out.parent / ".demo-package")
    return build(package, out, on_date=on_date, with_site=with_site, demo=True)
