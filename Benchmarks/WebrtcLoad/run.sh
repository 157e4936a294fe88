#!/bin/bash
# WebRTC fan-out (docs/benchmarks.md): one ~2 Mbit/s H.264 stream published over RTMP by ffmpeg (stream copy of
# a pre-encoded file), N WHEP players from webrtc_load (ICE check + DTLS-SRTP each, media counted, not
# decrypted), the server's CPU over a 15 s window against the bytes the players received.
# PERF=1: also `perf record` the server over the window and print where its CPU goes and the SRTP share
# (libcrypto's samples plus the Swift SRTP code's, as % of the server's samples).
# Usage: Benchmarks/WebrtcLoad/run.sh [BUILD_DIR] [PROFILE cm|gcm] [COUNTS...]  (defaults: .build/release gcm 200)
set -euo pipefail
BUILD=${1:-.build/release}; shift || true
PROFILE=${1:-gcm}; shift || true
COUNTS=${*:-200}
WORK=$(mktemp -d /tmp/webrtc-bench.XXXX)
free_tcp() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
free_udp() { python3 -c 'import socket; s=socket.socket(type=socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RTMP=$(free_tcp); HTTP=$(free_tcp); UDP=$(free_udp)
cc -O2 -o "$WORK/webrtc_load" "$(dirname "$0")/webrtc_load.c" $(pkg-config --cflags --libs openssl zlib)
ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=25 -t 20 \
  -c:v libx264 -preset ultrafast -g 50 -bf 0 -b:v 1900k -maxrate 1900k -bufsize 1900k -f flv "$WORK/src.flv"
echo "source: $(( $(stat -c %s "$WORK/src.flv") * 8 / 20 / 1000 )) kbit/s, 1280x720 25 fps, GOP 2 s, no B-frames"
cat > "$WORK/plugins.conf" <<CONF
[server]
log_level = "warning"
watch_config = false
[httpmux]
port = $HTTP
[rtmp]
port = $RTMP
[webrtc]
port = $UDP
bind = "127.0.0.1"
CONF
"$BUILD/mediarouter" -c "$WORK/plugins.conf" > "$WORK/server.log" 2>&1 &
SERVER=$!
PUB=""
trap 'kill $SERVER $PUB 2>/dev/null; wait 2>/dev/null' EXIT
sleep 1
ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$WORK/src.flv" -c copy -f flv "rtmp://127.0.0.1:$RTMP/live/bench" &
PUB=$!
sleep 3
ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
HZ=$(getconf CLK_TCK)
rss() { awk '/^VmRSS/{print $2}' /proc/$SERVER/status; }
for N in $COUNTS; do
  RSS0=$(rss)
  WEBRTC_LOAD_TRACE=${TRACE:-} "$WORK/webrtc_load" "$HTTP" "$UDP" /live/bench/whep "$N" 30 "$PROFILE" > "$WORK/load.txt" 2> "$WORK/load.err" &
  LOAD=$!
  # Connects (one at a time) and the GOP-cache start settle.
  for _ in $(seq 1 600); do grep -q "connected in" "$WORK/load.err" && break; sleep 0.5; done
  sleep 4
  T0=$(ticks); S0=$(date +%s.%N)
  if [ -n "${PERF:-}" ]; then perf record -F 999 -g -p $SERVER -o "$WORK/perf.data" -- sleep 15 2> /dev/null > /dev/null; else sleep 15; fi
  T1=$(ticks); S1=$(date +%s.%N)
  RSS=$(rss)
  wait $LOAD
  CPU=$(echo "($T1-$T0)/$HZ" | bc -l); WIN=$(echo "$S1-$S0" | bc -l)
  BYTES=$(sed -n 's/.* bytes=\([0-9]*\).*/\1/p' "$WORK/load.txt"); SENT_S=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$WORK/load.txt")
  GBPS=$(echo "$BYTES * 8 / $SENT_S / 1000000000" | bc -l)
  echo "profile=$PROFILE players=$N $(cut -d' ' -f2- "$WORK/load.txt") delivered_gbps=$(echo "$GBPS" | cut -c1-5)" \
       "server_cpu_s=$(echo "$CPU" | cut -c1-6) window_s=$(echo "$WIN" | cut -c1-5) cpu_percent=$(echo "$CPU / $WIN * 100" | bc -l | cut -c1-5)" \
       "cpu_s_per_delivered_gbit=$(echo "$CPU / $WIN / $GBPS" | bc -l | cut -c1-5) rss_kb=$RSS rss_before_kb=$RSS0"
  grep -v "^t=\|^player" "$WORK/load.err" | head -3 || true; [ -n "${TRACE:-}" ] && grep "^player" "$WORK/load.err" | head -5 || true
  if [ -n "${PERF:-}" ]; then
    perf report -i "$WORK/perf.data" --no-children --sort dso --stdio 2> /dev/null | grep -E '^ +[0-9]' | head -8 || true
    perf report -i "$WORK/perf.data" --no-children --sort symbol --stdio 2> /dev/null | grep -E '^ +[0-9]' | head -12 | cut -c1-150 || true
    perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio 2> /dev/null | grep -E '^ +[0-9]' > "$WORK/perf.txt" || true
    # libcrypto's assembly has no frame pointers, so inclusive (children) figures under protectRtp undercount:
    # the share is libcrypto's own samples (only SRTP uses it once the handshakes are done) plus the Swift
    # SRTP code's (SrtpContext, SrtpCipher).
    python3 - "$WORK/perf.txt" <<'PY'
import re, sys
crypto = swift = total = 0.0
for line in open(sys.argv[1]):
    m = re.match(r"\s*([0-9.]+)%\s+(\S+)\s+\[.\]\s+(.*)", line)
    if not m: continue
    v = float(m.group(1))
    total += v
    if m.group(2).startswith("libcrypto"): crypto += v
    elif "Srtp" in m.group(3): swift += v
print(f"SRTP: libcrypto {crypto:.1f} % + SrtpContext/SrtpCipher {swift:.1f} % = {crypto + swift:.1f} % of the server's samples ({total:.1f} %)")
PY
  fi
  sleep 3
done
