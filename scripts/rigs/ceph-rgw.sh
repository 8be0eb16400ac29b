#!/usr/bin/env bash
# A real S3 server for tests: Ceph's radosgw (Debian 12 packages) on loopback, backed by one
# memstore OSD and one mon, no ceph-mgr, with STS (AssumeRoleWithWebIdentity) against a locally
# served OIDC issuer (scripts/rigs/oidc-issuer.py), and optionally nginx in front with a
# per-connection rate limit for benchmarks. See scripts/rigs/README.md.
#
#   scripts/rigs/ceph-rgw.sh start [--rate-limit 10m] [--port N]
#   scripts/rigs/ceph-rgw.sh stop
#   scripts/rigs/ceph-rgw.sh env        # export lines for tests (the only place keys are printed)
#   scripts/rigs/ceph-rgw.sh status     # exit 0 when every daemon runs
#   scripts/rigs/ceph-rgw.sh install    # only the Debian packages (nginx included), for setup
#
# Environment: MLINFN_RIG_DIR (default <repo>/.cache/rigs/rgw), MLINFN_RGW_PORT (default 7480,
# or a free port if taken), MLINFN_RGW_MEMSTORE_BYTES (default 4 GiB), MLINFN_RGW_TIMEOUT
# (seconds to wait for each daemon, default 60).
#
# Memstore keeps objects in the OSD's memory: a stopped rig has lost its data, so `start` of a
# rig that is not (fully) running builds a fresh cluster. The S3 keys, the STS key and the OIDC
# signing key are generated once and kept in the rig directory, so they stay the same.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RIG=${MLINFN_RIG_DIR:-$ROOT/.cache/rigs/rgw}
case $RIG in /|"") echo "MLINFN_RIG_DIR must name a directory of its own" >&2; exit 2 ;; esac
TIMEOUT=${MLINFN_RGW_TIMEOUT:-60}
MEMSTORE_BYTES=${MLINFN_RGW_MEMSTORE_BYTES:-4294967296}
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
ISSUER_PY="$HERE/oidc-issuer.py"
CONF="$RIG/ceph.conf"
RUN="$RIG/run"
LOGS="$RIG/log"
KEYS="$RIG/keys.env"       # 0600: S3 keys and the STS key
PORTS="$RIG/ports.env"     # ports of the running rig
OIDC_DIR="$RIG/oidc"
ROLE_NAME=mlinfn-test-role
CLIENT_ID=mlinfn-lab
REGION=default             # RGW's zonegroup api_name; any region signs, this one also creates
ADMIN_UID=mlinfn-admin
PACKAGES=(radosgw ceph-mon ceph-osd ceph-base uuid-runtime openssl curl python3)

# Loopback only: no proxy may see RGW's fetches of the issuer nor our curl probes.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
export CEPH_CONF="$CONF"

log() { printf '[rgw-rig] %s\n' "$*" >&2; }
die() { printf '[rgw-rig] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
need_pkgs() { # packages not installed among $@
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

ensure_packages() {
  local missing
  missing=$(need_pkgs "$@")
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages ($missing) and not root to install them"
  log "installing Debian packages: $missing"
  local p need_update=""
  for p in $missing; do
    apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]' || need_update=1
  done
  if [ -n "$need_update" ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null 2>&1 || log "apt-get update failed; trying the install anyway"
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
    >"${TMPDIR:-/tmp}/mlinfn-rgw-apt.log" 2>&1 \
    || { tail -n 30 "${TMPDIR:-/tmp}/mlinfn-rgw-apt.log" >&2; die "apt-get install failed"; }
}

port_free() { # port -> 0 when nothing listens on 127.0.0.1:port
  "$PY" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no owner
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

pick_port() { # preferred -> preferred when free, else a free one
  local p=$1
  if [ -n "$p" ] && port_free "$p"; then echo "$p"; return; fi
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

gen_secret() { # length [alphabet]
  "$PY" - "$1" "${2:-}" <<'EOF'
import secrets, string, sys
n = int(sys.argv[1]); alpha = sys.argv[2] or (string.ascii_letters + string.digits)
print("".join(secrets.choice(alpha) for _ in range(n)))
EOF
}

pid_of() { [ -s "$RUN/$1.pid" ] && cat "$RUN/$1.pid" 2>/dev/null || true; }

alive() { # name expected-cmd-substring
  local pid; pid=$(pid_of "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$2"
}

tail_logs() {
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    printf -- '--- last lines of %s ---\n' "$f" >&2
    tail -n 25 "$f" >&2
  done
}

wait_for() { # description timeout command... ; logs to show are in $WAIT_LOGS
  local what=$1 t=$2; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - t0 >= t )); then
      log "timed out after ${t}s waiting for $what"
      # shellcheck disable=SC2086
      tail_logs ${WAIT_LOGS:-}
      return 1
    fi
    sleep 0.5
  done
}

http_up() { # url -> any HTTP answer
  curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$1" | grep -qv '^000$'
}

ceph_cmd() { timeout 30 ceph --connect-timeout 10 "$@"; }

osd_up() { ceph_cmd osd dump -f json 2>/dev/null | grep -q '"up":1'; }

# ---------------------------------------------------------------------------------------------
running() { # pid -> 0 while it runs (a zombie waiting for its reaper does not count)
  [ -r "/proc/$1/stat" ] && ! awk '{exit ($3 == "Z") ? 0 : 1}' "/proc/$1/stat" 2>/dev/null
}

stop_one() { # name cmd-substring
  local pid; pid=$(pid_of "$1")
  if [ -n "$pid" ] && alive "$1" "$2"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 40); do
      running "$pid" || break
      sleep 0.25
    done
    running "$pid" && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$1.pid"
}

DAEMONS=("nginx:nginx: master" "oidc:oidc-issuer.py" "client.rgw.rig:radosgw" "osd.0:ceph-osd"
         "mon.a:ceph-mon")

term_and_wait() { # name:cmd-substring... ; TERM them together, KILL what is left after 10 s
  local d name pids=() names=() pid i left
  for d in "$@"; do
    name=${d%%:*}
    if alive "$name" "${d#*:}"; then
      pid=$(pid_of "$name"); pids+=("$pid"); names+=("$name")
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for i in $(seq 1 100); do
    left=0
    for pid in "${pids[@]}"; do running "$pid" && left=1; done
    [ "$left" = 0 ] && break
    sleep 0.1
  done
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    if running "$pid"; then
      log "${names[$i]} ($pid) ignored TERM for 10 s: KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for d in "$@"; do rm -f "$RUN/${d%%:*}.pid"; done
}

cmd_stop() {
  [ -d "$RUN" ] || { log "not running"; return 0; }
  # The mon last: an OSD whose mon is gone waits 5 s (osd_mon_shutdown_timeout) to say goodbye.
  term_and_wait "${DAEMONS[@]:0:4}"
  term_and_wait "${DAEMONS[4]}"
  rm -f "$PORTS"
  log "stopped"
}

all_alive() {
  alive mon.a ceph-mon && alive osd.0 ceph-osd && alive client.rgw.rig radosgw \
    && alive oidc oidc-issuer.py
}

# ---------------------------------------------------------------------------------------------
write_keys() {
  [ -s "$KEYS" ] && return 0
  (
    umask 077
    {
      echo "S3_ACCESS_KEY_ID=$(gen_secret 20 ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789)"
      echo "S3_SECRET_ACCESS_KEY=$(gen_secret 40)"
      echo "RGW_STS_KEY=$(gen_secret 16)"  # rgw sts key: exactly 16 characters
    } >"$KEYS"
  )
}

write_conf() { # fsid mon_port rgw_port sts_key
  cat >"$CONF" <<EOF
# Generated by scripts/rigs/ceph-rgw.sh: a throwaway single-node cluster on loopback.
[global]
fsid = $1
mon host = v2:127.0.0.1:$2
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
ms bind msgr1 = false
ms bind msgr2 = true
auth cluster required = none
auth service required = none
auth client required = none
# radosgw defaults to a "secure" mode towards the mon, which auth "none" cannot give.
ms mon client mode = crc
client mount timeout = 30
run dir = $RUN
pid file = $RUN/\$name.pid
admin socket = $RUN/\$name.asok
log file = $LOGS/\$name.log
log to stderr = false
err to stderr = false
mon cluster log file = $LOGS/cluster.log
crash dir = $RIG/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
mon warn on insecure global id reclaim = false
mon warn on insecure global id reclaim allowed = false

[mon]
mon data = $RIG/mon/\$cluster-\$id

[osd]
osd data = $RIG/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd crush update on start = true

[client.rgw.rig]
rgw frontends = beast endpoint=127.0.0.1:$3
rgw sts key = $4
rgw s3 auth use sts = true
rgw init timeout = $TIMEOUT
# On TERM, radosgw waits for idle keep-alive connections (a test client still open) to go.
rgw exit timeout secs = 2
EOF
}

write_nginx_conf() { # port rgw_port rate
  mkdir -p "$RIG/nginx/tmp"
  cat >"$RIG/nginx/nginx.conf" <<EOF
# Generated by scripts/rigs/ceph-rgw.sh: RGW behind a per-connection rate limit.
user root;
worker_processes 1;
pid $RUN/nginx.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log $LOGS/nginx-access.log;
  client_body_temp_path $RIG/nginx/tmp/body;
  proxy_temp_path $RIG/nginx/tmp/proxy;
  fastcgi_temp_path $RIG/nginx/tmp/fastcgi;
  uwsgi_temp_path $RIG/nginx/tmp/uwsgi;
  scgi_temp_path $RIG/nginx/tmp/scgi;
  upstream rgw { server 127.0.0.1:$2; keepalive 32; }
  server {
    listen 127.0.0.1:$1;
    client_max_body_size 0;
    limit_rate $3;
    location / {
      proxy_pass http://rgw;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # SigV4 signs the Host header: pass the client's own, port included.
      proxy_set_header Host \$http_host;
      proxy_request_buffering off;
      # limit_rate is not applied to unbuffered proxied responses (proxy_buffering off): keep
      # buffering on, but never spool to a temp file, so RGW is read at the client's pace.
      proxy_buffering on;
      proxy_max_temp_file_size 0;
      proxy_read_timeout 600s;
      proxy_send_timeout 600s;
    }
  }
}
EOF
}

start_nginx() { # rate rgw_port
  local rate=$1 rgw_port=$2 port
  ensure_packages nginx
  if alive nginx "nginx: master"; then
    if [ "$(cat "$RIG/nginx/rate" 2>/dev/null)" = "$rate" ]; then return 0; fi
    stop_one nginx "nginx: master"
  fi
  port=$(pick_port "${MLINFN_RGW_LIMITED_PORT:-$((rgw_port + 2))}")
  write_nginx_conf "$port" "$rgw_port" "$rate"
  echo "$rate" >"$RIG/nginx/rate"
  nginx -q -t -c "$RIG/nginx/nginx.conf" -p "$RIG/nginx" -g 'daemon on;' 2>"$LOGS/nginx-start.log" \
    || { cat "$LOGS/nginx-start.log" >&2; die "nginx config test failed"; }
  nginx -c "$RIG/nginx/nginx.conf" -p "$RIG/nginx" -g 'daemon on;' 2>>"$LOGS/nginx-start.log" 9>&- \
    || { cat "$LOGS/nginx-start.log" >&2; die "nginx failed to start"; }
  WAIT_LOGS="$LOGS/nginx-error.log $LOGS/nginx-start.log" \
    wait_for "nginx on 127.0.0.1:$port" 15 http_up "http://127.0.0.1:$port/" || die "nginx not up"
  sed -i '/^S3_ENDPOINT_RATE_LIMITED=/d;/^S3_RATE_LIMIT=/d' "$PORTS"
  { echo "S3_ENDPOINT_RATE_LIMITED=http://127.0.0.1:$port"; echo "S3_RATE_LIMIT=$rate"; } >>"$PORTS"
  log "nginx: http://127.0.0.1:$port -> RGW, limit_rate $rate per connection"
}

cmd_start() {
  local rate="" want_port=${MLINFN_RGW_PORT:-7480}
  while [ $# -gt 0 ]; do
    case $1 in
      --rate-limit) rate=${2:?--rate-limit needs a value such as 10m}; shift 2 ;;
      --rate-limit=*) rate=${1#*=}; shift ;;
      --port) want_port=${2:?}; shift 2 ;;
      --port=*) want_port=${1#*=}; shift ;;
      *) die "unknown option $1" ;;
    esac
  done
  local t0=$SECONDS
  ensure_packages "${PACKAGES[@]}"
  mkdir -p "$RIG"
  # shellcheck disable=SC1090
  if all_alive && [ -s "$PORTS" ] && . "$PORTS" && http_up "$S3_ENDPOINT"; then
    log "already running: $S3_ENDPOINT"
    [ -n "$rate" ] && start_nginx "$rate" "${S3_ENDPOINT##*:}"
    return 0
  fi
  cmd_stop >/dev/null 2>&1 || true
  # A start that fails half-way stops what it started (the logs stay for a look).
  trap 'rc=$?; if [ $rc -ne 0 ]; then cmd_stop >/dev/null 2>&1; log "start failed; logs in $LOGS"; fi' EXIT
  rm -rf "$RIG/mon" "$RIG/osd" "$RUN" "$LOGS" "$RIG/crash" "$RIG/nginx" "$RIG/monmap" "$RIG/mon.keyring"
  mkdir -p "$RIG/mon" "$RIG/osd/ceph-0" "$RUN" "$LOGS" "$RIG/crash"
  write_keys
  # shellcheck disable=SC1090
  . "$KEYS"

  local mon_port rgw_port oidc_port fsid osd_uuid
  rgw_port=$(pick_port "$want_port")
  [ "$rgw_port" = "$want_port" ] || log "port $want_port is taken: RGW gets $rgw_port"
  oidc_port=$(pick_port "${MLINFN_OIDC_PORT:-$((rgw_port + 1))}")
  mon_port=$(pick_port "${MLINFN_MON_PORT:-}")
  fsid=$(uuidgen)
  write_conf "$fsid" "$mon_port" "$rgw_port" "$RGW_STS_KEY"

  # mon
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" \
    "$RIG/monmap" >/dev/null
  ceph-authtool --create-keyring "$RIG/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-mon --mkfs -i a --monmap "$RIG/monmap" --keyring "$RIG/mon.keyring" \
    >"$LOGS/mon-mkfs.log" 2>&1 || { cat "$LOGS/mon-mkfs.log" >&2; die "ceph-mon --mkfs failed"; }
  ceph-mon -i a >"$LOGS/mon-start.log" 2>&1 9>&- \
    || { tail_logs "$LOGS/mon-start.log" "$LOGS/mon.a.log"; die "ceph-mon failed to start"; }
  WAIT_LOGS="$LOGS/mon.a.log" wait_for "ceph-mon" "$TIMEOUT" ceph_cmd mon stat || die "mon not up"
  log "mon up on 127.0.0.1:$mon_port ($((SECONDS - t0)) s)"

  # osd (memstore)
  osd_uuid=$(uuidgen)
  [ "$(ceph_cmd osd new "$osd_uuid")" = 0 ] || die "ceph osd new did not give id 0"
  ceph-osd -i 0 --mkfs --osd-uuid "$osd_uuid" >"$LOGS/osd-mkfs.log" 2>&1 \
    || { tail_logs "$LOGS/osd-mkfs.log" "$LOGS/osd.0.log"; die "ceph-osd --mkfs failed"; }
  ceph-osd -i 0 >"$LOGS/osd-start.log" 2>&1 9>&- \
    || { tail_logs "$LOGS/osd-start.log" "$LOGS/osd.0.log"; die "ceph-osd failed to start"; }
  WAIT_LOGS="$LOGS/osd.0.log" wait_for "ceph-osd up" "$TIMEOUT" osd_up || die "osd not up"
  log "memstore osd up ($((SECONDS - t0)) s)"

  # OIDC issuer (kept key; issuer URL depends on the port)
  "$PY" "$ISSUER_PY" init --dir "$OIDC_DIR" --issuer "http://127.0.0.1:$oidc_port"
  nohup "$PY" "$ISSUER_PY" serve --dir "$OIDC_DIR" --port "$oidc_port" --pid-file "$RUN/oidc.pid" \
    >>"$LOGS/oidc.log" 2>&1 </dev/null 9>&- &
  echo $! >"$RUN/oidc.pid"

  # radosgw
  timeout "$TIMEOUT" radosgw -n client.rgw.rig >"$LOGS/rgw-start.log" 2>&1 9>&- \
    || { tail_logs "$LOGS/rgw-start.log" "$LOGS/client.rgw.rig.log"; die "radosgw failed to start"; }
  WAIT_LOGS="$LOGS/client.rgw.rig.log $LOGS/osd.0.log" \
    wait_for "radosgw on 127.0.0.1:$rgw_port" "$TIMEOUT" http_up "http://127.0.0.1:$rgw_port/" \
    || die "radosgw not up"
  log "radosgw answers on 127.0.0.1:$rgw_port ($((SECONDS - t0)) s)"
  WAIT_LOGS="$LOGS/oidc.log" wait_for "OIDC issuer" 15 http_up "http://127.0.0.1:$oidc_port/healthz" \
    || die "OIDC issuer not up"

  # S3 admin user, role, OIDC provider
  radosgw-admin user create --uid="$ADMIN_UID" --display-name="mlinfn-lab test admin" \
    --access-key="$S3_ACCESS_KEY_ID" --secret-key="$S3_SECRET_ACCESS_KEY" \
    --caps="roles=*;oidc-provider=*;users=*;buckets=*;metadata=*;usage=*" \
    >"$LOGS/admin-user.log" 2>&1 || { tail_logs "$LOGS/admin-user.log"; die "user create failed"; }
  local provider="127.0.0.1:$oidc_port" trust perms
  trust=$(printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",%s,%s,%s}]}' \
    "\"Principal\":{\"Federated\":[\"arn:aws:iam:::oidc-provider/$provider\"]}" \
    '"Action":["sts:AssumeRoleWithWebIdentity"]' \
    "\"Condition\":{\"StringEquals\":{\"$provider:app_id\":\"$CLIENT_ID\"}}")
  perms='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],'
  perms+='"Resource":["arn:aws:s3:::*"]}]}'
  radosgw-admin role create --role-name="$ROLE_NAME" --path=/ --assume-role-policy-doc="$trust" \
    >"$LOGS/role.log" 2>&1 || { tail_logs "$LOGS/role.log"; die "role create failed"; }
  radosgw-admin role-policy put --role-name="$ROLE_NAME" --policy-name=s3-all \
    --policy-doc="$perms" >>"$LOGS/role.log" 2>&1 \
    || { tail_logs "$LOGS/role.log"; die "role-policy put failed"; }
  AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$S3_SECRET_ACCESS_KEY \
    "$PY" "$ISSUER_PY" register --dir "$OIDC_DIR" --endpoint "http://127.0.0.1:$rgw_port" \
    --client-id "$CLIENT_ID" >"$LOGS/oidc-provider.log" 2>&1 \
    || { tail_logs "$LOGS/oidc-provider.log" "$LOGS/client.rgw.rig.log"
         die "OIDC provider registration failed"; }

  cat >"$PORTS" <<EOF
S3_ENDPOINT=http://127.0.0.1:$rgw_port
S3_REGION=$REGION
OIDC_ISSUER=http://127.0.0.1:$oidc_port
OIDC_CLIENT_ID=$CLIENT_ID
S3_ROLE_ARN=arn:aws:iam:::role/$ROLE_NAME
MON_PORT=$mon_port
EOF
  [ -n "$rate" ] && start_nginx "$rate" "$rgw_port"
  trap - EXIT
  log "ready in $((SECONDS - t0)) s: S3 http://127.0.0.1:$rgw_port," \
    "OIDC issuer http://127.0.0.1:$oidc_port (keys: $KEYS)"
}

cmd_env() {
  [ -s "$PORTS" ] && [ -s "$KEYS" ] || die "rig not started (no $PORTS); run: $0 start"
  # shellcheck disable=SC1090
  . "$KEYS"; . "$PORTS"
  local q; q() { printf '%q' "$1"; }
  echo "export S3_ENDPOINT=$(q "$S3_ENDPOINT")"
  echo "export S3_ACCESS_KEY_ID=$(q "$S3_ACCESS_KEY_ID")"
  echo "export S3_SECRET_ACCESS_KEY=$(q "$S3_SECRET_ACCESS_KEY")"
  echo "export S3_REGION=$(q "$S3_REGION")"
  echo "export OIDC_ISSUER=$(q "$OIDC_ISSUER")"
  echo "export OIDC_CLIENT_ID=$(q "$OIDC_CLIENT_ID")"
  echo "export OIDC_RIG_DIR=$(q "$OIDC_DIR")"
  echo "export S3_ROLE_ARN=$(q "$S3_ROLE_ARN")"
  if [ -n "${S3_ENDPOINT_RATE_LIMITED:-}" ] && alive nginx "nginx: master"; then
    echo "export S3_ENDPOINT_RATE_LIMITED=$(q "$S3_ENDPOINT_RATE_LIMITED")"
    echo "export S3_RATE_LIMIT=$(q "$S3_RATE_LIMIT")"
  fi
}

cmd_status() {
  local n
  for n in "${DAEMONS[@]}"; do
    if alive "${n%%:*}" "${n#*:}"; then echo "${n%%:*}: running (pid $(pid_of "${n%%:*}"))"
    else echo "${n%%:*}: stopped"; fi
  done
  all_alive
}

lock() { # one start/stop at a time per rig directory
  mkdir -p "$RIG"
  exec 9>"$RIG/.lock"  # daemons are started with 9>&-, or they would hold the lock
  flock -w 300 9 || die "another start/stop holds $RIG/.lock"
}

case ${1:-} in
  start) lock; shift; cmd_start "$@" ;;
  stop) lock; cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
  install) ensure_packages "${PACKAGES[@]}" nginx ;;
  *) echo "usage: $0 start [--rate-limit RATE] [--port N] | stop | env | status | install" >&2; exit 2 ;;
esac
