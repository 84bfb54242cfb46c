"""Full-text search that finds Chinese words of one, two or more characters (issue 16).

SQLite's trigram tokenizer cannot match fewer than three characters, and most Chinese words
have two.  Stock SQLite has no Chinese tokenizer, and a custom one would be needed by everyone
who opens the downloaded safety.db.  So the words are cut before SQLite sees them:

Index (`index_text`, used by pipeline/publish/export.py when it writes <table>_fts): the text is
normalised (NFKC, case folded), cut into segments of letters and digits at every other
character (spaces, punctuation, symbols: what FTS5's unicode61 tokenizer treats as a
separator), and each segment is written as its overlapping pairs of characters followed by its
last character:  "道路交通安全" -> "道路 路交 交通 通安 安全 全".  The FTS5 table is contentless
(content=''), tokenizer unicode61 (stock), so only the index is stored.

Query (`escape_fts`, replacing Datasette's function of the same name for ?_search=): each term
(terms are separated by spaces) becomes a phrase of the same tokens, and all terms must match:
- "道路交通" -> "道路 路交 交通": the pairs in a row, i.e. the four characters in a row;
- "死" -> "死"*: a pair starting with it, or the last character of a segment: any occurrence;
- "3号" -> "3号": letters, digits and Chinese mix freely within a segment.
So for a term without spaces or punctuation the rows found are exactly the rows whose text
contains it (after NFKC and case folding): no misses, no extras.  Punctuation inside a term
separates segments; the phrase then requires the segments in a row with some separator
between them, whichever it is ("PM2.5" also finds "PM2,5").

Self-contained (no import from pipeline): Datasette loads this file from --plugins-dir and the
SQL sandbox (sql_sandbox.py) registers the same function in its own process.
"""

from __future__ import annotations

import functools
import re
import unicodedata

MAX_QUERY_CHARS = 200   # a longer ?_search= is refused, not cut: a silently shorter search would lie
MAX_TERMS = 16
TOKENIZE = "unicode61 remove_diacritics 0"


def normalize(text: str) -> str:
    """What both sides are compared as: full-width folded to half-width (NFKC), case folded."""
    return unicodedata.normalize("NFKC", text).casefold()


# A run of FTS5 unicode61's default token characters (categories L*, N* and Co): Python's \w is
# L* and N* plus "_", which unicode61 treats as a separator; private-use characters added.
_SEGMENT = re.compile(r"(?:[^\W_]|[\ue000-\uf8ff\U000f0000-\U0010fffd])+")


def segments(text: str) -> list[str]:
    return _SEGMENT.findall(normalize(text))


def _pairs(seg: str) -> list[str]:
    return [seg[i:i + 2] for i in range(len(seg) - 1)]


def index_text(text: str | None) -> str | None:
    """The tokens written to the FTS table for one cell: each segment's pairs, then its last character."""
    if text is None:
        return None
    text = str(text)
    # authorities, legal bases and categories repeat row after row: short texts are remembered
    return _short_index_text(text) if len(text) <= 200 else _index_text(text)


@functools.lru_cache(maxsize=1 << 14)  # at most 16,384 texts of at most 200 characters
def _short_index_text(text: str) -> str:
    return _index_text(text)


def _index_text(text: str) -> str:
    out = []
    for seg in segments(text):
        out += [seg[i:i + 2] for i in range(len(seg) - 1)]
        out.append(seg[-1])
    return " ".join(out)


def term_query(term: str) -> str | None:
    """One term as an FTS5 phrase over index_text's tokens; None when it has no letter or digit."""
    segs = segments(term)
    if not segs:
        return None
    if len(segs) == 1:
        seg = segs[0]
        return f'"{seg}"*' if len(seg) == 1 else '"' + " ".join(_pairs(seg)) + '"'
    # several segments: the first ends a segment of the text, the middle ones are whole
    # segments, the last begins one
    tokens = [t for seg in segs[:-1] for t in (*_pairs(seg), seg[-1])]
    last = segs[-1]
    if len(last) == 1:
        return '"' + " ".join([*tokens, last]) + '"*'
    return '"' + " ".join([*tokens, *_pairs(last)]) + '"'


class SearchTooLong(ValueError):
    pass


def escape_fts(query: str | None) -> str:
    """A visitor's ?_search= text as an FTS5 query: every term (split at spaces; quotes are
    ignored) must occur.  Text with no letter or digit matches nothing."""
    query = "" if query is None else str(query)
    if len(query) > MAX_QUERY_CHARS:
        raise SearchTooLong(f"搜索词最多 {MAX_QUERY_CHARS} 个字符 / a search is at most {MAX_QUERY_CHARS} characters")
    terms = [q for q in (term_query(t) for t in re.split(r"\s+", query.replace('"', " "))) if q]
    if len(terms) > MAX_TERMS:
        raise SearchTooLong(f"最多 {MAX_TERMS} 个搜索词 / at most {MAX_TERMS} search terms")
    return " AND ".join(terms) if terms else '""'


def mark_match(text: str | None, query: str | None, width: int = 40) -> str | None:
    """The text around the first match of any term, the match in 【】 (for saved queries:
    Datasette shows cells as text, so the mark is two characters, not HTML)."""
    if text is None or not query:
        return text
    norm = normalize(str(text))
    if len(norm) != len(str(text)):   # NFKC changed the length: positions would not line up
        norm, original = str(text), str(text)
    else:
        original = str(text)
    for term in sorted((t for t in re.split(r"\s+", query.replace('"', " ")) if t), key=len, reverse=True):
        needle = normalize(term)
        at = norm.find(needle)
        if at >= 0:
            start, end = max(0, at - width), min(len(original), at + len(needle) + width)
            return (("…" if start else "") + original[start:at] + "【" + original[at:at + len(needle)] + "】"
                    + original[at + len(needle):end] + ("…" if end < len(original) else ""))
    return original[: 2 * width] + ("…" if len(original) > 2 * width else "")


# Datasette's search condition (datasette/filters.py, 0.65): the table's rows whose rowid the
# full-text table matches.  `_search=` gives :search, `_search_COLUMN=` gives :search_0, ….
_SEARCH_IN = re.compile(r"\browid in \(select rowid from (\w+) where (\w+|\[\w+\]) match escape_fts\(:(search(?:_\d+)?)\)\)")
_COUNT_ONLY = re.compile(r"^select count\(\*\) from (\w+) where rowid in \(select rowid from (\1_fts) where (\2|\w+) "
                         r"match escape_fts\(:(search(?:_\d+)?)\)\)\s*$")


# A table page as Datasette writes it: plain column names, one table, a WHERE, an ORDER BY of
# plain names and a LIMIT (facets and counts wrap it or have no LIMIT: they do not match).
_PAGE = re.compile(r"^select (?P<cols>[\w, ]+?) from (?P<table>\w+) where (?P<where>.*) "
                   r"order by (?P<order>[\w ,]+?) limit (?P<limit>\d+)$", re.DOTALL)


def search_sql(sql: str, rowid_order: dict[str, list[str]] | None = None, pair_counts: frozenset | set = frozenset()) -> str:
    """Datasette's SQL for a searched table page, planned for a search that matches many rows.

    Measured on 1,000,000 penalties (BENCHMARKS.md): the match itself takes milliseconds, but
    `rowid in (select rowid from t_fts …)` makes SQLite look up every matching row and sort
    them all for a page of 101 (0.3 s for 200,000 matches, 0.6 s for 880,000).
    - The count of a search and nothing else is the full-text table's own count: each of its
      rowids is one row of the table (export.write_search_index builds both together, and the
      database is read-only).  For a table in `pair_counts` and a search of one pair of characters
      (one token: the commonest search, a two-character word), the count is read from
      <table>_fts_pairs, the number of rows holding each pair, instead of counting the matches
      (21 ms for a pair in half of a million rows).
    - A page in the table's default order, where `rowid_order` says the table's rows are stored
      in that order (table -> [first page's ORDER BY, later pages' ORDER BY], from the metadata;
      export._sqlite_order writes them so): the full-text table's matches are read in rowid order,
      which it keeps, each looked up, and reading stops when the page is full.  The same rows in
      the same order, at a cost that grows with the page, not with the matches.
    - Elsewhere `+rowid` (the same value; the unary plus only tells SQLite not to look rows
      up by it) lets SQLite read the table in the page's order by its index and stop after
      one page, testing each row against the list of matches: 5 to 140 ms for any term, 80 ms
      when nothing matches (the whole index is read).
    Any other SQL is returned unchanged."""
    if "escape_fts(" not in sql:
        return sql
    m = _COUNT_ONLY.match(sql.strip())
    if m:
        table, fts, column, param = m.groups()
        if table in pair_counts and column == fts:
            # escape_fts writes one pair as "XY" (a single character is "X"*, several terms or
            # pairs are longer): exactly four characters, quotes at both ends
            return (f"select coalesce((select row_count from {fts}_pairs where pair = substr(q, 2, 2) and q glob '\"??\"'), "
                    f"(select count(*) from {fts} where {fts} match q)) from (select escape_fts(:{param}) as q)")
        return f"select count(*) from {fts} where {column} match escape_fts(:{param})"
    page = _PAGE.match(sql.strip()) if rowid_order else None
    found = list(_SEARCH_IN.finditer(page["where"])) if page else []
    if (len(found) == 1 and found[0].group(1) == f"{page['table']}_fts"
            and " ".join(page["order"].split()) in (rowid_order.get(page["table"]) or ())):
        table, (fts, column, param) = page["table"], found[0].groups()
        where = page["where"][:found[0].start()] + "1" + page["where"][found[0].end():]
        # in the join an unqualified rowid (?_where=rowid>5) names no column: such a page keeps its plan
        if not re.search(r"\b(_?rowid_?|oid)\b", page["cols"] + " " + where, re.IGNORECASE):
            # CROSS JOIN: SQLite keeps the left table outside, so the full-text matches drive
            return (f"select {page['cols']} from (select rowid as fts_rowid_ from {fts} where {column} match "
                    f"escape_fts(:{param})) as fts_matches_ cross join {table} on {table}.rowid = "
                    f"fts_matches_.fts_rowid_ where {where} order by fts_matches_.fts_rowid_ limit {page['limit']}")
    return _SEARCH_IN.sub(lambda m: "+" + m.group(0), sql)


def register(conn) -> None:
    """The functions on one SQLite connection (Datasette's and the sandbox's)."""
    conn.create_function("escape_fts", 1, escape_fts, deterministic=True)
    conn.create_function("mark_match", 2, mark_match, deterministic=True)


try:
    from datasette import hookimpl
except ImportError:  # imported by the build to write the index: no Datasette needed there
    hookimpl = None

if hookimpl is not None:
    # trylast: Datasette's own prepare_connection registers its escape_fts; this one runs after
    # it and replaces it on every connection.
    @hookimpl(trylast=True)
    def prepare_connection(conn):
        register(conn)

    @hookimpl
    def filters_from_request(request):
        # Inside SQLite a refusal reads "user-defined function raised exception": say why here,
        # before the query, as Datasette says "Cannot search by that column".
        async def inner():
            from datasette.utils.asgi import BadRequest

            for key in request.args:
                if key.startswith("_search") and key != "_searchmode":
                    try:
                        escape_fts(request.args[key])
                    except SearchTooLong as e:
                        raise BadRequest(str(e)) from None

        return inner
