#!/usr/bin/env bash
# The JupyterLab the UI tests run against: the suite installed from the built wheel into .venv,
# galata's server configuration, a fresh root directory. Started by ui-tests/playwright.config.js.
set -euo pipefail
cd "$(dirname "$0")/../ui-tests"
PORT=${MLINFN_TEST_LAB_PORT:-8888}
# The real servers the data and burst tests use, started (or found running: every start is
# idempotent) by their scripts; their `env` lines fill the ${VAR}s of fixtures/bridge-config.*.json.
# A rig that cannot start leaves its feature's fixture out, and that feature's tests fail loudly.
if [ "${MLINFN_UI_RIGS:-1}" = 1 ]; then
  # In parallel: each start waits for its own daemons.
  lease=$$ # this shell becomes the lab (exec below): the leases last as long as it does
  ../scripts/rigs/ceph-rgw.sh start >&2 & rgw=$!
  ../scripts/rigs/htcondor.sh start --lease "$lease" >&2 & condor=$!
  ../scripts/rigs/spark.sh start --lease "$lease" >&2 & spark=$!
  for pair in "$rgw ceph-rgw.sh" "$condor htcondor.sh" "$spark spark.sh"; do
    set -- $pair
    if wait "$1"; then eval "$(../scripts/rigs/"$2" env)"
    else echo "[ui-tests] scripts/rigs/$2 failed to start" >&2; fi
  done
fi
args=(--config jupyter_server_test_config.py --port "$PORT" --ServerApp.port_retries=0 --no-browser)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec ../.venv/bin/jupyter lab "${args[@]}"
