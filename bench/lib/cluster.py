"""The local cluster the benchmark measures through: N worker PostgreSQL servers + jade-coordinator.

It is started with the project's launcher, scripts/lib/cluster.Cluster (the one behind
scripts/jade_cluster.py, `make demo` and the integration tests), in a temporary directory that is
removed afterwards (also after a failure). The launcher's default worker settings are tuned for quick
tests (fsync off); the benchmark replaces them with its own server settings (bench/lib/server.py:
fsync and synchronous_commit on, as on the single server) and a per-worker shared_buffers.
"""

import contextlib
import os

from . import server

_cluster_mod = None


def _launcher():
    global _cluster_mod
    if _cluster_mod is None:
        _cluster_mod = server.script_module("cluster")
    return _cluster_mod


class BenchCluster:
    """Coordinator + `workers` PostgreSQL workers, started on enter and stopped/removed on exit."""

    def __init__(self, build_dir, workers, settings=None, log=print):
        self.build_dir = os.path.abspath(build_dir)
        self.workers = workers
        self.settings = dict(server.BASE_SETTINGS)
        self.settings.update({"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
                              "max_wal_senders": "0", "max_replication_slots": "0", "max_prepared_transactions": "100",
                              "max_connections": "200"})
        self.settings.update(settings or {})
        self.log = log
        self.cluster = None
        self.saved_log = ""

    @staticmethod
    def available(build_dir):
        """Return None when a cluster can be started, else the reason it cannot."""
        try:
            binary = _launcher().coordinator_binary(os.path.abspath(build_dir))
        except Exception as e:  # noqa: BLE001 - a missing/broken launcher is a reason to skip
            return "cluster launcher scripts/lib/cluster.py unusable: %s" % e
        if not os.access(binary, os.X_OK):
            return "no coordinator binary at %s" % binary
        return None

    def __enter__(self):
        self.cluster = _launcher().Cluster(workers=self.workers, build_dir=self.build_dir,
                                           worker_settings=self.settings, name="bench")
        try:
            self.cluster.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def coordinator_dsn(self):
        return "host=127.0.0.1 port=%d dbname=postgres user=postgres" % self.cluster.port

    def coordinator_psycopg(self):
        return self.cluster.connect()

    def worker_dsns(self):
        return [w.dsn() for w in self.cluster.workers]

    def log_tail(self, lines=30):
        """Return the end of the coordinator's log (kept after close() removed the directory)."""
        if self.cluster and self.cluster.coordinator and os.path.exists(self.cluster.dir):
            with contextlib.suppress(Exception):
                return self.cluster.coordinator.log_tail(lines)
        return "\n".join(self.saved_log.splitlines()[-lines:])

    def close(self):
        """Stop the coordinator and the workers; remove the cluster directory."""
        if self.cluster is not None:
            self.saved_log = self.log_tail(200)
            self.cluster.destroy()
