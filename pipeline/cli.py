"""python -m pipeline COMMAND: the project's one entry point.

One convention for every command: the package is `--package PATH` (its datapackage.json or
the folder holding it; default datasets/), which validate and build also take as their first
argument; a build date is `--date YYYY-MM-DD` (default $BUILD_DATE, else today in China),
parsed by config.date_argument; environment settings are declared in pipeline/config.py."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from pipeline import config, paths
from pipeline.errors import PipelineError


def package_path(value: str) -> Path:
    """A package argument: its datapackage.json, or a folder holding one."""
    path = Path(value)
    return path / "datapackage.json" if path.is_dir() else path


PACKAGE_HELP = "datapackage.json, or the folder holding it (default: datasets/)"


def add_package(p: argparse.ArgumentParser, *, positional: bool = False) -> None:
    """--package PATH; with `positional`, PATH may also come first (validate and build always took it so)."""
    p.add_argument("--package", type=package_path, default=None, help=PACKAGE_HELP)
    if positional:
        p.add_argument("package_arg", nargs="?", type=package_path, default=None, metavar="PACKAGE",
                       help="the same as --package")


def add_date(p: argparse.ArgumentParser, help: str = "build date YYYY-MM-DD (default: $BUILD_DATE or today in China)") -> None:
    p.add_argument("--date", type=config.date_argument, default=None, help=help)


def resolve_package(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """args.package: --package or the positional PACKAGE (not two different ones), else datasets/."""
    given = getattr(args, "package_arg", None)
    if given is not None and args.package is not None and Path(given).resolve() != Path(args.package).resolve():
        parser.error(f"PACKAGE {given} 与 --package {args.package} 不一致 / and --package name different packages")
    if hasattr(args, "package"):
        args.package = Path(args.package or given or paths.PACKAGE)


def cmd_passages(args) -> int:
    from pipeline.source import package_passage_rows

    rows = package_passage_rows(paths.DATASETS)
    with open(args.out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{len(rows)} passages -> {args.out}")
    return 0


def cmd_source_add(args) -> int:
    from pipeline.sources_add import main as source_add_main

    return source_add_main(args)


def cmd_validate(args) -> int:
    from pipeline.validate import run_validation

    report = run_validation(args.package, on_date=args.date, report_dir=paths.BUILD / "reports" if args.report else None)
    return 0 if report.ok else 1


def cmd_build(args) -> int:
    from pipeline.build import build

    return build(args.package, Path(args.out), on_date=args.date, with_site=args.site, force=args.force, demo=args.demo)


def cmd_demo(args) -> int:
    from pipeline.demo import DEMO_OUT, run_demo

    return run_demo(Path(args.out) if args.out else DEMO_OUT, with_site=args.site, on_date=args.date)


def cmd_ingest(args) -> int:
    from pipeline.ingest import main as ingest_main

    return ingest_main(args)


def cmd_serve(args) -> int:
    from pipeline.demo import DEMO_OUT
    from pipeline.serve import serve

    build_dir = Path(args.build) if args.build else (DEMO_OUT if args.demo else paths.BUILD)
    return serve(build_dir, site_dir=Path(args.site_dir) if args.site_dir else None, host=args.host,
                 site_port=args.site_port, datasette_port=args.datasette_port, site_url=args.site_url,
                 datasette_url=args.datasette_url, demo=args.demo, with_site=args.site, replicas=args.replicas)


def cmd_datasette_metadata(args) -> int:
    from pipeline.datasette import METADATA_JSON
    from pipeline.datasette.metadata import dumps, render_metadata

    out = Path(args.out) if args.out else METADATA_JSON
    # The committed file carries no base URL, whatever the environment says: it cannot
    # know where a deployment lives, and must never point at localhost.
    committed = out.resolve() == METADATA_JSON.resolve()
    text = dumps(render_metadata(site=args.site_url, dsurl=args.datasette_url, demo=args.demo, use_env=not committed))
    if args.check:
        if not out.is_file() or out.read_text(encoding="utf-8") != text:
            print(f"✗ {out} 已过期 / is out of date: run python -m pipeline datasette-metadata", file=sys.stderr)
            return 1
        print(f"✓ {out} 是最新的 / is up to date")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"metadata -> {out}")
    return 0


def cmd_release(args) -> int:
    from pipeline.publish.release import release

    return release(args.version, args.package, Path(args.out), on_date=args.date)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("passages", help="regenerate datasets/data/passages.csv from the source text")
    p.add_argument("--out", default=str(paths.PASSAGES_CSV))
    p.set_defaults(func=cmd_passages)

    p = sub.add_parser("source", help="register source documents (plans, bulletins, work reports) in the package")
    source_sub = p.add_subparsers(dest="source_command", required=True)
    p = source_sub.add_parser("add", help="store a document's text as UTF-8, split it into passages, register it in sources.csv")
    p.add_argument("file", metavar="FILE", help="the document as plain text (UTF-8, GB18030 or UTF-16; never modified)")
    p.add_argument("--id", required=True, help="source id, a slug such as nanchang-bulletin-2020 (passage ids get ID--)")
    p.add_argument("--title", required=True, help="the document's title, as written (a line equal to it is its title)")
    p.add_argument("--issuer", help="issuing body (default: empty, noted as not given)")
    p.add_argument("--date", help="date issued or published, YYYY-MM-DD (default: empty, noted as not given)")
    p.add_argument("--url", help="where it was published (default: empty, noted as not given)")
    p.add_argument("--kind", choices=["plan", "statistical_bulletin", "work_report", "evaluation", "other"],
                   help="kind of document (default: other)")
    p.add_argument("--retrieved", help="date this copy was retrieved, YYYY-MM-DD (default: empty, noted as not given)")
    add_package(p)
    p.set_defaults(func=cmd_source_add)

    p = sub.add_parser("validate", help="validate a Data Package (Frictionless + domain rules)")
    add_package(p, positional=True)
    add_date(p, "date for the date rules, YYYY-MM-DD (default: $BUILD_DATE or today in China)")
    p.add_argument("--no-report", dest="report", action="store_false", help="do not write build/reports/validation.json")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", help="validate, build the warehouse, exports and site; publish atomically into build/")
    add_package(p, positional=True)
    p.add_argument("--out", default=str(paths.BUILD), help="output directory (default: build/)")
    add_date(p)
    p.add_argument("--no-site", dest="site", action="store_false", help="skip the static site")
    p.add_argument("--force", action="store_true", help="rebuild even when no input changed")
    p.add_argument("--demo", action="store_true", help="label every page as fictional demo data")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("demo", help="build the demo from the fictional fixtures into build-demo/")
    p.add_argument("--out", help="output directory (default: build-demo/)")
    add_date(p)
    p.add_argument("--no-site", dest="site", action="store_false")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("ingest", help="read an agency's CSV/XLSX, validate every row, append accepted rows, quarantine the rest")
    p.add_argument("file", metavar="FILE", help="the CSV or XLSX file as published (never modified)")
    p.add_argument("--into", required=True, choices=["penalties", "blacklist", "campaign", "observations", "targets"],
                   help="target dataset (observations, targets: figures quoted from a registered source)")
    p.add_argument("--dry-run", action="store_true", help="report what would happen; write nothing")
    add_package(p)
    add_date(p, "date for the date rules, YYYY-MM-DD (default: $BUILD_DATE or today in China)")
    p.add_argument("--sheet", help="Excel sheet to read (default: the one whose header matches best)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("serve", help="serve the site (:8000) and Datasette (:8001) together; Ctrl-C stops both")
    p.add_argument("--build", help="build directory (default: build/, or build-demo/ with --demo)")
    p.add_argument("--site-dir", help="static site directory (default: BUILD/site)")
    p.add_argument("--host", default="127.0.0.1", help="address both servers bind (default: 127.0.0.1)")
    p.add_argument("--site-port", type=int, default=config.LOCAL_SITE_PORT)
    p.add_argument("--datasette-port", type=int, default=config.LOCAL_DATASETTE_PORT)
    p.add_argument("--site-url", help="public base URL of the site (default: $SITE_URL or http://localhost:PORT/)")
    p.add_argument("--datasette-url", help="public base URL of Datasette (default: $DATASETTE_URL or http://localhost:PORT/)")
    p.add_argument("--demo", action="store_true", help="serve build-demo/ and label Datasette as fictional demo data")
    p.add_argument("--no-site", dest="site", action="store_false", help="serve Datasette only")
    p.add_argument("--replicas", type=int, default=1,
                   help="Datasette processes; more than 1 run behind Debian's haproxy on --datasette-port (default: 1)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("datasette-metadata", help="render Datasette metadata (default: rewrite the committed metadata.json)")
    p.add_argument("-o", "--out", help="output file (default: metadata.json at the repository root)")
    p.add_argument("--site-url", help="site base URL (default: $SITE_URL; none for the committed file)")
    p.add_argument("--datasette-url", help="Datasette base URL (default: $DATASETTE_URL; none for the committed file)")
    p.add_argument("--demo", action="store_true", help="label as fictional demo data")
    p.add_argument("--check", action="store_true", help="exit 1 if the file differs from what would be written")
    p.set_defaults(func=cmd_datasette_metadata)

    p = sub.add_parser("release", help="build and record a versioned release in datasets/releases/VERSION (commit it)")
    p.add_argument("version", metavar="VERSION", help="must equal the version in datapackage.json")
    add_package(p)
    p.add_argument("--out", default=str(paths.BUILD))
    add_date(p)
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("commands", help="print this command list and the settings as README shows them (--write: update README.md)")
    p.add_argument("--write", action="store_true", help="rewrite the list in README.md")
    p.set_defaults(func=cmd_commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    resolve_package(parser, args)
    try:
        return args.func(args)
    except config.BadDate as e:  # $BUILD_DATE: read only when a command needs the date
        print(f"✗ {e}", file=sys.stderr)
        return 2
    except PipelineError as e:  # a failure its message explains: no traceback
        print(f"✗ {e}", file=sys.stderr)
        return 1


README_START, README_END = "<!-- commands: python -m pipeline commands --write -->", "<!-- /commands -->"
SETTINGS_START, SETTINGS_END = "<!-- settings: python -m pipeline commands --write -->", "<!-- /settings -->"


def command_list() -> str:
    """Every command with its help above it, from the parser itself (README shows this list)."""
    lines = []

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help for a in action._choices_actions}
                for name, child in action.choices.items():
                    if any(isinstance(a, argparse._SubParsersAction) for a in child._actions):
                        walk(child)
                        continue
                    child.formatter_class = lambda prog: argparse.HelpFormatter(prog, width=10_000)
                    usage = child.format_usage().removeprefix("usage: ").strip().replace(" [-h]", "")
                    lines.append((f".venv/bin/{usage}", helps[name]))

    walk(make_parser())
    return "\n\n".join(f"# {h}\n{u}" for u, h in lines)


def readme_block() -> str:
    return f"{README_START}\n```sh\n{command_list()}\n```\n{README_END}"


def settings_block() -> str:
    """The environment settings (pipeline/config.py's SETTINGS) as README lists them."""
    return f"{SETTINGS_START}\n{config.settings_list()}\n{SETTINGS_END}"


def cmd_commands(args) -> int:
    if not args.write:
        print(command_list() + "\n\n# settings (environment variables)\n" + config.settings_list())
        return 0
    readme = paths.ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    for (first, last), block in (((README_START, README_END), readme_block()),
                                 ((SETTINGS_START, SETTINGS_END), settings_block())):
        start, end = text.index(first), text.index(last) + len(last)
        text = text[:start] + block + text[end:]
    readme.write_text(text, encoding="utf-8")
    print(f"{readme}: command list and settings rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
