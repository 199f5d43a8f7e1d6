"""TLS between clients and the coordinator, and between the coordinator and its workers (issue 8).

The test makes a self-signed certificate (CN=localhost). The coordinator gets it with
`ssl = on` and `require_ssl = all`; the workers get it with `ssl = on`, and the coordinator
verifies them with `worker_sslmode = verify-ca` and the certificate as root.
* sslmode=require works from psql, psycopg2, node-pg and pgJDBC, and the session is encrypted;
  verify-full against the certificate works too; a client in the clear is refused (28000).
* The coordinator's worker connections are TLS (the workers' pg_stat_ssl says so), also for a
  result of several MB (TLS records that libpq reads in pieces); a coordinator that does not
  trust the workers' certificate fails with 08006 and says why.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile

import psycopg2
import pytest

from conftest import BUILD_DIR, require_coordinator, start_cluster, tool
from lib import cluster as jade_cluster
from lib.pg_instance import chown_postgres, free_port

pytestmark = pytest.mark.timeout(300)

HERE = os.path.dirname(os.path.abspath(__file__))
JDBC_JAR = "/usr/share/java/postgresql.jar"


def make_cert(directory):
    cert = os.path.join(directory, "server.crt")
    key = os.path.join(directory, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


@pytest.fixture(scope="module")
def tls(request, pg_template):
    require_coordinator()
    directory = tempfile.mkdtemp(prefix="jade-tls-")
    request.addfinalizer(lambda: shutil.rmtree(directory, ignore_errors=True))
    cert, key = make_cert(directory)
    # The workers' copy belongs to the postgres OS user (PostgreSQL refuses a key others can read).
    wdir = os.path.join(directory, "worker")
    os.makedirs(wdir)
    wcert, wkey = shutil.copy(cert, wdir), shutil.copy(key, wdir)
    chown_postgres(wdir)
    for p in (wdir, wcert, wkey):
        subprocess.run(["chown", "postgres:postgres", p], check=True)
    os.chmod(directory, 0o755)
    config = ("ssl = on\nssl_cert_file = %s\nssl_key_file = %s\nrequire_ssl = all\n"
              "worker_sslmode = verify-ca\nworker_sslrootcert = %s\n" % (cert, key, cert))
    c = start_cluster(pg_template, workers=2, coordinator_config=config,
                      worker_settings={"ssl": "on", "ssl_cert_file": "'%s'" % wcert, "ssl_key_file": "'%s'" % wkey})
    request.addfinalizer(c.destroy)
    c.cert = cert
    return c


def test_psql_sslmode_require(tls):
    dsn = "host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=require" % tls.port
    r = subprocess.run([tool("psql"), "-X", "-A", "-t", dsn, "-c", "SELECT 40 + 2", "-c", "\\conninfo"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "42"
    assert "SSL connection (protocol: TLSv1." in r.stdout, r.stdout


def test_psycopg2_require_and_verify_full(tls):
    for extra in ["sslmode=require", "sslmode=verify-full sslrootcert=%s host=localhost hostaddr=127.0.0.1" % tls.cert]:
        dsn = "host=127.0.0.1 port=%d user=postgres dbname=postgres %s" % (tls.port, extra)
        with contextlib.closing(psycopg2.connect(dsn)) as conn:
            assert conn.info.ssl_in_use
            assert conn.info.ssl_attribute("protocol") in ("TLSv1.2", "TLSv1.3")
            cur = conn.cursor()
            cur.execute("SELECT repeat('x', 200000)")  # a reply spanning many TLS records
            assert len(cur.fetchone()[0]) == 200000


def test_clear_text_client_refused(tls):
    dsn = "host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable" % tls.port
    with pytest.raises(psycopg2.OperationalError) as e:
        psycopg2.connect(dsn)
    assert "connection without TLS refused" in str(e.value)


def test_node_pg_ssl(tls):
    if not shutil.which("node"):
        pytest.skip("node not installed")
    prefix = os.path.join(BUILD_DIR, "npm-clients")  # shared with tests/integration/clients/test_drivers.py
    modules = os.path.join(prefix, "node_modules")
    if not os.path.exists(os.path.join(modules, "pg", "package.json")):
        if not shutil.which("npm"):
            pytest.skip("npm not installed")
        os.makedirs(prefix, exist_ok=True)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", prefix, "pg@8"],
                           capture_output=True, text=True, timeout=180)
        if r.returncode != 0:
            pytest.skip("npm install pg failed (no registry access?): %s" % r.stderr[-300:])
    script = ("const {Client}=require('pg');(async()=>{const c=new Client({host:'127.0.0.1',port:%d,user:'postgres',"
              "database:'postgres',ssl:{ca:require('fs').readFileSync('%s'),servername:'localhost'}});"
              "await c.connect();const r=await c.query('SELECT $1::int + 1 AS v',[41]);"
              "console.log(r.rows[0].v, c.connection.stream.encrypted===true);await c.end();})()"
              ".catch(e=>{console.error(e);process.exit(1)});" % (tls.port, tls.cert))
    r = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, NODE_PATH=modules))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["42", "true"]


def test_jdbc_sslmode_require(tls, tmp_path):
    if not shutil.which("java") or not os.path.exists(JDBC_JAR):
        pytest.skip("java or %s not installed" % JDBC_JAR)
    src = tmp_path / "TlsCheck.java"
    src.write_text(
        "import java.sql.*;\n"
        "public class TlsCheck { public static void main(String[] a) throws Exception {\n"
        "  Connection c = DriverManager.getConnection(\"jdbc:postgresql://127.0.0.1:\" + a[0] +"
        " \"/postgres?user=postgres&sslmode=require\");\n"
        "  PreparedStatement s = c.prepareStatement(\"SELECT ?::int + 1\"); s.setInt(1, 41);\n"
        "  ResultSet r = s.executeQuery(); r.next(); System.out.println(r.getInt(1)); c.close(); } }\n")
    r = subprocess.run(["java", "-cp", JDBC_JAR, str(src), str(tls.port)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "42"


def test_worker_connections_are_tls(tls):
    conn = tls.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE big (id bigint PRIMARY KEY, pad text)")
    cur.execute("INSERT INTO big SELECT g, repeat(md5(g::text), 40) FROM generate_series(1, 3000) g")
    cur.execute("SELECT create_distributed_table('big', 'id', shard_count => 4)")
    cur.execute("SELECT id, pad FROM big")  # ~4 MB streamed from every worker over TLS
    rows = cur.fetchall()
    assert len(rows) == 3000 and sum(len(r[1]) for r in rows) == 3000 * 1280
    for w in tls.workers:
        out = w.psql("SELECT s.ssl, count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                     "WHERE a.application_name = 'jade-coordinator' GROUP BY 1").strip()
        assert out.startswith("t|") and "f|" not in out, out


def test_untrusted_worker_certificate_is_refused(tls, tmp_path):
    other_cert, _ = make_cert(str(tmp_path))
    config = "worker_sslmode = verify-ca\nworker_sslrootcert = %s\n" % other_cert
    coord = jade_cluster.Coordinator(str(tmp_path / "coord"), free_port(), build_dir=BUILD_DIR, config_text=config)
    coord.start()
    try:
        conn = coord.connect()
        cur = conn.cursor()
        cur.execute("SELECT jade_add_node('127.0.0.1', %d)" % tls.workers[0].port)
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT 1")
        assert e.value.pgcode == "08006"
        assert "certificate verify failed" in e.value.pgerror, e.value.pgerror
    finally:
        coord.stop()
