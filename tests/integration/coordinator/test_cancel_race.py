"""A cancel reaches exactly the query it was meant for (issue 8; backend/cancel.h).

The coordinator forwards a client's CancelRequest to the worker backends running that client's
statement, with PQcancel on a helper thread. If the statement ends before the worker's postmaster
signals the backend, and the connection has meanwhile gone back to the pool and started another
session's query, a late cancel would kill that innocent query. With pool_size = 1 every statement
of both sessions below runs on the same pooled worker connection, so each cancel of session A
that arrives late is a chance to hit session B. Session B must never see 57014; session A must see
both outcomes (some queries cancelled, some finished), or the race was not exercised.
"""

import random
import threading
import time

import psycopg2
import pytest

from conftest import cluster_fixture

pytestmark = pytest.mark.timeout(240)

cluster = cluster_fixture(workers=1, coordinator_config="pool_size = 1\npool_wait_timeout_ms = 60000\n")

ROUNDS = 200
TIME_LIMIT = 45.0


def test_late_cancel_never_hits_another_session(cluster):
    victim_errors = []
    victim_done = threading.Event()
    stop = threading.Event()
    victim_count = [0]

    def victim():
        conn = cluster.connect()
        cur = conn.cursor()
        try:
            while not stop.is_set():
                try:
                    cur.execute("SELECT pg_sleep(0.004), 1")
                    cur.fetchall()
                    victim_count[0] += 1
                except psycopg2.Error as e:
                    victim_errors.append((e.pgcode, e.pgerror))
        finally:
            conn.close()
            victim_done.set()

    t = threading.Thread(target=victim, daemon=True)
    t.start()
    conn = cluster.connect()
    cur = conn.cursor()
    rng = random.Random(8)
    cancelled = finished = 0
    deadline = time.time() + TIME_LIMIT
    try:
        for _ in range(ROUNDS):
            if time.time() > deadline:
                break
            delay = rng.uniform(0.0, 0.03)
            timer = threading.Timer(delay, conn.cancel)
            timer.start()
            try:
                cur.execute("SELECT pg_sleep(0.02), 2")
                cur.fetchall()
                finished += 1
            except psycopg2.extensions.QueryCanceledError:
                cancelled += 1
            timer.join()
            time.sleep(rng.uniform(0.0, 0.004))
    finally:
        stop.set()
        victim_done.wait(30)
        conn.close()
    assert not victim_errors, "another session's query was hit: %r" % victim_errors[:5]
    assert victim_count[0] > 0
    assert cancelled > 0 and finished > 0, (cancelled, finished)
