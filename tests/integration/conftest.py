"""Shared pytest fixtures of the integration tests: build discovery, plain servers, local clusters.

Generic on purpose; any area may use these:

* `BUILD_DIR` — $JADE_BUILD_DIR (set by tests/run_all.sh), else <repo>/build.
* `pg_template` (session) — one initdb'd data directory that servers and clusters copy instead of
  running initdb again (initdb takes seconds on a loaded machine).
* `start_plain_pg(name, template, settings)` — a started PostgreSQL with jadevector; caller destroys.
* `cluster_fixture(workers=3, **Cluster kwargs)` — builds a module-scoped fixture returning a started
  scripts/lib/cluster.Cluster (coordinator + workers), destroyed after the module.
* `tool(name)` — path of a PostgreSQL client program (psql, pgbench) of the build's private tree.

Every server started here is stopped by a finalizer, also when the test fails.
"""

import os
import shutil
import sys
import tempfile

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
if os.path.join(REPO, "scripts") not in sys.path:
    sys.path.insert(0, os.path.join(REPO, "scripts"))

from lib import cluster as jade_cluster  # noqa: E402
from lib.pg_instance import PgInstance, as_postgres, default_bindir  # noqa: E402

BUILD_DIR = os.path.abspath(os.environ.get("JADE_BUILD_DIR") or os.path.join(REPO, "build"))

# Settings of plain test servers: quick and small (durability is not what these tests exercise).
PLAIN_SETTINGS = dict(jade_cluster.LIGHT_WORKER_SETTINGS)


def have_build():
    """True when the build's private PostgreSQL tree exists."""
    return os.path.exists(os.path.join(default_bindir(BUILD_DIR), "postgres"))


def tool(name):
    """Path of a PostgreSQL client program (psql, pgbench, ...) from the build's private tree."""
    return os.path.join(default_bindir(BUILD_DIR), name)


def require_build():
    """Skip when nothing is built; fail when the PostgreSQL tree exists but the coordinator does not."""
    if not have_build():
        pytest.skip("no PostgreSQL build at %s (run `make build`)" % BUILD_DIR)


def require_coordinator():
    require_build()
    binary = jade_cluster.coordinator_binary(BUILD_DIR)
    if not os.access(binary, os.X_OK):
        pytest.fail("the build has no coordinator binary at %s" % binary)


@pytest.fixture(scope="session")
def pg_template():
    """An initdb'd data directory to copy (removed at the end of the session)."""
    require_build()
    root = tempfile.mkdtemp(prefix="jade-template-")
    path = os.path.join(root, "data")
    try:
        jade_cluster.make_template(path, BUILD_DIR)
    except BaseException:
        _remove(root)
        raise
    yield path
    _remove(root)


def _remove(path):
    shutil.rmtree(path, ignore_errors=True)
    if os.path.exists(path):
        as_postgres(["rm", "-rf", path], capture_output=True)


def start_plain_pg(name, template=None, settings=None, extension=True):
    """Start one plain PostgreSQL (copy of template, or initdb) with jadevector; the caller destroys it."""
    merged = dict(PLAIN_SETTINGS)
    merged.update(settings or {})
    pg = PgInstance(name, settings=merged, build_dir=BUILD_DIR)
    try:
        jade_cluster.init_from_template(pg, template)
        pg.start()
        if extension:
            pg.psql("CREATE EXTENSION IF NOT EXISTS jadevector")
    except BaseException:
        pg.destroy()
        raise
    return pg


def start_cluster(template=None, workers=3, **kwargs):
    """Start a Cluster in a temporary directory; the caller destroys it (also done here on failure)."""
    require_coordinator()
    c = jade_cluster.Cluster(workers=workers, build_dir=BUILD_DIR, template=template, **kwargs)
    try:
        c.start()
    except BaseException as e:
        tails = c.log_tails(20) if c.coordinator is not None else ""
        c.destroy()
        if isinstance(e, Exception):
            raise RuntimeError("cluster start failed: %s\n%s" % (e, tails)) from e
        raise
    return c


def cluster_fixture(workers=3, **kwargs):
    """Build a module-scoped fixture: a started cluster, destroyed after the module."""

    @pytest.fixture(scope="module")
    def _cluster(request, pg_template):
        c = start_cluster(pg_template, workers=workers, **kwargs)
        request.addfinalizer(c.destroy)
        return c

    return _cluster


def plain_pg_fixture(name="ref", **kwargs):
    """Build a module-scoped fixture: one started plain PostgreSQL with jadevector."""

    @pytest.fixture(scope="module")
    def _pg(request, pg_template):
        pg = start_plain_pg(name, pg_template, **kwargs)
        request.addfinalizer(pg.destroy)
        return pg

    return _pg
