"""python -m pipeline build: validate, warehouse, exports, site; then publish atomically.

Everything is built in a fresh directory beside build/ and only swapped in at the
end, by replacing one symlink (build/current).  A failed or interrupted run removes
its own directory and leaves build/ exactly as it was; only the validation report
(build/reports/validation.json) is rewritten, so the clerk can read what failed.

build/
  current -> .generations/<id>      the published generation (atomic symlink)
  warehouse.duckdb -> current/warehouse.duckdb
  data -> current/data               exports, datapackage.json, SHA256SUMS, zip
  site -> current/site               the static site
  site-src -> current/site-src       the site's Markdown (MkDocs docs_dir)
  reports/validation.json
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipeline import config, paths
from pipeline.config import build_date as default_build_date
from pipeline.errors import PipelineError
from pipeline.files import sha256_file
from pipeline.publish.history import HistoryMissing, previous_package, releases_table
from pipeline.validate import print_report, validate_package, write_report

LINKS = ("warehouse.duckdb", "data", "site", "site-src", "datasette")
# Files whose content decides the output; a rebuild with none changed is a no-op.
INPUT_GLOBS = ("datasets/**/*", "pipeline/**/*.py", "pipeline/**/*.sql", "pipeline/**/*.yml", "site/**/*", "theme/**/*",
               "mkdocs.yml", "metadata.json", "requirements.lock")


class BuildFailed(PipelineError):
    pass


class StageFailed(PipelineError):
    """A stage after validation failed; the message names the stage and what went wrong."""


def fingerprint(package: Path, on_date: dt.date, with_site: bool, out: Path) -> str:
    h = hashlib.sha256(f"{on_date.isoformat()}|site={with_site}|{package.resolve()}|{config.get('SITE_URL')}|"
                       f"{config.get('DATASETTE_URL')}\n".encode())
    files: set[Path] = set()
    for pattern in INPUT_GLOBS:
        files.update(p for p in paths.ROOT.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    files.update(p for p in package.resolve().parent.rglob("*") if p.is_file())
    for p in sorted(files):
        h.update(str(p).encode() + b"\0" + bytes.fromhex(sha256_file(p)))
    return h.hexdigest()


def build(package: Path = paths.PACKAGE, out: Path = paths.BUILD, on_date: dt.date | None = None,
          with_site: bool = True, force: bool = False, demo: bool = False, release: dict | None = None) -> int:
    """Build and publish; `release` is the releases-table row of a release being made."""
    started = time.perf_counter()
    try:  # a malformed public address stops the build before any work, with the setting's name
        config.site_url(), config.datasette_url()
    except config.BadURL as e:
        print(f"✗ {e}", file=sys.stderr)
        return 2
    package = Path(package).resolve()
    out = Path(out).resolve()
    on_date = on_date or default_build_date()
    stamp = fingerprint(package, on_date, with_site, out) + ("-demo" if demo else "")
    current = out / "current"
    if not force and (current / "inputs.sha256").is_file() and (current / "inputs.sha256").read_text().strip() == stamp:
        print(f"✓ 已是最新，无需重建 / up to date, nothing to do ({time.perf_counter() - started:.2f} s)")
        return 0

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        lock = _lock(out)
        _remove_stale_staging(out)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(out), dir=out.parent))
    except OSError as e:
        print(_cannot_write(e), file=sys.stderr)
        return 1
    try:
        _build_into(staging, package, on_date, with_site, demo, out, release)
        (staging / "inputs.sha256").write_text(stamp + "\n")
        _publish(staging, out)
    except OSError as e:  # disk full, read-only output, …: say where, and keep what was published
        shutil.rmtree(staging, ignore_errors=True)
        print(_cannot_write(e), file=sys.stderr)
        return 1
    except BuildFailed:
        shutil.rmtree(staging, ignore_errors=True)
        return 1
    except StageFailed as e:
        shutil.rmtree(staging, ignore_errors=True)
        print(f"✗ 构建失败，未发布任何内容；上次构建保持不变。/ Build failed, nothing published; the previous build is "
              f"untouched.\n  {e}", file=sys.stderr)
        return 1
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        lock.close()
    print(f"✓ 构建完成 / build complete in {time.perf_counter() - started:.2f} s → {out}")
    return 0


def _cannot_write(e: OSError) -> str:
    where = e.filename or "?"
    return (f"✗ 无法写入 {where}：{e.strerror or e}（磁盘已满或目录只读？）未发布任何内容；上次构建保持不变。\n"
            f"  Cannot write {where}: {e.strerror or e} (disk full or read-only?). Nothing published; the previous "
            "build is untouched.")


def _staging_prefix(out: Path) -> str:
    return f".build-{out.name}-"


def _lock(out: Path):
    """Hold build/.lock for the whole build: one build of an output at a time, so that a
    staging directory left by a killed build can be told from one in use."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    f = open(out / ".lock", "w")  # noqa: SIM115 - held until the build ends
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def _remove_stale_staging(out: Path) -> None:
    """Staging directories of this output left by a build that was killed (kill -9, power
    loss): with the lock held, no running build owns one."""
    for old in out.parent.glob(_staging_prefix(out) + "*"):
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _build_into(staging: Path, package: Path, on_date: dt.date, with_site: bool, demo: bool, out: Path,
                release: dict | None) -> None:
    from pipeline.publish.export import export_all
    from pipeline.warehouse import run_models

    con = duckdb.connect(str(staging / "warehouse.duckdb"))
    con.execute("SET enable_progress_bar = false")
    try:
        try:
            previous = previous_package(package.parent, before=release["version"] if release else None)
        except HistoryMissing as e:
            raise StageFailed(f"releases: {e}") from None
        if previous is None:
            print("  releases: 还没有发布记录，更正检查没有可比较的上一版 / no release yet: nothing to check corrections against")
        report, _ = validate_package(package, con=con, on_date=on_date, previous=previous)
        print_report(report)
        write_report(report, out / "reports")
        if not report.ok:
            print("✗ 校验未通过，未发布任何内容；上次构建保持不变。/ Validation failed: nothing published; the previous build is untouched.",
                  file=sys.stderr)
            raise BuildFailed
        descriptor = json.loads(package.read_text(encoding="utf-8"))
        sources = con.execute("SELECT source_id, sha256 FROM raw.sources ORDER BY rowid").fetchall()
        # one source: its own sha256 (as published before there were several); more: a digest of all
        texts = sources[0][1] if len(sources) == 1 else hashlib.sha256(
            "".join(f"{sid}:{sha}\n" for sid, sha in sorted(sources)).encode()).hexdigest()
        t = time.perf_counter()
        with _stage("warehouse"):
            marts = run_models(con, on_date, texts, descriptor.get("version", ""))
            releases_table(con, package.parent, pending=release)
        print(f"  warehouse: {len(marts)} marts ({', '.join(marts)}) ({time.perf_counter() - t:.1f} s)")
        t = time.perf_counter()
        with _stage("exports"):
            export_all(con, descriptor, package.parent, staging / "data", on_date)
        print(f"  exports: {sum(1 for p in (staging / 'data').rglob('*') if p.is_file())} files "
              f"({time.perf_counter() - t:.1f} s)")
        from pipeline.datasette import write_build_files

        t = time.perf_counter()
        with _stage("datasette"):
            write_build_files(staging / "datasette", staging / "data" / "safety.db", descriptor, demo=demo)
        print(f"  datasette: metadata and inspect file ({time.perf_counter() - t:.1f} s)")
        if with_site:
            from pipeline.publish.feeds import write_release_feed
            from pipeline.site import build_site

            with _stage("site"):
                build_site(con, descriptor, staging, on_date, demo=demo, cache=out / ".cache")
                write_release_feed(con, staging / "site" / "releases.xml")
    finally:
        con.close()


@contextlib.contextmanager
def _stage(name: str) -> Iterator[None]:
    """A typed failure inside a stage (PipelineError: its message says what and where) fails
    the build with the stage's name; anything else is a bug and keeps its traceback."""
    try:
        yield
    except PipelineError as e:
        raise StageFailed(f"{name}: {e}") from None


def _publish(staging: Path, out: Path) -> None:
    generations = out / ".generations"
    generations.mkdir(parents=True, exist_ok=True)
    target = generations / staging.name.lstrip(".")
    # mkdtemp makes the directory 0700: a web server running as another user could not
    # serve it.  Published files are world-readable, as any static site's are.
    os.chmod(staging, 0o755)
    os.replace(staging, target)
    tmp_link = out / "current.new"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(".generations") / target.name)
    previous = (out / "current").resolve() if (out / "current").is_symlink() else None
    os.replace(tmp_link, out / "current")  # the atomic step
    for name in LINKS:
        link = out / name
        if not link.is_symlink():
            if link.is_dir():
                shutil.rmtree(link)
            elif link.exists():
                link.unlink()
            link.symlink_to(Path("current") / name)
    # Keep the previous generation one build longer (a reader may still hold files open).
    for old in generations.iterdir():
        if old != target and (previous is None or old != previous):
            shutil.rmtree(old, ignore_errors=True)
