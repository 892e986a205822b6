#!/usr/bin/env bash
# Reproduces docs/client-certification.md: certify Authlib's OAuth2Session (client_credentials).
#   examples/clients/certify_authlib.sh [authlib_client.py options...]
# e.g. examples/clients/certify_authlib.sh                       (Authlib's defaults)
#      examples/clients/certify_authlib.sh --leeway 2 --auth-method client_secret_post --retry-429
# Authlib goes into a throwaway venv ($VENV), never into dcr-harness's dependencies.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
VENV=${VENV:-/tmp/dcr-authlib-venv}
REPORT_DIR=${REPORT_DIR:-reports}
SCENARIOS=${SCENARIOS:-"--scenario short-token-ttl --scenario throttling --scenario revoked-credentials --scenario restart"}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "authlib==1.9.9" "requests>=2.31"
fi
log=$(mktemp)
state=$(mktemp -u)
# shellcheck disable=SC2086
python3 -m dcr_harness.cli certify-client --report-dir "$REPORT_DIR" --duration 120 $SCENARIOS >"$log" 2>&1 &
server=$!
trap 'kill -INT "$server" 2>/dev/null || true; rm -f "$log" "$state"' EXIT
for _ in $(seq 200); do grep -q '^DCR_SOFTWARE_STATEMENT=' "$log" && break; sleep 0.1; done
DCR_BASE_URL=$(sed -n 's/^DCR_BASE_URL=//p' "$log")
DCR_SOFTWARE_STATEMENT=$(sed -n 's/^DCR_SOFTWARE_STATEMENT=//p' "$log")
run() { "$VENV/bin/python" "$here/authlib_client.py" --base-url "$DCR_BASE_URL" --statement "$DCR_SOFTWARE_STATEMENT" --state "$state" "$@"; }
run --calls 12 --interval 0.5 "$@" || echo "certify_authlib: the client exited with $?"
# The restart (scenario restart): the first process has ended; signal it, then start the app again
# with the same credentials file.
python3 -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="POST"), timeout=10)' \
  "$DCR_BASE_URL/certify-client/restarted"
run --calls 3 "$@" || echo "certify_authlib: the client exited with $?"
kill -INT "$server"
status=0; wait "$server" || status=$?
grep -v '^DCR_SOFTWARE_STATEMENT=' "$log"
exit "$status"
