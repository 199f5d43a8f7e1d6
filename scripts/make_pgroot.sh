#!/usr/bin/env bash
# make_pgroot.sh ROOT PKGLIBDIR SHAREDIR MODULE CONTROL SQL
# Copies the system PostgreSQL 15 tree under ROOT (once) and installs the extension into it.
# PostgreSQL's binaries find share/ and lib/ relative to bin/, so ROOT/usr/lib/postgresql/15/bin
# is a complete PostgreSQL whose extension directory is ours alone.
set -euo pipefail
root=$1 pkglibdir=$2 sharedir=$3 module=$4 control=$5 sql=$6
if [ ! -x "$root$pkglibdir/../bin/postgres" ]; then
    mkdir -p "$root$(dirname "$pkglibdir")" "$root$(dirname "$sharedir")"
    cp -a "$(dirname "$pkglibdir")/." "$root$(dirname "$pkglibdir")/"
    cp -a "$sharedir" "$root$(dirname "$sharedir")/"
fi
install -m 755 "$module" "$root$pkglibdir/"
install -m 644 "$control" "$sql" "$root$sharedir/extension/"
# Tests run the servers as the postgres OS user, which must be able to read the tree.
chmod -R a+rX "$root"
