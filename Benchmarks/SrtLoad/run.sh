#!/bin/bash
# SRT fan-out benchmark (docs/benchmarks.md): one 2 Mbit/s MPEG-TS stream published over SRT with ffmpeg
# (stream copy of a pre-encoded file), N SRT players from srt_load; the server's CPU, threads and RSS over
# the measured window (SRT_BENCH_EXTRA: more [srt] keys, one per line). Usage: Benchmarks/SrtLoad/run.sh [BUILD_DIR] [PLAYERS...]   (defaults: .build/release 100 300 500)
set -euo pipefail
BUILD=${1:-.build/release}; shift || true
COUNTS=${*:-100 300 500}
WORK=$(mktemp -d /tmp/srt-bench.XXXX)
PORT=$((20000 + RANDOM % 20000)); HTTP=$((PORT + 1))
cc -O2 -o "$WORK/srt_load" "$(dirname "$0")/srt_load.c" $(pkg-config --cflags --libs srt)
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=1280x720:rate=25 -f lavfi -i sine=sample_rate=48000 -t 20 \
  -c:v libx264 -preset ultrafast -g 50 -bf 0 -b:v 1900k -maxrate 1900k -bufsize 1900k -c:a aac -b:a 96k -f mpegts "$WORK/src.ts"
echo "source: $(echo "$(stat -c %s "$WORK/src.ts") * 8 / 20 / 1000000" | bc -l | cut -c1-5) Mbit/s"
cat > "$WORK/plugins.conf" <<CONF
[server]
log_level = "warning"
[srt]
port = $PORT
${SRT_BENCH_EXTRA:-}
CONF
"$BUILD/mediarouter" -c "$WORK/plugins.conf" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER $PUB 2>/dev/null; wait 2>/dev/null' EXIT
sleep 1
ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$WORK/src.ts" -c copy -f mpegts \
  "srt://127.0.0.1:$PORT?streamid=#!::r=live/bench,m=publish&latency=200000" &
PUB=$!
sleep 3
ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
HZ=$(getconf CLK_TCK)
for N in $COUNTS; do
  "$WORK/srt_load" play 127.0.0.1 $PORT "#!::r=live/bench,m=request" "$N" 25 > "$WORK/load.txt" 2> "$WORK/load.err" &
  LOAD=$!
  sleep 8   # connects and GOP-cache start settle
  T0=$(ticks); S0=$(date +%s.%N)
  sleep 15
  T1=$(ticks); S1=$(date +%s.%N)
  THREADS=$(awk '/^Threads/{print $2}' /proc/$SERVER/status); RSS=$(awk '/^VmRSS/{print $2}' /proc/$SERVER/status)
  wait $LOAD
  echo "players=$N server_cpu_s=$(echo "($T1-$T0)/$HZ" | bc -l | cut -c1-6) window_s=$(echo "$S1-$S0" | bc -l | cut -c1-5) threads=$THREADS rss_kb=$RSS"
  cat "$WORK/load.txt"; grep -v "players connected" "$WORK/load.err" | head -3 || true
  sleep 3
done
