#!/usr/bin/env bash
# Fan-out benchmark: one 2 Mbit/s H.264+AAC stream published over RTMP, played by N HTTP-FLV, RTMP or
# RTSP/TCP players from a load tool on the same machine. Reports per-player delivery, time to first frame,
# server CPU per delivered Gbit and RSS. Not a test: run it by hand on a quiet machine.
#   scripts/bench-fanout.sh [players...]     default: 1000 2000
#   PROTOCOLS="rtsp" scripts/bench-fanout.sh 1000   only some players (http, rtmp, rtsp, ts, fmp4; default
#                                                   http rtmp rtsp)
#   scripts/bench-fanout.sh --compare nginx [players...]
#       also runs nginx-rtmp (Debian's nginx + libnginx-mod-rtmp, installed if missing; one worker) on free
#       ports in the same run, publishes the same source to both with one ffmpeg, plays nginx over RTMP with
#       the same load tool after MediaRouter's players, and ends with a side-by-side table.
#   SKIP_BUILD=1 uses the release build as it is (e.g. when another build holds SwiftPM's lock).
#   BIN_DIR=.build/debug runs another build of the server and load tool.
#   LOAD_TOOL=c (default) plays with Benchmarks/FanoutLoad/fanout_load.c (one thread, epoll, players that wake
#   only when 32 KiB are queued), built with cc into the bench directory; it also reports its own CPU.
#   LOAD_TOOL=swift plays with mediarouter-bench (SwiftNIO), which at a few thousand players takes much of
#   the CPU the server needs on a small machine.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-common.sh
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
compare=""
if [[ "${1:-}" == "--compare" ]]; then
  compare=${2:-}
  [[ "$compare" == "nginx" ]] || { echo "--compare: only nginx is supported" >&2; exit 2; }
  shift 2
fi
scripts/install-deps.sh --test
if [[ -n "$compare" ]] && ! dpkg-query -W -f='${Status}' libnginx-mod-rtmp 2>/dev/null | grep -q "install ok installed"; then
  echo "installing nginx and libnginx-mod-rtmp (Debian)"
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nginx libnginx-mod-rtmp >/dev/null
  # The package starts the distribution's own nginx on port 80; this run starts its own.
  "${sudo_cmd[@]}" systemctl disable --now nginx >/dev/null 2>&1 || "${sudo_cmd[@]}" service nginx stop >/dev/null 2>&1 || true
fi
if [[ -z "${SKIP_BUILD:-}" ]]; then
  # Build output is kept out of the report, but a failed build must say so.
  swift build -c release > "${TMPDIR:-/tmp}/mediarouter-bench-build.log" 2>&1 || { tail -20 "${TMPDIR:-/tmp}/mediarouter-bench-build.log"; exit 1; }
fi
bin=${BIN_DIR:-.build/release}
work=${BENCH_DIR:-/tmp/mediarouter-bench}
mkdir -p "$work"
case ${LOAD_TOOL:=c} in
  c)
    cc -O2 -o "$work/fanout_load" Benchmarks/FanoutLoad/fanout_load.c
    load_tool=("$work/fanout_load") ;;
  swift) load_tool=("$bin/mediarouter-bench") ;;
  *) echo "LOAD_TOOL: c or swift" >&2; exit 2 ;;
esac
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(1000 2000)

src="$work/source-2mbps.flv"
bench_encode_source "$src"
kbps=$(ffprobe -v error -show_entries format=bit_rate -of default=nw=1:nk=1 "$src" | awk '{printf "%d", $1/1000}')

rtmp=$(free_port); http=$(free_port); rtsp=$(free_port)
bench_server_conf "$work/bench.conf" "${MERGE_WRITE_MS:-0}" "$rtmp" "$http" "$rtsp"
ulimit -n "$(ulimit -Hn)"
"$bin/mediarouter" -c "$work/bench.conf" 2> "$work/server.log" &
server=$!
nginx_master="" pub=""
# The publisher goes first, so that its end is not reported as a broken pipe to a server already gone.
# (Each step || true: under set -e a failing step would end the trap and leave the servers running.)
trap 'kill $pub 2>/dev/null || true; wait $pub 2>/dev/null || true; kill $server $nginx_master 2>/dev/null || true' EXIT
publish=("rtmp://127.0.0.1:$rtmp/live/bench")
if [[ -n "$compare" ]]; then
  nport=$(free_port)
  mkdir -p "$work/nginx/logs"
  # One worker, as the issue's comparison; chunk_size and live settings are nginx-rtmp's defaults.
  cat > "$work/nginx/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 16384; }
rtmp {
  server {
    listen 127.0.0.1:$nport;
    application live { live on; }
  }
}
CONF
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
  nginx_master=$!
  sleep 1
  nginx_worker=$(pgrep -P "$nginx_master" | head -1)
  [[ -n "$nginx_worker" ]] || { echo "nginx did not start:"; cat "$work/nginx/logs/error.log"; exit 1; }
  publish+=("rtmp://127.0.0.1:$nport/live/bench")
fi
if [[ ${#publish[@]} -eq 1 ]]; then
  ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$src" -c copy -f flv "${publish[0]}" &
else
  # One reader of the source feeding both servers: they get the same packets at the same moments.
  ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$src" -c copy -map 0 -f tee \
    "[f=flv:onfail=ignore]${publish[0]}|[f=flv:onfail=ignore]${publish[1]}" &
fi
pub=$!
sleep 3
echo "source: $kbps kbit/s; server pid $server; $(nproc) cores; merge_write_ms=${MERGE_WRITE_MS:-0}; load tool $LOAD_TOOL; load average $(cut -d' ' -f1-3 /proc/loadavg)"
[[ -z "$compare" ]] || echo "nginx-rtmp $(dpkg-query -W -f='${Version}' libnginx-mod-rtmp) on port $nport, worker pid $nginx_worker"
results=()
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
  runs=()
  for url in "${urls[@]}"; do runs+=("mediarouter $server $url"); done
  [[ -z "$compare" ]] || runs+=("nginx-rtmp $nginx_worker rtmp://127.0.0.1:$nport/live/bench")
  for run in "${runs[@]}"; do
    read -r name pid url <<< "$run"
    echo
    echo "== $n players: $name $url (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    out="$work/result-$n-$name-${url%%:*}.txt"
    "${load_tool[@]}" --url "$url" --players "$n" --seconds "${BENCH_SECONDS:-20}" --expect-kbps "$kbps" --server-pid "$pid" | tee "$out"
    results+=("$n $name ${url%%:*} $out")
    sleep 3
  done
done
if [[ -n "$compare" ]]; then
  echo
  # Machine CPU: every CPU's busy time over the window (the load tool, softirqs charged to no process), per
  # delivered Gbit; the fair comparison when one server's segments leave from the receiver's delayed ACKs.
  echo "| players | server | protocol | CPU per delivered Gbit | machine CPU per delivered Gbit | delivered / expected | players at >= 99% | failures | first frame p50 / p99 | server CPU | RSS | anonymous memory |"
  echo "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for r in "${results[@]}"; do
    read -r n name proto out <<< "$r"
    # Delivered ratio: bytes every player received in the window against players x source rate x window.
    awk -v n="$n" -v name="$name" -v proto="$proto" -v kbps="$kbps" '
      /window [0-9.]+ s/ { for (i = 1; i <= NF; i++) if ($i == "window") win = $(i + 1) }
      /^players at >= 99%/ { ok = $(NF - 2) }
      /^failures:/ { fail = $2 }
      /^time to first video frame/ { p50 = $8; sub(",", "", p50); p99 = $10; sub(",", "", p99) }
      /^delivered: / { gbit = $2 }
      /^machine CPU:/ { for (i = 1; i <= NF; i++) if ($i == "per") machine = $(i - 2) }
      /^server CPU:/ { cpu = $8; gsub(/[(%]/, "", cpu); for (i = 1; i <= NF; i++) { if ($i == "per") mpg = $(i - 2); if ($i == "RSS") rss = $(i + 1); if ($i == "(anonymous") priv = $(i + 1) } }
      END { ratio = (win > 0) ? gbit * 1e6 / (n * kbps * win) * 100 : 0
            printf "| %d | %s | %s | %.0f ms | %.0f ms | %.1f %% | %s | %s | %s / %s ms | %s%% of a core | %s MB | %s MB |\n", n, name, proto, mpg, machine, ratio, ok, fail, p50, p99, cpu, rss, priv }' "$out"
  done
fi
