"""Publishing: what a build writes for others and what a release records.

    export.py   every download under data/ (CSV, CSV for Excel, JSON, Parquet, XLSX, SQLite,
                the output datapackage.json, the zip, SHA256SUMS)
    feeds.py    the releases feed (site/releases.xml)
    history.py  the record of releases (datasets/releases/): read it, compare with it
    release.py  python -m pipeline release: build and record a versioned release
"""
