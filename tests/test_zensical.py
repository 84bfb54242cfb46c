"""The site builds with Zensical, Material for MkDocs' successor (issue 17; Material reaches end
of life on 2027-05-05), from the same mkdocs.yml and the same generated Markdown.  Guards
against a template or page that only MkDocs can render (theme/main.html once called Python's
str.rstrip, which Zensical's template engine does not have) and against a page or link lost
on the way.  What Zensical does not do that the build does is in site/deploy.md."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline import paths
from tests.conftest import BUILD_DATE

SITE_URL = "https://safety.example.org/"


def test_the_site_builds_with_zensical_with_every_page_and_link(tmp_path, monkeypatch):
    from pipeline.build import build

    monkeypatch.setenv("SITE_URL", SITE_URL)
    assert build(paths.PACKAGE, tmp_path / "build", on_date=BUILD_DATE, force=True) == 0
    generation = (tmp_path / "build" / "current").resolve()
    # Zensical reads the same mkdocs.yml; only where the Markdown is and where the pages go differ
    work = tmp_path / "zensical"
    shutil.copytree(generation / "site-src", work / "site-src")
    shutil.copytree(paths.ROOT / "theme", work / "theme")
    config = (paths.ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("docs_dir: build/site-src", "docs_dir: site-src").replace("site_dir: build/site", "site_dir: out")
    (work / "mkdocs.yml").write_text(config, encoding="utf-8")
    zensical = Path(sys.executable).with_name("zensical")
    run = subprocess.run([str(zensical), "build", "-f", "mkdocs.yml"], cwd=work, capture_output=True, text=True,
                         env={**os.environ, "NO_COLOR": "1"}, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "No issues found" in run.stdout + run.stderr

    by_mkdocs = {p.relative_to(generation / "site") for p in (generation / "site").rglob("*.html")}
    by_zensical = {p.relative_to(work / "out") for p in (work / "out").rglob("*.html")}
    assert by_mkdocs <= by_zensical, sorted(map(str, by_mkdocs - by_zensical))
    for page in sorted(by_zensical):
        text = (work / "out" / page).read_text(encoding="utf-8")
        assert not re.findall(r'href="[^"]*\.md[#"]', text), page  # every link resolved to a page
        # nothing loaded from another host (fonts, scripts, styles)
        assert not re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="(?:https?:)?//(?!safety\.example\.org)', text), page
    home = (work / "out" / "index.html").read_text(encoding="utf-8")
    assert "南昌" in home and "十三五" in home
