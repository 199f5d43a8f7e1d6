"""Inserts during concurrent searches (issue 3, Lifecycle: "inserts after the build are searchable at once").

Per family: writers insert small transactions through their own connections while readers run
kNN queries through the index (and, for HNSW families, a merger folds the delta into the graph
now and then). Right after each commit the writer looks one of its new rows up by an exact-match
index query (ORDER BY embedding <-> v LIMIT 1 must return it at distance 0), and readers look up
rows other sessions committed. Every loop is bounded in time and count; any error in any thread
fails the test. At the end a sample of the committed rows is found again through the index and
the index holds one entry per row.

What is guaranteed, and so asserted exactly:
  * no committed row is ever lost: every lookup that does not return the row first is followed by
    a filtered scan that runs the index to exhaustion (WHERE id + 0 = i, iterative scan on), and
    that scan must return the row. This catches id map / graph mismatches, cache or delta-merge
    races and batch/dedup bugs, for every family;
  * exact families (Flat, IVF with every list probed, lossy IVF re-ranked over every list) and the
    HNSW delta (an exact list) return the row first, always;
  * every node of an HNSW graph is reachable from its entry point (faiss/hnsw_reachability.h).
    FAISS 1.7.3 alone left row 38 of this very data with no incoming link — no search found it at
    any ef, which failed this test in CI (`committed row 38 not found: (941, 1.78)`). So, with the
    deterministic one-thread build, every one of the 2,000 base rows must come back first for its
    own vector at ef 400 (checked in one server-side sweep before the concurrent phase).
What is not guaranteed: a graph search is approximate, so once merges (timing-dependent) reshape
the graph, an exact-match lookup of a graph row can in principle return a neighbour first. Such a
lookup is proven not lost by the exhaustive scan and counted; fewer than 1% of lookups may be
such approximate misses (0 measured after the reachability repair).
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
MERGE_PERIOD = 0.5       # seconds between delta merges of HNSW families during the run
MAX_MERGES = 10
MAX_APPROX_MISS = 0.01   # graph rows: exact-match lookups that may return a neighbour first

GRAPH_FAMILIES = {"hnsw", "hnsw_sq8", "pg_hnsw"}
# Settings under which a scan runs the index to exhaustion (iterative scan, no bound reached).
EXHAUSTIVE = {"jadevector.iterative_scan": "relaxed_order", "jadevector.max_scan_tuples": 0,
              "hnsw.iterative_scan": "relaxed_order", "hnsw.max_scan_tuples": 2147483647,
              "ivfflat.iterative_scan": "relaxed_order", "ivfflat.max_probes": 32768}


def _session(pg, settings):
    conn = pg.connect()
    cur = conn.cursor()
    h.apply_settings(cur, settings)
    cur.execute("SET enable_seqscan = off")
    return conn, cur


def _found_exhaustively(cur, table, i, v, settings):
    """Whether a filtered scan that runs the index to exhaustion returns row i (the index has it)."""
    for k, val in EXHAUSTIVE.items():
        cur.execute("SET %s = %s" % (k, val))
    t = h.vec_text(v)
    cur.execute("SELECT id FROM %s WHERE id + 0 = %%s ORDER BY embedding <-> %%s::vector LIMIT 1" % table, (i, t))
    row = cur.fetchone()
    h.apply_settings(cur, settings)
    cur.execute("SET enable_seqscan = off")
    return row is not None and row[0] == i


def _check_lookup(cur, table, i, v, settings, graph, stats, who):
    """Exact-match lookup of committed row i; returns a failure message or None (module doc)."""
    hit = h.exact_match(cur, table, v)
    stats["lookups"] += 1
    if hit == (i, 0.0):
        return None
    if not _found_exhaustively(cur, table, i, v, settings):
        return "%s: committed row %d is lost: the index cannot return it (top-1 %s)" % (who, i, hit)
    if not graph:
        return "%s: committed row %d not found first: %s" % (who, i, hit)
    stats["approx_misses"] += 1
    return None


def _writer(pg, table, settings, graph, vectors, first_id, committed, lock, stop, failures, stats):
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
            failure = _check_lookup(cur, table, i, v, settings, graph, stats, "writer (right after its commit)")
            if failure:
                failures.append(failure)
            stats["writes"] += BATCH
    except Exception as e:  # noqa: BLE001
        failures.append("writer error: %r" % e)
    finally:
        conn.close()


def _reader(pg, table, settings, graph, committed, lock, stop, failures, stats, seed):
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
                failure = _check_lookup(cur, table, i, v, settings, graph, stats, "reader")
                if failure:
                    failures.append(failure)
            stats["reads"] += 1
    except Exception as e:  # noqa: BLE001
        failures.append("reader error: %r" % e)
    finally:
        conn.close()


def _merger(pg, index, stop, failures, stats):
    """Folds the HNSW delta into the graph every MERGE_PERIOD seconds while readers scan."""
    conn = pg.connect()
    cur = conn.cursor()
    try:
        for _ in range(MAX_MERGES):
            if stop.wait(MERGE_PERIOD):
                break
            cur.execute("SELECT jadevector_merge_delta(%s)", (index,))
            stats["merged"] += cur.fetchone()[0]
    except Exception as e:  # noqa: BLE001
        failures.append("merger error: %r" % e)
    finally:
        conn.close()


def _sweep_base_rows(cur, table):
    """Base rows whose own vector does not return them first (one server-side query)."""
    cur.execute("SELECT a.id, n.id FROM %s a CROSS JOIN LATERAL "
                "(SELECT b.id FROM %s b ORDER BY b.embedding <-> a.embedding LIMIT 1) n "
                "WHERE a.id <= %d AND n.id <> a.id ORDER BY a.id" % (table, table, BASE))
    return cur.fetchall()


@pytest.mark.parametrize("name", list(h.SMALL_FAMILIES))
def test_inserts_during_searches(pg, conn, name):
    using, settings, exact = h.SMALL_FAMILIES[name]
    table, index = "cc_" + name, "ccix_" + name
    base = h.random_vectors(BASE, DIM, seed=61)
    h.create_table(conn, table, DIM)
    h.copy_rows(conn, table, range(1, BASE + 1), base)
    with conn.cursor() as cur:
        cur.execute("SET jadevector.build_threads = 1")  # one thread: a deterministic graph
        cur.execute("CREATE INDEX %s ON %s USING %s" % (index, table, using))
        cur.execute("ANALYZE %s" % table)
        h.apply_settings(cur, settings)
        cur.execute("SET enable_seqscan = off")
        h.assert_index_scan(cur, table, index, "l2", base[0], K)
        if name in GRAPH_FAMILIES:
            # Every base row of the deterministic graph is reachable and found (module doc).
            assert _sweep_base_rows(cur, table) == []

    committed = {i + 1: base[i] for i in range(BASE)}
    lock = threading.Lock()
    stop = threading.Event()
    failures = []
    stats = {"writes": 0, "reads": 0, "lookups": 0, "approx_misses": 0, "merged": 0}
    graph = name in GRAPH_FAMILIES
    stream = h.random_vectors(WRITERS * MAX_BATCHES * BATCH, DIM, seed=62)
    per = MAX_BATCHES * BATCH
    threads = [threading.Thread(target=_writer, args=(pg, table, settings, graph, stream[w * per:(w + 1) * per],
                                                      100000 * (w + 1), committed, lock, stop, failures, stats))
               for w in range(WRITERS)]
    threads += [threading.Thread(target=_reader, args=(pg, table, settings, graph, committed, lock, stop, failures,
                                                       stats, 70 + r)) for r in range(READERS)]
    if graph:
        threads.append(threading.Thread(target=_merger, args=(pg, index, stop, failures, stats)))
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
    assert stats["approx_misses"] <= MAX_APPROX_MISS * stats["lookups"], stats
    if graph:
        assert stats["merged"] > 0, "no delta merge ran during the concurrent phase: %s" % stats

    with conn.cursor() as cur:
        h.apply_settings(cur, settings)
        cur.execute("SET enable_seqscan = off")
        cur.execute("SELECT count(*) FROM %s" % table)
        assert cur.fetchone()[0] == len(committed)
        cur.execute("SELECT list_entries + graph_vectors + delta_vectors FROM jadevector_index_info(%s)", (index,))
        assert cur.fetchone()[0] == len(committed)
        # Each new row was already looked up right after its commit; re-check a fixed sample.
        new_ids = sorted(i for i in committed if i > BASE)
        final = {"lookups": 0, "approx_misses": 0}
        for i in random.Random(64).sample(new_ids, min(200, len(new_ids))):
            failure = _check_lookup(cur, table, i, committed[i], settings, graph, final, "final check")
            assert failure is None, failure
        assert final["approx_misses"] <= MAX_APPROX_MISS * final["lookups"], final
        for q in h.random_vectors(10, DIM, seed=63):
            h.check_knn(cur, table, committed, q, K, exact)
        cur.execute("RESET ALL")
        cur.execute("DROP TABLE %s" % table)
