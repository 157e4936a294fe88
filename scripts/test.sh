#!/usr/bin/env bash
# The whole test suite: unit tests and integration tests that start the real binary and drive it with
# real clients. Installs what is missing first. Extra arguments go to `swift test` (e.g. --filter Bus).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh --test
swift build --build-tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# All tests are XCTest; Swift Testing's empty run would otherwise print the last, misleading line.
swift test --skip-build --disable-swift-testing "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -a "^[[:space:]]*Executed [0-9]* tests\?, with" "$log" | tail -n 1)
total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*with ([0-9]+) failures?.*/\1/' <<<"$summary")
if [[ -n "$summary" ]]; then
  # CI shows only the end of the log: repeat what failed, and why, last.
  if [[ "$failed" != "0" ]]; then
    echo "--- failures (repeated from above) ---"
    grep -a -E "(error: -\[|: error: |Test Case .* failed \()" "$log" | cut -c1-600 | tail -n 40 || true
  fi
  echo "tests: $((total - failed)) passed, ${failed} failed"
fi
if [[ -z "$summary" || "$total" == "0" ]]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
exit "$status"
