"""Search measurements: single-client latency/QPS/recall and multi-client throughput.

A query is `SELECT id FROM <table> ORDER BY embedding <op> $1 LIMIT k`, prepared once per
connection (PQprepare) and executed with PQexecPrepared, the vector sent as a binary parameter
(pgvector's wire format) or as text. Latency is wall time around PQexecPrepared in the client
(includes the loopback round trip and result transfer), measured with time.perf_counter.

Single client: `repeats` passes over the same query list after a warm-up of 50 queries; per pass we take
QPS and p50/p95/p99; the reported figures are the medians over passes (all passes are kept in the
JSON). Multi-client: `clients` processes (fork), each with its own connection (connected and warmed
up once), run the query list round-robin for `duration` seconds after a common start barrier;
QPS = total completed / wall time; median over `rounds` rounds.
"""

import multiprocessing
import time

import numpy as np

from . import pgclient

WARMUP_QUERIES = 50


def query_sql(table, operator, k):
    return "SELECT id FROM %s ORDER BY embedding %s $1 LIMIT %d" % (table, operator, k)


def encode_queries(queries, param_format):
    """Encode every query vector once, outside the timed loop."""
    if param_format == "binary":
        return [pgclient.vector_binary(q) for q in queries]
    return [pgclient.vector_text(q) for q in queries]


class Session:
    """A libpq connection set up for one configuration/setting: GUCs applied, statements prepared."""

    def __init__(self, dsn, gucs, table, operator, param_format, ks=(10, 100)):
        self.conn = pgclient.Conn(dsn)
        self.binary = param_format == "binary"
        self.apply(gucs)
        for k in ks:
            self.conn.prepare("knn%d" % k, query_sql(table, operator, k), 1)

    def apply(self, gucs):
        for name, value in gucs.items():
            self.conn.execute("SET %s = %s" % (name, _literal(value)))

    def query(self, k, param):
        return self.conn.exec_prepared("knn%d" % k, [param], [self.binary])

    def close(self):
        self.conn.close()


def single_client(session, params, k, repeats):
    """Run all queries `repeats` times after a warm-up; return (results of the last pass, stats dict)."""
    for p in params[:WARMUP_QUERIES]:  # warm-up: plan, backend caches (the build left pages in shared buffers)
        session.query(k, p)
    passes = []
    results = None
    for _ in range(max(1, repeats)):
        lat = np.empty(len(params))
        out = []
        t_start = time.perf_counter()
        for i, p in enumerate(params):
            t0 = time.perf_counter()
            rows = session.query(k, p)
            lat[i] = time.perf_counter() - t0
            out.append(rows)
        wall = time.perf_counter() - t_start
        passes.append({"qps": len(params) / wall, "p50_ms": 1e3 * float(np.percentile(lat, 50)),
                       "p95_ms": 1e3 * float(np.percentile(lat, 95)),
                       "p99_ms": 1e3 * float(np.percentile(lat, 99)), "mean_ms": 1e3 * float(lat.mean())})
        results = out
    stats = {key: float(np.median([p[key] for p in passes])) for key in passes[0]}
    stats["passes"] = passes
    ids = [[int(r) for r in rows] for rows in results]
    return ids, stats


def multi_client(dsn, gucs, table, operator, param_format, params, k, clients, duration, rounds):
    """Return {'qps': median aggregate QPS, 'rounds': [...], 'clients': n} for `clients` processes.

    The processes are started, connected and warmed up once; each round starts them together on a
    barrier, and each reports how many queries it completed in `duration` seconds.
    """
    ctx = multiprocessing.get_context("fork")
    rounds = max(1, rounds)
    barrier = ctx.Barrier(clients + 1)
    queue = ctx.Queue()
    procs = [ctx.Process(target=_client_main,
                         args=(dsn, gucs, table, operator, param_format, params, k, duration, rounds, barrier,
                               queue, c)) for c in range(clients)]
    for p in procs:
        p.start()
    per_round = []
    try:
        for rnd in range(rounds):
            barrier.wait(timeout=120)
            results = [queue.get(timeout=duration + 120) for _ in procs]
            errors = [r["error"] for r in results if r.get("error")]
            if errors:
                raise RuntimeError("multi-client run failed: %s" % errors[0])
            total = sum(r["count"] for r in results)
            wall = max(r["elapsed"] for r in results)
            per_round.append({"qps": total / wall, "queries": total, "seconds": wall})
    finally:
        barrier.abort()
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
    return {"qps": float(np.median([r["qps"] for r in per_round])), "clients": clients, "rounds": per_round}


def _client_main(dsn, gucs, table, operator, param_format, params, k, duration, rounds, barrier, queue, index):
    """One multi-client worker process: own connection, warm-up, then `rounds` timed rounds."""
    session, error = None, None
    try:
        session = Session(dsn, gucs, table, operator, param_format, ks=(k,))
        for p in params[: min(len(params), 20)]:
            session.query(k, p)
    except Exception as e:  # noqa: BLE001 - reported to the parent, which raises
        error = str(e)
    n = len(params)
    i = index * 7919 % n  # clients start at different queries
    for _ in range(rounds):
        try:
            barrier.wait(timeout=120)
        except Exception:  # noqa: BLE001 - the parent aborted the barrier (failure elsewhere)
            break
        count, elapsed = 0, 0.0
        if error is None:
            try:
                t0 = time.perf_counter()
                deadline = t0 + duration
                while time.perf_counter() < deadline:
                    session.query(k, params[i])
                    i = (i + 1) % n
                    count += 1
                elapsed = time.perf_counter() - t0
            except Exception as e:  # noqa: BLE001
                error = str(e)
        queue.put({"count": count, "elapsed": elapsed, "error": error})
    if session:
        session.close()


def _literal(value):
    """Render a GUC value for SET (numbers bare, everything else quoted)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'%s'" % str(value).replace("'", "''")
