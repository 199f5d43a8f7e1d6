#!/usr/bin/env python3
"""Runs pg_regress over sql/*.sql (in name order) against a temporary PostgreSQL 15 server.

The server runs as the postgres OS user from the private tree <build>/pgroot and is stopped
afterwards, also when a test fails. pg_regress itself runs as the caller (it only needs psql),
compares results/*.out with expected/*.out, and on failure we print regression.diffs.
Usage: run_regress.py [--build-dir build] [test ...]
"""

import argparse
import glob
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from lib.pg_instance import PgInstance, default_bindir  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build"))
    ap.add_argument("tests", nargs="*")
    args = ap.parse_args()

    tests = args.tests or sorted(os.path.basename(p)[:-4] for p in glob.glob(os.path.join(REPO, "sql", "*.sql")))
    if not tests:
        print("pg_regress: no tests in sql/")
        return 0
    bindir = default_bindir(args.build_dir)
    outdir = os.path.join(os.path.abspath(args.build_dir), "regress-output")
    os.makedirs(outdir, exist_ok=True)
    pg_regress = os.path.join(os.path.dirname(bindir), "lib/pgxs/src/test/regress/pg_regress")

    with PgInstance("regress", bindir=bindir) as pg:
        pg.init()
        pg.start()
        # --use-existing does not create the database; a fresh one per run keeps results independent.
        pg.psql("CREATE DATABASE contrib_regression")
        cmd = [pg_regress, "--use-existing", "--host=127.0.0.1", "--port=%d" % pg.port, "--user=postgres",
               "--bindir=%s" % bindir, "--inputdir=%s" % REPO, "--outputdir=%s" % outdir,
               "--dbname=contrib_regression"] + tests
        r = subprocess.run(cmd, env=dict(os.environ, PGTZ="UTC", PGDATESTYLE="ISO, MDY"))
        if r.returncode != 0:
            diffs = os.path.join(outdir, "regression.diffs")
            if os.path.exists(diffs):
                with open(diffs, errors="replace") as f:
                    sys.stdout.write(f.read()[:200000])
            print(pg.log_tail(60))
        return r.returncode


if __name__ == "__main__":
    sys.exit(main())
