"""node-pg and pgjdbc against the coordinator, compared with the same programs on one PostgreSQL.

programs/node_pg_check.js (npm `pg`, installed on first use into <build>/npm-clients — never into
the repo) and programs/JdbcCheck.java (Debian libpostgresql-jdbc-java, run as a single-file Java
program) run the same statements against the coordinator over 3 workers and against a plain
PostgreSQL holding the same table; their printed observations must be identical. Skipped only
when the machine lacks node/npm (or the npm registry), or java/the driver jar.
"""

import contextlib
import json
import os
import shutil
import subprocess

import pytest

from conftest import BUILD_DIR, cluster_fixture, plain_pg_fixture

pytestmark = pytest.mark.timeout(300)

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")
JDBC_JAR = "/usr/share/java/postgresql.jar"

cluster = cluster_fixture(workers=3)
ref = plain_pg_fixture("ref-drivers")


def rows():
    out = []
    for i in range(1, 41):
        vec = "[%.3f,%.3f,%.3f,%.3f]" % ((i * 0.137) % 1, (i * 0.291) % 1, (i * 0.533) % 1, (i * 0.771) % 1)
        out.append("(%d, %d, 'n%d', '%s')" % (i, i % 3, i, vec))
    return ", ".join(out)


def setup_table(conn, distributed):
    with conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        cur.execute("DROP TABLE IF EXISTS nodepg")
        cur.execute("CREATE TABLE nodepg (id bigint PRIMARY KEY, category int, name text, embedding vector(4))")
        if distributed:
            cur.execute("SELECT create_distributed_table('nodepg', 'id', shard_count => 5)")
        cur.execute("INSERT INTO nodepg VALUES " + rows())


@pytest.fixture
def fresh_tables(cluster, ref):
    """The table nodepg, freshly loaded on both servers (the programs modify it)."""
    with contextlib.closing(cluster.connect()) as cc, contextlib.closing(ref.connect()) as rc:
        setup_table(cc, True)
        setup_table(rc, False)
    return cluster.port, ref.port


@pytest.fixture(scope="session")
def node_modules():
    """Directory holding node_modules/pg, installed from the npm registry on first use."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm not installed")
    prefix = os.path.join(BUILD_DIR, "npm-clients")
    if not os.path.exists(os.path.join(prefix, "node_modules", "pg", "package.json")):
        os.makedirs(prefix, exist_ok=True)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", prefix, "pg@8"],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            pytest.skip("npm install pg failed (no registry access?): %s" % r.stderr[-300:])
    return os.path.join(prefix, "node_modules")


def run_node(port, node_modules):
    env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(port), PGUSER="postgres", PGDATABASE="postgres",
               NODE_PATH=node_modules)
    r = subprocess.run(["node", os.path.join(PROGRAMS, "node_pg_check.js")], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode == 0, "node-pg on port %d failed:\n%s%s" % (port, r.stdout, r.stderr)
    return json.loads(r.stdout)


def test_node_pg(fresh_tables, node_modules):
    c_port, r_port = fresh_tables
    got = run_node(c_port, node_modules)
    want = run_node(r_port, node_modules)
    assert want["error"]["code"] == "22012" and want["after_error"] == "25P02"  # the program itself is sane
    assert got == want


def run_java(port):
    r = subprocess.run(["java", "-cp", JDBC_JAR, os.path.join(PROGRAMS, "JdbcCheck.java"), str(port)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, "JDBC on port %d failed:\n%s%s" % (port, r.stdout, r.stderr)
    return r.stdout.splitlines()


def test_jdbc(fresh_tables):
    if not shutil.which("java") or not os.path.exists(JDBC_JAR):
        pytest.skip("java or %s (libpostgresql-jdbc-java) not installed" % JDBC_JAR)
    c_port, r_port = fresh_tables
    want = run_java(r_port)
    assert "error=22012" in want and "batch=10" in want
    assert "fetchsize=" + "".join("%d," % i for i in range(1, 21)) in want
    got = run_java(c_port)
    assert got == want
