"""Shared fixtures: the real package, copies of it to break, and the validator."""

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
