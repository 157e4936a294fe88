#!/usr/bin/env bash
# Fan-out benchmark: one 2 Mbit/s H.264+AAC stream published over RTMP, played by N HTTP-FLV, RTMP or
# RTSP/TCP players from mediarouter-bench on the same machine. Reports per-player delivery, time to first frame,
# server CPU per delivered Gbit and RSS. Not a test: run it by hand on a quiet machine.
#   scripts/bench-fanout.sh [players...]     default: 1000 2000
#   PROTOCOLS="rtsp" scripts/bench-fanout.sh 1000   only some players (http, rtmp, rtsp, ts, fmp4; default
#                                                   http rtmp rtsp)
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh --test
# Build output is kept out of the report, but a failed build must say so.
swift build -c release > "${TMPDIR:-/tmp}/mediarouter-bench-build.log" 2>&1 || { tail -20 "${TMPDIR:-/tmp}/mediarouter-bench-build.log"; exit 1; }
bin=.build/release
work=${BENCH_DIR:-/tmp/mediarouter-bench}
mkdir -p "$work"
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(1000 2000)

src="$work/source-2mbps.flv"
if [[ ! -s "$src" ]]; then
  echo "encoding a 30 s 720p 2 Mbit/s source once..."
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -t 30 -c:v libx264 -preset veryfast -b:v 1900k -maxrate 1900k -bufsize 1900k -g 60 -bf 0 -pix_fmt yuv420p \
    -c:a aac -b:a 96k -f flv "$src"
fi
kbps=$(ffprobe -v error -show_entries format=bit_rate -of default=nw=1:nk=1 "$src" | awk '{printf "%d", $1/1000}')

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rtmp=$(free_port); http=$(free_port); rtsp=$(free_port)
cat > "$work/bench.conf" <<CONF
[server]
log_level = "warning"
watch_config = false
merge_write_ms = ${MERGE_WRITE_MS:-0}
[rtmp]
port = $rtmp
[httpmux]
port = $http
[rtsp]
port = $rtsp
CONF
ulimit -n "$(ulimit -Hn)"
"$bin/mediarouter" -c "$work/bench.conf" 2> "$work/server.log" &
server=$!
trap 'kill $server $pub 2>/dev/null || true' EXIT
sleep 1
ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$src" -c copy -f flv "rtmp://127.0.0.1:$rtmp/live/bench" &
pub=$!
sleep 3
echo "source: $kbps kbit/s; server pid $server; $(nproc) cores; merge_write_ms=${MERGE_WRITE_MS:-0}"
for n in "${counts[@]}"; do
  urls=()
  for proto in ${PROTOCOLS:-http rtmp rtsp}; do
    case $proto in
      http) urls+=("http://127.0.0.1:$http/live/bench.live.flv") ;;
      rtmp) urls+=("rtmp://127.0.0.1:$rtmp/live/bench") ;;
      rtsp) urls+=("rtsp://127.0.0.1:$rtsp/live/bench") ;;
      ts) urls+=("http://127.0.0.1:$http/live/bench.live.ts") ;;
      fmp4) urls+=("http://127.0.0.1:$http/live/bench.live.mp4") ;;
    esac
  done
  for url in "${urls[@]}"; do
    echo
    echo "== $n players: $url"
    "$bin/mediarouter-bench" --url "$url" --players "$n" --seconds "${BENCH_SECONDS:-20}" --expect-kbps "$kbps" --server-pid "$server"
    sleep 3
  done
done
