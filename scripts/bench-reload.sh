#!/usr/bin/env bash
# Hot reload under load (issue 16): N HTTP-FLV players (default 1,000) of stream A, published over RTMP; in
# the middle of the measuring window the config is rewritten so that the rtsp plugin restarts (its port
# moves) and the server reloads (SIGHUP). Stream A's players must see no gap: 0 failures (no reconnect), every
# player at >= 99 % of the stream rate over the window, and the longest time without data per player close to
# the players' read interval (the load tool reads 32 KiB at a time: about 130 ms at 2 Mbit/s). Not a test:
# run it by hand; its last result is in docs/reliability.md.
#   scripts/bench-reload.sh [players]          SKIP_BUILD=1 uses the release build as it is; BENCH_DIR for logs.
#   RESTART=httpmux scripts/bench-reload.sh    the control: restart the players' own plugin instead, which the
#                                              measurement must show (failures, a long time without data).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-common.sh
bench_prepare reload
bin=${BIN_DIR:-.build/release}
work=${BENCH_DIR:-/tmp/mediarouter-reload}
mkdir -p "$work"
players=${1:-1000}
seconds=${BENCH_SECONDS:-20}
cc -O2 -o "$work/fanout_load" Benchmarks/FanoutLoad/fanout_load.c
src="$work/source-2mbps.flv"
bench_encode_source "$src"
kbps=$(ffprobe -v error -show_entries format=bit_rate -of default=nw=1:nk=1 "$src" | awk '{printf "%d", $1/1000}')

rtmp=$(free_port); http=$(free_port); rtsp=$(free_port); moved=$(free_port)
restart=${RESTART:-rtsp}
case $restart in
  rtsp) old_port=$rtsp ;;
  httpmux) old_port=$http ;;
  *) echo "RESTART is rtsp or httpmux" >&2; exit 2 ;;
esac
conf="$work/reload.conf"
bench_server_conf "$conf" 0 "$rtmp" "$http" "$rtsp"
sed -i 's/^log_level = "warning"/log_level = "info"/' "$conf"
ulimit -n "$(ulimit -Hn)"
"$bin/mediarouter" -c "$conf" 2> "$work/server.log" &
server=$!
pub=""
trap 'kill $server $pub 2>/dev/null || true' EXIT
sleep 1
ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$src" -c copy -f flv "rtmp://127.0.0.1:$rtmp/live/a" &
pub=$!
sleep 3
echo "source: $kbps kbit/s; $players HTTP-FLV players; ${seconds} s window; reload at the window's middle; load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/fanout_load" --url "http://127.0.0.1:$http/live/a.live.flv" --players "$players" --seconds "$seconds" \
  --expect-kbps "$kbps" --server-pid "$server" > "$work/load.txt" 2>&1 &
load=$!
# The ramp (500 players a second), the tool's 2 s settle, then half the window.
sleep "$(python3 -c "print($players / 500 + 2 + $seconds / 2)")"
sed -i "/^\[$restart\]/,/^port/ s/^port = $old_port/port = $moved/" "$conf"
kill -HUP "$server"
echo "reloaded at $(date +%T): $restart moves from $old_port to $moved"
wait "$load" || true
cat "$work/load.txt"
if grep -q "plugin $restart: restarting for its new config" "$work/server.log"; then
  echo "server: the $restart plugin restarted for its new config"
else
  echo "server: NO $restart restart in the log (the reload did not happen as planned)"; exit 1
fi
python3 - "$moved" "$restart" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(2)
s.connect(("127.0.0.1", int(sys.argv[1])))
print(f"server: {sys.argv[2]} listens on its new port {sys.argv[1]}")
PY
