"""pgbench against the coordinator, in all three query modes.

`pgbench -i -s 1` runs through the coordinator unchanged (plain tables live on the default node).
Then the TPC-B-like script runs in `-M simple`, `-M extended` and `-M prepared`, first on plain
tables, then with pgbench_accounts distributed by aid (each transaction then writes a shard and the
default node: a multi-node transaction). Every run must process all its transactions without
failures, and the balances must stay consistent: pgbench's invariant sum(abalance) = sum(bbalance)
= sum(tbalance) = sum(history.delta).
"""

import contextlib
import os
import re
import subprocess

import pytest

from conftest import cluster_fixture, tool

pytestmark = pytest.mark.timeout(300)

cluster = cluster_fixture(workers=3)

CLIENTS = 2
TXNS = 25


def pgbench(port, *args):
    cmd = [tool("pgbench"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres"] + list(args) + ["postgres"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, "pgbench %s failed (%d):\n%s\n%s" % (" ".join(args), r.returncode, r.stdout, r.stderr)
    return r.stdout + r.stderr


def check_invariant(cluster, expected_history):
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        # One statement per table: a subquery over a distributed table is refused by design.
        sums = []
        for sql in ("SELECT sum(abalance) FROM pgbench_accounts", "SELECT sum(bbalance) FROM pgbench_branches",
                    "SELECT sum(tbalance) FROM pgbench_tellers", "SELECT coalesce(sum(delta), 0) FROM pgbench_history"):
            cur.execute(sql)
            sums.append(int(cur.fetchone()[0]))
        cur.execute("SELECT count(*) FROM pgbench_history")
        n_history = cur.fetchone()[0]
    assert len(set(sums)) == 1, "pgbench balances diverge (accounts, branches, tellers, history): %s" % sums
    assert n_history == expected_history


@pytest.fixture(scope="module")
def initialized(cluster):
    out = pgbench(cluster.port, "-i", "-s", "1", "-q")
    assert "done" in out
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pgbench_accounts")
        assert cur.fetchone()[0] == 100000
    return {"history": 0}


# pgbench's built-in TPC-B-like transaction as a script file (a custom script skips pgbench's catalog
# probe of pgbench_accounts; test_pgbench_builtin_script_on_distributed_accounts runs the built-in one).
TPCB_SCRIPT = """\\set aid random(1, 100000 * :scale)
\\set bid random(1, 1 * :scale)
\\set tid random(1, 10 * :scale)
\\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
END;
"""


def run_mode(cluster, state, mode, script=None):
    extra = []
    if script:
        path = os.path.join(cluster.dir, "tpcb.sql")
        with open(path, "w") as f:
            f.write(script)
        extra = ["-f", path]
    out = pgbench(cluster.port, "-n", "-M", mode, "-c", str(CLIENTS), "-t", str(TXNS), *extra)
    m = re.search(r"number of transactions actually processed: (\d+)/(\d+)", out)
    assert m and m.group(1) == m.group(2) == str(CLIENTS * TXNS), out
    m = re.search(r"number of failed transactions: (\d+)", out)
    assert m is None or m.group(1) == "0", out
    assert re.search(r"tps = [0-9.]+", out), out
    state["history"] += CLIENTS * TXNS
    check_invariant(cluster, state["history"])


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench_plain_tables(cluster, initialized, mode):
    run_mode(cluster, initialized, mode)


def test_pgbench_select_only_with_catalog_probe(cluster, initialized):
    """-S first probes pg_class/pg_partitioned_table for partitioning, then runs point SELECTs."""
    out = pgbench(cluster.port, "-n", "-S", "-M", "prepared", "-c", str(CLIENTS), "-t", "50")
    assert "actually processed: 100/100" in out, out


@pytest.fixture(scope="module")
def distributed(cluster, initialized):
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT create_distributed_table('pgbench_accounts', 'aid', shard_count => 6)")
        cur.execute("SELECT count(*) FROM jade_shards WHERE table_name = 'pgbench_accounts'")
        assert cur.fetchone()[0] == 6
        cur.execute("SELECT count(*) FROM pgbench_accounts")
        assert cur.fetchone()[0] == 100000
    return initialized


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench_distributed_accounts(cluster, distributed, mode):
    """Each transaction updates one accounts shard and the default node's tables (multi-node commit)."""
    run_mode(cluster, distributed, mode, script=TPCB_SCRIPT)


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench_builtin_script_on_distributed_accounts(cluster, distributed, mode):
    """The built-in script first looks pgbench_accounts up in pg_class: the shell on the default node answers."""
    run_mode(cluster, distributed, mode)


def test_pgbench_init_again_drops_the_distributed_table(cluster, distributed):
    """`pgbench -i` a second time drops its four tables in one statement, the distributed one included
    (its shards and its shell), and creates them again as plain tables."""
    out = pgbench(cluster.port, "-i", "-s", "1", "-q")
    assert "done" in out
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM jade_tables WHERE table_name = 'pgbench_accounts'")
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT count(*) FROM pgbench_accounts")
        assert cur.fetchone()[0] == 100000
    for w in cluster.workers:
        with contextlib.closing(w.connect()) as wc, wc.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_class WHERE relname ~ '^pgbench_accounts_[0-9]+$'")
            assert cur.fetchone()[0] == 0, w.name
