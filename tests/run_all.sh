#!/usr/bin/env bash
# run_all.sh BUILD_DIR [SUITE...]: runs the test suites and prints one summary line CI reads.
#   unit         Catch2 tests through ctest (no servers)
#   regress      pg_regress: sql/*.sql vs expected/*.out on a temporary PostgreSQL
#   integration  pytest: tests/integration (real servers, started and stopped by the tests)
#   fuzz         libFuzzer targets (tests/fuzz), each for FUZZ_TEST_SECONDS (default 20)
# Exit status is non-zero when any suite fails. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
shift || true
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(unit regress integration fuzz)

export JADE_BUILD_DIR=$build
export PYTHONDONTWRITEBYTECODE=1
passed=0 failed=0 status=0
log_dir=$build/test-logs
mkdir -p "$log_dir"

count() {  # count NAME PASSED FAILED RC
    echo "== $1: $2 passed, $3 failed"
    passed=$((passed + $2)) failed=$((failed + $3))
    if [ "$4" -ne 0 ] && [ "$3" -eq 0 ]; then failed=$((failed + 1)); echo "== $1: runner exited $4"; fi
    [ "$4" -eq 0 ] || status=1
}

for suite in "${suites[@]}"; do
    case $suite in
    unit)
        echo "== unit tests (ctest)"
        ctest --test-dir "$build" --output-on-failure -j2 --timeout 300 2>&1 | tee "$log_dir/unit.log"
        rc=${PIPESTATUS[0]}
        total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$log_dir/unit.log" | tail -1)
        nfail=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$log_dir/unit.log" | tail -1)
        total=${total:-0} nfail=${nfail:-0}
        count unit $((total - nfail)) "$nfail" "$rc"
        ;;
    regress)
        echo "== pg_regress"
        /usr/bin/python3 tests/regress/run_regress.py --build-dir "$build" 2>&1 | tee "$log_dir/regress.log"
        rc=${PIPESTATUS[0]}
        np=$(grep -cE '\.\.\. ok( |$)' "$log_dir/regress.log" || true)
        nf=$(grep -cE '\.\.\. FAILED' "$log_dir/regress.log" || true)
        count regress "$np" "$nf" "$rc"
        ;;
    integration)
        echo "== integration tests (pytest)"
        /usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE --timeout=900 tests/integration \
            --junitxml="$log_dir/integration.xml" 2>&1 | tee "$log_dir/integration.log"
        rc=${PIPESTATUS[0]}
        [ "$rc" -eq 5 ] && rc=0  # pytest: no tests collected
        summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed|error|errors|skipped|xfailed|xpassed)' "$log_dir/integration.log" | tail -1)
        np=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
        nf=0
        for n in $(echo "$summary" | grep -oE '[0-9]+ (failed|errors?|xpassed)' | grep -oE '^[0-9]+'); do nf=$((nf + n)); done
        count integration "${np:-0}" "${nf:-0}" "$rc"
        ;;
    fuzz)
        echo "== fuzz (libFuzzer, ${FUZZ_TEST_SECONDS:-20}s per target)"
        bash tests/fuzz/run_fuzz.sh "$build" "${FUZZ_TEST_SECONDS:-20}" 2>&1 | tee "$log_dir/fuzz.log"
        rc=${PIPESTATUS[0]}
        np=$(grep -cE '^fuzz [a-z]+: .*exit 0,' "$log_dir/fuzz.log" || true)
        nf=$(grep -cE '^fuzz [a-z]+: .*exit [1-9]' "$log_dir/fuzz.log" || true)
        count fuzz "$np" "$nf" "$rc"
        ;;
    *)
        echo "unknown suite $suite" >&2
        exit 2
        ;;
    esac
done

echo "$passed passed, $failed failed"
exit $status
