"""Where things live. Every path is absolute, derived from the repository root."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "datasets"
PACKAGE = DATASETS / "datapackage.json"
SOURCE_TEXT = DATASETS / "source" / "nanchang-safety-13th-fyp.txt"
PASSAGES_CSV = DATASETS / "data" / "passages.csv"
BUILD = ROOT / "build"
SQL = Path(__file__).resolve().parent / "warehouse" / "sql"
DEMO = ROOT / "demo"  # the fictional inputs of `make demo` (never datasets/, never a production build)
