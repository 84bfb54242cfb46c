"""python -m pipeline demo: the same site and data built from the fictional fixtures.

The demo package is a copy of datasets/ whose empty penalty and blacklist tables are
filled from demo/ (the fictional fixtures), and into which the maintainer's flow for new
documents is run as a maintainer runs it: `source add` registers fictional statistical
bulletins for 2016-2020, a fictional yearbook revising a 2020 figure and a fictional
successor plan; `ingest --into observations` and `ingest --into targets` bring in their
figures and targets.  Every fictional document says 示例（虚构） in its title and text.
It is built into build-demo/ (never build/), with a banner on every page saying so.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import paths
from pipeline.errors import PipelineError

FICTIONAL = paths.DEMO
FIGURES = FICTIONAL / "figures"
#: The fictional documents, in the order a maintainer would have received them:
#: (file, source id, title, kind, date).  The issuer is fictional too.
DEMO_SOURCES = [
    (f"bulletin-{y}.txt", f"demo-bulletin-{y}", f"示例（虚构）南昌市{y}年安全生产统计公报", "statistical_bulletin",
     f"{y + 1}-03-20") for y in range(2016, 2021)
] + [
    ("yearbook-2021.txt", "demo-yearbook-2021", "示例（虚构）南昌统计年鉴2021（安全生产部分）", "other", "2021-10-15"),
    ("plan-14th.txt", "demo-plan-14th", "示例（虚构）南昌市安全生产“十四五”规划", "plan", "2021-12-30"),
]
DEMO_ISSUER = "示例（虚构）南昌市统计局"
DEMO_OUT = paths.ROOT / "build-demo"
DEMO_TABLES = ("penalties", "blacklist")


def make_demo_package(dest: Path) -> Path:
    """Copy datasets/ to dest with the fictional rows in; returns its datapackage.json."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(paths.DATASETS, dest)
    for name in DEMO_TABLES:
        shutil.copyfile(FICTIONAL / f"{name}.csv", dest / "data" / f"{name}.csv")
    add_fictional_documents(dest)
    return dest / "datapackage.json"


def add_fictional_documents(package: Path) -> None:
    """Register the fictional documents and ingest their figures as a maintainer would, into
    `package`: through the functions `python -m pipeline source add` and `ingest` run with their
    parsed arguments (sources_add.main, ingest.main), so the demo prints what they print.
    The sheets are copied beside the package first: ingest writes its report next to its input."""
    from argparse import Namespace

    from pipeline.ingest import main as ingest
    from pipeline.sources_add import main as source_add

    descriptor = str(package / "datapackage.json")  # what the commands' PACKAGE argument becomes
    inputs = package.parent / (package.name + "-inputs")
    if inputs.exists():
        shutil.rmtree(inputs)
    inputs.mkdir(parents=True)
    for file, source_id, title, kind, date in DEMO_SOURCES:
        issuer = "示例（虚构）南昌市" if kind == "plan" else DEMO_ISSUER
        code = source_add(Namespace(file=str(FIGURES / file), id=source_id, title=title, kind=kind, issuer=issuer,
                                    date=date, url=None, retrieved=None, package=descriptor))
        if code:
            raise PipelineError(f"demo: source add {file} failed ({code})")
    for sheet, into in (("observations.csv", "observations"), ("targets.csv", "targets")):
        shutil.copyfile(FIGURES / sheet, inputs / sheet)
        code = ingest(Namespace(file=str(inputs / sheet), into=into, package=descriptor, date=None, dry_run=False,
                                sheet=None))
        if code:
            raise PipelineError(f"demo: ingest {sheet} --into {into} failed ({code}); see the report beside "
                               f"{inputs / sheet}")


def run_demo(out: Path = DEMO_OUT, with_site: bool = True, on_date=None) -> int:
    from pipeline.build import build

    package = make_demo_package(out.parent / ".demo-package")
    return build(package, out, on_date=on_date, with_site=with_site, demo=True)
