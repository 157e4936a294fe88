#!/usr/bin/env bash
# Soak and churn of the real server (scripts/soak/soak.py): every protocol's publishers and players coming and
# going, pulls, pushes, recordings, hot reloads and API calls; a CSV sample every 10 s; fails when the object
# counters do not return to their baseline, RSS grows past the tolerance, the server dies, or it logs a
# warning nobody explained. Not part of CI; results in docs/reliability.md.
#
#   scripts/soak.sh [--minutes 10 | --hour] [--release] [--out DIR] [soak.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
binary=.build/debug/mediarouter
args=()
for a in "$@"; do
  case "$a" in
    --hour) args+=(--minutes 60) ;;
    --release) binary=.build/release/mediarouter ;;
    *) args+=("$a") ;;
  esac
done
if [[ $binary == *release* ]]; then
  swift build -c release -Xcxx -DNDEBUG --product mediarouter >/dev/null
else
  swift build --product mediarouter >/dev/null
fi
exec python3 scripts/soak/soak.py --binary "$binary" "${args[@]}"
