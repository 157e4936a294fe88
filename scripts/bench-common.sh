# Sourced by the bench-*.sh scripts: the shared source stream and server configuration, so the fan-out and
# latency figures are about the same stream and settings.

# A 30 s 1280x720 30 fps H.264 (1.9 Mbit/s, GOP 2 s, no B-frames) + AAC 48 kHz (96 kbit/s) FLV, encoded once.
bench_encode_source() {
  local src=$1
  [[ -s "$src" ]] && return 0
  echo "encoding a 30 s 720p 2 Mbit/s source once..."
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=48000 \
    -t 30 -c:v libx264 -preset veryfast -b:v 1900k -maxrate 1900k -bufsize 1900k -g 60 -bf 0 -pix_fmt yuv420p \
    -c:a aac -b:a 96k -f flv "$src"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_server_conf FILE MERGE_WRITE_MS RTMP_PORT HTTP_PORT RTSP_PORT (COALESCE_AUDIO and
# TCP_NODELAY_WHILE_STREAMING from the environment, the shipped defaults otherwise)
bench_server_conf() {
  cat > "$1" <<CONF
[server]
log_level = "warning"
watch_config = false
merge_write_ms = $2
coalesce_audio = ${COALESCE_AUDIO:-true}
tcp_nodelay_while_streaming = ${TCP_NODELAY_WHILE_STREAMING:-false}
[rtmp]
port = $3
[httpmux]
port = $4
[rtsp]
port = $5
CONF
}

# bench_prepare NAME: the Swift toolchain on PATH, the test packages installed, and the release build made
# (its log in $TMPDIR/mediarouter-NAME-build.log) unless SKIP_BUILD is set.
bench_prepare() {
  [[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
  scripts/install-deps.sh --test
  [[ -n "${SKIP_BUILD:-}" ]] && return 0
  local log="${TMPDIR:-/tmp}/mediarouter-$1-build.log"
  swift build -c release > "$log" 2>&1 || { tail -20 "$log"; exit 1; }
}
