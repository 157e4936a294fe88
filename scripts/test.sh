#!/usr/bin/env bash
# The whole test suite: unit tests and integration tests that start the real binary and drive it with
# real clients. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh --test
swift build --build-tests
swift test --skip-build "$@"
