#!/usr/bin/env python3
"""Records real drivers' client-to-server bytes as seeds of the wire fuzz target (tests/fuzz/corpus/wire/).

Starts a plain PostgreSQL from the build's private tree and a recording TCP proxy in front of it,
then runs psql, psycopg2, pgbench (simple, extended and prepared protocols) and, when installed,
node-pg (<build>/npm-clients) and pgjdbc through the proxy. Each client connection's byte stream
becomes one seed, with the tail bytes fuzz_wire.cpp reads for its options (trust authentication,
large reads). Run: /usr/bin/python3 tests/fuzz/capture_wire.py --build-dir build
"""

import argparse
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))

from lib.pg_instance import PgInstance, default_bindir, free_port  # noqa: E402


class Recorder:
    """Accepts clients, forwards to the server, keeps what each client sent."""

    def __init__(self, server_port):
        self.server_port = server_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.streams = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client):
        server = socket.create_connection(("127.0.0.1", self.server_port))
        sent = bytearray()

        def back():
            try:
                while True:
                    data = server.recv(65536)
                    if not data:
                        break
                    client.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    client.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=back, daemon=True)
        t.start()
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                sent += data
                server.sendall(data)
        except OSError:
            pass
        server.close()
        t.join(5)
        client.close()
        with self.lock:
            self.streams.append(bytes(sent))


def run(cmd, env=None, cwd=None):
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        print("  (%s exited %d: %s)" % (cmd[0], r.returncode, r.stderr.strip()[:200]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    args = ap.parse_args()
    build = os.path.abspath(args.build_dir)
    bindir = default_bindir(build)
    pg = PgInstance("wirecap", settings={"max_connections": "50"}, build_dir=build)
    pg.init()
    pg.start()
    try:
        rec = Recorder(pg.port)
        port = str(rec.port)
        psql = os.path.join(bindir, "psql")
        base = ["-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "postgres", "-X"]
        print("psql")
        run([psql] + base + ["-c", "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, v text)"])
        run([psql] + base + ["-c", "INSERT INTO t VALUES (1, 'a'), (2, 'b') ON CONFLICT DO NOTHING; SELECT * FROM t"])
        run([psql] + base + ["-c", "\\copy t FROM STDIN"], )
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write("BEGIN;\nSELECT 1/0;\nROLLBACK;\n\\copy t (id, v) FROM STDIN WITH (FORMAT csv)\n3,\"x,y\"\n\\.\n"
                    "SELECT count(*) FROM t \\gset\nSELECT :count;\n")
            script = f.name
        run([psql] + base + ["-f", script])
        os.unlink(script)
        print("psycopg2")
        import psycopg2
        conn = psycopg2.connect(host="127.0.0.1", port=rec.port, user="postgres", dbname="postgres",
                                application_name="capture", options="-c statement_timeout=5000")
        cur = conn.cursor()
        cur.execute("SELECT %s::int + 1, %s::text", (41, "x'y"))
        cur.execute("INSERT INTO t VALUES (10, 'p') ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v")
        conn.commit()
        try:
            cur.execute("SELECT * FROM missing_table")
        except psycopg2.Error:
            conn.rollback()
        import io
        cur.copy_expert("COPY t FROM STDIN", io.StringIO("20\tq\n21\t\\N\n"))
        conn.commit()
        conn.close()
        print("pgbench")
        pgbench = os.path.join(bindir, "pgbench")
        env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=port, PGUSER="postgres")
        run([pgbench, "-i", "-s", "1", "-q", "postgres"], env=env)
        for mode in ["simple", "extended", "prepared"]:
            run([pgbench, "-n", "-M", mode, "-t", "5", "-c", "1", "postgres"], env=env)
        node_modules = os.path.join(build, "npm-clients")
        js = os.path.join(REPO, "tests", "integration", "clients", "programs", "node_pg_check.js")
        if shutil.which("node") and os.path.isdir(os.path.join(node_modules, "node_modules", "pg")):
            print("node-pg")
            pg.psql("CREATE EXTENSION IF NOT EXISTS jadevector")
            pg.psql("CREATE TABLE IF NOT EXISTS nodepg (id bigint PRIMARY KEY, category int, name text, "
                    "embedding vector(4))")
            run(["node", js], env=dict(os.environ, PGHOST="127.0.0.1", PGPORT=port, PGUSER="postgres",
                                       PGDATABASE="postgres", NODE_PATH=os.path.join(node_modules, "node_modules")))
        java = os.path.join(REPO, "tests", "integration", "clients", "programs", "JdbcCheck.java")
        if shutil.which("java") and os.path.exists("/usr/share/java/postgresql.jar"):
            print("pgjdbc")
            run(["java", "-cp", "/usr/share/java/postgresql.jar", java, port])
        rec.listener.close()
    finally:
        pg.destroy()
    out = os.path.join(HERE, "corpus", "wire")
    os.makedirs(out, exist_ok=True)
    n = 0
    for stream in rec.streams:
        if not stream or len(stream) > 65536:
            continue  # pgbench -i's COPY of 100,000 rows says nothing new to a parser
        # Tail read by fuzz_wire.cpp from the end: options byte 0 (trust, no TLS), then read sizes.
        seed = stream + b"\xff" * 32 + b"\x00"
        name = hashlib.sha1(seed).hexdigest()[:16]
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed)
        n += 1
    print("wrote %d wire seeds to %s" % (n, out))


if __name__ == "__main__":
    main()
