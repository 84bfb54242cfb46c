"""Ingest what agencies publish: messy spreadsheets in, validated rows out, nothing lost.

    python -m pipeline ingest FILE --into penalties|blacklist|campaign|observations|targets
                              [--dry-run] [--package PATH] [--date YYYY-MM-DD] [--sheet NAME]

read.py       CSV (UTF-8, UTF-8 BOM, GB18030, UTF-16; detected) and XLSX (streamed, merged
              headers, formulas recorded); every file within the bounds of `Limits`
headers.py    header block and column mapping; the names are data, in headers.toml
normalize.py  per-field normalisers: full-width forms, Chinese dates, amounts into 万元
findings.py   ingest's own finding codes; personal data withheld from every report
run.py        orchestration: normalise, sort out duplicates, validate with the pipeline's
              validator, append accepted rows, quarantine rejected rows, summary
figures.py    --into observations | targets: figures quoted from a registered source;
              targets also register their plan and indicator (same report, gate, quarantine)
citations.py  the passage holding a quote and the figure stating a value (２３４, 二百三十四,
              41.1万, 百分之十), compared after NFKC and collapsing whitespace
write.py      atomic writes (a full disk changes nothing), formula-safe CSV for people,
              which quarantine file is this tool's
"""

import datetime as dt
import sys
from pathlib import Path

from pipeline import paths
from pipeline.ingest.figures import ingest_figures
from pipeline.ingest.run import FIGURES, TARGETS, Outcome, ingest_records
from pipeline.ingest.summary import summary


def ingest(path: Path, into: str, package: Path = paths.PACKAGE, *, on_date: dt.date | None = None,
           dry_run: bool = False, sheet: str | None = None) -> Outcome:
    """Ingest `path` into `into`: agency records (run.py) or figures quoted from a source (figures.py)."""
    take = ingest_figures if into in FIGURES else ingest_records
    return take(path, into, package, on_date=on_date, dry_run=dry_run, sheet=sheet)


def main(args) -> int:
    """python -m pipeline ingest, with its parsed arguments."""
    out = ingest(Path(args.file), args.into, Path(args.package), on_date=args.date, dry_run=args.dry_run, sheet=args.sheet)
    print(summary(out, Path(args.package)), file=sys.stdout if not out.error else sys.stderr)
    return out.exit_code


__all__ = ["TARGETS", "Outcome", "ingest", "main", "summary"]
