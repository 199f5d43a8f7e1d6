"""The launcher CLI (scripts/jade_cluster.py): start, status, stop, restart with reuse, idempotent stop.

Runs the real CLI in a temporary directory with free ports, as `make demo` and operators use it.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

import psycopg2
import pytest

from conftest import BUILD_DIR, REPO, require_coordinator
from lib.pg_instance import as_postgres, free_port

pytestmark = pytest.mark.timeout(240)

CLI = os.path.join(REPO, "scripts", "jade_cluster.py")


def cli(*args, check=True):
    r = subprocess.run([sys.executable, CLI] + list(args), capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, JADE_BUILD_DIR=BUILD_DIR))
    if check:
        assert r.returncode == 0, "jade_cluster.py %s: %d\n%s%s" % (" ".join(args), r.returncode, r.stdout, r.stderr)
    return r


@pytest.fixture
def cluster_dir():
    require_coordinator()
    d = tempfile.mkdtemp(prefix="jade-cli-")
    yield os.path.join(d, "c")
    subprocess.run([sys.executable, CLI, "stop", "--dir", os.path.join(d, "c")], capture_output=True, timeout=120)
    shutil.rmtree(d, ignore_errors=True)
    if os.path.exists(d):
        as_postgres(["rm", "-rf", d], capture_output=True)


def nodes(port):
    dsn = "host=127.0.0.1 port=%d dbname=postgres user=postgres" % port
    with contextlib.closing(psycopg2.connect(dsn)) as c, c.cursor() as cur:
        cur.execute("SELECT port FROM jade_nodes ORDER BY node_id")
        return [r[0] for r in cur.fetchall()]


def test_cli_lifecycle(cluster_dir):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    busy_port = taken.getsockname()[1]
    try:
        coord_port = free_port()
        out = cli("start", "--dir", cluster_dir, "--workers", "2", "--coordinator-port", str(coord_port),
                  "--worker-ports", "%d,%d" % (busy_port, free_port())).stdout
    finally:
        taken.close()
    state = json.load(open(os.path.join(cluster_dir, "cluster.json")))
    assert state["coordinator_port"] == coord_port
    assert busy_port not in state["worker_ports"], "a taken port must be replaced by a free one"
    assert "psql -h 127.0.0.1 -p %d" % coord_port in out
    assert nodes(coord_port) == state["worker_ports"]

    st = json.loads(cli("status", "--dir", cluster_dir, "--json").stdout)
    assert st["coordinator"]["pid"] and all(w["running"] for w in st["workers"])

    cli("stop", "--dir", cluster_dir)
    assert cli("status", "--dir", cluster_dir, check=False).returncode == 3
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect("host=127.0.0.1 port=%d dbname=postgres user=postgres connect_timeout=3" % coord_port)
    cli("stop", "--dir", cluster_dir)  # stopping a stopped cluster is fine

    out = cli("start", "--dir", cluster_dir).stdout  # reuse: same ports, same registrations, no duplicates
    assert "reused" in out
    assert nodes(coord_port) == state["worker_ports"]
    cli("stop", "--dir", cluster_dir)


def test_cli_stop_and_status_without_cluster(cluster_dir):
    assert cli("stop", "--dir", cluster_dir).returncode == 0
    assert cli("status", "--dir", cluster_dir, check=False).returncode == 1
