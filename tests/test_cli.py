"""The command line as documented: README's command list is generated from the parser
(`python -m pipeline commands --write`), so a new option or command cannot go undocumented."""

from __future__ import annotations

from pipeline import paths
from pipeline.cli import README_END, README_START, command_list, readme_block


def test_readme_lists_every_command_as_the_parser_defines_it():
    readme = paths.ROOT.joinpath("README.md").read_text(encoding="utf-8")
    start, end = readme.index(README_START), readme.index(README_END) + len(README_END)
    assert readme[start:end] == readme_block(), "run `.venv/bin/python -m pipeline commands --write`"
    for command in ("validate", "build", "serve", "source add", "ingest", "release", "demo", "passages",
                    "datasette-metadata"):
        assert f".venv/bin/python -m pipeline {command} " in command_list() + " ", command
