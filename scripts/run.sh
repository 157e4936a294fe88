#!/usr/bin/env bash
# Quick start: install what is missing, build, and run the server on the default plugins.conf.
# Extra arguments go to mediarouter (e.g. `scripts/run.sh -c my.conf`).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
# NDEBUG for C++: toml++ (in TOMLKit) asserts, i.e. aborts, on some malformed configs (docs/reliability.md).
swift build -c release -Xcxx -DNDEBUG
if [[ $# -eq 0 ]]; then set -- -c plugins.conf; fi
exec .build/release/mediarouter "$@"
