#!/usr/bin/env bash
# Glass-to-glass added latency: the time a frame takes from the publisher's socket to a player's socket,
# at merge_write_ms = 0 (the default) and 100, over HTTP-FLV, RTMP and RTSP/TCP, with one player and with
# a crowd. Benchmarks/Latency/g2g.py publishes the 2 Mbit/s H.264 + AAC source over RTMP in real time and
# stamps every video frame (SEI user_data_unregistered) and every AAC frame (fill element) with its
# CLOCK_MONOTONIC send time; a probe player of the same tool reads the stamps back. The crowd is
# mediarouter-bench players of the same protocol. Not a test: run it by hand.
#   scripts/bench-latency.sh [players...]       default: 1 200 (the probe counts as one of them)
#   MERGES="0 100" PROTOCOLS="http rtmp rtsp" PROBE_SECONDS=15 scripts/bench-latency.sh
#   SKIP_BUILD=1 uses the release build as it is; BENCH_DIR (default /tmp/mediarouter-latency) holds logs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-common.sh
bench_prepare latency
bin=${BIN_DIR:-.build/release}
g2g=Benchmarks/Latency/g2g.py
work=${BENCH_DIR:-/tmp/mediarouter-latency}
mkdir -p "$work"
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(1 200)
probe_seconds=${PROBE_SECONDS:-15}

src="$work/source-2mbps.flv"
bench_encode_source "$src"

ulimit -n "$(ulimit -Hn)"
results="$work/results.jsonl"
: > "$results"
server="" pub=""
trap 'kill $server $pub 2>/dev/null || true' EXIT
echo "$(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); 30 fps video (33.3 ms frame interval), AAC 48 kHz (21.3 ms)"
for merge in ${MERGES:-0 100}; do
  rtmp=$(free_port); http=$(free_port); rtsp=$(free_port)
  bench_server_conf "$work/latency.conf" "$merge" "$rtmp" "$http" "$rtsp"
  "$bin/mediarouter" -c "$work/latency.conf" 2> "$work/server-$merge.log" &
  server=$!
  sleep 1
  python3 "$g2g" publish --url "rtmp://127.0.0.1:$rtmp/live/lat" --source "$src" 2> "$work/publisher-$merge.log" &
  pub=$!
  sleep 3
  for proto in ${PROTOCOLS:-http rtmp rtsp}; do
    case $proto in
      http) url="http://127.0.0.1:$http/live/lat.live.flv" ;;
      rtmp) url="rtmp://127.0.0.1:$rtmp/live/lat" ;;
      rtsp) url="rtsp://127.0.0.1:$rtsp/live/lat" ;;
    esac
    for n in "${counts[@]}"; do
      load=""
      if ((n > 1)); then
        "$bin/mediarouter-bench" --url "$url" --players $((n - 1)) --seconds $((probe_seconds + 4)) --expect-kbps 2000 \
          --server-pid "$server" > "$work/load-$merge-$proto-$n.txt" 2>&1 &
        load=$!
        sleep 3
      fi
      echo "merge_write_ms=$merge $proto $n players (load average $(cut -d' ' -f1 /proc/loadavg))"
      python3 "$g2g" play --url "$url" --seconds "$probe_seconds" --warmup 3 \
        --label "$merge $proto $n $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$results" || echo "probe failed ($proto, $n players)"
      [[ -z "$load" ]] || wait "$load" || echo "load tool failed: see $work/load-$merge-$proto-$n.txt"
    done
  done
  kill "$pub" "$server" 2>/dev/null || true
  wait "$pub" "$server" 2>/dev/null || true
  server="" pub=""
done

python3 - "$results" <<'PY'
import json, sys
names = {"http": "HTTP-FLV", "rtmp": "RTMP", "rtsp": "RTSP/TCP"}
print()
print("| merge_write_ms | protocol | players | video p50 / p99 / max | audio p50 / p99 / max | frames (video + audio), missing | load avg |")
print("|---:|---|---:|---:|---:|---:|---:|")
for line in open(sys.argv[1]):
    r = json.loads(line)
    merge, proto, n, load = r["label"].split()
    cells = []
    for kind in ("video", "audio"):
        k = r[kind]
        cells.append("%.1f / %.1f / %.1f ms" % (k["p50"], k["p99"], k["max"]) if k["frames"] else "none")
    frames = "%d + %d, %d" % (r["video"]["frames"], r["audio"]["frames"],
                              r["video"].get("missing", 0) + r["audio"].get("missing", 0))
    print("| %s | %s | %s | %s | %s | %s | %s |" % (merge, names.get(proto, proto), n, cells[0], cells[1], frames, load))
PY
