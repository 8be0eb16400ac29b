#!/usr/bin/env bash
# The JupyterLab the UI tests run against: the suite installed from the built wheel into .venv,
# galata's server configuration, a fresh root directory. Started by ui-tests/playwright.config.js.
set -euo pipefail
cd "$(dirname "$0")/../ui-tests"
PORT=${MLINFN_TEST_LAB_PORT:-8888}
args=(--config jupyter_server_test_config.py --port "$PORT" --ServerApp.port_retries=0 --no-browser)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec ../.venv/bin/jupyter lab "${args[@]}"
