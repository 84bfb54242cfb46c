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
              "(", ")", "（", "）", "+86", "86"]

    def digits() -> str:
        return "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 19)))

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
             "处罚款2.5万元", "洪应急罚〔2020〕示例0000001号", "依据第九十九条第一款", "共计120000元"]
    assert candidates(texts) == [False] * len(texts)
