"""What one ingest run found: each input row as a Candidate, and the Outcome the summary,
the quarantine file and the exit status are made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.ingest.findings import Finding
from pipeline.ingest.headers import HeaderMap
from pipeline.ingest.read import ReadError, Workbook

TARGETS = {"penalties": "penalties", "blacklist": "blacklist", "campaign": "campaign_results",
           "observations": "observations", "targets": "targets"}
# Targets whose rows are figures quoted from a source (figures.py); "targets" also writes
# plans and indicators.
FIGURES = {"observations", "targets"}


def shown_path(p: Path) -> str:
    """A path as the clerk typed it: relative to the working folder when it is inside it."""
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


@dataclass
class Candidate:
    row: int  # input row number
    cells: list[str]  # the row as read
    values: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)  # fields whose `required` an ingest finding already explains


@dataclass
class Outcome:
    input: Path
    resource: str
    workbook: Workbook | None = None
    header: HeaderMap | None = None
    rows_read: int = 0
    blank_rows: int = 0
    accepted: list[int] = field(default_factory=list)
    rejected: dict[int, list[Finding]] = field(default_factory=dict)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (input row, what it duplicates)
    warnings: list[Finding] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)
    quarantine: Path | None = None
    quarantine_written: bool = False
    quarantine_removed: bool = False
    quarantine_foreign: bool = False  # a file of the quarantine's name that this tool did not write for this input
    dataset: Path | None = None
    appended: dict[Path, int] = field(default_factory=dict)  # figures.py: every file it appends to, and how many rows
    written: bool = False
    dry_run: bool = False
    error: ReadError | None = None
    preexisting: int = 0  # errors the package had before this file (other tables, older rows)
    cells: dict[int, list[str]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        if self.error:
            return 2
        return 1 if self.rejected else 0
