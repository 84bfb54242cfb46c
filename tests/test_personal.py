"""The personal-data rule: the cheap SQL candidate test must find every cell the exact check flags.

The scan runs only `candidate_sql` over a million rows; `finding` runs on the rows it lets
through.  A text the candidate misses is never checked at all, so a gap here would publish an
ID or phone number without any error.
"""

from __future__ import annotations

import random

import duckdb
import pytest

from pipeline.validate.personal import candidate_sql, finding, redact

# Fictional values in the shapes that matter (none is a real person's number).
SHAPES = [
    ("360102198001011234", "personal-id-number"),  # full, born 19xx
    ("36010220050101123X", "personal-id-number"),  # born 20xx, check character X
    ("3601021980****1234", "personal-id-number"),  # masked birth date
    ("360102**********34", "personal-id-number"),  # mostly masked
    ("3601021990*1011234", "personal-id-number"),  # one star: no run of 11 digits
    ("13800000000", "phone-number"),  # mobile
    ("0791-8888888", "phone-number"),  # landline, 4-digit area code
    ("010-88888888", "phone-number"),
    ("0101234567", "phone-number"),  # landline without its dash, 10 digits
    ("079188888888", "phone-number"),
    ("ID360102198001011234", "personal-id-number"),  # a letter before it
    ("36010219800101123Ｘ", "personal-id-number"),  # full-width check character
    ("3601021980＊＊＊＊1234", "personal-id-number"),  # full-width asterisks
    ("３６０１０２１９８００１０１１２３４", "personal-id-number"),  # all full width
    ("２０６０１０２２００５０１０１１２３", None),  # full width, but no real birth date
    ("１３８００１３８０００", "phone-number"),
    ("138-0013-8000", "phone-number"),
    ("138 0013 8000", "phone-number"),
    ("+8613800138000", "phone-number"),
    ("(0791)88888888", "phone-number"),
    ("（0791）88888888", "phone-number"),
    ("0791 88888888", "phone-number"),
    ("０７９１－８８８８８８８", "phone-number"),
    # issue 13: old IDs, separators and invisible characters inside, Chinese digits, 4-4-4
    ("360121850101123", "personal-id-number"),  # 15-digit ID (before 1999): born 1985-01-01
    ("360102 19800101 1234", "personal-id-number"),
    ("360102-19800101-1234", "personal-id-number"),
    ("3601\u00a00219800101\u200b1234", "personal-id-number"),  # no-break and zero-width spaces
    ("138.0013.8000", "phone-number"),
    ("138·0013·8000", "phone-number"),
    ("1\u200b3\u200b8\u200b0\u200b0\u200b1\u200b3\u200b8\u200b0\u200b0\u200b0", "phone-number"),
    ("1 3 8 0 0 1 3 8 0 0 0", "phone-number"),
    ("一三八〇〇一三八〇〇〇", "phone-number"),  # in Chinese digits
    ("幺三八零零幺三八零零零", "phone-number"),  # 幺 and 零, as a number is read aloud
    ("三六〇一〇二一九八〇〇一〇一一二三四", "personal-id-number"),
    ("0791 8888 8888", "phone-number"),  # landline grouped 4-4-4
    ("0791-8888-8888", "phone-number"),
    ("〇七九一八八八八八八八八", "phone-number"),
]


def candidates(texts: list[str]) -> list[bool]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (i INTEGER, s VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(texts)))
    return [hit for _, hit in con.execute(f"SELECT i, coalesce({candidate_sql('s')}, false) FROM t ORDER BY i").fetchall()]


@pytest.mark.parametrize(("value", "code"), SHAPES)
def test_each_shape_is_found_by_both_tests(value, code):
    text = f"经查，当事人（示例（虚构））联系方式{value}，已责令改正。"
    assert finding(text) == code
    if code:
        assert candidates([text]) == [True]
        assert value not in redact(text, "（已隐去）")


def test_candidate_test_never_misses_what_the_exact_check_flags():
    # Guards against a cheaper candidate pattern that lets personal data through unchecked
    # (the pattern it replaced missed "0101234567" and IDs with a single masked digit, and
    # nothing caught numbers typed in full width or with separators).
    rng = random.Random(20261129)
    pieces = ["年", "第", "号", "元", "-", "－", "*", "**", "****", "＊＊＊＊", "X", "x", "A", " ", "　", "\x01",
              "(", ")", "（", "）", "+86", "86", ".", "·", "—", "\u00a0", "\u200b", "\ufeff", "一", "三", "八",
              "〇", "零", "幺", "一三八", "〇七九一"]

    def digits() -> str:
        run = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 19)))
        if rng.random() < 0.3:  # a separator or an invisible character somewhere inside
            at = rng.randint(0, len(run))
            run = run[:at] + rng.choice([" ", "-", ".", "\u200b", "\u00a0", "·"]) + run[at:]
        return run

    def wide(text: str) -> str:  # typed in full width, as an IME in full-width mode types it
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text) if rng.random() < 0.2 else text

    def text() -> str:
        # One width per text: a number mixing ASCII and full-width digits is found only when it
        # holds a full-width 0 or 1, or an ASCII run the patterns match (personal.py says so).
        parts = [rng.choice([digits, lambda: rng.choice(pieces), lambda: rng.choice(SHAPES)[0]])() for _ in range(rng.randint(1, 8))]
        return wide("".join(parts))

    texts = [text() for _ in range(20000)]
    flagged = [t for t in texts if finding(t)]
    assert len(flagged) > 5000  # the generator does produce personal-data shapes
    missed = [t for t, hit in zip(texts, candidates(texts)) if finding(t) and not hit]
    assert missed == []


def test_ordinary_penalty_text_is_not_a_candidate():
    # Years, dates, amounts and case numbers are not personal data and must not send every
    # row to the exact check (it is the slow path).
    texts = ["2020年5月12日，执法人员检查发现该公司未按规定开展安全培训（虚构情节）。",
             "处罚款2.5万元", "洪应急罚〔2020〕示例0000001号", "依据第九十九条第一款", "共计120000元",
             "2016-03-15", "2016.03.15至2017.03.14", "二〇一五年六月一日", "第一百一十四条",
             "https://example.invalid/art/2016/3/15/art_1234_567.html"]
    assert candidates(texts) == [False] * len(texts)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("uscc", "91350100M000100Y43", None),  # the standard's own example: a valid code
    ("uscc", "360102198001011234", "personal-id-number"),  # an ID number in the code column
    ("registration_no", "360121203183894", None),  # passes ISO 7064 MOD 11,10
    ("registration_no", "360121850101123", "personal-id-number"),  # an old ID number, fails it
    ("org_code", "MAF8BNKT-9", None),
    ("decision_number", "洪应急罚〔2026〕360102198001011234号", "personal-id-number"),
    ("source_url", "https://example.invalid/case?tel=13800138000", "phone-number"),
    ("source_url", "https://example.invalid/case?id=360102198001011234", "personal-id-number"),
])
def test_no_column_is_exempt(field, value, code):
    # Guards against identifier, decision-number and URL columns being skipped: a valid
    # identifier of the column's own kind is not personal data; anything else is checked.
    assert finding(value, field) == code


def test_decision_numbers_and_urls_are_scanned_by_the_validator(package_copy):
    # Guards against publishing an ID in a decision number or a phone in a URL's query
    # string in every export: both columns used to be exempt from the scan.
    import csv
    import shutil

    from tests.conftest import FICTIONAL, validate

    for name in ("penalties", "blacklist"):
        shutil.copyfile(FICTIONAL / f"{name}.csv", package_copy.parent / "data" / f"{name}.csv")
    path = package_copy.parent / "data" / "penalties.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[0]["decision_number"] = "洪应急罚〔2026〕示例360102198001011234号"
    rows[1]["source_url"] = "https://example.invalid/penalty?contact=138-0013-8000"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    report = validate(package_copy)
    found = {(e.code, e.row, e.field) for e in report.errors}
    assert ("personal-id-number", 2, "decision_number") in found
    assert ("phone-number", 3, "source_url") in found
    text = repr([e.to_dict() for e in report.errors])
    assert "198001011234" not in text and "0013-8000" not in text
