"""SCRAM salts do not tell which users exist (issue 8; auth/scram.h, auth/server_secret.h).

An unknown user gets a mock exchange whose salt is keyed by the coordinator's secret
(DATA_DIR/auth_secret): stable for a name, like a real user's, across reconnects and restarts,
different from the unkeyed SHA-256 a client could compute, and failing with the same 28P01 as a
wrong password. A user configured with a plaintext password keeps its salt across restarts too.
"""

import hashlib
import os
import socket
import struct
import time

import pytest

from conftest import cluster_fixture

pytestmark = pytest.mark.timeout(180)

cluster = cluster_fixture(
    workers=1, password="s3cret",
    coordinator_config="auth = scram-sha-256\nuser postgres password s3cret\nuser alice password wonderland\n")


def recv_message(s):
    header = b""
    while len(header) < 5:
        chunk = s.recv(5 - len(header))
        assert chunk, "connection closed"
        header += chunk
    (length,) = struct.unpack("!i", header[1:5])
    body = b""
    while len(body) < length - 4:
        chunk = s.recv(length - 4 - len(body))
        assert chunk, "connection closed"
        body += chunk
    return header[:1], body


def server_first(port, user):
    """The salt and iteration count the coordinator offers `user`, and the final error code."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    body = struct.pack("!i", 196608) + b"user\0" + user.encode() + b"\0database\0postgres\0\0"
    s.sendall(struct.pack("!i", len(body) + 4) + body)
    kind, payload = recv_message(s)
    assert kind == b"R" and struct.unpack("!i", payload[:4])[0] == 10, (kind, payload)  # AuthenticationSASL
    first = b"n,,n=,r=clientnonce0123456789"
    init = b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first
    s.sendall(b"p" + struct.pack("!i", len(init) + 4) + init)
    kind, payload = recv_message(s)
    assert kind == b"R" and struct.unpack("!i", payload[:4])[0] == 11, (kind, payload)  # SASLContinue
    attrs = dict(part.split("=", 1) for part in payload[4:].decode().split(","))
    # A final message with a wrong proof: the same failure for everyone.
    final = ("c=biws,r=%s,p=%s" % (attrs["r"], "A" * 43 + "=")).encode()
    s.sendall(b"p" + struct.pack("!i", len(final) + 4) + final)
    kind, payload = recv_message(s)
    s.close()
    code = [f[1:] for f in payload.split(b"\0") if f[:1] == b"C"]
    return attrs["s"], attrs["i"], kind, code[0].decode() if code else None


def test_unknown_and_known_users_look_alike(cluster):
    port = cluster.port
    before = {u: server_first(port, u) for u in ["nobody", "alice", "postgres"]}
    for user, (salt, iterations, kind, code) in before.items():
        assert iterations == "4096" and kind == b"E" and code == "28P01", (user, kind, code)
    # Stable for a name (an unknown name's salt does not change per connection) ...
    assert server_first(port, "nobody")[0] == before["nobody"][0]
    # ... and not the unkeyed formula anyone could compute.
    import base64
    unkeyed = base64.b64encode(hashlib.sha256(b"jade-mock-salt:nobody").digest()[:16]).decode()
    assert before["nobody"][0] != unkeyed
    assert os.path.exists(os.path.join(cluster.coordinator.data_dir, "auth_secret"))
    # A restart keeps every salt: unknown names and plaintext-configured users alike.
    cluster.coordinator.restart()
    time.sleep(0.2)
    after = {u: server_first(cluster.port, u) for u in before}
    assert {u: v[0] for u, v in after.items()} == {u: v[0] for u, v in before.items()}
