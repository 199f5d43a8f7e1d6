"""Client roles on the workers (issue 8, security; docs/operations.md "Roles").

With `worker_role = client` every statement of a client runs on the workers as that client's own
role, over connections pooled per role, so PostgreSQL's privileges apply: the application role
`app` (not a superuser) cannot read a distributed table it has no grant on, can after GRANT
(propagated to every shard), cannot escape with RESET ROLE / SET ROLE / SET SESSION AUTHORIZATION
(the worker session's own user is `app`), cannot run COPY ... FROM PROGRAM, and cannot change the
cluster's nodes. A superuser still can. With the default `worker_role = shared` everything runs as
worker_user (checked by current_user).
"""

import psycopg2
import pytest

from conftest import cluster_fixture

pytestmark = pytest.mark.timeout(240)

CONFIG = """
auth = scram-sha-256
user postgres password s3cret
user app password apppw
user other password otherpw
worker_role = client
"""

cluster = cluster_fixture(workers=2, password="s3cret", coordinator_config=CONFIG)


def connect(cluster, user, password):
    conn = psycopg2.connect(host="127.0.0.1", port=cluster.port, user=user, password=password, dbname="postgres",
                            connect_timeout=10)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def setup(cluster):
    # The roles exist on every worker with the same passwords (the coordinator logs in as them).
    for w in cluster.workers:
        w.psql("CREATE ROLE app LOGIN PASSWORD 'apppw'; CREATE ROLE other LOGIN PASSWORD 'otherpw'")
    admin = connect(cluster, "postgres", "s3cret")
    cur = admin.cursor()
    cur.execute("CREATE TABLE secrets (id bigint PRIMARY KEY, body text)")
    cur.execute("INSERT INTO secrets SELECT g, 'secret ' || g FROM generate_series(1, 12) g")
    cur.execute("SELECT create_distributed_table('secrets', 'id', shard_count => 4)")
    cur.execute("CREATE TABLE notes (id bigint PRIMARY KEY, body text)")
    cur.execute("INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 12) g")
    cur.execute("SELECT create_distributed_table('notes', 'id', shard_count => 4)")
    admin.close()
    return cluster


def test_statements_run_as_the_client_role(setup):
    app = connect(setup, "app", "apppw")
    cur = app.cursor()
    cur.execute("SELECT current_user, session_user")
    assert cur.fetchone() == ("app", "app")
    admin = connect(setup, "postgres", "s3cret")
    acur = admin.cursor()
    acur.execute("SELECT current_user")
    assert acur.fetchone()[0] == "postgres"


def test_no_grant_no_rows(setup):
    app = connect(setup, "app", "apppw")
    cur = app.cursor()
    for sql in ["SELECT count(*) FROM secrets", "SELECT * FROM secrets WHERE id = 3",
                "UPDATE secrets SET body = 'x' WHERE id = 3", "DELETE FROM secrets"]:
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql)
        assert e.value.pgcode == "42501", (sql, e.value.pgerror)


def test_grant_reaches_every_shard(setup):
    admin = connect(setup, "postgres", "s3cret")
    admin.cursor().execute("GRANT SELECT ON notes TO app")
    app = connect(setup, "app", "apppw")
    cur = app.cursor()
    cur.execute("SELECT count(*) FROM notes")  # a fan-out over all four shards
    assert cur.fetchone()[0] == 12
    cur.execute("SELECT body FROM notes WHERE id = 5")
    assert cur.fetchone()[0] == "note 5"
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("UPDATE notes SET body = 'x' WHERE id = 5")
    assert e.value.pgcode == "42501"
    other = connect(setup, "other", "otherpw")
    with pytest.raises(psycopg2.Error) as e:
        other.cursor().execute("SELECT count(*) FROM notes")
    assert e.value.pgcode == "42501"
    admin.cursor().execute("REVOKE SELECT ON notes FROM app")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("SELECT count(*) FROM notes")
    assert e.value.pgcode == "42501"


def test_role_changes_cannot_escalate(setup):
    app = connect(setup, "app", "apppw")
    cur = app.cursor()
    for sql in ["SET ROLE postgres", "SET SESSION AUTHORIZATION postgres",
                "SELECT set_config('role', 'postgres', false)"]:
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(sql)
        assert e.value.pgcode == "42501", (sql, e.value.pgerror)
    for sql in ["RESET ROLE", "RESET SESSION AUTHORIZATION", "DISCARD ALL", "RESET ALL"]:
        cur.execute(sql)
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("SELECT count(*) FROM secrets")
        assert e.value.pgcode == "42501", sql


def test_copy_from_program_needs_a_superuser(setup):
    admin = connect(setup, "postgres", "s3cret")
    admin.cursor().execute("CREATE TABLE app_plain (v text); GRANT INSERT, SELECT ON app_plain TO app")
    app = connect(setup, "app", "apppw")
    cur = app.cursor()
    cur.execute("INSERT INTO app_plain VALUES ('ok')")
    with pytest.raises(psycopg2.Error) as e:
        cur.execute("COPY app_plain FROM PROGRAM 'id'")
    assert e.value.pgcode == "42501" and "pg_execute_server_program" in e.value.pgerror


def test_cluster_changes_need_a_superuser(setup):
    app = connect(setup, "app", "apppw")
    with pytest.raises(psycopg2.Error) as e:
        app.cursor().execute("SELECT jade_add_node('127.0.0.1', 1)")
    assert e.value.pgcode == "42501"
    admin = connect(setup, "postgres", "s3cret")
    cur = admin.cursor()
    cur.execute("SELECT count(*) FROM jade_nodes")
    assert cur.fetchone()[0] == 2


def test_pooled_connection_does_not_carry_a_role_to_the_next_session(setup):
    # pool connections of one login role are shared by that role's sessions only; a SET ROLE of
    # one session (to a role it may use) is not left on the connection for the next one.
    admin = connect(setup, "postgres", "s3cret")
    cur = admin.cursor()
    cur.execute("SET ROLE app")
    cur.execute("SELECT current_user")
    assert cur.fetchone()[0] == "app"
    admin.close()
    again = connect(setup, "postgres", "s3cret")
    acur = again.cursor()
    acur.execute("SELECT current_user")
    assert acur.fetchone()[0] == "postgres"
