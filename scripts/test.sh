#!/usr/bin/env bash
# The whole test suite: unit tests and integration tests that start the real binary and drive it with
# real clients. Installs what is missing first. Extra arguments go to `swift test` (e.g. --filter Bus).
#
# A test case that fails is run once more on its own, and the run passes only if it passes then: the
# integration tests run real clients (ffmpeg, Chromium) in real time on a shared 2-core machine, where a
# stall of a few seconds is not a server bug. Every such rerun is listed at the end as FLAKY, with the
# first failure's messages, so it is seen and fixed rather than hidden; a test that fails twice fails the run.
# Then every fuzz target runs a few seconds (scripts/fuzz.sh --time); a crash fails the run too.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh --test
swift build --build-tests
log=$(mktemp)
rerun_log=$(mktemp)
trap 'rm -f "$log" "$rerun_log"' EXIT

# Prints "passed failed" summed over XCTest logs (each log's last summary line), nothing if one has none.
counts() {
  local total=0 failed=0 summary f
  for f in "$@"; do
    summary=$(grep -a "^[[:space:]]*Executed [0-9]* tests\?, with" "$f" | tail -n 1)
    [[ -n "$summary" ]] || return 0
    total=$((total + $(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")))
    failed=$((failed + $(grep -a -c -E "^Test Case '.*' failed \(" "$f" || true)))
  done
  echo "$((total - failed)) $failed"
}
failures() { grep -a -E "(: error: |Test Case .* failed \()" "$1" | cut -c1-600 | tail -n 40 || true; }

# The whole suite runs as MR_TEST_SHARDS (default 2) XCTest processes side by side: most integration cases
# wait on real-time media (ffmpeg -re, players reading for seconds), so two at once halve the wall time on
# this 2-core machine without starving each other. scripts/test-shards.py balances them by the last run's
# case times (.build/test-times.txt) and keeps the Chromium cases in one shard. With arguments (a filter),
# or MR_TEST_SHARDS=1, it is one `swift test` as before.
shards=${MR_TEST_SHARDS:-2}
xctest=.build/debug/MediaRouterPackageTests.xctest
logs=("$log")
set +e
if [[ $# -eq 0 && "$shards" -gt 1 && -x "$xctest" ]]; then
  mapfile -t groups < <("$xctest" --list-tests 2>/dev/null | python3 scripts/test-shards.py "$shards" --times .build/test-times.txt)
  logs=()
  pids=()
  for i in "${!groups[@]}"; do
    shard_log=$(mktemp)
    logs+=("$shard_log")
    # Each shard's lines go to the console prefixed with its number; the raw log is what is counted.
    ( "$xctest" "${groups[$i]}" > "$shard_log" 2>&1 ) &
    pid=$!
    pids+=("$pid")
    ( tail -n +1 -F --pid="$pid" "$shard_log" 2>/dev/null | sed -u "s/^/[shard $i] /" ) &
  done
  status=0
  for p in "${pids[@]}"; do wait "$p" || status=$?; done
  sleep 1
  cat "${logs[@]}" > "$log"
  trap 'rm -f "$log" "$rerun_log" "${logs[@]}"' EXIT
else
  # All tests are XCTest; Swift Testing's empty run would otherwise print the last, misleading line.
  swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
fi
set -e
# Case times for the next run's shard balance.
grep -a -oE "^Test Case '[^']+' (passed|failed) \([0-9.]+ seconds\)" "$log" \
  | sed -E "s/^Test Case '([^']+)' (passed|failed) \(([0-9.]+) seconds\)/\3 \1/" > .build/test-times.txt || true

# A short run of every fuzz target (scripts/fuzz.sh, docs/reliability.md) after the tests: on the whole suite
# only (not when arguments pick tests), MR_FUZZ_SECONDS per target (0 skips it). Its lines start with "fuzz:"
# and go to stdout only, never into the XCTest log the summary below is read from; a crash fails the run.
fuzz_status=0
fuzz_seconds=${MR_FUZZ_SECONDS:-3}
if [[ $# -eq 0 && "$fuzz_seconds" != 0 ]]; then
  scripts/fuzz.sh --time "$fuzz_seconds" || fuzz_status=$?
fi
# Prints the summary line, last, and exits with $1, or 1 when a fuzz target crashed.
finish() {
  local code=$1
  shift
  if [[ "$fuzz_status" != 0 ]]; then
    echo "fuzz: FAILED (exit $fuzz_status): a crash's input is in .build-fuzz/artifacts/"
    code=1
  fi
  echo "$*"
  exit "$code"
}
read -r passed failed <<<"$(counts "${logs[@]}")"
if [[ -z "${passed:-}" || $((passed + failed)) == 0 ]]; then
  # No summary: the test process died (a crash in a test) or nothing matched. Say where it stopped.
  echo "--- the test run ended without a summary (exit $status); its last lines ---"
  grep -a -E "(Test Case .* started|: error: |Fatal error|unexpected signal|Exited with)" "$log" | tail -n 10 || true
  echo "test.sh: no test summary" >&2
  exit 1
fi
if [[ "$failed" == 0 ]]; then
  if [[ "$status" != 0 ]]; then
    # No failing case, yet a failed run: the test process died after a suite's summary (a crash).
    echo "--- swift test exited with $status without a failing case; its last lines ---"
    grep -a -E "(Test Case .* started|Fatal error|unexpected signal|Exited with)" "$log" | tail -n 10 || true
  fi
  finish "$status" "tests: $passed passed, 0 failed"
fi

# Class/method of each failed case, as swift test's --filter takes them.
mapfile -t cases < <(grep -a -E "^Test Case '.*' failed \(" "$log" | sed -E "s/^Test Case '([^.]+)\.([^']+)' failed.*/\1\/\2/" | sort -u)
# Anchored at both ends: HlsTests/x must not also pick LlHlsTests/x.
pattern="\\.($(IFS='|'; echo "${cases[*]}"))\$"
echo "--- rerunning the ${#cases[@]} failed test case(s) once: ${cases[*]}"
set +e
swift test --skip-build --disable-swift-testing --filter "$pattern" 2>&1 | tee "$rerun_log"
rerun_status=${PIPESTATUS[0]}
set -e
read -r rerun_passed rerun_failed <<<"$(counts "$rerun_log")"

echo "--- first run's failures ---"
failures "$log"
if [[ "$rerun_status" == 0 && "${rerun_failed:-1}" == 0 && "${rerun_passed:-0}" == "${#cases[@]}" ]]; then
  echo "FLAKY (failed, then passed on the rerun): ${cases[*]}"
  finish 0 "tests: $((passed + failed)) passed, 0 failed (${failed} only on a rerun)"
fi
echo "--- failures on the rerun ---"
failures "$rerun_log"
finish 1 "tests: $passed passed, $failed failed (${rerun_failed:-?} of them again on the rerun)"
