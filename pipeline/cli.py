"""python -m pipeline COMMAND: the project's one entry point."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from pipeline import paths


def cmd_passages(args) -> int:
    from pipeline.source import passage_rows

    rows = passage_rows(paths.SOURCE_TEXT)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} passages -> {args.out}")
    return 0


def cmd_validate(args) -> int:
    from pipeline.validate import run_validation

    report = run_validation(Path(args.package), report_dir=paths.BUILD / "reports" if args.report else None)
    return 0 if report.ok else 1


def cmd_build(args) -> int:
    import datetime as dt

    from pipeline.build import build

    on_date = dt.date.fromisoformat(args.date) if args.date else None
    return build(Path(args.package), Path(args.out), on_date=on_date, with_site=args.site, force=args.force, demo=args.demo)


def cmd_demo(args) -> int:
    import datetime as dt

    from pipeline.demo import DEMO_OUT, run_demo

    on_date = dt.date.fromisoformat(args.date) if args.date else None
    return run_demo(Path(args.out) if args.out else DEMO_OUT, with_site=args.site, on_date=on_date)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("passages", help="regenerate datasets/data/passages.csv from the source text")
    p.add_argument("--out", default=str(paths.PASSAGES_CSV))
    p.set_defaults(func=cmd_passages)

    p = sub.add_parser("validate", help="validate a Data Package (Frictionless + domain rules)")
    p.add_argument("package", nargs="?", default=str(paths.PACKAGE))
    p.add_argument("--no-report", dest="report", action="store_false", help="do not write build/reports/validation.json")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", help="validate, build the warehouse, exports and site; publish atomically into build/")
    p.add_argument("package", nargs="?", default=str(paths.PACKAGE))
    p.add_argument("--out", default=str(paths.BUILD), help="output directory (default: build/)")
    p.add_argument("--date", help="build date YYYY-MM-DD (default: $BUILD_DATE or today in China)")
    p.add_argument("--no-site", dest="site", action="store_false", help="skip the static site")
    p.add_argument("--force", action="store_true", help="rebuild even when no input changed")
    p.add_argument("--demo", action="store_true", help="label every page as fictional demo data")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("demo", help="build the demo from the fictional fixtures into build-demo/")
    p.add_argument("--out", help="output directory (default: build-demo/)")
    p.add_argument("--date", help="build date YYYY-MM-DD")
    p.add_argument("--no-site", dest="site", action="store_false")
    p.set_defaults(func=cmd_demo)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
