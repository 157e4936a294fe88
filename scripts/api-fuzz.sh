#!/usr/bin/env bash
# The management API fuzzed from its own OpenAPI document (docs/openapi.json) with schemathesis (PyPI) against a
# running server (the debug build, started here on its own ports with a throwaway config): no 5xx, and every
# answer conforms to the documented envelope (JSON object with an integer `code`). Not part of CI; results in
# docs/reliability.md.
#
#   scripts/api-fuzz.sh [examples per operation, default 100]
#
# restartServer, setPluginEnabled and setServerConfig are left out: they legitimately take the API's own
# listener away (a restart, httpmux disabled, its port changed) and every later request would fail to connect.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -d /opt/swift/usr/bin ]] && export PATH="/opt/swift/usr/bin:$PATH"
examples=${1:-100}
venv=${SCHEMATHESIS_VENV:-.build/schemathesis}
[[ -x "$venv/bin/schemathesis" ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q schemathesis; }
swift build --product mediarouter >/dev/null

work=$(mktemp -d)
port=$((18000 + $$ % 1000))
cat >"$work/plugins.conf" <<EOF
[server]
log_level = "warning"
[rtmp]
port = $((19000 + $$ % 1000))
[rtsp]
port = $((17000 + $$ % 1000))
[httpmux]
port = $port
[hls]
enabled = true
[mp4]
record_root = "$work/record"
EOF
.build/debug/mediarouter --config "$work/plugins.conf" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/index/api/version" >/dev/null && break; sleep 0.2; done

set +e
"$venv/bin/schemathesis" run docs/openapi.json --url "http://127.0.0.1:$port" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --exclude-path-regex 'restartServer|setPluginEnabled|setServerConfig' \
  --max-examples "$examples" --request-timeout 10 --workers 1 --seed 16 --continue-on-failure
status=$?
set -e
if ! kill -0 "$server" 2>/dev/null; then
  echo "api-fuzz: the server died during the run; its log:"; tail -n 30 "$work/server.log"; exit 1
fi
if grep -a -q "Fatal error" "$work/server.log"; then
  echo "api-fuzz: the server logged a fatal error"; grep -a "Fatal error" "$work/server.log" | head; exit 1
fi
exit "$status"
