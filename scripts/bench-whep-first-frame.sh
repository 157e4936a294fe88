#!/usr/bin/env bash
# Time from the WHEP POST to Chromium's first decoded frame (issue 12's measurement), over N plays, each in a
# fresh headless Chromium (new profile: nothing cached between plays). The page (Tests/IntegrationTests/
# Clients/whep_player.html, served by the server's www_root) times from just before its fetch() POST to the
# first getStats poll (every 20 ms until then) that shows framesDecoded > 0; it also reports when the answer came
# back and when ICE and DTLS were done (connectionState "connected"), so the split is printed too.
# Not a test: run it by hand, ideally on a quiet machine.
#   scripts/bench-whep-first-frame.sh [plays]        default 20
#   BIN=.build/debug scripts/bench-whep-first-frame.sh   use an existing build instead of building release
#   SIZE=320x240 GOP=25 KBPS=300 ...                  the source (default 1280x720, 50-frame GOP, 2000 kbit/s)
set -euo pipefail
cd "$(dirname "$0")/.."
plays=${1:-20}
if [[ -z "${BIN:-}" ]]; then
  [[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
  swift build -c release > "${TMPDIR:-/tmp}/mediarouter-whep-bench-build.log" 2>&1 \
    || { tail -20 "${TMPDIR:-/tmp}/mediarouter-whep-bench-build.log"; exit 1; }
  BIN=.build/release
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/mediarouter-whep-bench.XXXXXX")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
free_udp() { python3 -c 'import socket; s=socket.socket(type=socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rtmp=$(free_port); http=$(free_port); rtsp=$(free_port); udp=$(free_udp)
cat > "$work/bench.conf" <<CONF
[server]
watch_config = false
[rtmp]
port = $rtmp
[rtsp]
port = $rtsp
[httpmux]
port = $http
www_root = "$PWD/Tests/IntegrationTests/Clients"
[webrtc]
port = $udp
bind = "127.0.0.1"
CONF
"$BIN/mediarouter" -c "$work/bench.conf" > "$work/server.log" 2>&1 &
server=$!
pub=
trap 'kill $pub 2>/dev/null; wait $pub 2>/dev/null; kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
sleep 1
size=${SIZE:-1280x720}; gop=${GOP:-50}; kbps=${KBPS:-2000}
ffmpeg -hide_banner -loglevel error -re -f lavfi -i "testsrc2=size=$size:rate=25" -c:v libx264 -preset ultrafast \
  -tune zerolatency -g "$gop" -bf 0 -b:v "${kbps}k" -maxrate "${kbps}k" -bufsize "${kbps}k" -pix_fmt yuv420p \
  -f flv "rtmp://127.0.0.1:$rtmp/live/bench" &
pub=$!
sleep 3
echo "source: testsrc2 $size 25 fps, GOP $gop, $kbps kbit/s over RTMP; $plays plays; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/first-frame-ms"
: > "$results"
for i in $(seq 1 "$plays"); do
  profile="$work/chromium-$i"
  mkdir -p "$profile"
  timeout 40 chromium --headless=new --no-sandbox --disable-gpu --autoplay-policy=no-user-gesture-required --mute-audio \
    --enable-logging=stderr --user-data-dir="$profile" --no-first-run --no-default-browser-check \
    --allow-loopback-in-peer-connection --disable-features=WebRtcHideLocalIpsWithMdns \
    "http://127.0.0.1:$http/whep_player.html?src=/live/bench/whep&frames=1&timeout=15" > "$profile/log" 2>&1 &
  browser=$!
  # The page reports once; Chromium keeps running after it, so stop it as soon as the line is there.
  for _ in $(seq 1 300); do
    grep -q 'WHEP-RESULT ' "$profile/log" 2>/dev/null && break
    kill -0 $browser 2>/dev/null || break
    sleep 0.1
  done
  kill $browser 2>/dev/null || true
  wait $browser 2>/dev/null || true
  line=$(grep -o 'WHEP-RESULT {.*}' "$profile/log" | head -1 | sed 's/^WHEP-RESULT //' || true)
  ms=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1] or "{}"); print(" ".join(str(r.get(k, -1)) for k in ("firstFrameMs", "answerMs", "connectedMs")) if r.get("status") == "ok" else "")' "$line")
  if [[ -n "$ms" ]]; then
    read -r first answer connected <<< "$ms"
    echo "play $i: first frame $first ms (answer $answer ms, ICE+DTLS connected $connected ms)"
    echo "$ms" >> "$results"
  else
    echo "play $i: failed ${line:-(no result from the page)}"
  fi
  [[ -n "${VERBOSE:-}" ]] && echo "  $line"
  rm -rf "$profile"
done
python3 - "$results" "$plays" <<'PY'
import math, sys
rows = [tuple(int(v) for v in line.split()) for line in open(sys.argv[1]) if line.strip()]
plays = int(sys.argv[2])
def pct(values, p):  # nearest rank
    values = sorted(values)
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]
if rows:
    for i, name in enumerate(("first decoded frame", "answer", "ICE+DTLS connected")):
        values = [r[i] for r in rows if r[i] >= 0]
        if values:
            print(f"{name} after the WHEP POST: p50 {pct(values, 50)} ms, p99 {pct(values, 99)} ms, min {min(values)} ms, max {max(values)} ms")
    print(f"{len(rows)}/{plays} plays decoded")
else:
    print(f"no play decoded a frame (0/{plays})")
PY
