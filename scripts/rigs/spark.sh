#!/usr/bin/env bash
# A real Spark standalone cluster for tests: one master and one worker on 127.0.0.1, from PyPI's
# `pyspark` (installed into the project's venv if missing) and the machine's Java 17. The wheel
# has bin/spark-class and bin/spark-submit but no sbin/start-*.sh, so the daemons are started with
# `spark-class org.apache.spark.deploy.master.Master` / `...deploy.worker.Worker`. Standalone
# runs Python applications in client mode only: the driver runs where spark-submit runs.
# See scripts/rigs/README-batch.md.
#
#   scripts/rigs/spark.sh start [--lease PID]   # start master + worker, wait for the worker
#   scripts/rigs/spark.sh stop [--lease PID]    # stop them (with --lease: when no lease is left)
#   scripts/rigs/spark.sh env                   # export lines for tests and the bridge
#   scripts/rigs/spark.sh status                # exit 0 when the master has an alive worker
#
# Environment:
#   MLINFN_SPARK_RIG_DIR        the rig's directory (default ${MLINFN_RIG_DIR:-<repo>/.cache/rigs}/spark)
#   MLINFN_SPARK_PORT           master port (default 7077, or a free port if taken)
#   MLINFN_SPARK_UI_PORT        master web UI port (default 8080, or a free port if taken)
#   MLINFN_SPARK_WORKER_CORES   worker cores (default 2, at most the machine's)
#   MLINFN_SPARK_WORKER_MEMORY  worker memory (default 2g)
#   MLINFN_SPARK_TIMEOUT        seconds to wait for the worker (default 90)
#   MLINFN_PYSPARK_PIP          pip requirement when pyspark is missing (default pyspark==4.3.0)
#   MLINFN_VENV                 the venv with pyspark (default <repo>/.venv)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RIG=${MLINFN_SPARK_RIG_DIR:-${MLINFN_RIG_DIR:-$REPO/.cache/rigs}/spark}
VENV=${MLINFN_VENV:-$REPO/.venv}
PIP_REQ=${MLINFN_PYSPARK_PIP:-pyspark==4.3.0}
TIMEOUT=${MLINFN_SPARK_TIMEOUT:-90}
NCPU=$(nproc)
CORES=${MLINFN_SPARK_WORKER_CORES:-$((NCPU < 2 ? NCPU : 2))}
MEMORY=${MLINFN_SPARK_WORKER_MEMORY:-2g}
STATE=$RIG/state.env      # ports and pids of the running rig; what `env` prints comes from it
LEASES=$RIG/leases
LOGS=$RIG/logs
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3

# Loopback only: no proxy may stand between us and the master's UI.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

log() { printf '[spark-rig] %s\n' "$*" >&2; }
die() { printf '[spark-rig] ERROR: %s\n' "$*" >&2; exit 1; }

ensure_java() {
  local v
  command -v java >/dev/null || die "no java: apt-get install openjdk-17-jre-headless (Spark 4 needs Java 17+)"
  v=$(java -version 2>&1 | awk -F'"' '/version/ { split($2, a, "."); print a[1]; exit }')
  [ "${v:-0}" -ge 17 ] 2>/dev/null || die "Java 17 or newer is needed (found ${v:-none})"
}

spark_home() {
  "$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null
}

ensure_pyspark() {
  [ -x "$VENV/bin/python" ] || die "no venv at $VENV (scripts/setup.sh)"
  if [ -z "$(spark_home)" ]; then
    log "installing $PIP_REQ into $VENV"
    "$VENV/bin/pip" install -q "$PIP_REQ" || die "pip install $PIP_REQ failed"
  fi
  SPARK_HOME=$(spark_home)
  [ -x "$SPARK_HOME/bin/spark-class" ] || die "no spark-class in $SPARK_HOME"
}

port_or_free() { # preferred port if free on 127.0.0.1, else a free one
  "$PY" - "$1" <<'EOF'
import socket, sys
def free(port):
    s = socket.socket()
    # As a server binds (Java sets SO_REUSEADDR): TIME_WAIT leftovers of a previous run don't
    # count, a listener does.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        return s.getsockname()[1]
    except OSError:
        return None
    finally:
        s.close()
print(free(int(sys.argv[1])) or free(0))
EOF
}

master_json() { # the master's /json/ on stdout, or nothing
  "$PY" - "$1" <<'EOF' 2>/dev/null || true
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print(opener.open(f"http://127.0.0.1:{sys.argv[1]}/json/", timeout=3).read().decode())
EOF
}

alive_workers() { # number of ALIVE workers the master knows of
  master_json "$1" | "$PY" -c 'import json, sys; print(json.load(sys.stdin).get("aliveworkers", 0))' 2>/dev/null || echo 0
}

alive() { # pid: a live process that is one of our Spark JVMs (a recycled PID is not ours)
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'org\.apache\.spark\.'
}

load_state() {
  MASTER_PID= WORKER_PID= PORT= UI_PORT= WORKER_UI_PORT=
  # shellcheck disable=SC1090
  [ -f "$STATE" ] && . "$STATE"
  return 0
}

take_lock() {
  mkdir -p "$RIG"
  exec 9>"$RIG/.lock"
  flock -w 300 9 || die "another spark.sh holds $RIG/.lock"
}

add_lease() { mkdir -p "$LEASES"; : >"$LEASES/$1"; }

live_leases() {
  local f n
  for f in "$LEASES"/*; do
    [ -e "$f" ] || continue
    n=${f##*/}
    if [ "$n" = manual ] || kill -0 "$n" 2>/dev/null; then echo "$n"; else rm -f "$f"; fi
  done
}

fail_start() {
  local f
  for f in "$LOGS/master.log" "$LOGS/worker.log"; do
    [ -f "$f" ] && { printf -- '--- %s (last 20 lines) ---\n' "$f" >&2; tail -n 20 "$f" >&2; }
  done
  stop_daemons
  die "$*"
}

daemon() { # name class args... ; starts one spark-class daemon in its own session
  local name=$1; shift
  # spark-class execs java, so $! is the JVM. 9>&- keeps the lock out of the daemon.
  setsid env SPARK_HOME="$SPARK_HOME" SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=127.0.0.1 \
    SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-512m}" SPARK_LOG_DIR="$LOGS" \
    SPARK_WORKER_DIR="$RIG/work" PYSPARK_PYTHON="$VENV/bin/python" \
    "$SPARK_HOME/bin/spark-class" "$@" </dev/null >"$LOGS/$name.log" 2>&1 9>&- &
  echo $!
}

cmd_start() {
  local t0=$SECONDS
  ensure_java
  ensure_pyspark
  load_state
  if alive "$MASTER_PID" && alive "$WORKER_PID" && [ "$(alive_workers "$UI_PORT")" -ge 1 ]; then
    log "already running: spark://127.0.0.1:$PORT (master pid $MASTER_PID, worker pid $WORKER_PID)"
  else
    stop_daemons
    mkdir -p "$LOGS" "$RIG/work"
    PORT=$(port_or_free "${MLINFN_SPARK_PORT:-7077}")
    UI_PORT=$(port_or_free "${MLINFN_SPARK_UI_PORT:-8080}")
    [ "$UI_PORT" != "$PORT" ] || UI_PORT=$(port_or_free 0)
    WORKER_UI_PORT=$(port_or_free 0)
    log "starting master spark://127.0.0.1:$PORT (UI $UI_PORT) and a worker ($CORES cores, $MEMORY)"
    MASTER_PID=$(daemon master org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$PORT" --webui-port "$UI_PORT")
    WORKER_PID=$(daemon worker org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores "$CORES" --memory "$MEMORY" --webui-port "$WORKER_UI_PORT" \
      --work-dir "$RIG/work" "spark://127.0.0.1:$PORT")
    write_state
    local deadline=$((SECONDS + TIMEOUT))
    until [ "$(alive_workers "$UI_PORT")" -ge 1 ]; do
      alive "$MASTER_PID" || fail_start "the master exited"
      alive "$WORKER_PID" || fail_start "the worker exited"
      [ $SECONDS -lt $deadline ] || fail_start "no worker registered with the master after $TIMEOUT s"
      sleep 0.5
    done
  fi
  add_lease "${LEASE:-manual}"
  log "up in $((SECONDS - t0)) s: spark://127.0.0.1:$PORT, UI http://127.0.0.1:$UI_PORT, pyspark $("$VENV/bin/python" -c 'import pyspark; print(pyspark.__version__)')"
}

write_state() {
  cat >"$STATE" <<EOF
MASTER_PID=$MASTER_PID
WORKER_PID=$WORKER_PID
PORT=$PORT
UI_PORT=$UI_PORT
WORKER_UI_PORT=$WORKER_UI_PORT
SPARK_HOME=$SPARK_HOME
EOF
}

descendants() { # pid -> all its descendants
  local c
  for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done
}

stop_daemons() {
  load_state
  local pids p i
  pids="$(for p in $WORKER_PID $MASTER_PID; do alive "$p" && { descendants "$p"; echo "$p"; }; done || true)"
  [ -n "$pids" ] || { rm -f "$STATE"; return 0; }
  log "stopping worker and master (pids $(echo $pids))"
  # The worker first: it kills its executors on the way out.
  for p in $WORKER_PID $MASTER_PID; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
  for i in $(seq 1 40); do
    for p in $pids; do kill -0 "$p" 2>/dev/null && break; done
    kill -0 "$p" 2>/dev/null || break
    sleep 0.25
  done
  for p in $pids; do kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null; done
  rm -f "$STATE"
  return 0
}

cmd_stop() {
  if [ -n "${LEASE:-}" ]; then
    rm -f "$LEASES/$LEASE"
    local others; others=$(live_leases | tr '\n' ' ')
    if [ -n "${others// /}" ]; then log "still in use (leases: $others): left running"; return 0; fi
  fi
  rm -rf "$LEASES"
  stop_daemons
  log "stopped"
}

cmd_env() {
  load_state
  alive "$MASTER_PID" || die "the Spark rig is not running (scripts/rigs/spark.sh start)"
  cat <<EOF
export SPARK_MASTER=spark://127.0.0.1:$PORT
export SPARK_MASTER_WEBUI=http://127.0.0.1:$UI_PORT
export SPARK_WORKER_WEBUI=http://127.0.0.1:$WORKER_UI_PORT
export SPARK_HOME=$SPARK_HOME
export MLINFN_SPARK_SUBMIT=$SPARK_HOME/bin/spark-submit
export PYSPARK_PYTHON=$VENV/bin/python
export PYSPARK_DRIVER_PYTHON=$VENV/bin/python
export SPARK_LOCAL_IP=127.0.0.1
EOF
}

cmd_status() {
  load_state
  alive "$MASTER_PID" || { echo "spark rig: stopped ($RIG)"; return 1; }
  local n; n=$(alive_workers "$UI_PORT")
  echo "spark rig: master pid $MASTER_PID spark://127.0.0.1:$PORT (UI $UI_PORT), worker pid $WORKER_PID, $n alive worker(s)"
  [ "$n" -ge 1 ]
}

CMD=${1:-}; shift || true
LEASE=
case "${1:-}" in
  --lease) LEASE=${2:?--lease needs a PID}; [[ $LEASE =~ ^[0-9]+$ ]] || die "--lease takes a PID" ;;
  "") ;;
  *) die "unknown argument: $1" ;;
esac
case "$CMD" in
  start) take_lock; cmd_start ;;
  stop) take_lock; cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|env|status [--lease PID]" >&2; exit 2 ;;
esac
