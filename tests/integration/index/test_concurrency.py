"""Inserts during concurrent searches (issue 3, Lifecycle: "inserts after the build are searchable at once").

Per family: writers insert small transactions through their own connections while readers run
kNN queries through the index. Right after each commit the writer looks one of its new rows up
by an exact-match index query (ORDER BY embedding <-> v LIMIT 1 must return it at distance 0), and
readers look up rows other sessions committed. Every loop is bounded in time and count; any
error in any thread fails the test. At the end a sample of the committed rows is found again
through the index and the index holds one entry per row.
"""

import random
import threading
import time

import pytest

from . import helpers as h

DIM, BASE, K = 32, 2000, 10
DURATION = 2.5           # seconds of concurrent work per family
MAX_BATCHES = 250        # per writer
WRITERS, READERS, BATCH = 2, 2, 3


def _session(pg, settings):
    conn = pg.connect()
    cur = conn.cursor()
    h.apply_settings(cur, settings)
    cur.execute("SET enable_seqscan = off")
    return conn, cur


def _writer(pg, table, settings, vectors, first_id, committed, lock, stop, failures, stats):
    conn, cur = _session(pg, settings)
    try:
        for b in range(MAX_BATCHES):
            if stop.is_set() or (b + 1) * BATCH > len(vectors):
                break
            rows = [(first_id + b * BATCH + j, vectors[b * BATCH + j]) for j in range(BATCH)]
            args = ",".join(cur.mogrify("(%s,%s)", (i, h.vec_text(v))).decode() for i, v in rows)
            cur.execute("INSERT INTO %s (id, embedding) VALUES %s" % (table, args))
            with lock:
                committed.update(rows)
            i, v = rows[b % BATCH]
            hit = h.exact_match(cur, table, v)
            if hit != (i, 0.0):
                failures.append("writer: row %d not found right after its commit: %s" % (i, hit))
            stats["writes"] += BATCH
    except Exception as e:  # noqa: BLE001
        failures.append("writer error: %r" % e)
    finally:
        conn.close()


def _reader(pg, table, settings, committed, lock, stop, failures, stats, seed):
    conn, cur = _session(pg, settings)
    rng = random.Random(seed)
    qs = h.random_vectors(64, DIM, seed=seed)
    n = 0
    try:
        while not stop.is_set() and n < 5000:
            n += 1
            ids, d = h.knn(cur, table, qs[n % len(qs)], "l2", K)
            if len(ids) != K or any(d[j] > d[j + 1] + 1e-6 for j in range(K - 1)):
                failures.append("reader: bad result %s %s" % (ids, d))
            with lock:
                known = list(committed.items()) if n % 4 == 0 else None
            if known:
                i, v = known[rng.randrange(len(known))]
                hit = h.exact_match(cur, table, v)
                if hit != (i, 0.0):
                    failures.append("reader: committed row %d not found: %s" % (i, hit))
            stats["reads"] += 1
    except Exception as e:  # noqa: BLE001
        failures.append("reader error: %r" % e)
    finally:
        conn.close()


@pytest.mark.parametrize("name", list(h.SMALL_FAMILIES))
def test_inserts_during_searches(pg, conn, name):
    using, settings, exact = h.SMALL_FAMILIES[name]
    table, index = "cc_" + name, "ccix_" + name
    base = h.random_vectors(BASE, DIM, seed=61)
    h.create_table(conn, table, DIM)
    h.copy_rows(conn, table, range(1, BASE + 1), base)
    with conn.cursor() as cur:
        cur.execute("CREATE INDEX %s ON %s USING %s" % (index, table, using))
        cur.execute("ANALYZE %s" % table)
        h.apply_settings(cur, settings)
        cur.execute("SET enable_seqscan = off")
        h.assert_index_scan(cur, table, index, "l2", base[0], K)

    committed = {i + 1: base[i] for i in range(BASE)}
    lock = threading.Lock()
    stop = threading.Event()
    failures = []
    stats = {"writes": 0, "reads": 0}
    stream = h.random_vectors(WRITERS * MAX_BATCHES * BATCH, DIM, seed=62)
    per = MAX_BATCHES * BATCH
    threads = [threading.Thread(target=_writer, args=(pg, table, settings, stream[w * per:(w + 1) * per],
                                                      100000 * (w + 1), committed, lock, stop, failures, stats))
               for w in range(WRITERS)]
    threads += [threading.Thread(target=_reader, args=(pg, table, settings, committed, lock, stop, failures,
                                                       stats, 70 + r)) for r in range(READERS)]
    for t in threads:
        t.daemon = True
        t.start()
    deadline = time.time() + DURATION
    while time.time() < deadline and not failures:
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a worker thread did not stop"
    print("%s: %s" % (name, stats))
    assert not failures, "%d failures, first: %s" % (len(failures), failures[:3])
    assert stats["writes"] > 0 and stats["reads"] > 0, stats

    with conn.cursor() as cur:
        h.apply_settings(cur, settings)
        cur.execute("SET enable_seqscan = off")
        cur.execute("SELECT count(*) FROM %s" % table)
        assert cur.fetchone()[0] == len(committed)
        cur.execute("SELECT list_entries + graph_vectors + delta_vectors FROM jadevector_index_info(%s)", (index,))
        assert cur.fetchone()[0] == len(committed)
        # Each new row was already looked up right after its commit; re-check a fixed sample.
        new_ids = sorted(i for i in committed if i > BASE)
        for i in random.Random(64).sample(new_ids, min(200, len(new_ids))):
            assert h.exact_match(cur, table, committed[i]) == (i, 0.0), i
        for q in h.random_vectors(10, DIM, seed=63):
            h.check_knn(cur, table, committed, q, K, exact)
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE %s" % table)
