"""cluster — a local JadeVectorDB cluster: N worker PostgreSQL servers + one jade-coordinator.

Used by `make demo` (scripts/demo.py), the CLI scripts/jade_cluster.py and the integration tests
(tests/integration/conftest.py). Everything listens on 127.0.0.1 only.

Layout of a cluster directory DIR (all of it created by the launcher):

    DIR/cluster.json              ports, build dir and names: what `stop`/`status` read
    DIR/worker<i>/data            worker i's PostgreSQL data directory (owned by the postgres OS user)
    DIR/worker<i>/server.log      worker i's PostgreSQL log
    DIR/coordinator/data          the coordinator's --data-dir (metadata.log/.snapshot, 2pc.log)
    DIR/coordinator/coordinator.log   the coordinator's stderr/stdout
    DIR/coordinator/coordinator.pid   its process id while it runs
    DIR/coordinator/coordinator.conf  its --config file (auth, users), when one is wanted

Workers run as the `postgres` OS user (PostgreSQL refuses root) through scripts/lib/pg_instance.py;
the coordinator runs as the calling user in its own session (so a Ctrl-C of the caller does not
reach it, and the CLI can leave it running). Workers get the `jadevector` extension and are
registered with `SELECT jade_add_node('127.0.0.1', port)` through the coordinator.

`Cluster` is a context manager: on exit (also after a failure during start) it stops every process
it started, and removes DIR when it created DIR itself (a temporary directory).
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from .pg_instance import (PgInstance, as_postgres, chown_postgres, default_bindir, ensure_traversable, free_port,
                          wait_until, REPO)

STATE_FILE = "cluster.json"
DEFAULT_COORDINATOR_PORT = 6432
DEFAULT_WORKER_PORTS = (5433, 5434, 5435)
SYSTEM_BINDIR = "/usr/lib/postgresql/15/bin"

# Worker settings for tests and the demo: small, quick to start; durability of the workers is not
# what these clusters exercise (the coordinator's own metadata is always fsync'd by the coordinator).
LIGHT_WORKER_SETTINGS = {
    "shared_buffers": "64MB",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "jit": "off",
    "max_connections": "120",
    "max_prepared_transactions": "100",
    "wal_level": "replica",
    "max_wal_senders": "0",
    "max_replication_slots": "0",
    # Every worker session loads jadevector at its start, so its settings (hnsw.ef_search,
    # jadevector.nprobe, ...) are real from the first statement: the coordinator relays a client's
    # SET/RESET/SHOW to pooled worker sessions, and in a session that has not yet used a vector
    # function PostgreSQL would keep them as untyped placeholders (RESET then shows '', not 40).
    # Loading after fork keeps FAISS/OpenMP out of the postmaster.
    "session_preload_libraries": "'jadevector'",
}


def default_build_dir():
    """Return the build directory: $JADE_BUILD_DIR, else <repo>/build."""
    return os.path.abspath(os.environ.get("JADE_BUILD_DIR") or os.path.join(REPO, "build"))


def coordinator_binary(build_dir=None):
    """Return the path of <build>/coordinator/jade-coordinator (it may not exist)."""
    return os.path.join(os.path.abspath(build_dir or default_build_dir()), "coordinator", "jade-coordinator")


def port_is_free(port):
    """True when nothing listens on 127.0.0.1:port and we could bind it right now.

    SO_REUSEADDR as servers use it: connections of a stopped server lingering in TIME_WAIT do not
    make its port look taken (PostgreSQL and the coordinator can bind it again).
    """
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_port(preferred, taken=()):
    """Return preferred when it is free and not in taken, else a free ephemeral port."""
    if preferred and preferred not in taken and port_is_free(preferred):
        return preferred
    while True:
        p = free_port()
        if p not in taken:
            return p


def pid_alive(pid):
    """True when a process with this pid exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except (OSError, IndexError):
        return True


def pid_is_coordinator(pid):
    """True when pid is alive and runs jade-coordinator (guards against a recycled pid in a stale pid file)."""
    if not pid_alive(pid):
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            argv0 = f.read().split(b"\0", 1)[0]
    except OSError:
        return False
    return os.path.basename(argv0) == b"jade-coordinator"


class Coordinator:
    """One jade-coordinator process with its data directory, log, pid file and optional config file."""

    def __init__(self, base_dir, port, build_dir=None, config_text=None, user="postgres", password=None):
        self.base_dir = base_dir
        self.port = port
        self.binary = coordinator_binary(build_dir)
        self.data_dir = os.path.join(base_dir, "data")
        self.log_path = os.path.join(base_dir, "coordinator.log")
        self.pid_path = os.path.join(base_dir, "coordinator.pid")
        self.config_path = os.path.join(base_dir, "coordinator.conf") if config_text else None
        self.config_text = config_text
        self.user = user
        self.password = password
        self.proc = None

    # -- lifecycle -------------------------------------------------------------------------
    def pid(self):
        """Return the running coordinator's pid (from the pid file), or None."""
        try:
            with open(self.pid_path) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return None
        return pid if pid and pid_is_coordinator(pid) else None

    def running(self):
        return self.pid() is not None

    def start(self, timeout=30):
        """Start the process (unless it already runs) and wait, bounded, until it accepts connections."""
        if not os.access(self.binary, os.X_OK):
            raise RuntimeError("no coordinator binary at %s (run `make build`)" % self.binary)
        os.makedirs(self.base_dir, exist_ok=True)
        if not self.running():
            if self.config_text:
                with open(self.config_path, "w") as f:
                    f.write(self.config_text)
            cmd = [self.binary, "--listen", "127.0.0.1", "--port", str(self.port), "--data-dir", self.data_dir]
            if self.config_path:
                cmd += ["--config", self.config_path]
            with open(self.log_path, "a") as logf:
                logf.write("---- %s start: %s\n" % (time.strftime("%Y-%m-%d %H:%M:%S"), " ".join(cmd)))
                logf.flush()
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            with open(self.pid_path, "w") as f:
                f.write("%d\n" % self.proc.pid)
        wait_until(self._accepts, timeout=timeout, interval=0.05, what="jade-coordinator on port %d" % self.port)
        return self

    def _accepts(self):
        """True once a startup handshake succeeds; raises when the process has died."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError("jade-coordinator exited with status %s:\n%s" % (self.proc.returncode, self.log_tail()))
        if self.proc is None and not self.running():
            raise RuntimeError("jade-coordinator is not running:\n%s" % self.log_tail())
        with contextlib.closing(self.connect()):
            return True

    def stop(self, timeout=10):
        """SIGTERM the coordinator, SIGKILL it after timeout seconds; remove the pid file. Idempotent."""
        pid = self.proc.pid if self.proc is not None and self.proc.poll() is None else self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not self._wait_exit(pid, timeout):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                self._wait_exit(pid, timeout)
        self.proc = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.pid_path)

    def kill9(self):
        """SIGKILL the coordinator, as a crash would."""
        pid = self.proc.pid if self.proc is not None else self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self._wait_exit(pid, 10)
        self.proc = None

    def restart(self, timeout=30):
        self.stop()
        return self.start(timeout)

    def _wait_exit(self, pid, timeout):
        """Wait (bounded) for pid to exit; reap it when it is our child. True when it is gone."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is not None and self.proc.pid == pid:
                if self.proc.poll() is not None:
                    return True
            elif not pid_alive(pid):
                return True
            time.sleep(0.05)
        return False

    def alive(self):
        """True while the process runs."""
        if self.proc is not None:
            return self.proc.poll() is None
        return self.running()

    # -- clients ---------------------------------------------------------------------------
    def dsn(self, dbname="postgres", user=None, password=None):
        user = user or self.user
        password = password if password is not None else self.password
        dsn = "host=127.0.0.1 port=%d dbname=%s user=%s connect_timeout=10" % (self.port, dbname, user)
        if password:
            dsn += " password=%s" % password
        return dsn

    def connect(self, autocommit=True, **kwargs):
        """A psycopg2 connection to the coordinator (autocommit by default)."""
        import psycopg2
        conn = psycopg2.connect(self.dsn(**kwargs))
        conn.autocommit = autocommit
        return conn

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class Cluster:
    """Workers + coordinator. Use as a context manager, or call start()/stop()/destroy().

    dir=None: a temporary directory, removed by destroy()/exit. A given dir is kept (stop only),
    and a cluster already set up there is reused: same ports, same data, same node registrations.
    worker_ports / coordinator_port are preferences: a taken port is replaced by a free one
    (only at first set-up; a reused cluster keeps its recorded ports or fails clearly).
    """

    def __init__(self, workers=3, dir=None, build_dir=None, coordinator_port=None, worker_ports=None,
                 worker_settings=None, coordinator_config=None, user="postgres", password=None,
                 create_extension=True, name="jade", template=None):
        self.build_dir = os.path.abspath(build_dir or default_build_dir())
        self.n_workers = workers
        self._own_dir = dir is None
        self.dir = os.path.abspath(dir) if dir else tempfile.mkdtemp(prefix="jade-cluster-")
        self.name = name
        self.want_coordinator_port = coordinator_port
        self.want_worker_ports = list(worker_ports or [])
        self.worker_settings = dict(LIGHT_WORKER_SETTINGS)
        self.worker_settings.update(worker_settings or {})
        self.coordinator_config = coordinator_config
        self.user = user
        self.password = password
        self.create_extension = create_extension
        self.template = template
        self.workers = []
        self.coordinator = None
        self.reused = False

    # -- state file ------------------------------------------------------------------------
    @property
    def state_path(self):
        return os.path.join(self.dir, STATE_FILE)

    def _load_state(self):
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _save_state(self):
        state = {"name": self.name, "build_dir": self.build_dir, "coordinator_port": self.coordinator.port,
                 "worker_ports": [w.port for w in self.workers], "user": self.user,
                 "coordinator_config": self.coordinator_config}
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f, indent=2)
        os.replace(tmp, self.state_path)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, timeout=60):
        """Start (or reuse) every worker and the coordinator; register new workers. Stops all on failure."""
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, timeout):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        ensure_traversable(self.dir)
        state = self._load_state()
        self.reused = state is not None
        if state:
            coord_port = state["coordinator_port"]
            worker_ports = state["worker_ports"]
            self.coordinator_config = state.get("coordinator_config", self.coordinator_config)
            self.n_workers = len(worker_ports)
        else:
            taken = set()
            worker_ports = []
            for i in range(self.n_workers):
                want = self.want_worker_ports[i] if i < len(self.want_worker_ports) else None
                worker_ports.append(pick_port(want, taken))
                taken.add(worker_ports[-1])
            coord_port = pick_port(self.want_coordinator_port, taken)
        self.workers = [PgInstance("%s-w%d" % (self.name, i + 1), port=port, build_dir=self.build_dir,
                                   base_dir=os.path.join(self.dir, "worker%d" % (i + 1)),
                                   settings=self.worker_settings)
                        for i, port in enumerate(worker_ports)]
        self.coordinator = Coordinator(os.path.join(self.dir, "coordinator"), coord_port, self.build_dir,
                                       config_text=self.coordinator_config, user=self.user, password=self.password)
        fresh = []
        for w in self.workers:
            if os.path.exists(os.path.join(w.datadir, "PG_VERSION")):
                if not worker_running(w):
                    if not port_is_free(w.port):
                        raise RuntimeError("port %d of worker %s is taken by another process; "
                                           "stop it or remove %s" % (w.port, w.name, self.dir))
                    w.start(timeout)
                w.running = True
            else:
                init_from_template(w, self.template)
                w.start(timeout)
                fresh.append(w)
            if self.create_extension:
                w.psql("CREATE EXTENSION IF NOT EXISTS jadevector")
        if not self.coordinator.running() and not port_is_free(coord_port):
            raise RuntimeError("coordinator port %d is taken by another process" % coord_port)
        self.coordinator.start(timeout)
        self._save_state()
        self._register_nodes()

    def _register_nodes(self):
        """jade_add_node for every worker the coordinator does not know yet (idempotent on reuse)."""
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("SELECT port FROM jade_nodes")
            known = {int(r[0]) for r in cur.fetchall()}
            for w in self.workers:
                if w.port not in known:
                    cur.execute("SELECT jade_add_node('127.0.0.1', %d)" % w.port)

    def stop(self):
        """Stop the coordinator, then every worker. Idempotent; keeps the files."""
        if self.coordinator is not None:
            with contextlib.suppress(Exception):
                self.coordinator.stop()
        for w in self.workers:
            with contextlib.suppress(Exception):
                w.stop()

    def destroy(self):
        """Stop everything; remove the directory when this object created it."""
        self.stop()
        if self._own_dir:
            # Worker files belong to the postgres OS user; root can remove them, else ask postgres to.
            shutil.rmtree(self.dir, ignore_errors=True)
            if os.path.exists(self.dir):
                as_postgres(["rm", "-rf", self.dir], capture_output=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.destroy()

    # -- clients ---------------------------------------------------------------------------
    @property
    def port(self):
        return self.coordinator.port

    def dsn(self, **kwargs):
        return self.coordinator.dsn(**kwargs)

    def connect(self, autocommit=True, **kwargs):
        return self.coordinator.connect(autocommit=autocommit, **kwargs)

    def psql_command(self):
        """The psql command line a user types to reach the coordinator."""
        return "psql -h 127.0.0.1 -p %d -U %s postgres" % (self.port, self.user)

    def psql(self, sql, check=True, extra_args=(), input=None):
        """Run sql through psql against the coordinator (-X -A -t, ON_ERROR_STOP); return stdout."""
        cmd = [os.path.join(self.workers[0].bindir, "psql"), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1",
               "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", "postgres"] + list(extra_args)
        if sql is not None:
            cmd += ["-c", sql]
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        r = subprocess.run(cmd, capture_output=True, text=True, input=input, env=env, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError("psql via coordinator failed (%d): %s" % (r.returncode, r.stderr))
        return r.stdout if check else r

    def status(self):
        """A dict describing what runs: coordinator pid/port, each worker's port and state."""
        return {
            "dir": self.dir,
            "coordinator": {"port": self.coordinator.port, "pid": self.coordinator.pid(),
                            "log": self.coordinator.log_path, "data_dir": self.coordinator.data_dir},
            "workers": [{"name": w.name, "port": w.port, "running": worker_running(w), "data_dir": w.datadir,
                         "log": w.logfile} for w in self.workers],
        }

    def log_tails(self, lines=30):
        """The end of the coordinator's and each worker's log, for failure messages."""
        parts = ["== coordinator (%s)\n%s" % (self.coordinator.log_path, self.coordinator.log_tail(lines))]
        for w in self.workers:
            parts.append("== %s (%s)\n%s" % (w.name, w.logfile, w.log_tail(lines)))
        return "\n".join(parts)


def make_template(path, build_dir=None):
    """initdb a data directory at path (owned by postgres) to be copied by init_from_template.

    initdb costs seconds on a loaded machine; copying a template costs a fraction of that, which
    matters for test suites that start several clusters. The caller removes path when done.
    """
    if os.path.exists(os.path.join(path, "PG_VERSION")):
        return path
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    os.chmod(parent, 0o755)
    chown_postgres(parent)
    ensure_traversable(parent)
    bindir = default_bindir(build_dir)
    r = as_postgres([os.path.join(bindir, "initdb"), "-D", path, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                     "--locale=C", "--no-instructions", "--no-sync"], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("initdb of the template %s failed: %s" % (path, r.stderr))
    return path


def init_from_template(pg, template=None):
    """Create pg's data directory: a copy of template when given, else initdb; then pg's settings."""
    if not template:
        pg.init(extra_args=("--no-sync",))
        return
    r = as_postgres(["cp", "-a", template, pg.datadir], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("copying template %s to %s failed: %s" % (template, pg.datadir, r.stderr))
    pg.write_settings()


def worker_running(pg):
    """True when pg_ctl status reports a server running in pg's data directory."""
    if not os.path.exists(os.path.join(pg.datadir, "postmaster.pid")):
        return False
    r = as_postgres([os.path.join(pg.bindir, "pg_ctl"), "-D", pg.datadir, "status"], capture_output=True, text=True)
    return r.returncode == 0


def attach(dir):
    """Return a Cluster bound to an existing cluster directory (for stop/status), without starting it."""
    c = Cluster(dir=dir)
    state = c._load_state()
    if state is None:
        return None
    c.build_dir = state.get("build_dir") or c.build_dir
    c.user = state.get("user", "postgres")
    bindir = default_bindir(c.build_dir)
    if not os.path.exists(os.path.join(bindir, "pg_ctl")):
        bindir = SYSTEM_BINDIR  # the build is gone: the system's pg_ctl of the same major version stops it
    c.workers = [PgInstance("%s-w%d" % (state.get("name", "jade"), i + 1), port=port, bindir=bindir,
                            base_dir=os.path.join(c.dir, "worker%d" % (i + 1)))
                 for i, port in enumerate(state["worker_ports"])]
    c.coordinator = Coordinator(os.path.join(c.dir, "coordinator"), state["coordinator_port"], c.build_dir,
                                user=c.user)
    return c
