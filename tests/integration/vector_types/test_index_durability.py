"""Indexes on halfvec and bit columns survive kill -9 of the whole server (WAL replay of their pages).

ivfflat halfvec_l2_ops (IVF lists of binary16 codes), ivfflat bit_hamming_ops (binary centroids,
lists of packed rows) and faiss bit_jaccard_ops (Flat) are built on a base set; rows are then
inserted in small acknowledged transactions and some are deleted and vacuumed; the postmaster and
every backend are SIGKILLed at once (tests/integration/index/helpers.crash) and the server restarts.
Afterwards every acknowledged row is found through its index by an exact-match query (distance 0
at the top), deleted rows never come back, the index's entry count equals the live rows, and new
inserts are found. The same pages are what a physical standby replays.
"""

import random

import pytest

from conftest import start_plain_pg
from index import helpers as ih

pytestmark = pytest.mark.timeout(300)

BASE, ADDED = 400, 120
DIMS, BITS = 16, 64

INDEXES = {
    "hv": ("v halfvec(%d)" % DIMS, "ivfflat (v halfvec_l2_ops) WITH (lists = 8)", "<->", {"ivfflat.probes": "8"}),
    "bh": ("v bit(%d)" % BITS, "ivfflat (v bit_hamming_ops) WITH (lists = 8)", "<~>", {"ivfflat.probes": "8"}),
    "bj": ("v bit(%d)" % BITS, "faiss (v bit_jaccard_ops)", "<%>", {}),
}


def _num(x):
    """A float as PostgreSQL prints it (these are exact in binary16: multiples of 1/32 up to 16)."""
    r = repr(x)
    return r[:-2] if r.endswith(".0") else r


def value(kind, rng):
    if kind == "hv":
        return "[%s]" % ",".join(_num(rng.randint(-512, 512) / 32.0) for _ in range(DIMS))
    return "".join(rng.choice("01") for _ in range(BITS - 1)) + "1"  # never all zeros (Jaccard 1 ties)


@pytest.fixture(scope="module")
def pg(request, pg_template):
    server = start_plain_pg("types-crash", pg_template, settings={"fsync": "on", "synchronous_commit": "on",
                                                                  "full_page_writes": "on", "jit": "off"})
    request.addfinalizer(server.destroy)
    return server


def test_new_element_indexes_survive_a_crash(pg):
    rng = random.Random(5)
    rows = {k: {} for k in INDEXES}
    conn = pg.connect()
    with conn.cursor() as cur:
        for name, (col, using, _, _) in INDEXES.items():
            cur.execute("CREATE TABLE %s (id int PRIMARY KEY, %s)" % (name, col))
            for i in range(BASE):
                rows[name][i] = value(name, rng)
            args = ",".join(cur.mogrify("(%s, %s)", (i, v)).decode() for i, v in rows[name].items())
            cur.execute("INSERT INTO %s VALUES %s" % (name, args))
            cur.execute("CREATE INDEX %s_idx ON %s USING %s" % (name, name, using))
    # Acknowledged inserts after the build, one small transaction each, then deletes + VACUUM.
    for name in INDEXES:
        for i in range(BASE, BASE + ADDED):
            v = value(name, rng)
            with conn.cursor() as cur:
                cur.execute("INSERT INTO %s VALUES (%%s, %%s)" % name, (i, v))
            rows[name][i] = v
    with conn.cursor() as cur:
        for name in INDEXES:
            cur.execute("DELETE FROM %s WHERE id %% 10 = 3" % name)
            for i in [i for i in rows[name] if i % 10 == 3]:
                del rows[name][i]
            cur.execute("VACUUM %s" % name)
    conn.close()
    ih.crash(pg)
    pg.start()
    conn = pg.connect()
    with conn.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        for name, (_, _, op, settings) in INDEXES.items():
            op = op.replace("%", "%%")  # <%> inside a statement that also has parameters
            for k, v in settings.items():
                cur.execute("SET %s = %s" % (k, v))
            cur.execute("SELECT id, v::text FROM %s ORDER BY id" % name)
            assert dict(cur.fetchall()) == rows[name], "%s: table contents after recovery" % name
            cur.execute("EXPLAIN (COSTS OFF) SELECT id FROM %s ORDER BY v %s %%s LIMIT 1" % (name, op),
                        (rows[name][0],))
            assert "%s_idx" % name in " ".join(r[0] for r in cur.fetchall())
            for i, v in rows[name].items():
                cur.execute("SELECT v %s %%s FROM %s ORDER BY v %s %%s LIMIT 1" % (op, name, op), (v, v))
                assert cur.fetchone()[0] == 0.0, "%s: row %d not found through the index" % (name, i)
            cur.execute("SELECT list_entries FROM jadevector_index_info(%s)", ("%s_idx" % name,))
            assert cur.fetchone()[0] == len(rows[name]), "%s: index entries vs live rows" % name
            new = value(name, rng)
            cur.execute("INSERT INTO %s VALUES (%%s, %%s)" % name, (10 ** 6, new))
            cur.execute("SELECT id FROM %s ORDER BY v %s %%s LIMIT 1" % (name, op), (new,))
            assert cur.fetchone()[0] == 10 ** 6
            cur.execute("RESET ALL")
            cur.execute("SET enable_seqscan = off")
    conn.close()
