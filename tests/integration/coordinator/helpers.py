"""Helpers of the coordinator integration tests: deterministic data and result comparison.

Results through the coordinator are compared with the same statement on one plain PostgreSQL that
holds all rows. Values are compared exactly, except floats (summation order differs across shards,
see coordinator/README.md "Known, documented differences"), which are compared to 1e-9 relative.
Order matters only when the statement has a total order; otherwise rows are compared as multisets.
"""

import decimal
import math
import random

DIMS = 4
SEED = 4242

# The distance operators of the vector type and a query vector for each test.
OPERATORS = ["<->", "<#>", "<=>", "<+>"]
QUERIES = ["[0.5,0.25,0.75,0.1]", "[0.9,0.1,0.3,0.6]"]


def make_rows(first, count, seed=SEED):
    """Rows (id, category, price, name, embedding-text) with ids first..first+count-1.

    Vector components have 6 random decimals, so no two rows are at the same distance from the
    query vectors (checked by assert_no_ties); names include characters COPY must escape/quote.
    """
    rng = random.Random(seed + first)
    rows = []
    for i in range(first, first + count):
        vec = "[%s]" % ",".join("%.6f" % rng.uniform(-1, 1) for _ in range(DIMS))
        price = decimal.Decimal(rng.randint(100, 99999)) / 100
        specials = ["plain", "with, comma", 'with "quote"', "tab\there", "back\\slash", "ünïcode"]
        name = "%s %d" % (specials[i % len(specials)], i)
        rows.append((i, i % 7, price, name, vec))
    return rows


def copy_text(rows):
    """rows as COPY text format (escaping tab, backslash, newline)."""
    def esc(v):
        return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return "".join("\t".join(esc(v) for v in r) + "\n" for r in rows)


def copy_csv(rows):
    """rows as CSV (every field quoted, quotes doubled)."""
    def q(v):
        return '"%s"' % str(v).replace('"', '""')
    return "".join(",".join(q(v) for v in r) + "\n" for r in rows)


def norm_value(v):
    """A comparable form of one cell: floats stay floats (compared approximately), the rest exact."""
    if isinstance(v, float):
        return v
    if isinstance(v, memoryview):
        return bytes(v)
    return v


def same_value(a, b):
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def same_row(a, b):
    return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))


def sort_key(row):
    """Order rows for a multiset comparison (floats rounded so near-equal values sort together)."""
    return tuple((0, "") if v is None else (1, repr(round(v, 6)) if isinstance(v, float) else repr(v)) for v in row)


def diff_results(got, want, ordered):
    """None when equal, else a short description of the first difference."""
    got = [tuple(norm_value(v) for v in r) for r in got]
    want = [tuple(norm_value(v) for v in r) for r in want]
    if not ordered:
        got = sorted(got, key=sort_key)
        want = sorted(want, key=sort_key)
    if len(got) != len(want):
        return "row count %d through the coordinator, %d on plain PostgreSQL\ngot:  %s\nwant: %s" % (
            len(got), len(want), got[:5], want[:5])
    for i, (g, w) in enumerate(zip(got, want)):
        if not same_row(g, w):
            return "row %d differs:\ngot:  %r\nwant: %r" % (i, g, w)
    return None


def fetch(conn, sql, params=None):
    """(column names, rows, rowcount) of one statement on a psycopg2 connection."""
    with conn.cursor() as cur:
        cur.execute(sql, params)
        names = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if cur.description else []
        return names, rows, cur.rowcount


def assert_no_ties(conn, sql):
    """Fail when a kNN statement's distance column (the last one) has duplicates: the data would be ambiguous."""
    _, rows, _ = fetch(conn, sql)
    dists = [r[-1] for r in rows]
    assert len(set(dists)) == len(dists), "test data has distance ties for %s" % sql
