"""The PostgreSQL server the benchmark measures: started with tuned settings, always stopped.

`BenchServer` wraps scripts/lib/pg_instance.PgInstance (the private PostgreSQL 15 tree of a build
directory, with jadevector installed), applies the benchmark settings below, creates the extension
and records what the run used (settings, version, available access methods) for the report.

Settings and why (each can be overridden with --pg-setting name=value):
  shared_buffers                  large enough that the table and its indexes stay in PostgreSQL's
                                  cache during the search phase (1 GB small preset, 4 GB full)
  maintenance_work_mem            index builds (pgvector-style HNSW keeps its graph in it)
  max_parallel_maintenance_workers 1: the machine has 2 cores (leader + 1 worker)
  max_parallel_workers_per_gather 0: a query is served by one process, so single-client latency
                                  and multi-client throughput are not distorted by parallel workers
  jit                             off: JIT compilation would add per-query noise to the exact scan
  max_wal_size/checkpoint_timeout large: no checkpoint in the middle of a load or build
  wal_level                       replica (the PostgreSQL default; fsync and synchronous_commit stay on)
"""

import importlib
import importlib.util
from contextlib import closing
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load_scripts_lib():
    """Import scripts/lib as package 'jade_scripts_lib' (bench/lib and scripts/lib are both named lib)."""
    import sys
    name = "jade_scripts_lib"
    if name not in sys.modules:
        path = os.path.join(REPO, "scripts", "lib")
        spec = importlib.util.spec_from_file_location(name, os.path.join(path, "__init__.py"),
                                                      submodule_search_locations=[path])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return name


def script_module(name):
    """Return scripts/lib/<name>.py (the launchers shared with the tests and the demo)."""
    return importlib.import_module(_load_scripts_lib() + "." + name)


pg_instance = script_module("pg_instance")
PgInstance = pg_instance.PgInstance

BASE_SETTINGS = {
    "shared_buffers": "1GB",
    "maintenance_work_mem": "2GB",
    "max_parallel_maintenance_workers": "1",
    "max_parallel_workers_per_gather": "0",
    "work_mem": "64MB",
    "jit": "off",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "wal_level": "replica",
    "max_connections": "100",
}

REPORTED_SETTINGS = ["shared_buffers", "maintenance_work_mem", "max_parallel_maintenance_workers",
                     "max_parallel_workers_per_gather", "work_mem", "jit", "max_wal_size", "wal_level",
                     "fsync", "synchronous_commit", "max_connections"]


class BenchServer:
    """One local PostgreSQL with jadevector for the benchmark; use as a context manager."""

    def __init__(self, build_dir, settings=None, name="bench"):
        merged = dict(BASE_SETTINGS)
        merged.update(settings or {})
        self.pg = PgInstance(name, settings=merged, build_dir=build_dir)
        self.info = {}

    def __enter__(self):
        try:
            self.pg.init().start()
            self._prepare()
        except BaseException:
            self.pg.destroy()
            raise
        return self

    def __exit__(self, *exc):
        self.pg.destroy()

    def dsn(self):
        return self.pg.dsn()

    def connect(self):
        return self.pg.connect()

    def _prepare(self):
        """Create the extension and record version, settings and access methods."""
        with closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS jadevector")
            cur.execute("SELECT extversion FROM pg_extension WHERE extname = 'jadevector'")
            ext_version = cur.fetchone()[0]
            cur.execute("SHOW server_version")
            version = cur.fetchone()[0]
            cur.execute("SELECT name, setting, unit FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
                        (REPORTED_SETTINGS,))
            settings = {n: (s + (u or "") if u and u not in ("8kB", "kB") else _pretty(s, u))
                        for n, s, u in cur.fetchall()}
        self.info = {"base_dir": self.pg.base_dir, "port": self.pg.port, "server_version": version, "extension_version": ext_version, "settings": settings,
                     "access_methods": self.access_methods()}

    def access_methods(self):
        """Return the index access methods currently defined (jadevector's appear as they land)."""
        with closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute("SELECT amname FROM pg_am WHERE amtype = 'i' ORDER BY amname")
            return [r[0] for r in cur.fetchall()]

    def guc_exists(self, name):
        """Return True when the server knows the (extension) GUC `name`."""
        with closing(self.connect()) as conn, conn.cursor() as cur:
            # Extension GUCs exist in a backend only once jadevector.so is loaded there.
            cur.execute("SELECT '[1]'::vector")
            cur.execute("SELECT count(*) FROM pg_settings WHERE name = %s", (name,))
            return cur.fetchone()[0] > 0


def _pretty(setting, unit):
    """Render a pg_settings value with its unit in human units (8kB pages, kB)."""
    if unit == "8kB":
        return _bytes(int(setting) * 8192)
    if unit == "kB":
        return _bytes(int(setting) * 1024)
    return setting


def _bytes(n):
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= size and n % size == 0:
            return "%d%s" % (n // size, unit)
    return "%dB" % n


def backend_memory(pid):
    """Return memory figures (kB) of one backend process from /proc, or {} when it is gone.

    rss: VmRSS (everything resident, including shared buffers this backend touched);
    rss_anon: RssAnon (anonymous memory: palloc'd contexts, FAISS objects, malloc): the backend's own
      heap, what the report calls "backend heap" (it never contains shared buffers);
    rss_shmem: RssShmem (shared memory touched: shared_buffers pages, not owned by the backend);
    hwm: VmHWM (peak VmRSS); private: Private_Clean + Private_Dirty from smaps_rollup (pages only this
    process maps). Note: `private` also counts shared-buffer pages that no other process has mapped
    yet, so after a backend alone scanned an index it is close to rss_shmem; it is kept in the JSON
    but not used as the per-backend cost;
    pss: proportional set size.
    """
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssShmem", "VmHWM", "RssFile"):
                    out[{"VmRSS": "rss", "RssAnon": "rss_anon", "RssShmem": "rss_shmem",
                         "VmHWM": "hwm", "RssFile": "rss_file"}[key]] = int(rest.split()[0])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            priv = 0
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("Private_Clean", "Private_Dirty"):
                    priv += int(rest.split()[0])
                elif key == "Pss":
                    out["pss"] = int(rest.split()[0])
            out["private"] = priv
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    return out
