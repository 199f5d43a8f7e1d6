"""Limits and timeouts of the coordinator (issue 8, robustness; docs/operations.md "Timeouts and limits").

* authentication_timeout_ms: a client that sends nothing (or stops mid-SASL) is closed with 57014.
* max_unauthenticated_clients: connections still authenticating are capped (53300 beyond).
* a SASL message before authentication is small (wire::kMaxAuthMessage): a huge one is 08P01.
* idle_in_transaction_session_timeout / idle_session_timeout are the coordinator's: FATAL
  25P03 / 57P05, and the pinned worker connections are dropped (the worker rolls back at once, so
  the rows it locked are free for others).
* pool_wait_timeout_ms: a statement waiting for a worker connection when the pool is exhausted
  fails with 53300 naming the node, instead of hanging.
* a statement on a worker that stopped answering (SIGSTOP) fails within statement_timeout plus
  the grace and cancel_timeout_ms, and the coordinator keeps serving others.
* TCP keepalives are on for client and worker sockets (the kernel shows their timers).
"""

import os
import signal
import socket
import struct
import subprocess
import time

import psycopg2
import pytest

from conftest import cluster_fixture, tool

pytestmark = pytest.mark.timeout(300)

CONFIG = """
auth = scram-sha-256
user postgres password s3cret
authentication_timeout_ms = 1000
max_unauthenticated_clients = 3
pool_size = 4
pool_wait_timeout_ms = 700
cancel_timeout_ms = 1500
tcp_keepalives_idle = 45
tcp_keepalives_interval = 7
tcp_keepalives_count = 3
"""

cluster = cluster_fixture(workers=2, password="s3cret", coordinator_config=CONFIG)

PROTOCOL_V3 = 196608


def startup_packet(user="postgres", database="postgres"):
    body = struct.pack("!i", PROTOCOL_V3) + b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
    return struct.pack("!i", len(body) + 4) + body


def read_until_closed(s, timeout):
    data = b""
    deadline = time.time() + timeout
    s.settimeout(0.2)
    while time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def error_code(data):
    """SQLSTATE of the first ErrorResponse in a server byte stream, or None."""
    i = 0
    while i + 5 <= len(data):
        kind = data[i:i + 1]
        (length,) = struct.unpack("!i", data[i + 1:i + 5])
        payload = data[i + 5:i + 1 + length]
        if kind == b"E":
            for field in payload.split(b"\0"):
                if field[:1] == b"C":
                    return field[1:].decode()
        i += 1 + length
    return None


def connect(cluster, **kwargs):
    conn = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="postgres", password="s3cret",
                            dbname="postgres", connect_timeout=10, **kwargs)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def table(cluster):
    conn = connect(cluster)
    cur = conn.cursor()
    cur.execute("CREATE TABLE acct (id bigint PRIMARY KEY, balance int)")
    cur.execute("INSERT INTO acct SELECT g, 100 FROM generate_series(1, 20) g")
    cur.execute("SELECT create_distributed_table('acct', 'id', shard_count => 4)")
    conn.close()
    return cluster


def test_authentication_timeout(cluster):
    # Nothing at all, and a client that stops after the startup packet (mid-SASL).
    for first in [b"", startup_packet()]:
        s = socket.create_connection(("127.0.0.1", cluster.port), timeout=5)
        if first:
            s.sendall(first)
        start = time.time()
        data, closed = read_until_closed(s, 6)
        s.close()
        assert closed, "not closed after the authentication timeout"
        assert 0.8 <= time.time() - start <= 4.0
        assert error_code(data) == "57014", data
    # The coordinator serves others meanwhile and after.
    connect(cluster).cursor().execute("SELECT 1")


def test_unauthenticated_connections_are_capped(cluster):
    held = [socket.create_connection(("127.0.0.1", cluster.port), timeout=5) for _ in range(3)]
    try:
        time.sleep(0.2)
        s = socket.create_connection(("127.0.0.1", cluster.port), timeout=5)
        data, closed = read_until_closed(s, 3)
        s.close()
        assert closed and error_code(data) == "53300", data
    finally:
        for h in held:
            h.close()
    # Authenticated sessions do not count against the cap.
    deadline = time.time() + 5
    while True:
        try:
            conns = [connect(cluster) for _ in range(5)]
            break
        except psycopg2.OperationalError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    for c in conns:
        c.cursor().execute("SELECT 1")
        c.close()


def test_large_message_before_authentication_is_refused(cluster):
    s = socket.create_connection(("127.0.0.1", cluster.port), timeout=5)
    s.sendall(startup_packet())
    time.sleep(0.2)
    # A SASLInitialResponse claiming 1 MB: refused at once (08P01), not buffered.
    s.sendall(b"p" + struct.pack("!i", 1 << 20) + b"SCRAM-SHA-256\0")
    data, closed = read_until_closed(s, 5)
    s.close()
    assert closed and error_code(data) == "08P01", data


def worker_backends(worker, state=None):
    where = "application_name = 'jade-coordinator'"
    if state:
        where += " AND state = '%s'" % state
    out = worker.psql("SELECT count(*) FROM pg_stat_activity WHERE " + where).strip()
    return int(out)


def psql_session(cluster, steps):
    """Runs psql with statements fed one by one (("sleep", s) pauses); returns its stdout + stderr."""
    env = dict(os.environ, PGPASSWORD="s3cret")
    p = subprocess.Popen([tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                          "postgres"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, env=env)
    for step in steps:
        if isinstance(step, tuple):
            time.sleep(step[1])
        else:
            p.stdin.write(step + "\n")
            p.stdin.flush()
    out, _ = p.communicate(timeout=30)
    return out


def test_idle_in_transaction_timeout_releases_worker_connections(table):
    out = psql_session(table, [
        "SET idle_in_transaction_session_timeout = '600ms';",
        "BEGIN;",
        "UPDATE acct SET balance = balance - 1 WHERE id IN (1, 2, 3, 4, 5, 6);",  # several shards
        ("sleep", 1.5),
        "SELECT 1;",
    ])
    assert "FATAL:  terminating connection due to idle-in-transaction timeout" in out, out
    # The rows are free again at once: the worker transactions were rolled back.
    other = connect(table)
    ocur = other.cursor()
    ocur.execute("SET statement_timeout = '3s'")
    ocur.execute("UPDATE acct SET balance = balance + 0 WHERE id IN (1, 2, 3, 4, 5, 6)")
    ocur.execute("SELECT sum(balance) FROM acct")
    assert ocur.fetchone()[0] == 2000
    for w in table.workers:
        assert worker_backends(w, "idle in transaction") == 0


def test_idle_in_transaction_is_not_a_busy_session(table):
    # Time spent in statements does not count: only waiting for the client does.
    conn = connect(table)
    conn.autocommit = False
    cur = conn.cursor()
    cur.execute("SET idle_in_transaction_session_timeout = '700ms'")
    cur.execute("SELECT count(*) FROM acct WHERE id = 1")
    cur.execute("SELECT pg_sleep(1.2)")
    cur.execute("SELECT count(*) FROM acct")
    assert cur.fetchone()[0] == 20
    conn.rollback()
    conn.close()


def test_idle_session_timeout(table):
    out = psql_session(table, ["SET idle_session_timeout = 500;", "SELECT 1;", ("sleep", 1.3), "SELECT 2;"])
    assert "FATAL:  terminating connection due to idle-session timeout" in out, out
    # Given at connect time (options=-c ...), the same.
    conn = connect(table, options="-c idle_session_timeout=500")
    conn.cursor().execute("SELECT 1")
    time.sleep(1.3)
    with pytest.raises(psycopg2.OperationalError):
        conn.cursor().execute("SELECT 1")
    bad = connect(table)
    with pytest.raises(psycopg2.Error) as e:
        bad.cursor().execute("SET idle_session_timeout = 'soon'")
    assert e.value.pgcode == "22023"


def test_pool_wait_timeout(table):
    # pool_size = 4: four open transactions pin every connection to the default node.
    holders = []
    for _ in range(4):
        c = connect(table)
        c.autocommit = False
        c.cursor().execute("SELECT count(*) FROM pg_class")  # plain table: default node
        holders.append(c)
    try:
        waiter = connect(table)
        start = time.time()
        with pytest.raises(psycopg2.Error) as e:
            waiter.cursor().execute("SELECT count(*) FROM pg_class")
        elapsed = time.time() - start
        assert e.value.pgcode == "53300", e.value.pgerror
        assert "timed out waiting for a connection to worker node" in e.value.pgerror
        assert 0.5 <= elapsed <= 5, elapsed
    finally:
        for h in holders:
            h.rollback()
            h.close()
    ok = connect(table)
    ok.cursor().execute("SELECT count(*) FROM pg_class")


def worker_pids(worker):
    """The postmaster and every process it started (all ours: the test started the worker)."""
    pm = worker.postmaster_pid()
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pm)], capture_output=True, text=True).stdout
    return [pm] + [int(p) for p in out.split()]


def test_statement_on_a_stopped_worker_fails_in_time(table):
    conn = connect(table)
    cur = conn.cursor()
    cur.execute("SET statement_timeout = '1s'")
    cur.execute("SELECT count(*) FROM acct")  # warm connections to both workers
    stopped = table.workers[1]
    pids = worker_pids(stopped)
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        start = time.time()
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT count(*) FROM acct")
        elapsed = time.time() - start
        # statement_timeout 1 s + 0.5 s grace + cancel_timeout_ms 1.5 s, with room for a loaded machine.
        assert elapsed <= 8, elapsed
        assert e.value.pgcode in ("08006", "57014"), e.value.pgerror
        # Others are served meanwhile (a statement that needs only the default node).
        other = connect(table)
        other.cursor().execute("SELECT 1")
        other.close()
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)
    deadline = time.time() + 20
    while True:
        try:
            cur.execute("SELECT count(*) FROM acct")
            assert cur.fetchone()[0] == 20
            break
        except psycopg2.Error:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


def keepalive_timers(port_filter, timeout=10.0):
    """ss's timer column for the matching sockets, once one shows a keepalive timer (or the timeout passes).

    A socket with unacknowledged bytes shows its retransmission timer ("on") instead of the keepalive
    timer until the peer's ACK arrives, which on a loaded machine can take a while; so poll, bounded.
    """
    deadline = time.time() + timeout
    while True:
        out = subprocess.run(["ss", "-tnoH", "state", "established", port_filter],
                             capture_output=True, text=True).stdout
        if "keepalive" in out or time.time() > deadline:
            return out
        time.sleep(0.2)


def test_keepalives_on_client_and_worker_sockets(table):
    conn = connect(table)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM acct")
    # The coordinator's end of the client connection, and its ends of the worker connections.
    client_side = keepalive_timers("( sport = :%d )" % table.port)
    assert "keepalive" in client_side, client_side
    worker_port = table.workers[0].port
    worker_side = keepalive_timers("( dport = :%d )" % worker_port)
    assert "keepalive" in worker_side, worker_side
    conn.close()
