#!/usr/bin/env bash
# Installs what MediaRouter needs on Debian 12, skipping what is already there.
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   also the real clients the test suite drives (ffmpeg, GStreamer, Chromium, ...)
set -euo pipefail

build_pkgs=(build-essential pkg-config libssl-dev libsrtp2-dev libsrt-openssl-dev)
test_pkgs=(ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
           gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp srt-tools python3 python3-gi
           gir1.2-gst-rtsp-server-1.0 openssl curl)
# Loss injection for the WebRTC loss tests (this kernel has no netem): iptables' statistic match in a
# network namespace of the test's own.
test_pkgs+=(iptables iproute2)
# Chromium comes with its recommends (fonts, Mesa's software GL, udev): the browser as a user installs it.
# Listed too, as apt adds no recommends to a package installed earlier without them.
browser_pkgs=(chromium fonts-liberation libgl1-mesa-dri)

want=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then want+=("${test_pkgs[@]}"); fi

not_installed() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}
mapfile -t missing < <(not_installed "${want[@]}")
missing_browser=()
if [[ "${1:-}" == "--test" ]]; then mapfile -t missing_browser < <(not_installed "${browser_pkgs[@]}"); fi

if ((${#missing[@]} + ${#missing_browser[@]})); then
  echo "install-deps: installing ${missing[*]} ${missing_browser[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  if ((${#missing[@]})); then
    "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ((${#missing_browser[@]})); then
    "${sudo_cmd[@]}" apt-get install -y -qq "${missing_browser[@]}" >/dev/null
    # Its first start builds caches (fonts, profile); do that here rather than inside a timed page load.
    timeout 120 chromium --headless=new --no-sandbox --disable-gpu --dump-dom about:blank >/dev/null 2>&1 || true
  fi
fi

# PyAV bundles a recent FFmpeg (Enhanced RTMP: H.265 in FLV; FFmpeg 8's WHIP muxer, a WebRTC publisher of
# its own), which Debian 12's ffmpeg 5.1 lacks. prometheus_client parses /metrics in the tests, as Prometheus
# would. aiortc is the independent WebRTC stack the WHEP/WHIP tests play and publish with.
deps_ok='import av, numpy, prometheus_client, aiortc; assert "whip" in av.formats_available'
if [[ "${1:-}" == "--test" ]] && ! python3 -c "$deps_ok" >/dev/null 2>&1; then
  echo "install-deps: installing PyAV (with the whip muxer), numpy, prometheus_client and aiortc from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check "av>=16" numpy prometheus_client aiortc 2>&1 | grep -v "Running pip as the 'root' user" || true
  python3 -c "$deps_ok"
fi

if ! command -v swift >/dev/null 2>&1; then
  for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
    if [[ -x "$d/swift" ]]; then echo "install-deps: swift found in $d (add it to PATH)"; fi
  done
  echo "install-deps: the Swift 6 toolchain is required (swift.org builds for Debian 12); it is not an apt package" >&2
  exit 1
fi
