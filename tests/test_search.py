"""Full-text search of Chinese (issue 16): pipeline/datasette/plugins/chinese_search.py.

Guards against the trigram index's blind spot (a word of one or two characters found nothing)
and against a search that silently drops a term or returns rows without it: for every term the
rows found must be exactly the rows whose text contains it (NFKC, case folded), checked by a
substring test in Python over the same rows.  The index is written by the build's own
function (export.write_search_index) into stock SQLite.
"""

from __future__ import annotations

import random
import sqlite3

import pytest

from pipeline import paths
from pipeline.datasette.plugins import chinese_search as cs
from pipeline.publish.export import write_search_index
from pipeline.registry import SEARCH

PLAN_TEXT = (paths.DATASETS / "source").glob("*.txt")


def _db(rows: list[tuple[str, ...]], columns: list[str]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE TABLE t ({', '.join(columns)})")
    db.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})", rows)
    write_search_index(db, "t", columns, cs)
    cs.register(db)
    return db


def found(db, query: str, column: str | None = None) -> set[int]:
    where = f"{column} : ({cs.escape_fts(query)})" if column else cs.escape_fts(query)
    return {r for (r,) in db.execute("SELECT rowid FROM t_fts WHERE t_fts MATCH ?", (where,))}


def contains(db, query: str, columns: list[str]) -> set[int]:
    """The truth: rows where every space-separated term is a substring of some column."""
    terms = [cs.normalize(t) for t in query.replace('"', " ").split()]
    out = set()
    for rowid, *values in db.execute(f"SELECT rowid, {', '.join(columns)} FROM t"):
        texts = [cs.normalize(v) for v in values if v]
        if terms and all(any(t in x for x in texts) for t in terms):
            out.add(rowid)
    return out


@pytest.fixture(scope="module")
def plan_lines():
    """The plan's own lines (real agency text, Chinese with digits and Latin), one row each."""
    lines = []
    for path in sorted(PLAN_TEXT):
        lines += [(line, "") for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return _db(lines, ["text", "note"])


@pytest.fixture(scope="module")
def penalties():
    from tests.fictional import penalty_rows

    cols = list(SEARCH["penalties"])
    return _db([tuple(r[c] for c in cols) for r in penalty_rows(1500, seed=3)], cols), cols


@pytest.mark.parametrize("query", [
    "死", "罚", "道路", "死亡", "罚款", "安全生", "道路交通", "危险化学品", "2015", "10", "gdp", "GDP", "亿元gdp",
    "道路 死亡", "死亡 道路 2015", "事故 下降",
])
def test_plan_terms_of_any_length_find_exactly_the_rows_containing_them(plan_lines, query):
    truth = contains(plan_lines, query, ["text", "note"])
    assert found(plan_lines, query) == truth
    if query in ("道路", "死亡", "罚款", "死"):
        assert truth, query  # the words the issue found nothing for


def test_random_substrings_of_the_text_find_exactly_their_rows(plan_lines, penalties):
    # Any run of 1-4 letters, digits or Chinese characters taken from the text itself.
    rng = random.Random(16)
    for db, cols in ((plan_lines, ["text", "note"]), penalties):
        texts = [cs.normalize(v) for r in db.execute(f"SELECT {', '.join(cols)} FROM t") for v in r if v]
        checked = 0
        while checked < 150:
            seg = rng.choice([s for t in [rng.choice(texts)] for s in cs.segments(t)] or [""])
            if not seg:
                continue
            n = rng.randint(1, min(4, len(seg)))
            at = rng.randrange(len(seg) - n + 1)
            term = seg[at:at + n]
            assert found(db, term) == contains(db, term, cols), term
            checked += 1


def test_a_search_for_one_column_finds_only_in_that_column(penalties):
    db, _ = penalties
    for term in ("燃气", "公司", "罚款"):
        truth = {r for r, v in db.execute("SELECT rowid, party_name FROM t") if cs.normalize(term) in cs.normalize(v)}
        assert found(db, term, "party_name") == truth


def test_full_width_and_case_are_folded():
    db = _db([("ＧＤＰ下降１０％",), ("gdp上升",)], ["text"])
    assert found(db, "GDP") == {1, 2}
    assert found(db, "１０") == found(db, "10") == {1}


def test_punctuation_alone_finds_nothing_and_operators_are_words():
    db = _db([("道路 AND 交通",), ("NOT 道路",), ("道路交通",)], ["text"])
    assert found(db, "，。") == set()
    assert found(db, "") == set()
    assert found(db, "NOT") == {2}          # a word, not an FTS operator
    assert found(db, '"道路') == {1, 2, 3}   # an unbalanced quote is not an error


def test_a_term_across_punctuation_needs_its_parts_in_a_row():
    db = _db([("PM2.5超标",), ("PM2超标5",), ("5.PM2",)], ["text"])
    assert found(db, "PM2.5") == {1}
    assert found(db, "2.5超") == {1}


def test_a_search_too_long_is_refused_not_cut():
    with pytest.raises(cs.SearchTooLong):
        cs.escape_fts("道" * (cs.MAX_QUERY_CHARS + 1))
    with pytest.raises(cs.SearchTooLong):
        cs.escape_fts(" ".join("词" for _ in range(cs.MAX_TERMS + 1)))


def test_mark_match_brackets_the_first_match():
    assert cs.mark_match("二〇一五年道路交通事故死亡人数", "死亡") == "二〇一五年道路交通事故【死亡】人数"
    assert cs.mark_match("ＧＤＰ下降", "gdp") == "【ＧＤＰ】下降"  # the text as written, found folded
    assert cs.mark_match(None, "x") is None


def test_segments_split_where_sqlite_unicode61_splits():
    # The index's pairs must each be one unicode61 token: letters, digits and private use
    # together, every other character (and "_") a separator, for every BMP character.
    import unicodedata

    for i in range(0x10000):
        if 0xD800 <= i < 0xE000:
            continue
        c = chr(i)
        token = unicodedata.category(c)[0] in "LN" or unicodedata.category(c) == "Co"
        assert bool(cs._SEGMENT.fullmatch(c)) == token, hex(i)


def test_the_planned_search_sql_finds_the_same_rows_and_counts(penalties):
    # chinese_search.search_sql rewrites Datasette's SQL of a searched page (count from the
    # full-text table; +rowid so SQLite reads in page order): same answers as the original.
    db, _ = penalties
    db.execute("CREATE INDEX t_name ON t (party_name)")
    sub = "rowid in (select rowid from t_fts where t_fts match escape_fts(:search))"
    col = "rowid in (select rowid from t_fts where party_name match escape_fts(:search_0))"
    queries = [f"select count(*) from t where {sub} ", f"select rowid, * from t where {sub} order by party_name, rowid limit 101",
               f"select count(*) from t where {col} ", f"select count(*) from t where authority like '%应急%' and {sub} ",
               f"select rowid from t where {sub} and {col} order by party_name desc, rowid limit 20"]
    for term in ("罚款", "燃气", "死", "公司0012", "不存在的词"):
        params = {"search": term, "search_0": term}
        for q in queries:
            planned = cs.search_sql(q)
            assert planned != q
            assert db.execute(planned, params).fetchall() == db.execute(q, params).fetchall(), (term, q)
    assert cs.search_sql("select count(*) from t where x = 1") == "select count(*) from t where x = 1"


def test_datasettes_search_condition_is_the_one_search_sql_plans(tmp_path):
    # search_sql recognises the condition Datasette 0.65 writes for ?_search= and
    # ?_search_COLUMN= (datasette/filters.py).  If an upgrade changes it, searches would still
    # be right but slow again: this fails loudly instead.
    import asyncio
    import concurrent.futures
    import urllib.parse

    from datasette.app import Datasette
    from datasette.filters import search_filters
    from datasette.utils.asgi import Request

    db = sqlite3.connect(tmp_path / "safety.db")
    db.execute("CREATE TABLE penalties (party_name TEXT)")
    write_search_index(db, "penalties", ["party_name"], cs)
    db.commit()
    db.close()
    ds = Datasette([str(tmp_path / "safety.db")], metadata={
        "databases": {"safety": {"tables": {"penalties": {"fts_table": "penalties_fts", "fts_pk": "rowid"}}}}})
    for key in ("_search", "_search_party_name"):
        request = Request.fake("/safety/penalties?" + urllib.parse.urlencode({key: "道路"}))
        # in a thread of its own: Playwright's sync API may hold this thread's event loop
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            args = pool.submit(asyncio.run, search_filters(request, "safety", "penalties", ds)()).result()
        [where] = args.where_clauses
        count = f"select count(*) from penalties where {where} "
        assert cs.search_sql(count).startswith("select count(*) from penalties_fts where"), where
        page = f"select rowid, * from penalties where {where} order by party_name limit 101"
        assert "+rowid in (select rowid from penalties_fts" in cs.search_sql(page), where


ORDERS = {"t": ["decision_date desc", "decision_date desc, decision_number"]}


@pytest.fixture(scope="module")
def ordered_penalties():
    """Fictional penalties stored as export writes safety.db: in their pages' order (decision date
    newest first, then decision number), so rowid order is the order Datasette pages them in."""
    from tests.fictional import penalty_rows

    cols = ["decision_number", "decision_date", "authority", *(c for c in SEARCH["penalties"] if c != "authority")]
    rows = sorted(penalty_rows(1500, seed=5), key=lambda r: r["decision_number"])
    rows.sort(key=lambda r: r["decision_date"], reverse=True)
    db = _db([tuple(r[c] for c in cols) for r in rows], cols)
    db.execute("CREATE INDEX t_date ON t (decision_date)")
    return db


def test_a_searched_page_read_in_rowid_order_is_the_same_page(ordered_penalties):
    # search_sql reads a searched page of a table stored in its pages' order from the full-text
    # table in rowid order (at 1M rows: 0.5 ms a page instead of 13).  Guards against a rewrite that
    # loses, repeats or reorders rows: every page, the first and those after ?_next=, with and
    # without other filters, is the page SQLite gives for the original SQL with its tie-break.
    db = ordered_penalties
    sub = "rowid in (select rowid from t_fts where t_fts match escape_fts(:search))"
    later = "(decision_date < :p0 or decision_date is null or (decision_date = :p0 and decision_number > :p1))"
    date, number = db.execute("select decision_date, decision_number from t order by rowid limit 1 offset 200").fetchone()
    pages = [
        (f"select decision_number, party_name from t where {sub} order by decision_date desc limit 51", {}),
        (f"select decision_number, party_name from t where authority = :a and {sub} order by decision_date desc limit 11",
         {"a": db.execute("select authority from t limit 1").fetchone()[0]}),
        (f"select decision_number from t where {sub} and {later} order by decision_date desc, decision_number limit 21",
         {"p0": date, "p1": number}),
    ]
    rewritten = 0
    for term in ("罚款", "燃气", "死", "公司0012", "不存在的词", "罚款 燃气"):
        for sql, params in pages:
            planned = cs.search_sql(sql, ORDERS)
            rewritten += "cross join t on t.rowid" in planned
            truth = sql.replace("order by decision_date desc limit", "order by decision_date desc, decision_number limit")
            assert db.execute(planned, {"search": term, **params}).fetchall() == \
                db.execute(truth, {"search": term, **params}).fetchall(), (term, sql)
    assert rewritten == 18
    # a visitor's own condition on rowid (?_where=rowid>5) would name no column in the join
    by_rowid = f"select decision_number from t where {sub} and rowid > 700 order by decision_date desc limit 51"
    assert "+rowid in" in cs.search_sql(by_rowid, ORDERS)
    assert db.execute(cs.search_sql(by_rowid, ORDERS), {"search": "罚款"}).fetchall()
    # another order, or a table not stored in its order, keeps the +rowid plan
    other = f"select decision_number from t where {sub} order by party_name limit 51"
    assert "+rowid in" in cs.search_sql(other, ORDERS)
    assert "+rowid in" in cs.search_sql(pages[0][0], {})


def test_the_count_of_a_two_character_search_is_read_from_the_pair_counts(penalties):
    # <table>_fts_pairs (export.write_search_index) holds how many rows hold each pair: a count
    # read from it must equal counting the matches, for every pair in the text and for terms that
    # are not one pair (one character, three, several terms, a pair that never occurs).
    db, _ = penalties
    count = "select count(*) from t where rowid in (select rowid from t_fts where t_fts match escape_fts(:search)) "
    planned = cs.search_sql(count, None, {"t"})
    assert "t_fts_pairs" in planned
    pairs = [p for (p,) in db.execute("select pair from t_fts_pairs")]
    assert len(pairs) > 100
    for term in [*pairs, "死", "罚款 燃气", "安全生", "不存", "ab", "AB", "１２"]:
        assert db.execute(planned, {"search": term}).fetchone() == db.execute(count, {"search": term}).fetchone(), term
    assert all(n == len(found(db, p)) for p, n in db.execute("select pair, row_count from t_fts_pairs"))
