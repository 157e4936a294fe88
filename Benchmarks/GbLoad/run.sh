#!/bin/bash
# GB28181 ingest benchmark (docs/benchmarks.md): N cameras (gb_load.c) send a 2 Mbit/s MPEG-2 PS file as RTP over
# UDP, each to an RTP server opened with openRtpServer (wvp's way), and nobody watches; then the same number of
# open-but-idle RTP servers. Reports the server's CPU per ingested Gbit, RSS per camera, frames each stream got
# against the frames sent, and idle cost.
#   Benchmarks/GbLoad/run.sh [BUILD_DIR] [CAMERAS...]   (defaults: .build/release 50 200 500)
#   PERF=PREFIX records the server's measured window with `perf record -g` into PREFIX-N.data;
#   IDLE_SERVERS=0 skips the idle servers; READ_INTERVAL_MS=N sets [gb28181] udp_read_interval_ms (default: the plugin's).
set -euo pipefail
BUILD=${1:-.build/release}; shift || true
COUNTS=${*:-50 200 500}
WORK=$(mktemp -d /tmp/gb-bench.XXXX)
HTTP=$((20000 + RANDOM % 20000))
SECONDS_RUN=30
cc -O2 -pthread -o "$WORK/gb_load" "$(dirname "$0")/gb_load.c"
# MPEG-2 program stream (ffmpeg's dvd/vob muxer: 2048-byte packs, a picture spread over several PES).
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=size=1280x720:rate=25 -t 20 \
  -c:v libx264 -preset ultrafast -g 50 -bf 0 -b:v 2000k -minrate 2000k -maxrate 2000k -bufsize 1000k -x264-params nal-hrd=cbr -f vob "$WORK/src.mpg"
echo "source: $(echo "$(stat -c %s "$WORK/src.mpg") * 8 / 20 / 1000000" | bc -l | cut -c1-5) Mbit/s, 25 fps"
cat > "$WORK/plugins.conf" <<CONF
[server]
log_level = "info"
[httpmux]
port = $HTTP
[gb28181]
port = 0
port_range = "40000-49000"
# Opening hundreds of servers one API call at a time takes longer than the default 15 s no-RTP timeout.
timeout_sec = 600
${READ_INTERVAL_MS:+udp_read_interval_ms = $READ_INTERVAL_MS}
CONF
"$BUILD/mediarouter" -c "$WORK/plugins.conf" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait 2>/dev/null' EXIT
sleep 2
api() { curl -s "http://127.0.0.1:$HTTP/index/api/$1"; }
ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
rss() { awk '/^VmRSS/{print $2}' /proc/$SERVER/status; }
HZ=$(getconf CLK_TCK)
echo "idle server: rss_kb=$(rss)"
for N in $COUNTS; do
  PORTS=""
  for i in $(seq 1 "$N"); do
    p=$(api "openRtpServer?port=0&tcp_mode=0&stream_id=cam$N-$i" | python3 -c 'import json,sys; print(json.load(sys.stdin)["port"])')
    PORTS="$PORTS${PORTS:+,}$p"
  done
  sleep 2
  R0=$(rss)
  "$WORK/gb_load" "$WORK/src.mpg" 127.0.0.1 "$PORTS" $SECONDS_RUN $((0x20000000 + N * 10000)) > "$WORK/load.txt" &
  LOAD=$!
  sleep 8
  T0=$(ticks); S0=$(date +%s.%N)
  if [ -n "${PERF:-}" ]; then perf record -q -g -p $SERVER -o "$PERF-$N.data" -- sleep 15 2>/dev/null; else sleep 15; fi
  T1=$(ticks); S1=$(date +%s.%N); R1=$(rss)
  wait $LOAD
  for i in $(seq 1 "$N"); do api "closeRtpServer?stream_id=cam$N-$i" > /dev/null; done
  sleep 1
  CPU=$(echo "($T1-$T0)/$HZ" | bc -l); WIN=$(echo "$S1-$S0" | bc -l)
  BYTES=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' "$WORK/load.txt"); SENT_S=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/load.txt")
  GBPS=$(echo "$BYTES * 8 / $SENT_S / 1000000000" | bc -l)
  # Frames per stream from the servers' closing lines, against 25 fps over the run. A sender that falls behind
  # sends fewer (and the cameras it serves last fewer still); a stream is whole when none of its RTP packets was
  # lost and its PS had no error, which the closing lines count too.
  sum() { grep "rtp server rtp/cam$N-[0-9]* .*closed" "$WORK/server.log" | grep -o "$1" | awk '{s += $1} END {print s + 0}'; }
  FRAMES=$(grep -o "rtp server rtp/cam$N-[0-9]* .*closed: [0-9]* frames" "$WORK/server.log" | sed 's/.*closed: \([0-9]*\) frames/\1/' | sort -n)
  MIN=$(echo "$FRAMES" | head -1); MAX=$(echo "$FRAMES" | tail -1); GOT=$(echo "$FRAMES" | grep -c . || true)
  echo "cameras=$N $(cat "$WORK/load.txt" | cut -d' ' -f5-) ingest_gbps=$(echo "$GBPS" | cut -c1-5)" \
       "server_cpu_s=$(echo "$CPU" | cut -c1-5) window_s=$(echo "$WIN" | cut -c1-5)" \
       "cpu_s_per_ingested_gbit=$(echo "$CPU / $WIN / $GBPS" | bc -l | cut -c1-5)" \
       "rss_kb=$R1 rss_kb_per_camera=$(( (R1 - R0) / N ))" \
       "streams_closed=$GOT frames_min=$MIN frames_max=$MAX expected=$(echo "$SENT_S * 25" | bc | cut -d. -f1)" \
       "rtp_lost=$(sum "[0-9]* lost") ps_errors=$(sum "[0-9]* PS errors")"
  echo "warnings_so_far=$(grep -c "WARNING\|ERROR" "$WORK/server.log" || true)"
  sleep 2
done
# Open-but-idle servers, as wvp pre-opens them.
N=${IDLE_SERVERS:-1000}
[ "$N" -gt 0 ] || exit 0
R0=$(rss)
for i in $(seq 1 "$N"); do api "openRtpServer?port=0&tcp_mode=0&stream_id=idle-$i" > /dev/null; done
sleep 3
R1=$(rss); T0=$(ticks); sleep 30; T1=$(ticks)
echo "idle_rtp_servers=$N rss_kb=$R1 rss_kb_per_server=$(( (R1 - R0) / N )) idle_cpu_percent=$(echo "($T1-$T0)/$HZ/30*100" | bc -l | cut -c1-5)"
