#!/usr/bin/env bash
# Runs every test of mlinfn-lab, installing what they need first (scripts/setup.sh --test):
# lint, unit tests (front end and bridge), bridge integration tests over real HTTP and
# WebSocket, Python tests with a real Jupyter server and a real JupyterHub, and galata UI tests in
# Debian's chromium against a real JupyterLab with the suite installed from the wheel.
# Every suite runs even when an earlier one fails; the last line sums them up.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS=$ROOT/.cache/results
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

scripts/setup.sh --test || { echo "setup failed"; exit 1; }

# The real servers (Ceph RGW, the HTCondor pool, Spark) start once, now, in the background and in
# parallel with lint and the unit tests; every test that needs one calls its idempotent `start`,
# which then only waits for it. They stop when the tests end (a lease: only if nobody else holds
# the pool).
RIGLOG=$ROOT/.cache/rigs-log; mkdir -p "$RIGLOG"
scripts/rigs/ceph-rgw.sh start >"$RIGLOG/rgw.log" 2>&1 &
scripts/rigs/htcondor.sh start --lease $$ >"$RIGLOG/htcondor.log" 2>&1 &
scripts/rigs/spark.sh start --lease $$ >"$RIGLOG/spark.log" 2>&1 &
# Release our lease; the UI tests' lab holds one too and may still be shutting down, so while
# the script says "still in use", look again for up to 30 s (dead holders do not count).
stop_leased() { # script log
  local i out
  for i in 1 2 3 4 5 6; do
    out=$(scripts/rigs/"$1" stop --lease $$ 2>&1); echo "$out" >>"$2"
    case $out in *"still in use"*) sleep 5 ;; *) return 0 ;; esac
  done
}
stop_rigs() {
  wait 2>/dev/null
  stop_leased spark.sh "$RIGLOG/spark.log"
  stop_leased htcondor.sh "$RIGLOG/htcondor.log"
  scripts/rigs/ceph-rgw.sh stop >>"$RIGLOG/rgw.log" 2>&1
}
trap stop_rigs EXIT

status=0
run() { # name command...
  local name=$1; shift
  printf '\n\033[1m[test] %s\033[0m\n' "$name"
  local t0=$SECONDS
  if "$@"; then echo "[test] $name: ok ($((SECONDS - t0)) s)"
  else echo "[test] $name: FAILED ($((SECONDS - t0)) s)"; status=1; fi
}

# `within DIR command...`: run a command from a package's own directory, where its config lives.
within() { (cd "$1" && shift && "$@"); }

run lint npm run --silent lint:check
for pkg in packages/*/; do
  name=$(basename "$pkg")
  [ -f "$pkg/jest.config.js" ] || continue
  run "$name (jest)" within "$pkg" npx jest --json --outputFile="$RESULTS/jest-$name.json"
done
run "bridge (jest)" within server-bridge npx jest --json --outputFile="$RESULTS/jest-bridge.json"
run "python + jupyterhub (pytest)" .venv/bin/python -m pytest tests -q \
  --junitxml="$RESULTS/pytest.xml"
# Every benchmark at smoke size (bench/*.bench.mjs), so that none stops working unnoticed; the
# figures are rough at this size and are not checked against their targets here.
bench_smoke() {
  local failed=0 f
  for f in bench/*.bench.mjs; do
    f=$(basename "$f" .bench.mjs)
    node bench/run.mjs "$f" --smoke || { echo "[bench] $f --smoke failed"; failed=1; }
  done
  return $failed
}
run "benchmarks (smoke)" bench_smoke
run "ui (galata)" within ui-tests env PLAYWRIGHT_JSON_OUTPUT_NAME="$RESULTS/galata.json" \
  npx playwright test --reporter=list,json

node scripts/test-summary.mjs "$RESULTS" || status=1
exit $status
