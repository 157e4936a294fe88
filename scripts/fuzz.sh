#!/usr/bin/env bash
# libFuzzer targets of every parser (Fuzz/, a package of its own), built with -sanitize=fuzzer,address into
# .build-fuzz, run against the checked-in corpora in Fuzz/corpus/<target>. See docs/reliability.md.
#
#   scripts/fuzz.sh --time N [targets...]   each target for N seconds (CI: scripts/test.sh runs --time 10)
#   scripts/fuzz.sh --long [N] [targets...] each target for N seconds (default 600; MR_FUZZ_RUNS=M stops a target
#                                           after M executions if that comes first), new inputs merged into the
#                                           checked-in corpus afterwards; prints a Markdown table of the figures
#   scripts/fuzz.sh --seed [targets...]     regenerate the seeds (unit-test vectors, ffmpeg captures) and merge
#                                           them, minimised, into Fuzz/corpus
#   scripts/fuzz.sh --build                 build only
#
# Inputs a run discovers go to .build-fuzz/corpus/<target> (the checked-in corpus is read, not written, except
# by --long and --seed). A crash leaves its input in .build-fuzz/artifacts/<target>/ and fails the run: turn it
# into a unit test of the parser's test target and fix the parser.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"

scratch=.build-fuzz
mode=time seconds=10
case "${1:-}" in
  --time) mode=time; seconds=${2:?--time needs seconds}; shift 2 ;;
  --long) mode=long; shift; if [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; else seconds=600; fi ;;
  --seed) mode=seed; shift ;;
  --build) mode=build; shift ;;
  "") ;;
  *) echo "usage: scripts/fuzz.sh --time N | --long [N] | --seed | --build [targets...]" >&2; exit 2 ;;
esac

all_targets=(FuzzAmf FuzzFlv FuzzCodecConfig FuzzRtmpChunk FuzzRtspMessage FuzzSdp FuzzRtp FuzzRtcp FuzzMpegTs FuzzMp4
  FuzzM3u8 FuzzHttp FuzzWebSocket FuzzConfig FuzzApiParams FuzzRtmpSession FuzzStun FuzzWebRtcSdp FuzzWebRtcRtcp FuzzDtls
  FuzzSrtp FuzzSrtStreamId FuzzMpegPs FuzzGbRtpTcp FuzzRtpPacketizer)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz: no target $t (targets: ${all_targets[*]})" >&2; exit 2; }
done

declare -A dict=([FuzzAmf]=amf [FuzzRtmpChunk]=amf [FuzzRtmpSession]=amf [FuzzRtspMessage]=rtsp [FuzzSdp]=sdp
  [FuzzHttp]=http [FuzzM3u8]=m3u8 [FuzzConfig]=toml [FuzzStun]=stun [FuzzWebRtcSdp]=webrtc-sdp [FuzzSrtStreamId]=srt
  [FuzzMpegPs]=ps [FuzzGbRtpTcp]=ps)

build_log=$scratch/build.log
mkdir -p "$scratch"
# SwiftPM keeps the build plan of the main package (a path dependency here) when a source file is added to
# it, and the next build fails with "cannot find X in scope": when the list of sources changed since the last
# build, the plan is dropped and made again.
sources_list=$(find Sources Plugins Fuzz/Sources -name '*.swift' -o -name '*.c' -o -name '*.h' | sort | sha1sum)
if [[ "$(cat "$scratch/sources.sha1" 2>/dev/null)" != "$sources_list" ]]; then
  rm -f "$scratch/debug.yaml" "$scratch"/*/debug/description.json
  echo "$sources_list" > "$scratch/sources.sha1"
fi
start=$SECONDS
# One product at a time: a plain `swift build` would also build everything else in the main package (the
# server, benchmarks, every plugin, the management API and its HTTP client) with the sanitizers, for nothing.
# -parse-as-library: a fuzz target has no top-level code; main is libFuzzer's.
: >"$build_log"
for t in "${targets[@]}"; do
  # -DNDEBUG for C++ as scripts/run.sh builds the server: toml++ (in TOMLKit) asserts on malformed TOML, and an
  # assert is an abort (docs/reliability.md); what is fuzzed is how the shipped build behaves without them.
  if ! (cd Fuzz && swift build --scratch-path "../$scratch" --product "$t" -Xcxx -DNDEBUG \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library) >>"$build_log" 2>&1; then
    grep -E "error:" "$build_log" | head -n 20 || tail -n 20 "$build_log"
    echo "fuzz: build of $t failed (log: $build_log)" >&2
    exit 1
  fi
done
echo "fuzz: built ${#targets[@]} targets in $((SECONDS - start)) s"
[[ $mode == build ]] && exit 0
bin=$scratch/debug

# Leaks inside TOMLKit's C++ bridge (key arrays never freed) are reported upstream, not ours to fix here.
export LSAN_OPTIONS="suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_stack_use_after_return=0:allocator_may_return_null=1"
# Swift's crash handler reads the crashed process's memory, which ASan reports as an overflow of its own;
# without it a trap is libFuzzer's "deadly signal" with the stack.
export SWIFT_BACKTRACE=enable=no

# libFuzzer's arguments for target $1.
options() {
  local t=$1 opts=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
  [[ -n "${dict[$t]:-}" ]] && opts+=(-dict="Fuzz/dict/${dict[$t]}.dict")
  # The session target keeps a core with loops and a loaded plugin across inputs, never torn down: leak
  # checks (per input and at exit) would see its live objects as leaks.
  [[ $t == FuzzRtmpSession ]] && opts+=(-detect_leaks=0)
  printf '%s\n' "${opts[@]}"
}

# Merges the corpora $2... of target $1, minimised, into Fuzz/corpus/$1: the smallest set of inputs covering
# every feature (not the first input of each); over $max_corpus files, every edge only (hit counts ignored),
# so the checked-in corpora stay small and the CI run loads them fast.
max_corpus=200
merge_into() {
  local t=$1 merged opts; shift
  mapfile -t opts < <(options "$t")
  for counters in 1 0; do
    merged=$(mktemp -d)
    if ! run_target "$t" "${opts[@]}" -set_cover_merge=1 -use_counters=$counters "$merged" "Fuzz/corpus/$t" "$@" \
        >"$scratch/merge-$t.log" 2>&1; then
      rm -rf "$merged"
      return 1
    fi
    [[ $(ls "$merged" | wc -l) -le $max_corpus ]] && break
    [[ $counters == 1 ]] && rm -rf "$merged"
  done
  rm -rf "Fuzz/corpus/$t" && mv "$merged" "Fuzz/corpus/$t" && chmod 755 "Fuzz/corpus/$t"
}

# Runs target $1's binary with the rest as arguments.
run_target() {
  local t=$1; shift
  if [[ $t == FuzzRtmpSession ]]; then ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "$bin/$t" "$@"; else "$bin/$t" "$@"; fi
}

if [[ $mode == seed ]]; then
  seeds=$(mktemp -d)
  trap 'rm -rf "$seeds"' EXIT
  python3 Fuzz/seeds/make_seeds.py "$seeds" >/dev/null 2>&1
  for t in "${targets[@]}"; do
    mkdir -p "Fuzz/corpus/$t" "$seeds/$t"
    merge_into "$t" "$seeds/$t"
    echo "fuzz: $t: $(ls "Fuzz/corpus/$t" | wc -l) seeds"
  done
  exit 0
fi

failed=()
rows=()
for t in "${targets[@]}"; do
  work=$scratch/corpus/$t artifacts=$scratch/artifacts/$t
  mkdir -p "$work" "$artifacts" "Fuzz/corpus/$t"
  log=$scratch/run-$t.log
  mapfile -t opts < <(options "$t")
  limit=()
  [[ $mode == long && -n "${MR_FUZZ_RUNS:-}" ]] && limit=(-runs="$MR_FUZZ_RUNS")
  set +e
  began=$SECONDS
  run_target "$t" "${opts[@]}" "${limit[@]}" -max_total_time="$seconds" -artifact_prefix="$artifacts/" "$work" "Fuzz/corpus/$t" >"$log" 2>&1
  status=$?
  took=$((SECONDS - began))
  set -e
  runs=$(grep -a -o "stat::number_of_executed_units: [0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
  last=$(grep -a -E "^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)" "$log" | tail -n 1)
  cov=$(grep -o "cov: [0-9]*" <<<"$last" | grep -o "[0-9]*" || echo "?")
  ft=$(grep -o "ft: [0-9]*" <<<"$last" | grep -o "[0-9]*" || echo "?")
  corpus=$(cat <(ls "$work") <(ls "Fuzz/corpus/$t") | sort -u | wc -l)
  if [[ $status -ne 0 ]]; then
    failed+=("$t")
    echo "fuzz: $t: CRASH after $runs runs (exit $status); input in $artifacts/, log $log"
    grep -a -E "^(==[0-9]+==ERROR|SUMMARY|Fatal error|.*: Fatal error:)" "$log" | head -n 5 | sed 's/^/    /'
  else
    echo "fuzz: $t: $runs runs in ${took} s, coverage $cov, features $ft, corpus $corpus, no crash"
  fi
  if [[ $mode == long && $status -eq 0 ]]; then
    # Keep what the long run found, minimised, in the checked-in corpus.
    merge_into "$t" "$work" || echo "fuzz: $t: merge failed (log $scratch/merge-$t.log)"
  fi
  rows+=("| $t | $(ls "Fuzz/corpus/$t" | wc -l) | $runs | $took | $cov | $ft | $([[ $status -ne 0 ]] && echo crash || echo 0) |")
done

if [[ $mode == long ]]; then
  echo
  echo "| target | corpus | executions | seconds | coverage | features | crashes |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
fi
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} target(s) crashed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash ($((SECONDS - start)) s)"
