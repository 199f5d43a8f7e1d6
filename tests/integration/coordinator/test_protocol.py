"""Extended-query protocol sequences, byte-level: the coordinator answers like PostgreSQL.

The same raw message sequences (Parse/Bind/Describe/Execute/Sync/Close/Flush, named and unnamed
statements and portals, Execute with a row limit, an error skipped until Sync) are sent to the
coordinator (table distributed over 3 workers) and to a plain PostgreSQL with the same rows. The
replies must match message by message: the type, DataRow contents, CommandComplete tags, error
SQLSTATEs and context lines and the ReadyForQuery status (RowDescription is compared by column names and type OIDs
only: table OIDs of shard tables are not meaningful to clients).
"""

import contextlib
import socket
import struct
import time

import pytest

from conftest import cluster_fixture, plain_pg_fixture
from coordinator.test_bad_input import error_fields, logged_in_socket, message, parse_messages

pytestmark = pytest.mark.timeout(180)

cluster = cluster_fixture(workers=3)
ref = plain_pg_fixture("ref-protocol")


@pytest.fixture(scope="module")
def ports(cluster, ref):
    for conn, distributed in ((cluster.connect(), True), (ref.connect(), False)):
        with contextlib.closing(conn), conn.cursor() as cur:
            cur.execute("CREATE TABLE kv (k int PRIMARY KEY, v text)")
            if distributed:
                cur.execute("SELECT create_distributed_table('kv', 'k', shard_count => 4)")
            cur.execute("INSERT INTO kv VALUES " + ",".join("(%d, 'v%d')" % (i, i) for i in range(1, 11)))
    return cluster.port, ref.port


def cstr(s):
    return s.encode() + b"\0"


def parse(name, sql, types=()):
    return message(b"P", cstr(name) + cstr(sql) + struct.pack("!h", len(types)) +
                   b"".join(struct.pack("!i", t) for t in types))


def bind(portal, stmt, params=(), result_formats=()):
    body = cstr(portal) + cstr(stmt) + struct.pack("!h", 0) + struct.pack("!h", len(params))
    for p in params:
        body += struct.pack("!i", -1) if p is None else struct.pack("!i", len(p)) + p.encode()
    body += struct.pack("!h", len(result_formats)) + b"".join(struct.pack("!h", f) for f in result_formats)
    return message(b"B", body)


def execute(portal, max_rows=0):
    return message(b"E", cstr(portal) + struct.pack("!i", max_rows))


def describe(kind, name):
    return message(b"D", kind + cstr(name))


def close(kind, name):
    return message(b"C", kind + cstr(name))


SYNC = message(b"S")
FLUSH = message(b"H")


def summarize(msgs):
    """Comparable form of server messages (see the module docstring)."""
    out = []
    for kind, payload in msgs:
        if kind == b"T":
            (n,) = struct.unpack("!h", payload[:2])
            cols, pos = [], 2
            for _ in range(n):
                end = payload.index(b"\0", pos)
                name = payload[pos:end].decode()
                _, _, type_oid, _, _, fmt = struct.unpack("!ihihih", payload[end + 1:end + 19])
                cols.append((name, type_oid, fmt))
                pos = end + 19
            out.append(("T", tuple(cols)))
        elif kind == b"E":
            f = error_fields(payload)
            out.append(("E", f.get("S"), f.get("C"), f.get("W")))
        elif kind in (b"N", b"S", b"K"):
            continue  # notices and parameter status may differ harmlessly
        elif kind == b"D" or kind == b"C" or kind == b"Z" or kind == b"t":
            out.append((kind.decode(), payload))
        else:
            out.append((kind.decode(),))
    return out


def exchange(port, data, until_ready=1):
    """Send data after login; collect replies until `until_ready` ReadyForQuery messages arrived."""
    s = logged_in_socket(port)
    try:
        s.sendall(data)
        buf = b""
        deadline = time.time() + 10
        while time.time() < deadline:
            msgs = parse_messages(buf)
            if sum(1 for k, _ in msgs if k == b"Z") >= until_ready:
                return summarize(msgs)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
        raise AssertionError("no complete reply from port %d: %r" % (port, parse_messages(buf)))
    finally:
        with contextlib.suppress(OSError):
            s.sendall(message(b"X"))
        s.close()


SEQUENCES = {
    "unnamed statement and portal": parse("", "SELECT k, v FROM kv WHERE k = $1") + bind("", "", ["3"]) +
    describe(b"P", "") + execute("") + SYNC,
    "fan-out with ORDER BY": parse("", "SELECT k, v FROM kv WHERE k > $1 ORDER BY k") + bind("", "", ["6"]) +
    describe(b"P", "") + execute("") + SYNC,
    "named statement described, reused, closed": parse("s1", "SELECT v FROM kv WHERE k = $1", [23]) +
    describe(b"S", "s1") + bind("", "s1", ["1"]) + execute("") + bind("", "s1", ["2"]) + execute("") +
    close(b"S", "s1") + SYNC,
    "named portal": parse("", "SELECT k FROM kv WHERE k <= $1 ORDER BY k") + bind("p1", "", ["3"]) +
    describe(b"P", "p1") + execute("p1") + close(b"P", "p1") + SYNC,
    "binary result": parse("", "SELECT k FROM kv WHERE k = $1") + bind("", "", ["5"], [1]) + describe(b"P", "") +
    execute("") + SYNC,
    "null parameter": parse("", "SELECT count(*) FROM kv WHERE v = $1") + bind("", "", [None]) + execute("") + SYNC,
    "write then read": parse("", "UPDATE kv SET v = $1 WHERE k = $2") + bind("", "", ["new", "4"]) + execute("") +
    parse("", "SELECT v FROM kv WHERE k = 4") + bind("", "") + execute("") + SYNC,
    "error skipped until Sync": parse("", "SELECT k FROM kv WHERE k = $1") + bind("", "", ["not a number"]) +
    execute("") + parse("", "SELECT 1") + bind("", "") + execute("") + SYNC +
    parse("", "SELECT 2") + bind("", "") + execute("") + SYNC,
    "execute error skipped until Sync": parse("", "SELECT k / $1 FROM kv WHERE k = 2") + bind("", "", ["0"]) +
    execute("") + parse("", "SELECT 1") + bind("", "") + execute("") + SYNC +
    parse("", "SELECT 2") + bind("", "") + execute("") + SYNC,
    "bind error on a named portal after Describe": parse("", "SELECT k, v FROM kv WHERE k = $1") +
    bind("p2", "", ["x1"]) + describe(b"P", "p2") + execute("p2") + SYNC +
    parse("", "SELECT 1") + bind("", "") + execute("") + SYNC,
    "bind error in the second parameter of a fan-out": parse("", "SELECT k FROM kv WHERE k > $1 AND k < $2 ORDER BY k") +
    bind("", "", ["1", "zz"]) + describe(b"P", "") + execute("") + SYNC,
    "bind error inside a transaction block": message(b"Q", cstr("BEGIN")) +
    parse("", "SELECT v FROM kv WHERE k = $1") + bind("", "", ["2"]) + execute("") +
    bind("", "", ["two"]) + execute("") + SYNC + message(b"Q", cstr("ROLLBACK")),
    "parse and bind in a failed transaction": message(b"Q", cstr("BEGIN")) +
    parse("s9", "SELECT k FROM kv WHERE k = $1") + parse("", "SELECT k / (k - 2) FROM kv WHERE k = 2") +
    bind("", "") + execute("") + SYNC + bind("", "s9", ["3"]) + execute("") + SYNC + parse("", "SELECT 1") + SYNC +
    parse("", "ROLLBACK") + bind("", "") + execute("") + SYNC,
    "bind then sync without execute": parse("", "SELECT k FROM kv WHERE k = $1") + bind("", "", ["4"]) + SYNC,
    "parse error": parse("", "SELEC broken") + SYNC,
    "flush before sync": parse("f", "SELECT 1") + FLUSH,
    "empty query": parse("", "") + bind("", "") + execute("") + SYNC,
}
READY_COUNT = {"error skipped until Sync": 2, "execute error skipped until Sync": 2, "flush before sync": 0,
               "bind error on a named portal after Describe": 2, "bind error inside a transaction block": 3,
               "parse and bind in a failed transaction": 5}


XFAIL = {}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=XFAIL[n]))
                                  if n in XFAIL else n for n in SEQUENCES])
def test_sequence_matches_postgresql(ports, name):
    c_port, r_port = ports
    data = SEQUENCES[name]
    if READY_COUNT.get(name) == 0:  # no Sync: answers must arrive because of Flush alone
        data += parse("", "SELECT 1") + SYNC
        n = 1
    else:
        n = READY_COUNT.get(name, 1)
    want = exchange(r_port, data, n)
    got = exchange(c_port, data, n)
    assert got == want, "coordinator:\n%s\nPostgreSQL:\n%s" % ("\n".join(map(repr, got)), "\n".join(map(repr, want)))


@pytest.mark.parametrize("sql", [
    "SELECT k FROM kv ORDER BY k",
    "SELECT k, v FROM kv WHERE k = 3",
    "SELECT k FROM kv WHERE k < 8 ORDER BY k DESC LIMIT 6"])
def test_execute_with_row_limit_suspends_portal(ports, sql):
    """Execute(max_rows) → PortalSuspended, later Executes continue (pgjdbc setFetchSize relies on it)."""
    c_port, r_port = ports
    data = (parse("", sql) + bind("", "") + execute("", 3) + execute("", 2) + execute("", 0) + SYNC +
            message(b"Q", cstr("BEGIN")) + parse("", sql) + bind("cur", "") + execute("cur", 1) +
            execute("cur", 1) + SYNC + message(b"Q", cstr("COMMIT")))
    want = exchange(r_port, data, 4)
    got = exchange(c_port, data, 4)
    assert got == want, "coordinator:\n%s\nPostgreSQL:\n%s" % ("\n".join(map(repr, got)), "\n".join(map(repr, want)))
