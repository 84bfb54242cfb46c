"""One error model (issue 17): every code of pipeline/errors.CATALOGUE has a defect fixture that
produces it, so a code no input can reach, or a rule that stopped firing, is found here.

The fixtures: the CSV corpus of tests/test_defects.py, the recipes of
tests/fixtures/defects/recipes.py (FINDINGS below), and the ingest corpus and sheets of
tests/test_ingest.py and tests/test_ingest_figures.py; each is asserted exactly by its test.
"""

from __future__ import annotations

import pytest

from pipeline.errors import CATALOGUE, PipelineError
from tests.conftest import BUILD_DATE
from tests.fixtures.defects.recipes import INGEST, VALIDATE, Package

# recipe -> every finding validation reports, in order: (code, resource, row, field)
FINDINGS = {
    "field-type-misspelled": [("descriptor-invalid", None, None, None)],
    "resource-file-missing": [("resource-missing", "penalties", None, None)],
    "resource-not-registered": [("registry-mismatch", "inspections", None, None)],
    "source-text-altered": [("source-hash", "sources", 2, "sha256")],
    "line-longer-than-the-reader-takes": [("csv-parse-error", "penalties", 4, None)],
    "duplicate-unique-value": [("unique", "legal_references", 3, "document_number")],
    "chapter-above-maximum": [("maximum", "passages", 3, "chapter")],
    "decision-number-too-short": [("min-length", "penalties", 3, "decision_number")],
    "plan-name-too-long": [("max-length", "plans", 3, "name_en")],
    "uscc-with-a-broken-organisation-code": [("uscc-org-code", "penalties", 5, "uscc")],
    "organisation-without-any-code": [("uscc-required", "penalties", 3, "uscc")],
    "bell-character-in-facts": [("control-character", "penalties", 3, "violation_facts")],
    "requester-named-as-a-person": [("private-person-named", "corrections", 2, "requested_by")],
    "three-year-listing-under-2017-rules": [("display-period", "blacklist", 4, "display_until")],
    "penalty-in-the-campaign-year": [("campaign-reconciliation", "penalties", None, "fine_amount_wan")],
    "period-ends-before-it-starts": [("period-order", "observations", 2, "period_end")],
    # 100% is out of range, and the quote says 10%
    "reduction-of-a-hundred-percent": [("target-out-of-range", "observations", 30, "value"),
                                       ("value-mismatch", "observations", 30, "value")],
    "actual-dated-after-its-source": [("figure-after-source", "observations", 2, "period_end")],
    "series-with-two-units": [("series-mismatch", "indicators", 2, "series_id")],
    "indicator-named-like-a-page": [("reserved-id", "indicators", 19, "indicator_id")],
    "plan-page-taken-by-the-site": [("plan-page-reserved", "plans", 3, "page")],
    "quote-not-in-its-passage": [("quote-not-in-passage", "observations", 3, "quote")],
    "passage-of-another-source": [("passage-source-mismatch", "observations", 3, "passage_id")],
    "value-written-differently": [("value-mismatch", "observations", 3, "value")],
    "figure-missing-from-the-quote": [("figure-not-in-quote", "observations", 28, "value_as_written")],
    "table-column-that-does-not-exist": [("table-cell-mismatch", "observations", 3, "table_column")],
    "passage-text-out-of-step": [("passages-stale", "passages", 3, "text")],
    "value-changed-since-the-release": [("uncorrected-change", "plans", 3, "note_zh")],
}
# ingest recipe -> {input row: codes} of the rows it rejects
INGEST_FINDINGS = {
    "fine-without-a-unit": {2: ["amount-unit-unknown"]},
    "fine-as-a-formula": {2: ["formula-cell"], 3: ["formula-cell"]},
    "value-that-is-no-number": {2: ["value-invalid"]},
}
# Codes no input can produce today, each a safety net with the reason it is kept.
UNREACHABLE = {
    # ingest checks that the package's validator reads a figure as its value, but both read
    # figures with pipeline/numerals.py: a form one reads and the other does not cannot occur
    "figure-form-unsupported",
    # rows that pass one by one but break a rule over the whole table; no such rule exists yet
    # (tests/test_ingest.py fakes one to see the rows kept out)
    "package-invalid",
}


def test_every_recipe_has_its_findings():
    assert set(FINDINGS) == set(VALIDATE) and set(INGEST_FINDINGS) == set(INGEST)


@pytest.mark.parametrize("name", sorted(VALIDATE))
def test_validation_recipe_gives_exactly_its_findings(fictional_package, name):
    from pipeline.validate import validate_package

    extra = VALIDATE[name](Package(fictional_package)) or {}
    report, con = validate_package(fictional_package, on_date=BUILD_DATE, **extra)
    con.close()
    assert [(e.code, e.resource, e.row, e.field) for e in report.errors] == FINDINGS[name]
    assert all(e.message_zh and e.message_en for e in report.errors)


@pytest.mark.parametrize("name", sorted(INGEST))
def test_ingest_recipe_rejects_its_rows(package_copy, tmp_path, name):
    from pipeline.ingest import ingest

    source, into = INGEST[name](tmp_path)
    out = ingest(source, into, package_copy, on_date=BUILD_DATE, dry_run=True)
    assert out.error is None
    assert {row: [f.code for f in fs] for row, fs in out.rejected.items()} == INGEST_FINDINGS[name]


def test_every_code_has_a_fixture_that_produces_it():
    from tests import test_defects, test_ingest, test_ingest_figures

    produced = {code for found in FINDINGS.values() for code, *_ in found}
    produced |= {code for found in test_defects.EXPECTED.values() for code, *_ in found}
    produced |= {c for found in INGEST_FINDINGS.values() for cs in found.values() for c in cs}
    produced |= {c for _, _, rejected, _ in test_ingest.CORPUS.values() for cs in rejected.values() for c in cs}
    for table in (test_ingest_figures.OBS_REJECTED, test_ingest_figures.TARGET_REJECTED):
        produced |= {c for cs in table.values() for c in cs}
    assert set(CATALOGUE) - produced - UNREACHABLE == set(), "codes without a fixture"
    assert UNREACHABLE <= set(CATALOGUE) and not (UNREACHABLE & produced), "an unreachable code became reachable"


def test_every_failure_is_a_pipeline_error():
    # Guards against a stage raising a bare exception the build cannot name: every exception
    # class of the product derives from PipelineError (the Datasette plugins excepted: they
    # run inside Datasette, import nothing of the pipeline, and answer with HTTP errors).
    import ast

    from pipeline import paths

    bare = []
    for path in sorted((paths.ROOT / "pipeline").rglob("*.py")):
        if "plugins" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(b, "id", getattr(b, "attr", "")).endswith(("Error", "Exception", "Failed", "Missing", "Refused"))
                    for b in node.bases):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if node.name != "PipelineError" and not bases & {"PipelineError", "ReadError", "DatasetteError", "SiteBuildError", "ValidationError"}:
                    bare.append(f"{path.relative_to(paths.ROOT)}:{node.lineno} {node.name}")
    assert bare == []
    assert issubclass(__import__("pipeline.build", fromlist=["StageFailed"]).StageFailed, PipelineError)


def test_every_source_add_code_is_declared_and_has_a_fixture():
    # python -m pipeline source add refuses with its own codes (pipeline/errors.SOURCE_ADD_CODES):
    # each one it can raise is declared, and tests/test_source_add.py produces each one.
    import re

    from pipeline import paths, sources_add
    from pipeline.errors import SOURCE_ADD_CODES
    from tests import test_source_add

    code = (paths.ROOT / "pipeline" / "sources_add.py").read_text(encoding="utf-8")
    raised = set(re.findall(r'Refused\("([a-z-]+)"', code)) | {c for _, c in sources_add.OPTIONS.values()}
    assert raised == set(SOURCE_ADD_CODES)
    tests = (paths.ROOT / "tests" / "test_source_add.py").read_text(encoding="utf-8")
    produced = {row[4] for row in test_source_add.BAD} | set(re.findall(r'\.code == "([a-z-]+)"', tests))
    produced |= set(re.findall(r'\("[^"]+", "([a-z-]+)"\)', tests))  # (file, code) pairs of one test
    assert set(SOURCE_ADD_CODES) - produced == set(), "source add codes without a fixture"


def test_no_code_is_written_twice_in_the_catalogue():
    # A dict literal keeps the last of two equal keys without a word: when the validator's and
    # ingest's catalogues were merged, one code's message silently replaced the other's.
    import ast

    from pipeline import paths

    tree = ast.parse((paths.ROOT / "pipeline" / "errors.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict):
            keys = [k.value for k in node.value.keys if isinstance(k, ast.Constant)]
            assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
