"""Two-phase commit recovery through the coordinator (transaction/two_phase_recovery.h).

* A commit record is kept per participant until that participant committed: a worker that is down
  while recovery runs is committed when it is back, never rolled back.
* A client that disconnects while its transaction is being prepared leaves nothing prepared or
  locked beyond the next recovery passes (which follow such an abandoned commit within seconds).
"""

import contextlib
import os
import signal
import subprocess
import time

import pytest

from conftest import cluster_fixture, tool

pytestmark = pytest.mark.timeout(300)

cluster = cluster_fixture(workers=3)


def run(c, sql, params=None):
    with c.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


@pytest.fixture(scope="module")
def table(cluster):
    with contextlib.closing(cluster.connect()) as c:
        run(c, "CREATE TABLE tpr (id bigint PRIMARY KEY, v int)")
        run(c, "SELECT create_distributed_table('tpr', 'id', shard_count => 6)")
    return "tpr"


def shard_on(conn, worker):
    """(shard table name, node id) of one shard of tpr on `worker`."""
    return tuple(run(conn, "SELECT shard_name, node_id FROM jade_shards WHERE table_name = 'tpr' AND port = %s "
                           "ORDER BY shard_id LIMIT 1", (worker.port,))[0])


def prepared(worker):
    with contextlib.closing(worker.connect()) as wc:
        return {r[0] for r in run(wc, "SELECT gid FROM pg_prepared_xacts WHERE gid LIKE 'jade_%'")}


def preparing(worker):
    """True while a backend of `worker` is still running a PREPARE TRANSACTION of ours."""
    with contextlib.closing(worker.connect()) as wc:
        return run(wc, "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                       "AND query LIKE 'PREPARE TRANSACTION ''jade_%'")[0][0] > 0


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            pytest.fail("timed out waiting for " + what)
        time.sleep(0.2)


def test_worker_down_during_recovery_is_committed_when_back(cluster, table):
    """The decision was logged; node B misses recovery while down; it still commits when back."""
    a, b = cluster.workers[0], cluster.workers[1]
    with contextlib.closing(cluster.connect()) as c:
        shard_a, node_a = shard_on(c, a)
        shard_b, node_b = shard_on(c, b)
        run(c, "DELETE FROM tpr")
    txid = 4242
    gid_a, gid_b = "jade_1_%d_%d" % (txid, node_a), "jade_1_%d_%d" % (txid, node_b)
    for worker, shard, gid, key in ((a, shard_a, gid_a, 1), (b, shard_b, gid_b, 2)):
        with contextlib.closing(worker.connect(autocommit=False)) as wc:
            with wc.cursor() as cur:
                cur.execute('INSERT INTO "%s" VALUES (%d, %d)' % (shard, 1000 + key, key))
                cur.execute("PREPARE TRANSACTION '%s'" % gid)
            wc.commit()
    coordinator = cluster.coordinator
    coordinator.stop()
    log = os.path.join(coordinator.data_dir, "2pc.log")
    with open(log, "a") as f:
        f.write("C %d %d:%s %d:%s\n" % (txid, node_a, gid_a, node_b, gid_b))
    b.stop()
    try:
        coordinator.start()
        wait_until(lambda: gid_a not in prepared(a), 20, "recovery to commit %s on the live node" % gid_a)
        time.sleep(1.0)
        with open(log) as f:
            assert "D %d\n" % txid not in f.read(), "the commit record was dropped while a participant was down"
    finally:
        b.start()
    # Restarted, the coordinator runs a pass at once: node B's participant is committed.
    coordinator.restart()
    wait_until(lambda: gid_b not in prepared(b), 20, "recovery to finish %s" % gid_b)
    with contextlib.closing(cluster.connect()) as c:
        assert run(c, "SELECT id FROM tpr ORDER BY id") == [(1001,), (1002,)]
    with open(log) as f:
        assert "D %d\n" % txid in f.read()


def test_client_gone_during_prepare_leaves_nothing_prepared_or_locked(cluster, table):
    """A deferred trigger stalls PREPARE on one node; the client is killed meanwhile."""
    w = cluster.workers[2]
    with contextlib.closing(cluster.connect()) as c:
        run(c, "DELETE FROM tpr")
        shards = run(c, "SELECT shard_name FROM jade_shards WHERE table_name = 'tpr' AND port = %s", (w.port,))
    with contextlib.closing(w.connect()) as wc:
        # Sleeps 3 s once per transaction, at PREPARE (the trigger is deferred).
        run(wc, "CREATE OR REPLACE FUNCTION tpr_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF current_setting('tpr.slept', true) IS DISTINCT FROM 'y' THEN "
                "PERFORM set_config('tpr.slept', 'y', true); PERFORM pg_sleep(3); END IF; RETURN NULL; END $$")
        for (shard,) in shards:
            run(wc, 'CREATE CONSTRAINT TRIGGER tpr_slow AFTER INSERT ON "%s" DEFERRABLE INITIALLY DEFERRED '
                    'FOR EACH ROW EXECUTE FUNCTION tpr_slow()' % shard)
    values = ",".join("(%d, %d)" % (i, i) for i in range(1, 25))
    sql = "BEGIN; INSERT INTO tpr VALUES %s; COMMIT;" % values
    client = subprocess.Popen([tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                               "-d", "postgres", "-c", sql], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # PREPARE is stalled on the slow node once the others are prepared.
        wait_until(lambda: any(prepared(x) for x in cluster.workers[:2]), 20, "the first participants to prepare")
        client.send_signal(signal.SIGKILL)
        client.wait(timeout=10)
        start = time.time()
        # The stalled PREPARE still completes on its worker (the worker notices the lost
        # connection only afterwards); the recovery passes that follow roll everything back.
        wait_until(lambda: not any(prepared(x) or preparing(x) for x in cluster.workers), 30,
                   "recovery to roll the abandoned transaction back")
        took = time.time() - start
        with contextlib.closing(cluster.connect()) as c:
            assert run(c, "SELECT count(*) FROM tpr") == [(0,)]
            run(c, "SET lock_timeout = '2s'")
            run(c, "INSERT INTO tpr VALUES %s" % values.replace("(1, 1)", "(1, 100)"))
        assert took < 15, "the abandoned transaction stayed prepared %.1f s" % took
    finally:
        if client.poll() is None:
            client.kill()
        with contextlib.closing(w.connect()) as wc:
            for (shard,) in shards:
                run(wc, 'DROP TRIGGER IF EXISTS tpr_slow ON "%s"' % shard)
