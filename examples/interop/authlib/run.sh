#!/usr/bin/env bash
# One command: set up the Authlib interop server if needed, start it on loopback, run the
# harness against it, stop it, print the run dir. Non-interactive and idempotent.
#   examples/interop/authlib/run.sh [extra `dcr-harness run` arguments, e.g. -v or --req REG]
# Environment: DCR_INTEROP_CACHE (venv, keys, statements; default ~/.cache/dcr-harness-interop/authlib),
#   DCR_INTEROP_REPORT_DIR (default reports/interop-authlib in the checkout; each run gets its
#   own timestamped run dir under it, and `latest` points at the newest),
#   DCR_INTEROP_TOKEN_TTL (seconds, default 4: short enough for the live API-4 check),
#   HYPOTHESIS_PROFILE (default ci: derandomized, so runs are comparable).
# Exit status: the harness's (0 pass, 1 requirement failed, 2 usage, 3 unreachable), or 4
# when the server could not be set up or started.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
CACHE="${DCR_INTEROP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dcr-harness-interop/authlib}"
REPORT_DIR="${DCR_INTEROP_REPORT_DIR:-$REPO/reports/interop-authlib}"
TOKEN_TTL="${DCR_INTEROP_TOKEN_TTL:-4}"
PY="${PYTHON:-python3}"
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"

die() { echo "interop: $*" >&2; exit 4; }

# One run at a time per cache: the database and target file are shared.
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 1800 9 || die "another interop run holds $CACHE/.lock"

# 1. The server's private venv, rebuilt only when requirements.txt changes.
stamp="$CACHE/venv/.installed-$(sha256sum "$HERE/requirements.txt" | cut -c1-16)"
if [[ ! -f "$stamp" ]]; then
    echo "interop: installing the pinned server packages into $CACHE/venv" >&2
    rm -rf "$CACHE/venv"
    "$PY" -m venv "$CACHE/venv" || die "cannot create a venv with $PY"
    "$CACHE/venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
        -r "$HERE/requirements.txt" || die "pip install of requirements.txt failed"
    touch "$stamp"
fi

# 2. Keys and statements (kept across runs), a fresh database per run.
"$CACHE/venv/bin/python" "$HERE/provision.py" "$CACHE/data" || die "provisioning failed"
rm -f "$CACHE/data/authlib.sqlite3" "$CACHE/target.json"

# 3. The server on a free loopback port; it writes target.json once it is bound.
"$CACHE/venv/bin/python" "$HERE/server.py" "$CACHE/data" "$CACHE/target.json" \
    --token-ttl "$TOKEN_TTL" >"$CACHE/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do  # at most 10 s
    [[ -f "$CACHE/target.json" ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$CACHE/server.log" >&2; die "the server exited during start-up"; }
    sleep 0.1
done
[[ -f "$CACHE/target.json" ]] || die "the server wrote no target file within 10 s (log: $CACHE/server.log)"

# 4. The harness of this checkout against it.
before="$(readlink -f "$REPORT_DIR/latest" 2>/dev/null || true)"
status=0
( cd "$REPO" && PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}" "$PY" -m dcr_harness.cli run \
    --target "$CACHE/target.json" --report-dir "$REPORT_DIR" "$@" ) || status=$?
echo "interop: server log (may hold secrets sent in query strings, kept out of the run dir): $CACHE/server.log" >&2
after="$(readlink -f "$REPORT_DIR/latest" 2>/dev/null || true)"
if [[ -n "$after" && "$after" != "$before" ]]; then
    echo "interop: harness exit status $status; run dir:" >&2
    echo "$after"
else
    echo "interop: harness exit status $status; it wrote no run dir under $REPORT_DIR" >&2
fi
exit "$status"
