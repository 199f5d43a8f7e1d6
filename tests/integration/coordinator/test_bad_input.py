"""Bad input at the coordinator's front door, and a worker dying mid-query.

Raw sockets send what no well-behaved driver sends: garbage, truncated messages, oversized and
too-short length fields, unknown message types. Each time that connection must get a FATAL
ErrorResponse (SQLSTATE 08P01, protocol violation) or at least be closed, and the coordinator must
keep serving: a psycopg2 session opened before the abuse still answers, and new sessions connect.
A SCRAM-configured coordinator refuses a wrong password (28P01) and accepts the right one.
A worker killed with SIGKILL during a fan-out query gives that client a clear connection error,
and queries that do not need that worker keep working; after the worker restarts, all work again.
"""

import contextlib
import socket
import struct
import threading
import time

import psycopg2
import pytest

from conftest import cluster_fixture

pytestmark = pytest.mark.timeout(240)

cluster = cluster_fixture(workers=3)
scram_cluster = cluster_fixture(
    workers=1, password="s3cret",
    coordinator_config="auth = scram-sha-256\nuser postgres password s3cret\nuser alice password wonderland\n")

PROTOCOL_V3 = 196608
IO_TIMEOUT = 10


def startup_packet(user="postgres", database="postgres"):
    body = struct.pack("!i", PROTOCOL_V3) + b"user\0" + user.encode() + b"\0database\0" + database.encode() + b"\0\0"
    return struct.pack("!i", len(body) + 4) + body


def message(kind, payload=b""):
    return kind + struct.pack("!i", len(payload) + 4) + payload


def open_socket(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    s.settimeout(IO_TIMEOUT)
    return s


def read_until_closed(s, limit=1 << 20):
    """Read everything the server sends until it closes the connection (bounded by IO_TIMEOUT)."""
    data = b""
    deadline = time.time() + IO_TIMEOUT
    while time.time() < deadline and len(data) < limit:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise AssertionError("the coordinator did not close the connection within %ds; got %r"
                                 % (IO_TIMEOUT, data[:200]))
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError("the coordinator kept the connection open; got %r" % data[:200])


def parse_messages(data):
    """[(type byte, payload)] of a server byte stream (stops at an incomplete tail)."""
    out = []
    i = 0
    while i + 5 <= len(data):
        kind = data[i:i + 1]
        (length,) = struct.unpack("!i", data[i + 1:i + 5])
        if length < 4 or i + 1 + length > len(data):
            break
        out.append((kind, data[i + 5:i + 1 + length]))
        i += 1 + length
    return out


def error_fields(payload):
    fields = {}
    for part in payload.split(b"\0"):
        if part:
            fields[part[:1].decode()] = part[1:].decode(errors="replace")
    return fields


def logged_in_socket(port):
    """A raw connection past startup (trust auth): returns the socket after ReadyForQuery."""
    s = open_socket(port)
    s.sendall(startup_packet())
    data = b""
    deadline = time.time() + IO_TIMEOUT
    while time.time() < deadline:
        chunk = s.recv(65536)
        assert chunk, "closed during startup: %r" % data
        data += chunk
        if any(k == b"Z" for k, _ in parse_messages(data)):
            return s
    raise AssertionError("no ReadyForQuery after startup: %r" % data)


def assert_protocol_error_and_close(s, codes=("08P01",)):
    """The server answers with a FATAL ErrorResponse of one of codes, then closes."""
    msgs = parse_messages(read_until_closed(s))
    errors = [error_fields(p) for k, p in msgs if k == b"E"]
    assert errors, "no ErrorResponse before close; got %r" % msgs
    assert errors[-1].get("C") in codes and errors[-1].get("S") == "FATAL", errors[-1]
    return errors[-1]


@pytest.fixture(scope="module")
def bystander(cluster):
    """A session opened before the abuse; it must survive every bad connection."""
    with contextlib.closing(cluster.connect()) as conn:
        with conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
            cur.execute("CREATE TABLE pts (id int PRIMARY KEY, v vector(2))")
            cur.execute("SELECT create_distributed_table('pts', 'id', shard_count => 6)")
            cur.execute("INSERT INTO pts VALUES " + ",".join("(%d, '[%d,0]')" % (i, i) for i in range(1, 13)))
        yield conn


def assert_still_serving(cluster, bystander):
    assert cluster.coordinator.alive(), cluster.coordinator.log_tail()
    with bystander.cursor() as cur:
        cur.execute("SELECT count(*) FROM pts")
        assert cur.fetchone()[0] == 12
    with contextlib.closing(cluster.connect()) as fresh, fresh.cursor() as cur:
        cur.execute("SELECT id FROM pts ORDER BY v <-> '[5.2,0]' LIMIT 2")
        assert [r[0] for r in cur.fetchall()] == [5, 6]


GARBAGE = [
    ("random bytes as startup", b"\x17\x03\x03\x00\x45GET / HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(range(256))),
    ("startup length 3", struct.pack("!i", 3) + b"\0\0\0\0"),
    ("startup length 2 GB", struct.pack("!i", 0x7FFFFFF0) + struct.pack("!i", PROTOCOL_V3)),
    ("startup negative length", struct.pack("!i", -20) + b"x" * 16),
    ("unsupported protocol version", struct.pack("!ii", 16, 0x00020000) + b"user\0x\0\0"),
]


@pytest.mark.parametrize("what,data", GARBAGE, ids=[g[0] for g in GARBAGE])
def test_garbage_before_startup(cluster, bystander, what, data):
    s = open_socket(cluster.port)
    try:
        s.sendall(data)
        assert_protocol_error_and_close(s, codes=("08P01", "0A000"))
    finally:
        s.close()
    assert_still_serving(cluster, bystander)


AFTER_STARTUP = [
    ("unknown message type", message(b"@", b"abc")),
    ("length shorter than 4", b"Q" + struct.pack("!i", 2)),
    ("oversized length", b"Q" + struct.pack("!i", 0x7FFFFFFF) + b"SELECT 1"),
    ("query without terminator", message(b"Q", b"SELECT 1")),
    ("bind for a missing statement then garbage", message(b"B", b"\0nope\0\0\0\0\0\0\0") + b"\xff" * 64),
    ("binary noise", bytes((i * 37 + 11) % 256 for i in range(4096))),
]


@pytest.mark.parametrize("what,data", AFTER_STARTUP, ids=[a[0] for a in AFTER_STARTUP])
def test_bad_message_after_startup(cluster, bystander, what, data):
    s = logged_in_socket(cluster.port)
    try:
        s.sendall(data)
        s.sendall(message(b"S"))  # a Sync: a server that skipped the bad message would now answer 'Z'
        msgs = parse_messages(read_until_closed(s))
        errors = [error_fields(p) for k, p in msgs if k == b"E"]
        assert errors, "no ErrorResponse; got %r" % msgs
        assert errors[-1].get("C") == "08P01" or errors[0].get("C") in ("26000", "08P01"), errors
    finally:
        s.close()
    assert_still_serving(cluster, bystander)


def test_truncated_message_then_hangup(cluster, bystander):
    """A message cut off by the client going away: the coordinator drops the connection, nothing else."""
    for _ in range(5):
        s = logged_in_socket(cluster.port)
        s.sendall(b"Q" + struct.pack("!i", 1000) + b"SELECT count(*) FROM pts")
        s.shutdown(socket.SHUT_WR)
        read_until_closed(s)
        s.close()
    assert_still_serving(cluster, bystander)


def test_truncated_startup_then_hangup(cluster, bystander):
    s = open_socket(cluster.port)
    s.sendall(startup_packet()[:11])
    s.shutdown(socket.SHUT_WR)
    read_until_closed(s)
    s.close()
    assert_still_serving(cluster, bystander)


def test_silent_half_open_connection_does_not_block_others(cluster, bystander):
    """A client that sent half a message and waits: others are served meanwhile."""
    s = logged_in_socket(cluster.port)
    try:
        s.sendall(b"Q" + struct.pack("!i", 100) + b"SELECT")
        assert_still_serving(cluster, bystander)
    finally:
        s.close()


def test_wrong_password_with_scram(scram_cluster):
    with pytest.raises(psycopg2.OperationalError) as e:
        psycopg2.connect(scram_cluster.dsn(password="wrong"))
    assert "password authentication failed" in str(e.value)
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(scram_cluster.dsn(user="mallory", password="s3cret"))
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(scram_cluster.dsn(user="alice", password="s3cret"))
    with contextlib.closing(psycopg2.connect(scram_cluster.dsn(user="alice", password="wonderland"))) as ok:
        with ok.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
    assert scram_cluster.coordinator.alive()


def test_scram_error_is_28p01_on_the_wire(scram_cluster):
    """Without a password, the client gets an authentication request, not a trust login."""
    s = open_socket(scram_cluster.port)
    try:
        s.sendall(startup_packet())
        data = s.recv(65536)
        msgs = parse_messages(data)
        assert msgs and msgs[0][0] == b"R", msgs
        (code,) = struct.unpack("!i", msgs[0][1][:4])
        assert code == 10 and b"SCRAM-SHA-256" in msgs[0][1], msgs  # AuthenticationSASL
        # A SASLInitialResponse with a garbage client-first message.
        mech = b"SCRAM-SHA-256\0"
        junk = b"this is not scram"
        s.sendall(message(b"p", mech + struct.pack("!i", len(junk)) + junk))
        msgs = parse_messages(read_until_closed(s))
        errors = [error_fields(p) for k, p in msgs if k == b"E"]
        assert errors and errors[-1]["C"] in ("28P01", "08P01"), msgs
    finally:
        s.close()


def keys_by_port(cluster):
    """{worker port: [ids of pts stored there]} read from the workers themselves."""
    out = {}
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        cur.execute("SELECT shard_name, port FROM jade_shards WHERE table_name = 'pts'")
        shards = cur.fetchall()
    for name, port in shards:
        w = next(w for w in cluster.workers if w.port == port)
        with contextlib.closing(w.connect()) as wc, wc.cursor() as cur:
            cur.execute('SELECT id FROM "%s"' % name)
            out.setdefault(port, []).extend(r[0] for r in cur.fetchall())
    return out


def test_worker_killed_mid_query(cluster, bystander):
    victim = cluster.workers[2]  # not the default node (workers[0])
    keys = keys_by_port(cluster)
    assert keys.get(victim.port), keys
    survivor_key = keys[cluster.workers[1].port][0]
    result = {}

    def slow_fanout():
        try:
            with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
                cur.execute("SELECT count(*) FROM pts WHERE pg_sleep(1.5) IS NOT NULL")
                result["rows"] = cur.fetchall()
        except psycopg2.Error as e:
            result["error"] = e

    t = threading.Thread(target=slow_fanout)
    t0 = time.time()
    t.start()
    time.sleep(0.8)
    victim.kill9()
    t.join(60)
    assert not t.is_alive(), "the client waited more than 60 s after its worker died"
    elapsed = time.time() - t0
    try:
        assert "error" in result, "fan-out over a killed worker returned %r" % result.get("rows")
        err = result["error"]
        assert err.pgcode and err.pgcode.startswith(("08", "57P")), (err.pgcode, str(err))
        assert elapsed < 30
        assert cluster.coordinator.alive(), cluster.coordinator.log_tail()
        # Queries that do not need the dead worker still work, on old and new sessions.
        with bystander.cursor() as cur:
            cur.execute("SELECT id, v FROM pts WHERE id = %s", (survivor_key,))
            assert cur.fetchone()[0] == survivor_key
        with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM jade_nodes")
            assert cur.fetchone()[0] == 3
            cur.execute("SELECT 1 + 1")  # plain query: the default node
            assert cur.fetchone() == (2,)
            with pytest.raises(psycopg2.Error) as e:
                cur.execute("SELECT id FROM pts WHERE id = %s", (keys[victim.port][0],))
            assert e.value.pgcode.startswith("08"), e.value
    finally:
        victim.start()
    # After the worker is back, everything answers again (connections are re-established).
    with contextlib.closing(cluster.connect()) as conn, conn.cursor() as cur:
        deadline = time.time() + 30
        while True:
            try:
                cur.execute("SELECT count(*) FROM pts")
                assert cur.fetchone()[0] == 12
                break
            except psycopg2.Error:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
    assert_still_serving(cluster, bystander)
