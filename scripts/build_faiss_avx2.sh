#!/usr/bin/env bash
# Build FAISS 1.7.3 (Debian's own source package) with FAISS_OPT_LEVEL=avx2 and cache
# the static library outside the clone, so it is built once per machine.
#
# Why: Debian's libfaiss.a is a generic SSE2 build whose distance kernels run at scalar
# speed; FAISS's supported avx2 build of the same source is 3-4x faster for IVF and HNSW
# (../shared/DEPENDENCIES.md). The headers are identical, so we compile against
# /usr/include/faiss and only swap the archive at link time.
#
# Output: $JADE_FAISS_CACHE/libfaiss_avx2.a (default /var/cache/jadevector/faiss-1.7.3-avx2).
# Exits 0 without building when the CPU lacks AVX2 (the generic build is then used).
set -euo pipefail

cache=${JADE_FAISS_CACHE:-/var/cache/jadevector/faiss-1.7.3-avx2}
lib="$cache/libfaiss_avx2.a"

if [ -f "$lib" ]; then
    echo "faiss-avx2: cached at $lib"
    exit 0
fi
if ! grep -qw avx2 /proc/cpuinfo || ! grep -qw fma /proc/cpuinfo; then
    echo "faiss-avx2: CPU has no AVX2+FMA; the generic Debian libfaiss.a will be linked"
    exit 0
fi

work="$cache.build"
rm -rf "$work"
mkdir -p "$work"
cd "$work"

# A private sources list with deb-src for bookworm main, so the system's lists stay as they are.
srclist="$work/sources.list"
echo "deb-src http://deb.debian.org/debian bookworm main" > "$srclist"
apt_opts=(-o "Dir::Etc::SourceList=$srclist" -o "Dir::Etc::SourceParts=-" -o "Dir::State::Lists=$work/lists")
mkdir -p "$work/lists/partial"
apt-get "${apt_opts[@]}" update -q >/dev/null
apt-get "${apt_opts[@]}" source -q --download-only faiss=1.7.3-2 >/dev/null 2>&1 \
    || apt-get "${apt_opts[@]}" source -q --download-only faiss >/dev/null
dpkg-source -x faiss_*.dsc src >/dev/null

cmake -S src -B build -DFAISS_OPT_LEVEL=avx2 -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF \
    -DFAISS_ENABLE_C_API=OFF -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_POSITION_INDEPENDENT_CODE=ON >/dev/null
make -C build -j"$(nproc)" faiss_avx2 >/dev/null

mkdir -p "$cache"
cp build/faiss/libfaiss_avx2.a "$lib.tmp"
mv "$lib.tmp" "$lib"
cd /
rm -rf "$work"
echo "faiss-avx2: built $lib"
