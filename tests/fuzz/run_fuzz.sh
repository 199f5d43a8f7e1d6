#!/usr/bin/env bash
# run_fuzz.sh BUILD_DIR SECONDS [TARGET...] — builds the libFuzzer targets (clang 14, ASan+UBSan)
# into BUILD_DIR/fuzz and runs each for SECONDS, seeded from tests/fuzz/corpus/<target>/ (committed)
# plus, when set, $JADE_FUZZ_EXTRA_CORPUS/<target>/ (e.g. PostgreSQL's regression SQL prepared in a
# scratch directory by tests/fuzz/extra_corpus.sh; never committed). The working corpus grows in
# BUILD_DIR/fuzz/corpus-<target>/; crash inputs go to BUILD_DIR/fuzz/artifacts/.
# Prints one line per target (executions, coverage, features, corpus size, crashes) and
# "N passed, N failed" last; exits non-zero when a target crashed or could not run.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=$(mkdir -p "${1:-build}" && cd "${1:-build}" && pwd)
seconds=${2:-30}
shift 2 || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wire router copy)
out=$build/fuzz
mkdir -p "$out/artifacts"

if ! command -v clang++-14 >/dev/null; then
    echo "fuzz: clang++-14 is missing (make deps installs clang-14 and libfuzzer-14-dev)"
    echo "0 passed, 1 failed"
    exit 1
fi
if ! { cmake -S tests/fuzz -B "$out/build" -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
        -DCMAKE_BUILD_TYPE=None >"$out/configure.log" 2>&1 &&
       cmake --build "$out/build" -j"$(nproc)" >"$out/build.log" 2>&1; }; then
    echo "fuzz: build failed (see $out/build.log)"
    tail -30 "$out/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi

passed=0 failed=0
for t in "${targets[@]}"; do
    bin=$out/build/fuzz_$t
    corpus=$out/corpus-$t
    mkdir -p "$corpus"
    seeds=(tests/fuzz/corpus/$t)
    [ -n "${JADE_FUZZ_EXTRA_CORPUS:-}" ] && [ -d "$JADE_FUZZ_EXTRA_CORPUS/$t" ] && seeds+=("$JADE_FUZZ_EXTRA_CORPUS/$t")
    log=$out/fuzz_$t.log
    # -rss_limit_mb: a leak or runaway allocation is a finding too; -timeout: a hang is one (raise
    # JADE_FUZZ_TIMEOUT on a loaded machine, where a starved process can look hung).
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$bin" -max_total_time="$seconds" -timeout="${JADE_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$t-" "$corpus" "${seeds[@]}" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
    crashes=$(ls "$out/artifacts" 2>/dev/null | grep -cE "^$t-(crash|leak|timeout|oom)-" || true)
    echo "fuzz $t: ${seconds}s, ${execs:-0} executions, ${cov:-no coverage line}, exit $rc, crash files $crashes"
    if [ "$rc" -ne 0 ]; then
        failed=$((failed + 1))
        grep -E 'ERROR|SUMMARY|panic|abort|deadly|==[0-9]+==' "$log" | head -20
    else
        passed=$((passed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
