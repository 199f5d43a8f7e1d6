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
/usr/bin/python3 - "$src/src/test/regress/sql" "$out/router" <<'PY'
import glob, hashlib, os, re, sys
src, out = sys.argv[1], sys.argv[2]
n = 0
for path in sorted(glob.glob(os.path.join(src, "*.sql"))):
    text = open(path, errors="replace").read()
    text = re.sub(r"^\\.*$", "", text, flags=re.M)  # psql meta-commands
    cur = []
    for line in text.splitlines():
        if line.strip().startswith("--") and not cur:
            continue
        cur.append(line)
        if line.rstrip().endswith(";"):
            stmt = "\n".join(cur).strip()
            cur = []
            if stmt and len(stmt) < 8192:
                data = stmt.encode() + b"\0"  # fuzz_router's control byte (read from the end)
                with open(os.path.join(out, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
                    f.write(data)
                n += 1
print("wrote %d router seeds" % n)
PY
