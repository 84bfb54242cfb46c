"""What a build publishes, byte for byte: the sha256 of every file of the real package's build and
of the demo's, on a fixed date with fixed public addresses (issue 17).

tests/fixtures/published/<build>.sha256 hold these checksums as the output stands.  A refactor
must change no published byte: test_published.py rebuilds both and names every file that differs.
A change that is meant to alter the output regenerates them, and the diff of the manifests shows
what it altered:

    .venv/bin/python -m tests.published --update
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFESTS = HERE / "fixtures" / "published"
BUILD_DATE = dt.date(2026, 11, 28)
ADDRESSES = {"SITE_URL": "https://safety.example.org/", "DATASETTE_URL": "https://query.example.org/"}
# What a deployment serves or hands out: the downloads, the site, Datasette's metadata.
PUBLISHED = ("data", "site", "datasette")


def checksums(generation: Path) -> dict[str, str]:
    """{path relative to the generation: sha256} of every published file."""
    out = {}
    for part in PUBLISHED:
        for p in sorted((generation / part).rglob("*")):
            if p.is_file():
                out[p.relative_to(generation).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def build_both(work: Path) -> dict[str, dict[str, str]]:
    """Build the real package and the demo into `work`; their checksums by build name."""
    from pipeline import paths
    from pipeline.build import build
    from pipeline.demo import run_demo

    saved = {k: os.environ.get(k) for k in ADDRESSES}
    os.environ.update(ADDRESSES)
    try:
        if build(paths.PACKAGE, work / "real", on_date=BUILD_DATE, force=True) != 0:
            raise RuntimeError("the real package did not build")
        if run_demo(out=work / "demo", on_date=BUILD_DATE) != 0:
            raise RuntimeError("the demo did not build")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return {name: checksums((work / name / "current").resolve()) for name in ("real", "demo")}


def read_manifest(name: str) -> dict[str, str]:
    lines = (MANIFESTS / f"{name}.sha256").read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines if line)}


def write_manifest(name: str, sums: dict[str, str]) -> Path:
    MANIFESTS.mkdir(parents=True, exist_ok=True)
    path = MANIFESTS / f"{name}.sha256"
    path.write_text("".join(f"{digest}  {p}\n" for p, digest in sorted(sums.items())), encoding="utf-8")
    return path


def differences(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    return ([f"changed: {p}" for p in sorted(expected.keys() & actual.keys()) if expected[p] != actual[p]]
            + [f"gone: {p}" for p in sorted(expected.keys() - actual.keys())]
            + [f"new: {p}" for p in sorted(actual.keys() - expected.keys())])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.published", description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the manifests from a fresh build")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="published-") as work:
        built = build_both(Path(work))
    status = 0
    for name, sums in built.items():
        if args.update:
            print(f"{write_manifest(name, sums)}: {len(sums)} files")
            continue
        diff = differences(read_manifest(name), sums)
        print(f"{name}: {len(sums)} files, {len(diff)} differ", *diff[:50], sep="\n  ")
        status = status or bool(diff)
    return status


if __name__ == "__main__":
    sys.exit(main())
