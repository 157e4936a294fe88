#!/usr/bin/env bash
# Memory per player: the server with the shipped plugins.conf (every plugin, ports moved to free ones), one
# 2 Mbit/s stream published over RTMP, then N players of one protocol from mediarouter-bench. Prints RSS
# and the allocator's figures (getStatistic: mallinfo2) idle, with one player (which creates the format's
# derived ring; rings fill for about 10 s, so this is the baseline), and while N players play (peak RSS,
# and the heap at the sample with the most readers); saves /proc/PID/smaps of each point. Not a test.
#   scripts/bench-memory.sh [http|rtmp|rtsp] [players...]     default: http 1000
#   BIN=dir (default .build/release, built first by scripts/bench-fanout.sh), GOP=n sets gop_cache_frames
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=${BIN:-$repo/.build/release}
proto=${1:-http}; shift || true
counts=("$@"); [[ ${#counts[@]} -gt 0 ]] || counts=(1000)
work=${BENCH_DIR:-/tmp/mediarouter-bench}/memory-$proto; rm -rf $work; mkdir -p $work/record
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rtmp=$(free_port); http=$(free_port); rtsp=$(free_port); webrtc=$(free_port); srt=$(free_port); gb=$(free_port)
sed -e "s/^port = 1935/port = $rtmp/" -e "s/^port = 8554 */port = $rtsp/" -e "s/^port = 8080 .*/port = $http/" \
    -e "s/^port = 8000 .*/port = $webrtc/" -e "s/^port = 9000 .*/port = $srt/" -e "s/^port = 10000 .*/port = $gb/" \
    -e "s|^record_root = .*|record_root = \"$work/record\"|" -e 's/^log_level = "info"/log_level = "warning"/' \
    $repo/plugins.conf > $work/plugins.conf
[[ -n "${GOP:-}" ]] && sed -i "s/^reader_max_lag = 512 .*/&\ngop_cache_frames = $GOP/" $work/plugins.conf
ulimit -n "$(ulimit -Hn)"
"$bin/mediarouter" -c $work/plugins.conf 2> $work/server.log &
server=$!
trap 'kill $server $pub 2>/dev/null' EXIT
sleep 3
snap() { # name
  local rss=$(awk '/VmRSS/{print $2}' /proc/$server/status)
  local thr=$(awk '/Threads/{print $2}' /proc/$server/status)
  local stat=$(curl -s "http://127.0.0.1:$http/index/api/getStatistic" | python3 -c 'import sys,json; d=json.load(sys.stdin)["data"]; print(d.get("HeapInUseBytes",0)//1024, d.get("HeapFreeBytes",0)//1024, d.get("Reader"), d.get("TcpSession"))' 2>/dev/null)
  echo "$1 rss_kb=$rss threads=$thr heap_inuse_kb/free_kb/readers/sessions=$stat"
  cp /proc/$server/smaps $work/smaps-$1
}
snap idle
src=${BENCH_DIR:-/tmp/mediarouter-bench}/source-2mbps.flv
[[ -s $src ]] || { echo "no $src: run scripts/bench-fanout.sh once (it encodes the source)"; exit 1; }
ffmpeg -hide_banner -loglevel error -re -stream_loop -1 -i "$src" -c copy -f flv "rtmp://127.0.0.1:$rtmp/live/bench" &
pub=$!
case $proto in
  http) url="http://127.0.0.1:$http/live/bench.live.flv";;
  rtmp) url="rtmp://127.0.0.1:$rtmp/live/bench";;
  rtsp) url="rtsp://127.0.0.1:$rtsp/live/bench";;
esac
# One player from the start: it creates the format's derived ring; rings fill to their frame limit in about
# 13 s, so the baseline is taken after that and the marginal cost is not the rings filling up.
"$bin/mediarouter-bench" --url "$url" --players 1 --seconds 600 > $work/bench-1.txt 2>&1 &
one=$!
trap 'kill $server $pub $one 2>/dev/null' EXIT
sleep 20
snap n1
for n in "${counts[@]}"; do
  "$bin/mediarouter-bench" --url "$url" --players $n --seconds ${SECS:-12} --expect-kbps 2027 --server-pid $server > $work/bench-$n.txt 2>&1 &
  b=$!
  # sample while the players play: peak RSS, and the heap at the sample with the most readers
  best=""; bestr=-1; maxrss=0
  while kill -0 $b 2>/dev/null; do
    rss=$(awk '/VmRSS/{print $2}' /proc/$server/status)
    (( rss > maxrss )) && maxrss=$rss
    line=$(curl -s -m 6 "http://127.0.0.1:$http/index/api/getStatistic" | python3 -c 'import sys,json; d=json.load(sys.stdin)["data"]; print(d.get("Reader",0), d.get("HeapInUseBytes",0)//1024, d.get("HeapFreeBytes",0)//1024)' 2>/dev/null)
    r=${line%% *}
    if [[ -n "$r" && $r -ge $bestr ]]; then bestr=$r; best="$line rss_kb=$rss"; cp /proc/$server/smaps $work/smaps-n$n; fi
    sleep 1
  done
  echo "n$n peak_rss_kb=$maxrss at_most_readers(readers heap_inuse_kb heap_free_kb rss)=$best"
  grep -E "players at|failures|RSS" $work/bench-$n.txt | tr '\n' ' '; echo
  sleep 3
  snap after$n
  sleep 10   # HeapTrimmer's interval: freed heap goes back to the kernel
  snap trimmed$n
done
