"""pg_instance — start and stop real PostgreSQL 15 servers for tests, demos and benchmarks.

PostgreSQL refuses to run as root, so every server runs as the `postgres` OS user (via runuser)
in a data directory this module creates, listens on 127.0.0.1 only, and is stopped by stop()
(or the context manager) also when the caller fails. Clients connect over TCP with trust auth.

The binaries come from the private tree `<build>/pgroot` (the system PostgreSQL 15 with our
extension installed; see scripts/make_pgroot.sh), found through $JADE_PGBIN or the build dir.
"""

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_OS_USER = "postgres"


def default_bindir(build_dir=None):
    """Return the bin/ of the private PostgreSQL tree that has jadevector installed."""
    if os.environ.get("JADE_PGBIN"):
        return os.environ["JADE_PGBIN"]
    build_dir = build_dir or os.environ.get("JADE_BUILD_DIR") or os.path.join(REPO, "build")
    return os.path.join(os.path.abspath(build_dir), "pgroot/usr/lib/postgresql/15/bin")


def free_port():
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_traversable(path):
    """Give 'others' the search (x) bit on every ancestor of path, so the postgres user can reach it.

    Needed when the clone lives under a directory such as /root (mode 700); read bits are
    not touched, only traversal.
    """
    path = os.path.abspath(path)
    parts = []
    while path not in ("/", ""):
        parts.append(path)
        path = os.path.dirname(path)
    for p in reversed(parts):
        mode = os.stat(p).st_mode
        if not mode & 0o001:
            os.chmod(p, mode | 0o001)


def as_postgres(cmd, **kwargs):
    """Run cmd as the postgres OS user (directly when we already are that user)."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", PG_OS_USER, "--"] + list(cmd)
    return subprocess.run(cmd, **kwargs)


def chown_postgres(path):
    if os.geteuid() == 0:
        pw = pwd.getpwnam(PG_OS_USER)
        os.chown(path, pw.pw_uid, pw.pw_gid)


class PgInstance:
    """One PostgreSQL server: initdb, start, stop, kill -9, connect."""

    def __init__(self, name="pg", port=None, bindir=None, base_dir=None, settings=None, build_dir=None):
        self.name = name
        self.port = port or free_port()
        self.bindir = bindir or default_bindir(build_dir)
        if not os.path.exists(os.path.join(self.bindir, "postgres")):
            raise RuntimeError("no PostgreSQL binaries in %s (run `make build`)" % self.bindir)
        ensure_traversable(self.bindir)
        self._own_base = base_dir is None
        self.base_dir = base_dir or tempfile.mkdtemp(prefix="jade-%s-" % name)
        os.makedirs(self.base_dir, exist_ok=True)
        os.chmod(self.base_dir, 0o755)
        chown_postgres(self.base_dir)
        ensure_traversable(self.base_dir)
        self.datadir = os.path.join(self.base_dir, "data")
        self.logfile = os.path.join(self.base_dir, "server.log")
        self.settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": "'%s'" % self.base_dir,
            "fsync": "on",
            "shared_buffers": "128MB",
            "max_connections": "100",
            "max_prepared_transactions": "100",
            "wal_level": "logical",
            "max_wal_senders": "10",
            "max_replication_slots": "10",
            "log_min_messages": "warning",
            "lc_messages": "'C'",
        }
        self.settings.update(settings or {})
        self.running = False

    # -- lifecycle -------------------------------------------------------------------------
    def init(self, extra_args=()):
        """Create the data directory with initdb (trust auth, superuser postgres, UTF8, C locale)."""
        if os.path.exists(os.path.join(self.datadir, "PG_VERSION")):
            return self
        r = as_postgres([os.path.join(self.bindir, "initdb"), "-D", self.datadir, "-U", "postgres",
                         "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions"] + list(extra_args),
                        capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("initdb failed for %s: %s" % (self.name, r.stderr))
        self.write_settings()
        return self

    def write_settings(self, settings=None):
        """Append settings to postgresql.conf (later lines win)."""
        self.settings.update(settings or {})
        conf = os.path.join(self.datadir, "postgresql.conf")
        lines = ["%s = %s" % (k, v) for k, v in self.settings.items()]
        as_postgres(["sh", "-c", "cat >> '%s'" % conf], input="\n".join(lines) + "\n", text=True, check=True)
        hba = os.path.join(self.datadir, "pg_hba.conf")
        as_postgres(["sh", "-c", "cat >> '%s'" % hba], input="host replication all 127.0.0.1/32 trust\n",
                    text=True, check=True)

    def start(self, timeout=60):
        r = as_postgres([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-l", self.logfile,
                         "-w", "-t", str(timeout), "start"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("pg_ctl start failed for %s: %s\n%s" % (self.name, r.stderr, self.log_tail()))
        self.running = True
        return self

    def stop(self, mode="fast", timeout=60):
        if not os.path.exists(os.path.join(self.datadir, "postmaster.pid")):
            self.running = False
            return
        r = as_postgres([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", mode, "-w",
                         "-t", str(timeout), "stop"], capture_output=True, text=True)
        if r.returncode != 0 and mode != "immediate":
            as_postgres([os.path.join(self.bindir, "pg_ctl"), "-D", self.datadir, "-m", "immediate",
                         "-w", "stop"], capture_output=True)
        self.running = False

    def restart(self):
        self.stop()
        return self.start()

    def postmaster_pid(self):
        with open(os.path.join(self.datadir, "postmaster.pid")) as f:
            return int(f.readline().strip())

    def kill9(self):
        """SIGKILL the postmaster, as a crash would; children exit on their own when it is gone."""
        pid = self.postmaster_pid()
        os.kill(pid, signal.SIGKILL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        # Wait (bounded) for orphaned backends to notice the postmaster death and exit.
        deadline = time.time() + 30
        while time.time() < deadline:
            r = subprocess.run(["pgrep", "-f", "postgres.*%s" % self.datadir], capture_output=True)
            if r.returncode != 0:
                break
            time.sleep(0.1)
        self.running = False

    def destroy(self):
        """Stop the server and remove its files (when this object created the directory)."""
        with contextlib.suppress(Exception):
            self.stop(mode="immediate" if not self.running else "fast")
        if self._own_base:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.destroy()

    # -- clients ---------------------------------------------------------------------------
    def dsn(self, dbname="postgres", user="postgres"):
        return "host=127.0.0.1 port=%d dbname=%s user=%s" % (self.port, dbname, user)

    def connect(self, dbname="postgres", autocommit=True, **kwargs):
        import psycopg2
        conn = psycopg2.connect(self.dsn(dbname), **kwargs)
        conn.autocommit = autocommit
        return conn

    def psql(self, sql, dbname="postgres", check=True):
        """Run sql through psql (-X -A -t, ON_ERROR_STOP); return stdout."""
        r = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", dbname, "-c", sql],
                           capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("psql failed: %s" % r.stderr)
        return r.stdout

    def log_tail(self, lines=40):
        try:
            r = as_postgres(["tail", "-n", str(lines), self.logfile], capture_output=True, text=True)
            return r.stdout
        except Exception:
            return ""


def wait_until(predicate, timeout=30.0, interval=0.1, what="condition"):
    """Poll predicate() until it returns truthy, at most timeout seconds; return its value."""
    deadline = time.time() + timeout
    last_exc = None
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - the predicate may fail until the condition holds
            last_exc = e
        time.sleep(interval)
    raise TimeoutError("timed out after %.0fs waiting for %s (last error: %s)" % (timeout, what, last_exc))
