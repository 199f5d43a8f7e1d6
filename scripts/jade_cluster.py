#!/usr/bin/python3
"""jade_cluster — start, stop and inspect a local JadeVectorDB cluster (coordinator + worker PostgreSQLs).

    /usr/bin/python3 scripts/jade_cluster.py start  --dir DIR [--workers 3] [--coordinator-port 6432]
                                                    [--worker-ports 5433,5434,5435] [--build-dir build]
                                                    [--config FILE]
    /usr/bin/python3 scripts/jade_cluster.py status --dir DIR
    /usr/bin/python3 scripts/jade_cluster.py stop   --dir DIR

`start` leaves the processes running and prints the ports and the psql command; starting a
directory that already holds a cluster restarts/reuses it (same ports, data and node registrations).
Taken ports are replaced by free ones at first set-up. `stop` stops the coordinator (pid file) and
the workers (pg_ctl); it is a no-op when nothing runs. See docs/operations.md.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import cluster as jc  # noqa: E402


def parse_ports(text):
    """Parse "5433,5434" into [5433, 5434]."""
    return [int(p) for p in text.split(",") if p.strip()] if text else []


def cmd_start(args):
    """Start or reuse the cluster in args.dir and print how to reach it."""
    config_text = None
    if args.config:
        with open(args.config) as f:
            config_text = f.read()
    c = jc.Cluster(workers=args.workers, dir=args.dir, build_dir=args.build_dir,
                   coordinator_port=args.coordinator_port, worker_ports=parse_ports(args.worker_ports),
                   coordinator_config=config_text, user=args.user, password=args.password)
    try:
        c.start(timeout=args.timeout)
    except Exception as e:
        print("jade_cluster: start failed: %s" % e, file=sys.stderr)
        if c.coordinator is not None:
            print(c.log_tails(), file=sys.stderr)
        return 1
    print_status(c, "reused" if c.reused else "started")
    return 0


def print_status(c, verb):
    """Print ports, pids and logs of cluster c."""
    st = c.status()
    coord = st["coordinator"]
    print("cluster in %s (%s)" % (st["dir"], verb))
    print("  coordinator  127.0.0.1:%d  pid %s  log %s" % (coord["port"], coord["pid"] or "-", coord["log"]))
    for w in st["workers"]:
        print("  %-12s 127.0.0.1:%d  %s  log %s" % (w["name"], w["port"], "running" if w["running"] else "stopped",
                                                    w["log"]))
    print("connect: %s" % c.psql_command())


def cmd_status(args):
    """Print the state of the cluster in args.dir (exit 1 when none is set up there, 3 when not all runs)."""
    c = jc.attach(args.dir)
    if c is None:
        print("no cluster in %s" % os.path.abspath(args.dir))
        return 1
    if args.json:
        print(json.dumps(c.status(), indent=2))
    else:
        print_status(c, "status")
    st = c.status()
    everything = st["coordinator"]["pid"] and all(w["running"] for w in st["workers"])
    return 0 if everything else 3


def cmd_stop(args):
    """Stop the cluster in args.dir; fine when nothing runs or nothing was ever set up."""
    c = jc.attach(args.dir)
    if c is None:
        print("no cluster in %s: nothing to stop" % os.path.abspath(args.dir))
        return 0
    c.stop()
    print("stopped the cluster in %s" % c.dir)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("start", help="start (or reuse) a cluster")
    s.add_argument("--dir", required=True, help="cluster directory (created)")
    s.add_argument("--workers", type=int, default=3)
    s.add_argument("--coordinator-port", type=int, default=jc.DEFAULT_COORDINATOR_PORT)
    s.add_argument("--worker-ports", default=",".join(str(x) for x in jc.DEFAULT_WORKER_PORTS),
                   help="preferred worker ports, comma separated (taken ones are replaced by free ports)")
    s.add_argument("--build-dir", default=None, help="build directory (default $JADE_BUILD_DIR or build)")
    s.add_argument("--config", help="coordinator config file (auth, users, ...); copied into the cluster dir")
    s.add_argument("--user", default="postgres", help="user the launcher logs in to the coordinator as")
    s.add_argument("--password", default=None, help="its password (with a SCRAM config)")
    s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(fn=cmd_start)
    t = sub.add_parser("status", help="show what runs")
    t.add_argument("--dir", required=True)
    t.add_argument("--json", action="store_true")
    t.set_defaults(fn=cmd_status)
    q = sub.add_parser("stop", help="stop coordinator and workers (files are kept)")
    q.add_argument("--dir", required=True)
    q.set_defaults(fn=cmd_stop)
    args = p.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
