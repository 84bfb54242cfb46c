"""The command line as documented: README's command list is generated from the parser
(`python -m pipeline commands --write`), so a new option or command cannot go undocumented."""

from __future__ import annotations

from pipeline import paths
from pipeline.cli import (
    README_END,
    README_START,
    SETTINGS_END,
    SETTINGS_START,
    command_list,
    readme_block,
    settings_block,
)


def test_readme_lists_every_command_as_the_parser_defines_it():
    readme = paths.ROOT.joinpath("README.md").read_text(encoding="utf-8")
    start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
    assert readme[start:end] == readme_block(), "run `.venv/bin/python -m pipeline commands --write`"
    for command in ("validate", "build", "serve", "source add", "ingest", "release", "demo", "passages",
                    "datasette-metadata"):
        assert f".venv/bin/python -m pipeline {command} " in command_list() + " ", command


def test_readme_lists_every_setting_the_code_reads():
    # Guards against an environment variable read somewhere without being declared (and so
    # without being documented): every os.environ read of the product goes through config.get,
    # except the few that are not settings (the child's environment, SOURCE_DATE_EPOCH).
    readme = paths.ROOT.joinpath("README.md").read_text(encoding="utf-8")
    start, end = readme.index(SETTINGS_START), readme.index(SETTINGS_END) + len(SETTINGS_END)
    assert readme[start:end] == settings_block(), "run `.venv/bin/python -m pipeline commands --write`"
    import re

    reads = {}
    for path in (paths.ROOT / "pipeline").rglob("*.py"):
        for name in re.findall(r"os\.environ(?:\.get)?[\[(]\s*[\"']([A-Z_]+)", path.read_text(encoding="utf-8")):
            reads.setdefault(name, set()).add(path.relative_to(paths.ROOT).as_posix())
    assert set(reads) <= {"SOURCE_DATE_EPOCH", "NO_MKDOCS_2_WARNING"}, reads


def test_every_command_takes_the_package_and_the_date_one_way():
    from pipeline.cli import make_parser, resolve_package

    parser = make_parser()
    for argv in (["validate", "datasets"], ["validate", "--package", "datasets"], ["build", "--package", "datasets/"],
                 ["ingest", "x.csv", "--into", "penalties", "--package", "datasets"]):
        args = parser.parse_args(argv)
        resolve_package(parser, args)
        assert args.package == paths.PACKAGE.relative_to(paths.ROOT) or args.package.resolve() == paths.PACKAGE, argv
    args = parser.parse_args(["validate", "--date", "2026-11-28"])
    assert str(args.date) == "2026-11-28"
    import pytest

    for bad in ("20261128", "2026-W48-6", "2026-02-30"):
        with pytest.raises(SystemExit):
            parser.parse_args(["build", "--date", bad])
