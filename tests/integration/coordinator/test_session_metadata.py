"""Session settings, EXPLAIN, metadata durability and 2PC recovery through the coordinator.

* SET/RESET/SHOW of search settings (hnsw.ef_search, jadevector.nprobe) follow the client: the
  worker sessions that run its shard queries see them (read back with current_setting() inside
  shard queries on every worker), other clients do not.
* EXPLAIN / EXPLAIN ANALYZE show the distributed plan: route, per-shard SQL with shard table names,
  the merge step and each shard's own plan (an index scan once a vector index exists).
* jade_nodes / jade_tables / jade_shards are identical after a clean restart and after SIGKILL of
  the coordinator, and the data stays reachable; new shard ids do not collide with old ones.
* An in-doubt prepared transaction with the coordinator's gid prefix and no commit record is rolled
  back by recovery after a restart; foreign prepared transactions are left alone.
"""

import contextlib
import threading
import time

import psycopg2
import pytest

from conftest import cluster_fixture

pytestmark = pytest.mark.timeout(240)

cluster = cluster_fixture(workers=3)
ROWS = 60


@pytest.fixture(scope="module")
def items(cluster):
    """The distributed table items with ROWS rows."""
    with contextlib.closing(cluster.connect()) as c, c.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
        cur.execute("CREATE TABLE items (id bigint PRIMARY KEY, category int, embedding vector(3))")
        cur.execute("SELECT create_distributed_table('items', 'id', shard_count => 6)")
        cur.execute("INSERT INTO items VALUES " + ",".join(
            "(%d, %d, '[%d,%d,%d]')" % (i, i % 4, i, (i * 7) % 13, (i * 5) % 17) for i in range(1, ROWS + 1)))


@pytest.fixture
def conn(cluster, items):
    """A fresh session per test (tests restart the coordinator, which ends every session)."""
    c = cluster.connect()
    yield c
    c.close()


def fetch(c, sql, params=None):
    with c.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else None


def test_set_show_reset_follow_the_client(cluster, conn):
    fetch(conn, "SET hnsw.ef_search = 100")
    fetch(conn, "SET jadevector.nprobe = 16")
    assert fetch(conn, "SHOW hnsw.ef_search") == [("100",)]
    assert fetch(conn, "SHOW jadevector.nprobe") == [("16",)]
    # Fan-out: every shard's session (on all three workers) has the client's values.
    rows = fetch(conn, "SELECT id, current_setting('hnsw.ef_search'), current_setting('jadevector.nprobe') FROM items")
    assert len(rows) == ROWS and {(r[1], r[2]) for r in rows} == {("100", "16")}
    # Single-shard routes too, whichever worker holds the key.
    for key in (1, 2, 3, 17, 42):
        assert fetch(conn, "SELECT current_setting('hnsw.ef_search') FROM items WHERE id = %s", (key,)) == [("100",)]
    # Another client keeps the defaults, even though pooled worker connections are shared.
    with contextlib.closing(cluster.connect()) as other:
        rows = fetch(other, "SELECT DISTINCT current_setting('hnsw.ef_search') FROM items")
        assert rows == [("40",)]
        assert fetch(other, "SHOW hnsw.ef_search") == [("40",)]
    fetch(conn, "RESET hnsw.ef_search")
    assert fetch(conn, "SHOW hnsw.ef_search") == [("40",)]
    assert {r[0] for r in fetch(conn, "SELECT current_setting('hnsw.ef_search') FROM items")} == {"40"}
    assert {r[0] for r in fetch(conn, "SELECT current_setting('jadevector.nprobe') FROM items")} == {"16"}
    fetch(conn, "RESET ALL")
    assert {r[0] for r in fetch(conn, "SELECT current_setting('jadevector.nprobe') FROM items")} == {"0"}


def test_set_invalid_value_is_refused(conn):
    with pytest.raises(psycopg2.Error) as e:
        fetch(conn, "SET hnsw.ef_search = 0")
    assert e.value.pgcode == "22023"
    assert fetch(conn, "SHOW hnsw.ef_search") == [("40",)]


def test_set_local_ends_with_the_transaction(cluster, items):
    with contextlib.closing(cluster.connect(autocommit=False)) as c:
        fetch(c, "SET LOCAL hnsw.ef_search = 77")
        assert {r[0] for r in fetch(c, "SELECT current_setting('hnsw.ef_search') FROM items")} == {"77"}
        c.commit()
        assert {r[0] for r in fetch(c, "SELECT current_setting('hnsw.ef_search') FROM items")} == {"40"}
        c.rollback()


def explain_text(conn, sql):
    return "\n".join(r[0] for r in fetch(conn, sql))


def test_explain_shows_distributed_plan(cluster, conn):
    shards = fetch(conn, "SELECT shard_name, port FROM jade_shards WHERE table_name = 'items' ORDER BY shard_id")
    plan = explain_text(conn, "EXPLAIN SELECT id FROM items ORDER BY embedding <-> '[1,2,3]' LIMIT 5")
    assert "fan-out" in plan and "merge" in plan.lower(), plan
    for name, port in shards:
        assert name in plan and str(port) in plan, plan
    assert plan.count("LIMIT 5") >= len(shards), plan  # the limit is pushed to every shard
    assert plan.count("Limit") >= len(shards), plan  # each shard's own plan is included

    plan = explain_text(conn, "EXPLAIN SELECT * FROM items WHERE id = 7")
    assert "single shard" in plan and "id = 7" in plan, plan
    assert sum(name in plan for name, _ in shards) == 1, plan

    plan = explain_text(conn, "EXPLAIN ANALYZE SELECT category, count(*) FROM items GROUP BY category")
    assert "actual time" in plan and "aggregate" in plan.lower(), plan


def test_explain_shows_shard_index_scans(conn):
    fetch(conn, "CREATE INDEX items_embedding_idx ON items USING faiss (embedding vector_l2_ops) "
                "WITH (factory = 'Flat')")
    try:
        fetch(conn, "SET enable_seqscan = off")
        plan = explain_text(conn, "EXPLAIN SELECT id FROM items ORDER BY embedding <-> '[1,2,3]' LIMIT 5")
        assert plan.count("Index Scan using items_embedding_idx") >= 6 or plan.count("Index Scan") >= 6, plan
        ids = [r[0] for r in fetch(conn, "SELECT id FROM items ORDER BY embedding <-> '[1,2,3]' LIMIT 5")]
        fetch(conn, "SET enable_indexscan = off")
        exact = [r[0] for r in fetch(conn, "SELECT id FROM items ORDER BY embedding <-> '[1,2,3]' LIMIT 5")]
        assert ids == exact
    finally:
        fetch(conn, "RESET ALL")
        fetch(conn, "DROP INDEX items_embedding_idx")


def metadata(c):
    return {view: fetch(c, "SELECT * FROM %s ORDER BY %s" % (view, key))
            for view, key in (("jade_nodes", "node_id"), ("jade_tables", "table_name"), ("jade_shards", "shard_id"))}


@pytest.mark.parametrize("how", ["restart", "kill9"])
def test_metadata_survives_coordinator_restart(cluster, conn, how):
    before = metadata(conn)
    assert len(before["jade_nodes"]) == 3 and len(before["jade_shards"]) >= 6
    if how == "restart":
        cluster.coordinator.restart()
    else:
        cluster.coordinator.kill9()
        cluster.coordinator.start()
    with contextlib.closing(cluster.connect()) as c:
        assert metadata(c) == before
        assert fetch(c, "SELECT count(*) FROM items") == [(ROWS,)]
        assert fetch(c, "SELECT id FROM items WHERE id = 33") == [(33,)]
        # A table distributed after the restart gets fresh shard ids.
        name = "after_" + how
        fetch(c, "CREATE TABLE %s (id int PRIMARY KEY)" % name)
        fetch(c, "SELECT create_distributed_table('%s', 'id', shard_count => 3)" % name)
        ids = [r[0] for r in fetch(c, "SELECT shard_id FROM jade_shards")]
        assert len(ids) == len(set(ids)), ids
        fetch(c, "INSERT INTO %s VALUES (1), (2), (3)" % name)
        assert fetch(c, "SELECT count(*) FROM %s" % name) == [(3,)]


def test_in_doubt_transaction_rolled_back_by_recovery(cluster, conn):
    worker = cluster.workers[1]
    shard = fetch(conn, "SELECT shard_name FROM jade_shards WHERE table_name = 'items' AND port = %s LIMIT 1",
                  (worker.port,))[0][0]
    gid = "jade_1_%d_2" % (int(time.time() * 1e6) - 10 ** 9)  # our prefix, an old txid, never committed
    with contextlib.closing(worker.connect(autocommit=False)) as wc:
        with wc.cursor() as cur:
            cur.execute('INSERT INTO "%s" VALUES (9999, 1, \'[9,9,9]\')' % shard)
            cur.execute("PREPARE TRANSACTION '%s'" % gid)
            wc.commit()
        wc.autocommit = True
        with wc.cursor() as cur:
            cur.execute("BEGIN")
            cur.execute("CREATE TABLE IF NOT EXISTS foreign_tx (x int)")
            cur.execute("PREPARE TRANSACTION 'someone_else_1'")
    try:
        cluster.coordinator.restart()
        deadline = time.time() + 20
        with contextlib.closing(worker.connect()) as wc:
            while True:
                gids = {r[0] for r in fetch(wc, "SELECT gid FROM pg_prepared_xacts")}
                if gid not in gids or time.time() > deadline:
                    break
                time.sleep(0.2)
            assert gid not in gids, "recovery left the in-doubt transaction %s" % gid
            assert "someone_else_1" in gids, "recovery touched a transaction that is not the coordinator's"
        with contextlib.closing(cluster.connect()) as c:
            assert fetch(c, "SELECT count(*) FROM items WHERE id = 9999") == [(0,)]
    finally:
        with contextlib.closing(worker.connect()) as wc, contextlib.suppress(psycopg2.Error):
            fetch(wc, "ROLLBACK PREPARED 'someone_else_1'")


def test_cancel_request_cancels_worker_queries(cluster, conn):
    """psycopg2's cancel() (CancelRequest with the BackendKeyData): 57014 to the client, shard queries stopped."""
    result = {}

    def slow():
        try:
            fetch(conn, "SELECT count(*) FROM items WHERE pg_sleep(0.5) IS NOT NULL")  # ~5 s per shard
        except psycopg2.Error as e:
            result["error"] = e

    t = threading.Thread(target=slow)
    t0 = time.time()
    t.start()
    time.sleep(1.0)
    conn.cancel()
    t.join(30)
    assert not t.is_alive()
    assert "error" in result and result["error"].pgcode == "57014", result
    assert time.time() - t0 < 4.5, "cancel took %.1f s" % (time.time() - t0)
    assert fetch(conn, "SELECT count(*) FROM items") == [(ROWS,)]  # the session is usable afterwards
    deadline = time.time() + 10
    for w in cluster.workers:
        with contextlib.closing(w.connect()) as wc:
            while True:
                busy = fetch(wc, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(0.5)%' "
                                 "AND state = 'active' AND pid <> pg_backend_pid()")[0][0]
                if busy == 0 or time.time() > deadline:
                    break
                time.sleep(0.1)
            assert busy == 0, "worker %s still runs the cancelled shard query" % w.name


def shard_tables_on_workers(cluster, table):
    """{shard table name: worker port} for the shards of table that exist on the workers."""
    found = {}
    for w in cluster.workers:
        with contextlib.closing(w.connect()) as wc:
            for (name,) in fetch(wc, "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname ~ %s",
                                 ("^%s_[0-9]+$" % table,)):
                found[name] = w.port
    return found


def test_ddl_propagates_to_every_shard(cluster, conn):
    fetch(conn, "CREATE TABLE ddl_t (id int, payload text)")
    fetch(conn, "SELECT create_distributed_table('ddl_t', 'id', shard_count => 4)")
    shards = dict(fetch(conn, "SELECT shard_name, port FROM jade_shards WHERE table_name = 'ddl_t'"))
    assert shard_tables_on_workers(cluster, "ddl_t") == shards
    fetch(conn, "INSERT INTO ddl_t VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')")
    fetch(conn, "ALTER TABLE ddl_t ADD COLUMN note text DEFAULT 'n'")
    assert fetch(conn, "SELECT id, note FROM ddl_t ORDER BY id") == [(1, "n"), (2, "n"), (3, "n"), (4, "n")]
    fetch(conn, "ALTER TABLE ddl_t ADD PRIMARY KEY (id)")
    with pytest.raises(psycopg2.errors.UniqueViolation):
        fetch(conn, "INSERT INTO ddl_t VALUES (3, 'dup')")
    fetch(conn, "CREATE INDEX ddl_t_payload ON ddl_t (payload)")
    for name, port in shards.items():
        w = next(w for w in cluster.workers if w.port == port)
        with contextlib.closing(w.connect()) as wc:
            idx = {r[0] for r in fetch(wc, "SELECT indexdef FROM pg_indexes WHERE tablename = %s", (name,))}
            assert any("(payload)" in d for d in idx) and any("UNIQUE" in d and "(id)" in d for d in idx), idx
    fetch(conn, "DROP TABLE ddl_t")
    assert fetch(conn, "SELECT count(*) FROM jade_tables WHERE table_name = 'ddl_t'") == [(0,)]
    assert shard_tables_on_workers(cluster, "ddl_t") == {}
    with pytest.raises(psycopg2.errors.UndefinedTable):
        fetch(conn, "SELECT * FROM ddl_t")


DEFS_SCHEMA = [
    "CREATE TABLE defs (id bigint PRIMARY KEY, code text COLLATE \"C\" NOT NULL DEFAULT 'none', n int CHECK (n >= 0), "
    "note text, emb vector(3), UNIQUE (id, code))",
    "CREATE INDEX defs_n ON defs (n) WHERE n > 5",
    "CREATE INDEX defs_faiss ON defs USING faiss (emb vector_l2_ops) WITH (factory = 'IVF2,Flat')",
    "CREATE INDEX defs_hnsw ON defs USING hnsw (emb vector_cosine_ops) WITH (m = 8)",
    "CREATE INDEX defs_ivf ON defs USING ivfflat (emb vector_l2_ops) WITH (lists = 2)",
]


def table_definition(wc, table):
    """(columns, constraints, indexes) of table on one server, object names without the shard suffix."""
    def plain(name):
        return name.replace(table, "defs").rsplit("_1", 1)[0] if table != "defs" else name
    cols = fetch(wc, "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
                     "pg_get_expr(d.adbin, d.adrelid), a.attcollation FROM pg_attribute a LEFT JOIN pg_attrdef d "
                     "ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = %s::regclass "
                     "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum", (table,))
    cons = {(plain(n), t, dfn) for n, t, dfn in fetch(
        wc, "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
        (table,))}
    idx = {(plain(n), dfn.replace(n, "IDX").replace("public.%s " % table, "public.defs "))
           for n, dfn in fetch(wc, "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                                   "WHERE indrelid = %s::regclass", (table,))}
    return cols, cons, idx


def test_distribution_carries_the_table_definition(cluster, conn):
    """Shard tables get the source's NOT NULL, DEFAULT, collation, PK/UNIQUE/CHECK constraints and every index
    (faiss/hnsw/ivfflat with their reloptions); the shell on the default node keeps the same definition."""
    for sql in DEFS_SCHEMA:
        fetch(conn, sql)
    fetch(conn, "INSERT INTO defs (id, code, n, note, emb) SELECT g, 'c' || g, g, "
                "CASE WHEN g = 3 THEN 'a note that is far too long' ELSE 'n' END, "
                "ARRAY[g, g % 7, 1]::real[]::vector FROM generate_series(1, 60) g")
    # Row 3 violates this check: NOT VALID must stay unvalidated on the shards too.
    fetch(conn, "ALTER TABLE defs ADD CONSTRAINT defs_note_short CHECK (length(note) < 20) NOT VALID")
    with contextlib.closing(cluster.workers[0].connect()) as wc:
        before = table_definition(wc, "defs")
    assert len(before[2]) == 6, before[2]
    fetch(conn, "SELECT create_distributed_table('defs', 'id', shard_count => 3)")
    shards = fetch(conn, "SELECT shard_name, port FROM jade_shards WHERE table_name = 'defs'")
    assert len(shards) == 3
    for name, port in shards:
        w = next(w for w in cluster.workers if w.port == port)
        with contextlib.closing(w.connect()) as wc:
            assert table_definition(wc, name) == before, name
    # The shell: same definition, no rows, plus the write guard.
    with contextlib.closing(cluster.workers[0].connect()) as wc:
        assert table_definition(wc, "defs") == before
        assert fetch(wc, "SELECT count(*) FROM defs") == [(0,)]
        assert fetch(wc, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'defs'::regclass") == [("jade_shell_guard",)]
    # Through the coordinator the constraints act as on one server.
    assert fetch(conn, "SELECT count(*) FROM defs") == [(60,)]
    assert fetch(conn, "SELECT note FROM defs WHERE id = 3") == [("a note that is far too long",)]
    with pytest.raises(psycopg2.errors.UniqueViolation):
        fetch(conn, "INSERT INTO defs (id, n) VALUES (7, 1)")
    with pytest.raises(psycopg2.errors.CheckViolation):
        fetch(conn, "INSERT INTO defs (id, n) VALUES (1000, -1)")
    with pytest.raises(psycopg2.errors.NotNullViolation):
        fetch(conn, "INSERT INTO defs (id, code, n) VALUES (1001, NULL, 1)")
    assert fetch(conn, "INSERT INTO defs (id, n) VALUES (1002, 1) RETURNING code") == [("none",)]
    fetch(conn, "SET enable_seqscan = off")
    try:  # each shard's own vector index answers its part of a kNN query
        plan = explain_text(conn, "EXPLAIN SELECT id FROM defs ORDER BY emb <-> '[5,3,1]' LIMIT 5")
        assert plan.count("Index Scan using defs_") == 3, plan
    finally:
        fetch(conn, "RESET enable_seqscan")


def test_shell_keeps_the_catalog_and_refuses_direct_writes(cluster, conn, items):
    """Catalog readers see a distributed table; a write that reaches the shell fails instead of being lost."""
    # A catalog query passes through to the default node, where the shell describes the table.
    assert fetch(conn, "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                       "WHERE c.relname = 'items' AND a.attnum > 0 ORDER BY a.attnum") == [
        ("id",), ("category",), ("embedding",)]
    # A write the coordinator cannot see (inside a DO block) reaches the shell: refused, nothing lost.
    with pytest.raises(psycopg2.errors.FeatureNotSupported) as e:
        fetch(conn, "DO $$ BEGIN INSERT INTO items VALUES (123456, 1, '[1,1,1]'); END $$")
    assert "distributed" in str(e.value)
    with contextlib.closing(cluster.workers[0].connect()) as wc:
        for sql in ("DELETE FROM items", "TRUNCATE items", "UPDATE items SET category = 1"):
            with pytest.raises(psycopg2.errors.FeatureNotSupported):
                fetch(wc, sql)
    assert fetch(conn, "SELECT count(*) FROM items") == [(ROWS,)]
    # DDL through the coordinator reaches the shell too; DROP TABLE removes it.
    fetch(conn, "CREATE TABLE shelled (id int PRIMARY KEY, a text)")
    fetch(conn, "SELECT create_distributed_table('shelled', 'id', shard_count => 2)")
    fetch(conn, "ALTER TABLE shelled ADD COLUMN b int DEFAULT 7")
    fetch(conn, "CREATE INDEX shelled_a ON shelled (a)")
    with contextlib.closing(cluster.workers[0].connect()) as wc:
        assert fetch(wc, "SELECT count(*) FROM pg_attribute WHERE attrelid = 'shelled'::regclass AND attname = 'b'") \
            == [(1,)]
        assert fetch(wc, "SELECT count(*) FROM pg_indexes WHERE indexname = 'shelled_a'") == [(1,)]
    fetch(conn, "DROP TABLE shelled")
    with contextlib.closing(cluster.workers[0].connect()) as wc:
        assert fetch(wc, "SELECT count(*) FROM pg_class WHERE relname = 'shelled'") == [(0,)]


def test_refused_distribution_leaves_the_table_alone(cluster, conn):
    """Definitions a shard cannot enforce are refused before anything moves; the table keeps its rows."""
    fetch(conn, "CREATE TABLE uq (id int PRIMARY KEY, email text UNIQUE)")
    fetch(conn, "INSERT INTO uq VALUES (1, 'a'), (2, 'b')")
    with pytest.raises(psycopg2.errors.FeatureNotSupported) as e:
        fetch(conn, "SELECT create_distributed_table('uq', 'id')")
    assert "uq_email_key" in str(e.value)
    assert fetch(conn, "SELECT count(*) FROM jade_tables WHERE table_name = 'uq'") == [(0,)]
    assert fetch(conn, "SELECT count(*) FROM uq") == [(2,)]
    fetch(conn, "INSERT INTO uq VALUES (3, 'c')")  # still a plain table on the default node
    fetch(conn, "DROP TABLE uq")


def test_failed_distribution_rolls_everything_back(cluster, conn):
    """A shard that cannot be created (its name is taken on one worker): no shard table, shell, trigger,
    prepared transaction or metadata is left, the source keeps its rows, and a retry succeeds."""
    fetch(conn, "CREATE TABLE victim (id int PRIMARY KEY, v text)")
    fetch(conn, "INSERT INTO victim SELECT g, 'v' || g FROM generate_series(1, 30) g")
    top = max(r[0] for r in fetch(conn, "SELECT shard_id FROM jade_shards"))
    decoys = ["victim_%d" % i for i in range(top + 1, top + 60)]
    w2 = cluster.workers[1]
    with contextlib.closing(w2.connect()) as wc:
        for d in decoys:
            fetch(wc, "CREATE TABLE %s (x int)" % d)
    try:
        with pytest.raises(psycopg2.errors.DuplicateTable):
            fetch(conn, "SELECT create_distributed_table('victim', 'id', shard_count => 3)")
        assert fetch(conn, "SELECT count(*) FROM jade_tables WHERE table_name = 'victim'") == [(0,)]
        assert fetch(conn, "SELECT count(*) FROM victim") == [(30,)]
        for w in cluster.workers:
            with contextlib.closing(w.connect()) as wc:
                tables = {r[0] for r in fetch(wc, "SELECT relname FROM pg_class WHERE relname ~ '^victim_[0-9]+$'")}
                assert tables == (set(decoys) if w is w2 else set()), w.name
                assert fetch(wc, "SELECT count(*) FROM pg_prepared_xacts") == [(0,)]
        with contextlib.closing(cluster.workers[0].connect()) as wc:
            assert fetch(wc, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'victim'::regclass") == [(0,)]
    finally:
        with contextlib.closing(w2.connect()) as wc:
            for d in decoys:
                fetch(wc, "DROP TABLE %s" % d)
    fetch(conn, "SELECT create_distributed_table('victim', 'id', shard_count => 3)")
    assert fetch(conn, "SELECT count(*), sum(id) FROM victim") == [(30, 465)]
    fetch(conn, "DROP TABLE victim")


def test_prepared_statements_follow_ddl(cluster, conn):
    """Shard statements the coordinator prepares on worker connections never go stale: after DDL through
    the coordinator the next execution sees the new columns (no "cached plan must not change result
    type"); after DDL run on a worker directly, at most a failed execution per connection, then the same."""
    psycopg = pytest.importorskip("psycopg")
    fetch(conn, "CREATE TABLE ddlp (id int PRIMARY KEY, a text)")
    fetch(conn, "INSERT INTO ddlp VALUES (1, 'a1'), (2, 'a2'), (3, 'a3')")
    fetch(conn, "SELECT create_distributed_table('ddlp', 'id', shard_count => 4)")
    fetch(conn, "CREATE TABLE plainp (id int, a text)")
    fetch(conn, "INSERT INTO plainp VALUES (1, 'x')")
    queries = [("SELECT * FROM ddlp WHERE id = %s", (3,)), ("SELECT * FROM ddlp ORDER BY id LIMIT 2", None),
               ("SELECT * FROM plainp WHERE id = %s", (1,))]
    with psycopg.connect(cluster.dsn(), autocommit=True) as pc:
        for _ in range(7):  # past PostgreSQL's five custom plans: generic plans on the workers
            before = [pc.execute(sql, params, prepare=True).fetchall() for sql, params in queries]
        assert before == [[(3, "a3")], [(1, "a1"), (2, "a2")], [(1, "x")]]
        fetch(conn, "ALTER TABLE ddlp ADD COLUMN extra int DEFAULT 5")
        fetch(conn, "ALTER TABLE plainp ADD COLUMN extra int DEFAULT 6")
        after = [pc.execute(sql, params, prepare=True).fetchall() for sql, params in queries]
        assert after == [[(3, "a3", 5)], [(1, "a1", 5), (2, "a2", 5)], [(1, "x", 6)]]
        with contextlib.closing(cluster.workers[0].connect()) as wc:
            fetch(wc, "ALTER TABLE plainp ADD COLUMN more int DEFAULT 7")  # behind the coordinator's back
        sql, params = queries[2]
        failures, rows = 0, None
        for _ in range(5):
            try:
                rows = pc.execute(sql, params, prepare=True).fetchall()
                break
            except psycopg.errors.FeatureNotSupported:
                failures += 1
        assert rows == [(1, "x", 6, 7)] and failures <= 2, failures
        assert pc.execute(sql, params, prepare=True).fetchall() == [(1, "x", 6, 7)]
    fetch(conn, "DROP TABLE ddlp")
    fetch(conn, "DROP TABLE plainp")
