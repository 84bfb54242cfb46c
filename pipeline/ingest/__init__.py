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

from pipeline.ingest.run import TARGETS, Outcome, ingest, summary

__all__ = ["TARGETS", "Outcome", "ingest", "summary"]
