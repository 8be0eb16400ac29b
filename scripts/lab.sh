#!/usr/bin/env bash
# Installs everything mlinfn-lab needs (first run: a few minutes) and starts JupyterLab with the
# whole suite on working defaults. Extra arguments go to `jupyter lab`, e.g. --port 9999.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
args=(--ServerApp.ip=127.0.0.1)
[ "$(id -u)" = 0 ] && args+=(--allow-root)
exec .venv/bin/jupyter lab "${args[@]}" "$@"
