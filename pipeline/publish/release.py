"""python -m pipeline release VERSION: a dated, versioned, checksummed release.

The record of what was published is part of the project, so it lives beside the package
and is committed (a fresh clone enforces corrections exactly as the machine that released):

    datasets/releases/
      index.json                 every release, oldest first (the last one is "previous")
      VERSION/
        manifest.json            version, date, git commit, every published file with bytes and sha256
        package/                 the curated package the release was built from
        diff.json                row-level differences from the previous release, by table
        CHANGES.md               the same for people

The exports themselves (build/releases/VERSION/data/) are kept on the machine that
released, not in git: the manifest's checksums identify them, and the package and the
commit rebuild them.  Git stores a file copied unchanged into package/ only once.

Releases are immutable: a version is written once.  Any value that differs from the
previous release must come with a record in the corrections log, or the build fails.
For tables about enterprises and people (penalties, blacklist) the diff gives counts
only: a listing that has come down must not live on in a changelog.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline import paths
from pipeline.build import build
from pipeline.config import build_date
from pipeline.files import sha256_file
from pipeline.publish.history import (
    HASHED,
    HistoryMissing,
    diff_packages,
    hash_cell,
    index,
    new_corrections,
    previous_package,
    release_row,
    releases_dir,
)
from pipeline.registry import HASHED_IN_HISTORY


def _write_hashed(src: Path, dest: Path) -> None:
    import csv

    with open(src, newline="", encoding="utf-8") as f, open(dest, "w", newline="", encoding="utf-8") as g:
        reader = csv.reader(f)
        w = csv.writer(g, lineterminator="\n")
        w.writerow(next(reader))
        for row in reader:
            w.writerow([hash_cell(v) for v in row])


def _git_commit() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=paths.ROOT, capture_output=True, text=True, check=True).stdout.strip()
        # the release record being written (datasets/releases) is not a change to what is released
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "datasets", ":(exclude)datasets/releases",
                                     "pipeline", "site", "theme", "mkdocs.yml"],
                                    cwd=paths.ROOT, capture_output=True, text=True).stdout.strip())
        return {"git_commit": commit, "git_dirty": dirty}
    except (OSError, subprocess.CalledProcessError):
        return {"git_commit": None, "git_dirty": None}


def release(version: str, package: Path = paths.PACKAGE, out: Path = paths.BUILD, on_date: dt.date | None = None,
            with_site: bool = True) -> int:
    package = Path(package).resolve()
    out = Path(out).resolve()
    on_date = on_date or build_date()
    descriptor = json.loads(package.read_text(encoding="utf-8"))
    if descriptor.get("version") != version:
        print(f"✗ 版本号不一致：datapackage.json 写的是 {descriptor.get('version')!r}，要发布的是 {version!r}；请先修改 datapackage.json 的 version。\n"
              f"  Version mismatch: datapackage.json says {descriptor.get('version')!r}, the release is {version!r}; set the package's version first.",
              file=sys.stderr)
        return 2
    history = releases_dir(package.parent)
    target = history / version
    if target.exists():
        print(f"✗ 版本 {version} 已发布，发布不可改写；请用新版本号。/ Release {version} exists; releases are immutable.", file=sys.stderr)
        return 2
    try:
        previous = previous_package(package.parent)
    except HistoryMissing as e:
        print(f"✗ {e}", file=sys.stderr)
        return 1
    diff = diff_packages(previous, package.parent)
    corrections = new_corrections(package.parent, previous)
    row = release_row(version, on_date, diff, corrections)
    rc = build(package, out, on_date=on_date, force=True, release=row, with_site=with_site)
    if rc:
        return rc
    # The exports as published, kept on this machine (build/releases/VERSION/data).
    archive = out / "releases" / version / "data"
    shutil.rmtree(archive, ignore_errors=True)
    shutil.copytree(out / "data", archive)
    staging = history / f".tmp-{version}"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "package").mkdir(parents=True)
    copy = json.loads(json.dumps(descriptor))
    for res in copy["resources"]:  # (the history itself is not a resource: never copied into itself)
        dest = staging / "package" / res["path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        if res["name"] in HASHED_IN_HISTORY:
            _write_hashed(package.parent / res["path"], dest)
            res[HASHED] = True
        else:
            shutil.copyfile(package.parent / res["path"], dest)
    (staging / "package" / "datapackage.json").write_text(json.dumps(copy, ensure_ascii=False, indent=2) + "\n",
                                                          encoding="utf-8")
    import csv

    with open(package.parent / "data" / "sources.csv", newline="", encoding="utf-8") as f:
        for s in csv.DictReader(f):  # the texts every quote is checked against
            dest = staging / "package" / s["path"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(package.parent / s["path"], dest)
    (staging / "diff.json").write_text(json.dumps(diff, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (staging / "CHANGES.md").write_text(f"# {version}（{on_date.isoformat()}）\n\n{row['summary_zh']}\n", encoding="utf-8")
    files = [(f"data/{p.relative_to(archive)}", p) for p in sorted(archive.rglob("*")) if p.is_file()]
    files += [(str(p.relative_to(staging)), p) for p in sorted(staging.rglob("*")) if p.is_file()]
    manifest = {"version": version, "release_date": on_date.isoformat(), "previous_version": diff["previous_version"],
                **_git_commit(),
                "files": [{"path": rel, "bytes": p.stat().st_size, "sha256": sha256_file(p)} for rel, p in sorted(files)]}
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(staging, target)
    entries = index(package.parent) + [{"version": version, "release_date": on_date.isoformat(), "row": row}]
    tmp = history / "index.json.tmp"
    tmp.write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, history / "index.json")
    print(f"✓ 已发布 / released {version} → {target}")
    print(f"  发布记录需要提交 / commit the release record: git add {history} && git commit")
    print(f"  {row['summary_zh']}")
    return 0
