#!/usr/bin/env bash
# install_deps.sh PACKAGE...: idempotent set-up of everything the project needs on Debian 12.
#   - apt-get installs only the packages that are missing (no network use when all are present);
#   - the BLAS/LAPACK alternatives point at OpenBLAS (OpenMP flavour: one thread pool with FAISS);
#   - the AVX2 build of FAISS 1.7.3 is built once per machine and cached (scripts/build_faiss_avx2.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
        exit 1
    fi
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's reference BLAS is 15-20x slower than OpenBLAS for FAISS training (DEPENDENCIES.md §1);
# the pthread flavour of OpenBLAS oversubscribes cores under OpenMP, so pin the OpenMP flavour.
if [ "$(id -u)" -eq 0 ]; then
    for lib in libblas.so.3 liblapack.so.3; do
        target=/usr/lib/x86_64-linux-gnu/openblas-openmp/$lib
        if [ -e "$target" ]; then
            update-alternatives --set "$lib-x86_64-linux-gnu" "$target" >/dev/null 2>&1 || true
        fi
    done
    bash scripts/build_faiss_avx2.sh
fi
