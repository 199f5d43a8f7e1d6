"""Real clients against the coordinator: psql and psycopg2.

psql scripts (multi-statement -c strings, -f files with \\copy, transactions and an error) run
against the coordinator over 3 workers and against a plain PostgreSQL holding the same table; the
printed output must be identical. psycopg2: transaction status after BEGIN/error/ROLLBACK, the
worker's SQLSTATE and message preserved, notices relayed.
"""

import os
import subprocess
import tempfile

import psycopg2
import psycopg2.extensions as ext
import pytest

from conftest import cluster_fixture, plain_pg_fixture, tool

pytestmark = pytest.mark.timeout(240)

cluster = cluster_fixture(workers=3)
ref = plain_pg_fixture("ref-clients")

SETUP = ["CREATE EXTENSION IF NOT EXISTS jadevector",
         "CREATE TABLE docs (id int PRIMARY KEY, title text, embedding vector(3))"]


@pytest.fixture(scope="module")
def servers(cluster, ref):
    """(coordinator port, reference port) with table docs (distributed through the coordinator)."""
    for port, distributed in ((cluster.port, True), (ref.port, False)):
        run_psql(port, ";".join(SETUP))
        if distributed:
            run_psql(port, "SELECT create_distributed_table('docs', 'id', shard_count => 4)")
        rows = ",".join("(%d, 'doc %d', '[%d,%d,%d]')" % (i, i, i % 5, (i * 7) % 11, (i * 3) % 13)
                        for i in range(1, 41))
        run_psql(port, "INSERT INTO docs VALUES " + rows)
    return cluster.port, ref.port


def run_psql(port, command=None, file=None, stdin=None, extra=(), check=True):
    """Run psql against 127.0.0.1:port; return CompletedProcess (stdout+stderr text)."""
    cmd = [tool("psql"), "-X", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "postgres"] + list(extra)
    if command is not None:
        cmd += ["-c", command]
    if file is not None:
        cmd += ["-f", file]
    r = subprocess.run(cmd, capture_output=True, text=True, input=stdin, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError("psql on port %d failed (%d):\n%s%s" % (port, r.returncode, r.stdout, r.stderr))
    return r


def same_output(servers, **kwargs):
    """Run one psql invocation on both servers; return the (identical) output."""
    c_port, r_port = servers
    got = run_psql(c_port, **kwargs)
    want = run_psql(r_port, **kwargs)
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr), (
        "coordinator:\n%s%s\nplain PostgreSQL:\n%s%s" % (got.stdout, got.stderr, want.stdout, want.stderr))
    return got.stdout


def test_psql_single_and_multi_statement_c(servers):
    out = same_output(servers, command="SELECT count(*) FROM docs WHERE id > 10")
    assert "30" in out
    out = same_output(servers, command="SELECT id, title FROM docs WHERE id = 7; "
                                       "SELECT id FROM docs ORDER BY embedding <-> '[1,1,1]', id LIMIT 3; "
                                       "SELECT max(id), min(title) FROM docs")
    assert "doc 7" in out and out.count("row") >= 3


def test_psql_file_with_copy_transactions_and_error(servers):
    """A -f script: \\copy in (text and csv), BEGIN/COMMIT/ROLLBACK, an error that does not stop the script."""
    with tempfile.TemporaryDirectory() as d:
        text = os.path.join(d, "in.txt")
        csv = os.path.join(d, "in.csv")
        with open(text, "w") as f:
            f.write("".join("%d\tcopied %d\t[%d,1,2]\n" % (i, i, i) for i in range(100, 120)))
        with open(csv, "w") as f:
            f.write("id,title,embedding\n" + "".join('%d,"csv, %d","[1,%d,2]"\n' % (i, i, i) for i in range(200, 215)))
        script = os.path.join(d, "script.sql")
        with open(script, "w") as f:
            f.write("\\copy docs FROM '%s'\n" % text)
            f.write("\\copy docs (id, title, embedding) FROM '%s' WITH (FORMAT csv, HEADER true)\n" % csv)
            f.write("SELECT count(*) FROM docs;\n")
            f.write("BEGIN;\nUPDATE docs SET title = 'in tx' WHERE id = 101;\nSELECT title FROM docs WHERE id = 101;\n"
                    "COMMIT;\n")
            f.write("BEGIN;\nDELETE FROM docs WHERE id >= 200;\nSELECT count(*) FROM docs;\nROLLBACK;\n")
            f.write("SELECT 1 / 0;\n")
            f.write("SELECT count(*), sum(id) FROM docs;\n")
            f.write("SELECT id, title FROM docs WHERE id IN (101, 105, 210) ORDER BY id;\n")
            f.write("SELECT id, embedding <-> '[2,2,2]' AS d FROM docs ORDER BY d, id LIMIT 5;\n")
        out = same_output(servers, file=script)
    assert "COPY 20" in out and "COPY 15" in out and "in tx" in out and "75" in out


def test_psql_copy_from_stdin_and_on_error_stop(servers):
    c_port, _ = servers
    r = run_psql(c_port, extra=["-v", "ON_ERROR_STOP=1"], stdin="COPY docs FROM STDIN;\n300\tstdin\t[3,0,0]\n\\.\n"
                 "SELECT title FROM docs WHERE id = 300;\n")
    assert "COPY 1" in r.stdout and "stdin" in r.stdout
    r = run_psql(c_port, extra=["-v", "ON_ERROR_STOP=1"], check=False,
                 stdin="SELECT * FROM no_such_table;\nSELECT 'not reached';\n")
    assert r.returncode == 3 and "does not exist" in r.stderr and "not reached" not in r.stdout
    run_psql(c_port, command="DELETE FROM docs WHERE id = 300")


def test_psycopg2_transaction_status_and_rollback(cluster, servers):
    conn = cluster.connect(autocommit=False)
    try:
        cur = conn.cursor()
        assert conn.get_transaction_status() == ext.TRANSACTION_STATUS_IDLE
        cur.execute("UPDATE docs SET title = 'changed' WHERE id = 1")
        assert conn.get_transaction_status() == ext.TRANSACTION_STATUS_INTRANS
        with pytest.raises(psycopg2.errors.DivisionByZero) as e:
            cur.execute("SELECT id / 0 FROM docs WHERE id = 2")
        assert e.value.pgcode == "22012" and "division by zero" in e.value.diag.message_primary
        assert conn.get_transaction_status() == ext.TRANSACTION_STATUS_INERROR
        with pytest.raises(psycopg2.errors.InFailedSqlTransaction):
            cur.execute("SELECT 1")
        conn.rollback()
        assert conn.get_transaction_status() == ext.TRANSACTION_STATUS_IDLE
        cur.execute("SELECT title FROM docs WHERE id = 1")
        assert cur.fetchone()[0] == "doc 1"
        # Commit path, several shards.
        cur.execute("UPDATE docs SET title = title || '!' WHERE id IN (1, 2, 3, 4, 5)")
        conn.commit()
        cur.execute("SELECT count(*) FROM docs WHERE title LIKE '%!'")
        assert cur.fetchone()[0] == 5
        conn.rollback()
    finally:
        conn.close()


def test_psycopg2_worker_errors_keep_sqlstate_and_fields(cluster, servers):
    conn = cluster.connect()
    try:
        cur = conn.cursor()
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT id FROM docs ORDER BY embedding <-> '[1,2]' LIMIT 3")
        assert e.value.pgcode == "22000", e.value
        with pytest.raises(psycopg2.errors.UndefinedColumn) as e:
            cur.execute("SELECT nope FROM docs WHERE id = 3")
        assert e.value.pgcode == "42703"
        with pytest.raises(psycopg2.errors.SyntaxError) as e:
            cur.execute("SELEC 1")
        assert e.value.pgcode == "42601"
        cur.execute("SELECT 42")  # the connection is still usable
        assert cur.fetchone() == (42,)
        cur.execute("DO $$ BEGIN RAISE NOTICE 'hello from a worker'; END $$")
        assert any("hello from a worker" in n for n in conn.notices), conn.notices
    finally:
        conn.close()


def test_psycopg2_many_connections(cluster, servers):
    """More concurrent clients than the pool per worker would need serially; all answer correctly."""
    conns = [cluster.connect() for _ in range(20)]
    try:
        for i, c in enumerate(conns):
            with c.cursor() as cur:
                cur.execute("SELECT id FROM docs WHERE id = %s", (i + 1,))
                assert cur.fetchone() == (i + 1,)
    finally:
        for c in conns:
            c.close()
