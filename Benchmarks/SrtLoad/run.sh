#!/bin/bash
# SRT benchmarks (docs/benchmarks.md), the server's CPU, threads and RSS over the measured window.
#   play (default): one 2 Mbit/s MPEG-TS stream published over SRT with ffmpeg (stream copy of a pre-encoded
#     file), N SRT players from srt_load.
#   publish (SRT_BENCH_MODE=publish): N srt_load publishers of the same file paced to its rate; whether every
#     stream arrived whole: getMediaList's totalBytes per stream while they run, and each publisher's
#     frames and TS errors in the server's log once they end.
# SRT_BENCH_EXTRA: more [srt] keys, one per line.
# Usage: [SRT_BENCH_MODE=publish] Benchmarks/SrtLoad/run.sh [BUILD_DIR] [COUNTS...]   (defaults: .build/release 100 300 500)
set -euo pipefail
BUILD=${1:-.build/release}; shift || true
COUNTS=${*:-100 300 500}
MODE=${SRT_BENCH_MODE:-play}
WORK=$(mktemp -d /tmp/srt-bench.XXXX)
PORT=$((20000 + RANDOM % 20000)); HTTP=$((PORT + 1))
cc -O2 -o "$WORK/srt_load" "$(dirname "$0")/srt_load.c" $(pkg-config --cflags --libs srt)
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=1280x720:rate=25 -f lavfi -i sine=sample_rate=48000 -t 20 \
  -c:v libx264 -preset ultrafast -g 50 -bf 0 -b:v 1900k -maxrate 1900k -bufsize 1900k -c:a aac -b:a 96k -f mpegts "$WORK/src.ts"
KBITS=$(( $(stat -c %s "$WORK/src.ts") * 8 / 20 / 1000 ))
echo "source: $KBITS kbit/s"
cat > "$WORK/plugins.conf" <<CONF
[server]
log_level = "${SRT_BENCH_LOG:-$([ "$MODE" = publish ] && echo info || echo warning)}"
[httpmux]
port = $HTTP
[srt]
port = $PORT
${SRT_BENCH_EXTRA:-}
CONF
"$BUILD/mediarouter" -c "$WORK/plugins.conf" > "$WORK/server.log" 2>&1 &
SERVER=$!
PUB=""
trap 'kill $SERVER $PUB 2>/dev/null; wait 2>/dev/null' EXIT
sleep 1
if [ "$MODE" = play ]; then
  ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$WORK/src.ts" -c copy -f mpegts \
    "srt://127.0.0.1:$PORT?streamid=#!::r=live/bench,m=publish&latency=200000" &
  PUB=$!
  sleep 3
fi
ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
HZ=$(getconf CLK_TCK)
rss() { awk '/^VmRSS/{print $2}' /proc/$SERVER/status; }
for N in $COUNTS; do
  RSS0=$(rss)
  if [ "$MODE" = play ]; then
    "$WORK/srt_load" play 127.0.0.1 $PORT "#!::r=live/bench,m=request" "$N" 25 > "$WORK/load.txt" 2> "$WORK/load.err" &
  else
    APP="pub$N"
    "$WORK/srt_load" publish 127.0.0.1 $PORT "$APP" "$N" 25 "$WORK/src.ts" "$KBITS" > "$WORK/load.txt" 2> "$WORK/load.err" &
  fi
  LOAD=$!
  sleep 8   # connects and GOP-cache start settle
  T0=$(ticks); S0=$(date +%s.%N)
  sleep 15
  T1=$(ticks); S1=$(date +%s.%N)
  THREADS=$(awk '/^Threads/{print $2}' /proc/$SERVER/status); RSS=$(rss)
  if [ "$MODE" = publish ]; then
    curl -s "http://127.0.0.1:$HTTP/index/api/getMediaList?app=$APP&schema=ts" > "$WORK/media.json"
  fi
  wait $LOAD
  echo "$MODE N=$N server_cpu_s=$(echo "($T1-$T0)/$HZ" | bc -l | cut -c1-6) window_s=$(echo "$S1-$S0" | bc -l | cut -c1-5) threads=$THREADS rss_kb=$RSS rss_before_kb=$RSS0 per_connection_kb=$(( (RSS - RSS0) / N ))"
  cat "$WORK/load.txt"; grep -v "connected" "$WORK/load.err" | head -3 || true
  if [ "$MODE" = publish ]; then
    python3 - "$WORK/media.json" "$N" <<'PY'
import json, sys
data = json.load(open(sys.argv[1])).get("data") or []
b = sorted(int(s.get("totalBytes", 0)) for s in data)
print(f"getMediaList: {len(b)} of {sys.argv[2]} streams, totalBytes min {b[0] if b else 0} median {b[len(b)//2] if b else 0} max {b[-1] if b else 0}")
PY
    sleep 3   # the publishers' sessions end and log their frame counts
    python3 - "$WORK/server.log" "$APP" <<'PY'
import re, sys
ended = re.findall(r"publisher %s/p\d+ from \S+: (\d+) frames \([^)]*\), (\d+) TS errors" % sys.argv[2], open(sys.argv[1]).read())
f = sorted(int(a) for a, _ in ended)
print(f"server log: {len(f)} publishers ended, frames min {f[0] if f else 0} median {f[len(f)//2] if f else 0} max {f[-1] if f else 0}, "
      f"TS errors {sum(int(e) for _, e in ended)}")
PY
  fi
  sleep 3
done
