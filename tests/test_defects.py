"""One file per defect: each yields exactly the expected error code at the expected row and field.

The corpus lives in tests/fixtures/defects/ (regenerate with make_defects.py).  A file
named `<defect>.<resource>.csv` replaces that resource in a copy of the package whose
penalty and blacklist tables hold the (valid) fictional fixtures.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from tests.conftest import BUILD_DATE, FICTIONAL, codes, validate

DEFECTS = Path(__file__).parent / "fixtures" / "defects"

# file -> [(code, row, field)]: the complete list of findings, nothing more.
EXPECTED = {
    "duplicate-key.penalties.csv": [("primary-key", 5, "decision_number")],
    "bad-uscc-check-digit.penalties.csv": [("uscc-check-digit", 3, "uscc")],
    "bad-org-code-check-digit.penalties.csv": [("org-code-check-digit", 3, "org_code")],
    "unmasked-id-number.penalties.csv": [("personal-id-number", 4, "violation_facts")],
    "masked-id-number.penalties.csv": [("personal-id-number", 4, "violation_facts")],
    "phone-number.penalties.csv": [("phone-number", 4, "remarks")],
    "id-number-in-uscc-column.penalties.csv": [("personal-id-number", 3, "uscc")],
    "future-date.penalties.csv": [("future-date", 3, "retrieved_date")],
    "negative-fine.penalties.csv": [("minimum", 3, "fine_amount_wan")],
    "fine-too-precise.penalties.csv": [("amount-precision", 3, "fine_amount_wan")],
    "unknown-enum-value.penalties.csv": [("enum", 3, "party_category")],
    "bad-penalty-category.penalties.csv": [("pattern", 3, "penalty_category")],
    "invalid-date.penalties.csv": [("type-error", 3, "retrieved_date")],
    "missing-required.penalties.csv": [("required", 3, "legal_basis")],
    "publicity-before-decision.penalties.csv": [("date-order", 3, "publicity_until")],
    "header-mismatch.penalties.csv": [("header-mismatch", 1, None)],
    "ragged-row-short.penalties.csv": [("missing-cell", 4, None)],
    "ragged-row-long.penalties.csv": [("extra-cell", 5, None)],
    "wrong-encoding.penalties.csv": [("encoding-error", 2, None)],
    "removal-before-listing.blacklist.csv": [("date-order", 9, "removal_date")],
    "early-removal-too-soon.blacklist.csv": [("early-removal-too-soon", 9, "removal_date")],
    "display-until-before-listing.blacklist.csv": [("date-order", 9, "display_until")],
    "early-removal-wrong-regime.blacklist.csv": [("regime-mismatch", 4, "removal_kind")],
    "dangling-foreign-key.observations.csv": [("foreign-key", 21, "passage_id")],
}


def test_corpus_and_expectations_agree():
    assert {p.name for p in DEFECTS.glob("*.csv")} == set(EXPECTED)


def test_fictional_fixtures_are_valid(fictional_package):
    assert codes(validate(fictional_package)) == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_defect_file_gives_exactly_its_error(fictional_package, name):
    resource = name.split(".")[-2]
    shutil.copyfile(DEFECTS / name, fictional_package.parent / "data" / f"{resource}.csv")
    report = validate(fictional_package)
    found = [(e.code, e.row, e.field) for e in report.errors]
    assert found == EXPECTED[name]
    assert all(e.resource == resource and e.file.endswith(f"{resource}.csv") for e in report.errors)
    assert not report.ok


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_defect_found_the_same_when_the_whole_table_is_kept(fictional_package, name):
    # `validate` keeps only the columns later rules read; `build` keeps every column.  Guards
    # against a rule that reads a column the narrow scan dropped, or findings that differ.
    from pipeline.validate import validate_package

    resource = name.split(".")[-2]
    shutil.copyfile(DEFECTS / name, fictional_package.parent / "data" / f"{resource}.csv")
    found = []
    for whole in (False, True):
        report, con = validate_package(fictional_package, on_date=BUILD_DATE, whole=whole)
        con.close()
        found.append([e.to_dict() for e in report.errors])
    assert found[0] == found[1]


def test_row_numbers_count_records_not_lines(fictional_package):
    # A quoted cell with a line break makes one record span two lines; row numbers are
    # records (as frictionless counts them), and the serial reader takes over for such files.
    path = fictional_package.parent / "data" / "penalties.csv"
    lines = (FICTIONAL / "penalties.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    cells = next(csv.reader([rows[0]]))
    facts = header.split(",").index("violation_facts")
    cells[facts] = cells[facts] + "\n（第二行）"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    broken = next(csv.reader([rows[2]]))
    broken[header.split(",").index("party_category")] = "示例（虚构）未知类别"
    out2 = io.StringIO()
    csv.writer(out2, lineterminator="\n").writerow(broken)
    path.write_text("\n".join([header, out.getvalue().rstrip("\n"), rows[1], out2.getvalue().rstrip("\n"), *rows[3:]]) + "\n",
                    encoding="utf-8")
    assert [(e.code, e.row, e.field) for e in validate(fictional_package).errors] == [("enum", 4, "party_category")]


def test_id_number_in_a_code_column_is_withheld_from_its_pattern_error(fictional_package):
    # Code columns hold digits by design, yet no column is exempt from the personal-data
    # gate: an ID number typed into one is named as such, besides failing its pattern, and
    # neither error repeats it.
    path = fictional_package.parent / "data" / "penalties.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["registration_no"] = "360102198001011234"  # fictional, shaped like an ID number
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    report = validate(fictional_package)
    assert sorted((e.code, e.row, e.field) for e in report.errors) == [
        ("pattern", 2, "registration_no"), ("personal-id-number", 2, "registration_no")]
    assert "198001011234" not in repr([e.to_dict() for e in report.errors])


def test_id_number_is_never_echoed_in_the_report(fictional_package):
    # Guards against the report itself publishing the personal data it found.
    shutil.copyfile(DEFECTS / "unmasked-id-number.penalties.csv", fictional_package.parent / "data" / "penalties.csv")
    report = validate(fictional_package)
    text = repr([e.to_dict() for e in report.errors])
    assert "1980010112" not in text


def test_three_year_listing_under_the_2017_rules_is_questioned(fictional_package):
    # 安监总办〔2017〕49号 lists for 1 year; the 3-year repeat listings of some localities
    # belong to the 2015 interim rules.  Guards against accepting 3 years under 2017 silently.
    path = fictional_package.parent / "data" / "blacklist.csv"
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    i = next(i for i, r in enumerate(rows) if r["regime"] == "2017" and not r["removal_date"])
    listed = rows[i]["listing_date"]
    rows[i]["display_until"] = f"{int(listed[:4]) + 3}{listed[4:]}"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    report = validate(fictional_package)
    assert [(e.code, e.severity, e.row, e.field) for e in report.errors] == [("display-period", "warning", i + 2, "display_until")]
    assert report.ok


def test_field_names_the_scan_reserves_are_refused(fictional_package):
    # A field named __text would shadow the joined free text the personal-data scan reads
    # (DuckDB resolves the name to the field), so that scan would look at one field only.
    import json

    descriptor = json.loads(fictional_package.read_text(encoding="utf-8"))
    penalties = next(r for r in descriptor["resources"] if r["name"] == "penalties")
    penalties["schema"]["fields"][-1]["name"] = "__text"
    fictional_package.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    path = fictional_package.parent / "data" / "penalties.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[0] = ",".join(lines[0].split(",")[:-1] + ["__text"])
    path.write_text("\n".join(lines), encoding="utf-8")
    report = validate(fictional_package)
    assert [(e.code, e.row) for e in report.errors if e.resource == "penalties"] == [("header-mismatch", 1)]
    assert "__text" in report.errors[0].message_en or any("__text" in e.message_en for e in report.errors)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x85", "\u202e", "\u2066"])
def test_control_characters_are_refused_with_their_code_point(fictional_package, char):
    # Guards against a raw NUL (or a right-to-left override that shows a name reversed)
    # reaching every export and the site's HTML: refused, named by code point, not echoed.
    path = fictional_package.parent / "data" / "penalties.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[1]["violation_facts"] = f"示例（虚构）{char}违法事实"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    (error,) = validate(fictional_package).errors
    assert (error.code, error.row, error.field) == ("control-character", 3, "violation_facts")
    assert f"U+{ord(char):04X}" in error.message_zh and f"U+{ord(char):04X}" in error.message_en
    assert char not in repr(error.to_dict())


def test_control_characters_in_a_plan_table_are_refused(package_copy):
    path = package_copy.parent / "data" / "commitments.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("“一批”未给出数量。", "“一批”未给出数量。\x00", 1), encoding="utf-8")
    assert ("control-character", "commitments", "note_zh") in {(e.code, e.resource, e.field) for e in validate(package_copy).errors}


@pytest.mark.parametrize("url", ['https://example.invalid/x>){: onclick="alert(1)" }',
                                 'https://example.invalid/a"><svg onload=alert(1)>',
                                 "javascript:alert(1)//https://example.invalid/",
                                 "https://example.invalid/a b", "https://exa mple.invalid/"])
def test_a_malformed_url_is_refused_by_validation(fictional_package, url):
    # Guards against a URL that passed the old pattern (^https?://.+$) and then either became
    # a live onclick on the page or made MkDocs abort the whole build with no message.
    path = fictional_package.parent / "data" / "blacklist.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[0]["source_url"] = url
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    assert ("pattern", 2, "source_url") in {(e.code, e.row, e.field) for e in validate(fictional_package).errors}
