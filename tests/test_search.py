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
from pipeline.export import FTS, write_search_index

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

    cols = FTS["penalties"]
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
