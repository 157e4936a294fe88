#!/usr/bin/env bash
# ThreadSanitizer run of the tests that touch state shared between the control thread and the loops: the
# core (bus, commands, host table), the bus adapters, and integration tests whose server reloads and
# serves the rtmp and httpmux plugins. Not part of CI: a TSan build from scratch takes long on 2 cores.
#
# Reports of the test process and of every server it starts are written to $TSAN_LOG_DIR (default
# .build-tsan/reports) as tsan.<pid>; the run fails when a test fails or when any report exists.
# Races inside third-party code only are listed, with the reason, in scripts/tsan.supp.
# Extra arguments replace the default --filter (e.g. scripts/tsan.sh --filter CommandTests). SlowPlayerTests is
# left out: under TSan the server is too slow for its real-time stall timings. The protocol run of
# docs/reliability.md: --filter 'RtspServerTests|HlsTests|SrtServerTests|WebrtcWhepTests|HookTests|SlowClientLimitTests'.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"

scratch=.build-tsan
reports=${TSAN_LOG_DIR:-$scratch/reports}
# The TSan runtime is linked into the executable; plugins are dlopen'ed and call into it
# (__tsan_external_write...), so the executable must export all its symbols.
swift build --build-tests -Xswiftc -sanitize=thread -Xlinker --export-dynamic --scratch-path "$scratch"

rm -rf "$reports"
mkdir -p "$reports"
# Inherited by the servers the integration tests start (they keep the environment).
export TSAN_OPTIONS="suppressions=$PWD/scripts/tsan.supp log_path=$PWD/$reports/tsan halt_on_error=0 second_deadlock_stack=1"

filters=("$@")
if [[ ${#filters[@]} -eq 0 ]]; then
  filters=(--filter 'RouterCoreTests|BusMediaTests|HotReloadTests|RtmpHttpFlvTests.testRtmpPublishPlaysBackOverRtmpHttpFlvAndWebSocketFlv')
fi

set +e
swift test --skip-build --disable-swift-testing --scratch-path "$scratch" "${filters[@]}" 2>&1 | tee "$reports/swift-test.log" \
  | grep -a -E "^Test Case .* (passed|failed)|Executed [0-9]+ tests|error:"
status=${PIPESTATUS[0]}
set -e

found=$(grep -l "WARNING: ThreadSanitizer" "$reports"/tsan.* 2>/dev/null || true)
if [[ -n "$found" ]]; then
  echo "ThreadSanitizer reports:"
  for f in $found; do
    echo "== $f"
    grep -a -E "^WARNING: ThreadSanitizer|^  (Write|Read|Previous|Atomic|Mutex)|^    #[0-4] " "$f" | head -n 60
  done
  exit 1
fi
if [[ $status -ne 0 ]]; then
  echo "tests failed (exit $status); full log in $reports/swift-test.log"
  exit "$status"
fi
echo "ThreadSanitizer: no reports"
