#!/usr/bin/env bash
# extra_corpus.sh PG_SOURCE_DIR OUT_DIR — cuts PostgreSQL's regression SQL (PG_SOURCE_DIR/src/test/
# regress/sql/*.sql, a source tree you provide, e.g. a snapshot in your scratch directory) into
# one-statement router seeds under OUT_DIR/router/. Use them with
#   JADE_FUZZ_EXTRA_CORPUS=OUT_DIR make fuzz
# They are public code: keep OUT_DIR outside the repository and never commit it.
set -euo pipefail
src=${1:?PostgreSQL source directory}
out=${2:?output directory}
mkdir -p "$out/router"
/usr/bin/python3 - "$src/src/test/regress/sql" "$out/router" "$(dirname "$0")" <<'PY'
import glob, hashlib, os, sys
src, out, here = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, here)
from make_seeds import router_seed, statements  # the same statement split as our own seeds
n = 0
for path in sorted(glob.glob(os.path.join(src, "*.sql"))):
    for stmt in statements(open(path, errors="replace").read()):
        if len(stmt) < 8192:
            data = router_seed(stmt)
            with open(os.path.join(out, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
                f.write(data)
            n += 1
print("wrote %d router seeds" % n)
PY
