"""Shared fixtures: the real package, copies of it to break, the validator, the session's
builds (production, its rebuild, without addresses, demo), their site served with the product's
own handler, and one Debian chromium."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.validate import validate_package

FIXTURES = Path(__file__).parent / "fixtures"
FICTIONAL = paths.DEMO  # the fictional fixtures, which are also the demo's input
BUILD_DATE = dt.date(2026, 11, 28)  # fixed so date rules and the blacklist boundary are reproducible
SITE_URL = "https://safety.example.org/"        # where the production site says it lives
DATASETTE_URL = "https://data.example.org/"     # where it says Datasette answers


@pytest.fixture
def package_copy(tmp_path) -> Path:
    """A writable copy of datasets/; returns the path of its datapackage.json."""
    dest = tmp_path / "datasets"
    shutil.copytree(paths.DATASETS, dest)
    return dest / "datapackage.json"


def validate(package: Path, on_date: dt.date = BUILD_DATE):
    report, con = validate_package(package, on_date=on_date)
    con.close()
    return report


@pytest.fixture(scope="session")
def chromium_session():
    """One Debian chromium for every browser test of the session."""
    from tests.browser import chromium_available, launch_chromium

    if not chromium_available():
        pytest.fail("Debian chromium (/usr/bin/chromium) or playwright missing")
    with launch_chromium() as b:
        yield b


def codes(report) -> list[tuple]:
    """(code, resource, row, field) of every finding, for whole-list assertions."""
    return [(e.code, e.resource, e.row, e.field) for e in report.errors]


@pytest.fixture
def fictional_package(package_copy) -> Path:
    """A copy of datasets/ whose penalties and 黑名单 are the (valid) fictional fixtures."""
    for name in ("penalties", "blacklist"):
        shutil.copyfile(FICTIONAL / f"{name}.csv", package_copy.parent / "data" / f"{name}.csv")
    return package_copy


# --------------------------------------------------------------------------
# Builds
# --------------------------------------------------------------------------

def _build(out: Path, demo: bool = False, urls: bool = True) -> Path:
    from pipeline.build import build
    from pipeline.demo import run_demo

    with pytest.MonkeyPatch.context() as mp:
        if urls:
            mp.setenv("SITE_URL", SITE_URL)
            mp.setenv("DATASETTE_URL", DATASETTE_URL)
        else:
            mp.delenv("SITE_URL", raising=False)
            mp.delenv("DATASETTE_URL", raising=False)
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        if demo:
            rc = run_demo(out, on_date=BUILD_DATE)
        else:
            rc = build(package=paths.PACKAGE, out=out, on_date=BUILD_DATE)
    assert rc == 0
    return (out / "current").resolve()


@pytest.fixture(scope="session")
def prod(tmp_path_factory) -> Path:
    """The production build's generation directory (site/, site-src/, data/, warehouse)."""
    return _build(tmp_path_factory.mktemp("prod") / "build")


@pytest.fixture(scope="session")
def prod_again(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("prod-again") / "build")


@pytest.fixture(scope="session")
def prod_without_urls(tmp_path_factory) -> Path:
    """A production build whose SITE_URL and DATASETTE_URL are not set."""
    return _build(tmp_path_factory.mktemp("prod-no-urls") / "build", urls=False)


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("demo") / "build-demo", demo=True)


@pytest.fixture(scope="session")
def site(prod) -> Path:
    return prod / "site"


@pytest.fixture(scope="session")
def served(site):
    from tests.browser import serve_directory

    with serve_directory(site) as base:
        yield base


@pytest.fixture(scope="session")
def demo_db(demo) -> Path:
    """The demo's safety.db (what Datasette serves)."""
    return demo / "data" / "safety.db"
