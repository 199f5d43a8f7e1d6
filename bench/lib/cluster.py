"""A local jade-coordinator cluster for the benchmark: N worker PostgreSQL servers + one coordinator.

Workers are PgInstance servers (the build's private PostgreSQL with jadevector, benchmark settings);
the coordinator is `<build>/coordinator/jade-coordinator --listen 127.0.0.1 --port P --data-dir D`
(its stable command line, coordinator/src/config/config.h); workers are registered with
`SELECT jade_add_node('127.0.0.1', port)` through the coordinator. Everything listens on 127.0.0.1
only and is stopped by close() (the context manager), also when the caller fails.
"""

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time

from . import server


class BenchCluster:
    """Coordinator + `workers` PostgreSQL workers, started on enter and stopped on exit."""

    def __init__(self, build_dir, workers, settings=None, log=print):
        self.build_dir = os.path.abspath(build_dir)
        self.workers = workers
        self.settings = dict(server.BASE_SETTINGS)
        self.settings.update(settings or {})
        self.log = log
        self.binary = os.path.join(self.build_dir, "coordinator", "jade-coordinator")
        self.pgs = []
        self.proc = None
        self.port = None
        self.data_dir = None
        self.log_path = None
        self.saved_log = ""

    @staticmethod
    def available(build_dir):
        """Return None when a cluster can be started, else the reason it cannot."""
        binary = os.path.join(os.path.abspath(build_dir), "coordinator", "jade-coordinator")
        if not os.access(binary, os.X_OK):
            return "no coordinator binary at %s" % binary
        return None

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self):
        for i in range(self.workers):
            pg = server.PgInstance("bench-w%d" % (i + 1), settings=self.settings, build_dir=self.build_dir)
            self.pgs.append(pg)
            pg.init().start()
            pg.psql("CREATE EXTENSION IF NOT EXISTS jadevector")
        self.port = server.pg_instance.free_port()
        self.data_dir = tempfile.mkdtemp(prefix="jade-bench-coord-")
        self.log_path = os.path.join(self.data_dir, "coordinator.log")
        with open(self.log_path, "w") as logf:
            self.proc = subprocess.Popen([self.binary, "--listen", "127.0.0.1", "--port", str(self.port),
                                          "--data-dir", os.path.join(self.data_dir, "data")],
                                         stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        server.pg_instance.wait_until(self._accepts, timeout=30, what="jade-coordinator to accept connections")
        with contextlib.closing(self.coordinator_psycopg()) as conn, conn.cursor() as cur:
            for pg in self.pgs:
                cur.execute("SELECT jade_add_node('127.0.0.1', %d)" % pg.port)

    def _accepts(self):
        if self.proc.poll() is not None:
            raise RuntimeError("jade-coordinator exited with %s: %s" % (self.proc.returncode, self.log_tail()))
        # A completed startup handshake is enough: queries need worker nodes, which come next.
        with contextlib.closing(self.coordinator_psycopg()):
            return True

    def coordinator_dsn(self):
        return "host=127.0.0.1 port=%d dbname=postgres user=postgres" % self.port

    def coordinator_psycopg(self):
        import psycopg2
        conn = psycopg2.connect(self.coordinator_dsn())
        conn.autocommit = True
        return conn

    def worker_dsns(self):
        return [pg.dsn() for pg in self.pgs]

    def log_tail(self, lines=30):
        """Return the end of the coordinator's log (kept after close() removed the directory)."""
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-lines:])
        except (OSError, TypeError):
            return "\n".join(self.saved_log.splitlines()[-lines:])

    def close(self):
        """Stop the coordinator (SIGTERM, then SIGKILL after 10 s) and every worker; remove their files."""
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None
        self.saved_log = self.log_tail(200)
        for pg in self.pgs:
            with contextlib.suppress(Exception):
                pg.destroy()
        self.pgs = []
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None
