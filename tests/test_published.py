"""Guards the refactor of issue 17 (and any other change) against altering a published byte by
accident: the real package's build and the demo's, file by file, against the committed
manifests (tests/published.py says how to accept a change that is meant).  Also guards the
build's reproducibility: two builds of the same input are identical."""

from __future__ import annotations

from tests.published import build_both, differences, read_manifest


def test_every_published_file_is_what_the_manifests_say(tmp_path):
    built = build_both(tmp_path)
    for name, sums in built.items():
        diff = differences(read_manifest(name), sums)
        assert not diff, (f"{len(diff)} published file(s) of the {name} build differ; if that is meant, run "
                          f"`.venv/bin/python -m tests.published --update` and commit the manifests:\n  "
                          + "\n  ".join(diff[:40]))
    assert len(built["real"]) > 100 and len(built["demo"]) > len(built["real"])
