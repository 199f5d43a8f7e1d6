#!/usr/bin/python3
"""demo — `make demo` / `make stop`: a local JadeVectorDB on 127.0.0.1, loaded and queried.

    /usr/bin/python3 scripts/demo.py start [--build-dir build] [--single]
    /usr/bin/python3 scripts/demo.py stop

With the coordinator built (<build>/coordinator/jade-coordinator) `start` runs the whole local
cluster: jade-coordinator on 6432 and three worker PostgreSQL 15 servers (5433-5435; a taken port
is replaced by a free one and the ports used are printed), each worker registered with
jade_add_node, a distributed table `items` (8 shards) with a vector index, demo vectors loaded
with COPY through the coordinator, and a top-k query run with psql through the coordinator.
Without the coordinator (or with --single) it runs one PostgreSQL with jadevector instead.

Everything lives in the repo's ignored `.jade/` directory (`.jade/cluster`, `.jade/single`) and
keeps running until `make stop`. Running `start` again reuses (or restarts) what is there;
`stop` when nothing runs is fine.
"""

import argparse
import contextlib
import io
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import cluster as jc  # noqa: E402
from lib.pg_instance import PgInstance, REPO, default_bindir, ensure_traversable  # noqa: E402

JADE_DIR = os.path.join(REPO, ".jade")
CLUSTER_DIR = os.path.join(JADE_DIR, "cluster")
SINGLE_DIR = os.path.join(JADE_DIR, "single")
SINGLE_PORT = 5432 + 100  # 5532: out of the way of a system PostgreSQL on 5432

DIMS = 8
ROWS = 10000
SHARDS = 8
SEED = 20261128
QUERY = "[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]"


def demo_rows():
    """ROWS deterministic rows (id, category, 8-d vector text), values rounded to 4 decimals."""
    rng = random.Random(SEED)
    for i in range(1, ROWS + 1):
        vec = ",".join("%.4f" % rng.random() for _ in range(DIMS))
        yield i, i % 10, "[%s]" % vec


def copy_payload():
    """The demo rows as COPY text."""
    return io.StringIO("".join("%d\t%d\t%s\n" % r for r in demo_rows()))


def pick_index_ddl(cur):
    """CREATE INDEX for the AMs this build has: faiss (HNSW graph), else hnsw, else none."""
    cur.execute("SELECT amname FROM pg_am WHERE amname IN ('faiss', 'hnsw')")
    ams = {r[0] for r in cur.fetchall()}
    if "faiss" in ams:
        return ("CREATE INDEX items_embedding_idx ON items USING faiss (embedding vector_l2_ops) "
                "WITH (factory = 'HNSW16')")
    if "hnsw" in ams:
        return "CREATE INDEX items_embedding_idx ON items USING hnsw (embedding vector_l2_ops)"
    return None


def run_psql(bindir, port, sql, title):
    """Print title, the psql command, then run it and print its output (as a user would see it)."""
    print("\n-- %s" % title)
    print("$ psql -h 127.0.0.1 -p %d -U postgres postgres -c \"%s\"" % (port, sql))
    r = subprocess.run([os.path.join(bindir, "psql"), "-X", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                        "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
                       capture_output=True, text=True, timeout=120)
    sys.stdout.write(r.stdout)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise RuntimeError("psql failed: %s" % r.stderr.strip())


def knn_sql(where=""):
    return ("SELECT id, category, round((embedding <-> '%s')::numeric, 4) AS distance FROM items %s"
            "ORDER BY embedding <-> '%s' LIMIT 5" % (QUERY, where, QUERY))


# -- the cluster demo -------------------------------------------------------------------------------
def start_cluster(build_dir):
    """Start or reuse the 3-worker cluster, (re)load `items` if needed, query it, print how to connect."""
    c = jc.Cluster(workers=3, dir=CLUSTER_DIR, build_dir=build_dir, coordinator_port=jc.DEFAULT_COORDINATOR_PORT,
                   worker_ports=jc.DEFAULT_WORKER_PORTS, name="demo")
    try:
        c.start()
    except Exception as e:
        print("demo: could not start the cluster: %s" % e, file=sys.stderr)
        if c.coordinator is not None:
            print(c.log_tails(20), file=sys.stderr)
        return 1
    try:
        load_cluster(c)
        bindir = c.workers[0].bindir
        run_psql(bindir, c.port, "SELECT node_id, host, port, is_default FROM jade_nodes ORDER BY node_id", "worker nodes")
        run_psql(bindir, c.port, knn_sql(), "top-5 nearest neighbours (L2) through the coordinator")
        run_psql(bindir, c.port, knn_sql("WHERE category = 3 "), "the same with a filter")
    except Exception as e:
        print("demo: %s\n%s" % (e, c.log_tails(20)), file=sys.stderr)
        return 1
    print_cluster(c)
    return 0


def load_cluster(c):
    """Create the distributed table with its index and load it through the coordinator, unless already done."""
    with contextlib.closing(c.connect()) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        cur.execute("SELECT count(*) FROM jade_tables WHERE table_name = 'items'")
        if cur.fetchone()[0] == 1:
            cur.execute("SELECT count(*) FROM items")
            if cur.fetchone()[0] == ROWS:
                print("demo: reusing the distributed table items (%d rows)" % ROWS)
                return
        print("demo: creating the distributed table items (%d shards) and loading %d %d-d vectors"
              % (SHARDS, ROWS, DIMS))
        cur.execute("DROP TABLE IF EXISTS items")
        cur.execute("CREATE TABLE items (id bigint PRIMARY KEY, category int, embedding vector(%d))" % DIMS)
        cur.execute("SELECT create_distributed_table('items', 'id', shard_count => %d)" % SHARDS)
        cur.copy_expert("COPY items (id, category, embedding) FROM STDIN", copy_payload())
        ddl = pick_index_ddl(cur)
        if ddl:
            cur.execute(ddl)
            print("demo: %s" % ddl)
        cur.execute("ANALYZE items")


def print_cluster(c):
    st = c.status()
    print("\nJadeVectorDB local cluster is running (data in %s):" % c.dir)
    print("  coordinator  127.0.0.1:%d  (log %s)" % (c.port, st["coordinator"]["log"]))
    for w in st["workers"]:
        print("  %-12s 127.0.0.1:%d  (log %s)" % (w["name"], w["port"], w["log"]))
    print("\nConnect with:\n  %s\nTry:\n  SELECT * FROM jade_shards;\n  %s;" % (c.psql_command(), knn_sql()))
    print("Stop everything with:\n  make stop")


# -- the single-server demo -------------------------------------------------------------------------
def single_instance(build_dir, bindir=None):
    return PgInstance("demo-single", port=SINGLE_PORT, build_dir=build_dir, bindir=bindir, base_dir=SINGLE_DIR,
                      settings={"shared_buffers": "64MB"})


def start_single(build_dir):
    """One PostgreSQL with jadevector: start or reuse it, (re)load `items`, query it, print how to connect."""
    os.makedirs(JADE_DIR, exist_ok=True)
    ensure_traversable(JADE_DIR)
    pg = single_instance(build_dir)
    if not jc.worker_running(pg):
        if os.path.exists(os.path.join(pg.datadir, "PG_VERSION")):
            pg.start()
        else:
            if not jc.port_is_free(pg.port):
                pg.port = jc.pick_port(None)
                pg.settings["port"] = str(pg.port)
            pg.init().start()
    pg.port = read_port(pg)
    with contextlib.closing(pg.connect()) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        cur.execute("SELECT to_regclass('items') IS NOT NULL")
        exists = cur.fetchone()[0]
        if not exists or count(cur) != ROWS:
            cur.execute("DROP TABLE IF EXISTS items")
            cur.execute("CREATE TABLE items (id bigint PRIMARY KEY, category int, embedding vector(%d))" % DIMS)
            cur.copy_expert("COPY items (id, category, embedding) FROM STDIN", copy_payload())
            ddl = pick_index_ddl(cur)
            if ddl:
                cur.execute(ddl)
            cur.execute("ANALYZE items")
    run_psql(pg.bindir, pg.port, knn_sql(), "top-5 nearest neighbours (L2)")
    print("\nPostgreSQL 15 with jadevector is running on 127.0.0.1:%d (data in %s)." % (pg.port, SINGLE_DIR))
    print("Connect with:\n  psql -h 127.0.0.1 -p %d -U postgres postgres\nStop it with:\n  make stop" % pg.port)
    return 0


def count(cur):
    cur.execute("SELECT count(*) FROM items")
    return cur.fetchone()[0]


def read_port(pg):
    """The port the server in pg.datadir really listens on (line 4 of postmaster.pid)."""
    try:
        with open(os.path.join(pg.datadir, "postmaster.pid")) as f:
            return int(f.read().splitlines()[3])
    except (OSError, IndexError, ValueError):
        return pg.port


# -- commands -------------------------------------------------------------------------------------
def cmd_start(args):
    build_dir = os.path.abspath(args.build_dir)
    os.makedirs(JADE_DIR, exist_ok=True)
    os.chmod(JADE_DIR, 0o755)
    if args.single or not os.access(jc.coordinator_binary(build_dir), os.X_OK):
        if not args.single:
            print("demo: no coordinator at %s; starting a single server" % jc.coordinator_binary(build_dir))
        return start_single(build_dir)
    return start_cluster(build_dir)


def cmd_stop(_args):
    """Stop the cluster and the single server, whichever runs; nothing running is fine."""
    stopped = False
    c = jc.attach(CLUSTER_DIR) if os.path.isdir(CLUSTER_DIR) else None
    if c is not None:
        try:
            st = c.status()
            if st["coordinator"]["pid"] or any(w["running"] for w in st["workers"]):
                c.stop()
                stopped = True
                print("demo: stopped the cluster in %s" % CLUSTER_DIR)
        except RuntimeError as e:  # e.g. the build directory is gone: stop by pid file at least
            c.coordinator.stop()
            print("demo: stopped the coordinator; workers: %s" % e, file=sys.stderr)
    if os.path.exists(os.path.join(SINGLE_DIR, "data", "PG_VERSION")):
        try:
            bindir = default_bindir(stored_build_dir())
            if not os.path.exists(os.path.join(bindir, "pg_ctl")):
                bindir = jc.SYSTEM_BINDIR  # the build is gone; the system pg_ctl (same major) stops it
            pg = single_instance(stored_build_dir(), bindir)
            if jc.worker_running(pg):
                pg.stop()
                stopped = True
                print("demo: stopped the server in %s" % SINGLE_DIR)
        except RuntimeError as e:
            print("demo: %s" % e, file=sys.stderr)
    if not stopped:
        print("demo: nothing was running")
    return 0


def stored_build_dir():
    return os.environ.get("JADE_BUILD_DIR") or os.path.join(REPO, "build")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start")
    s.add_argument("--build-dir", default=stored_build_dir())
    s.add_argument("--single", action="store_true", help="one PostgreSQL with jadevector, no coordinator")
    s.set_defaults(fn=cmd_start)
    q = sub.add_parser("stop")
    q.set_defaults(fn=cmd_stop)
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
