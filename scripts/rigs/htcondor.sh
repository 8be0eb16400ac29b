#!/usr/bin/env bash
# A real HTCondor personal pool for tests, reached from this (Debian 12) host the way a
# JupyterLab VM reaches a remote pool: over the network, with IDTOKENS and spooling.
#
# Debian 12 has no HTCondor package, so the pool runs in a Debian 13 (trixie) root made with
# `debootstrap --variant=minbase`, with Debian's `minicondor` (HTCondor 23.9) and python3 (for
# the burst runner) installed inside it. The root is built once and cached; condor_master runs
# chrooted into it and listens on 127.0.0.1 only. The host side needs nothing but PyPI's
# `htcondor` wheel (the htcondor2 bindings) and the client config and token this script writes.
# See scripts/rigs/README-batch.md.
#
#   scripts/rigs/htcondor.sh start    # build the root if needed, start the pool, wait for it
#   scripts/rigs/htcondor.sh stop     # stop every daemon and job, unmount /proc, /dev, ...
#   scripts/rigs/htcondor.sh start --lease PID / stop --lease PID
#                                     # shared use (test sessions): `stop --lease` stops the pool
#                                     # only when no other lease is left; a plain `start` holds a
#                                     # lease that only a plain `stop` ends; dead PIDs don't count
#   scripts/rigs/htcondor.sh env      # export lines for tests and the bridge
#   scripts/rigs/htcondor.sh status   # exit 0 when the collector, schedd and startd are up
#   scripts/rigs/htcondor.sh build    # only build the cached root (no daemons)
#   scripts/rigs/htcondor.sh clean    # stop, then delete the root and the client files
#
# Environment:
#   MLINFN_CONDOR_RIG_DIR   the rig's directory (default ${MLINFN_RIG_DIR:-<repo>/.cache/rigs}/htcondor)
#   MLINFN_CONDOR_PORT      the pool's port on 127.0.0.1 (default 9618; shared port + collector)
#   MLINFN_CONDOR_SUITE     Debian suite of the root (default trixie; sid gives HTCondor 25.x)
#   MLINFN_CONDOR_USER      the submitting identity and the job owner in the pool (default mlinfn)
#   MLINFN_CONDOR_TIMEOUT   seconds to wait for the daemons (default 120)
#   MLINFN_DEBIAN_MIRROR    Debian mirror for debootstrap (default: the host's apt sources)
#   MLINFN_HTCONDOR_PIP     pip requirement for the host bindings (default htcondor==25.14.1)
#   MLINFN_VENV             the host venv that gets the bindings (default <repo>/.venv)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RIG=${MLINFN_CONDOR_RIG_DIR:-${MLINFN_RIG_DIR:-$REPO/.cache/rigs}/htcondor}
PORT_FILE=${MLINFN_CONDOR_RIG_DIR:-${MLINFN_RIG_DIR:-$REPO/.cache/rigs}/htcondor}/port
# The port of the pool that runs (or ran last), unless one is asked for.
PORT=${MLINFN_CONDOR_PORT:-$(cat "$PORT_FILE" 2>/dev/null || echo 9618)}
SUITE=${MLINFN_CONDOR_SUITE:-trixie}
CUSER=${MLINFN_CONDOR_USER:-mlinfn}
TIMEOUT=${MLINFN_CONDOR_TIMEOUT:-120}
VENV=${MLINFN_VENV:-$REPO/.venv}
PIP_REQ=${MLINFN_HTCONDOR_PIP:-htcondor==25.14.1}
DOMAIN=mlinfn.rig                  # UID_DOMAIN and TRUST_DOMAIN (token issuer) of the pool
CHROOT=$RIG/root-$SUITE            # the cached Debian root
CLIENT=$RIG/client                 # host side: condor_config, tokens.d/<user> (0600)
TOKEN_DIR=$CLIENT/tokens.d
TOKEN_FILE=$TOKEN_DIR/$CUSER
CLIENT_CONFIG=$CLIENT/condor_config
STATE=$RIG/state.env               # what `env` prints, written by a successful start
LEASES=$RIG/leases                 # who uses the running pool: files named by PID, or "manual"
CHROOT_PATH=/usr/sbin:/usr/bin:/sbin:/bin
# python3 and what the burst runner needs on the execute side: a kernel (ipykernel,
# jupyter_client via nbclient) and matplotlib for the plots the tests draw.
CHROOT_PKGS="minicondor python3 python3-ipykernel python3-nbclient python3-matplotlib"

log() { printf '[htcondor-rig] %s\n' "$*" >&2; }
die() { printf '[htcondor-rig] ERROR: %s\n' "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mounts)"; }

# A command inside the root, with a clean environment (no host CONDOR_CONFIG leaking in).
in_root() {
  chroot "$CHROOT" /usr/bin/env -i PATH=$CHROOT_PATH HOME=/root LANG=C.UTF-8 "$@"
}

# ---------------------------------------------------------------------------------------------
# Processes and mounts of the root. A process belongs to the rig when /proc/PID/root is the
# root: that catches condor_master, its daemons and every job, and nothing else.
root_pids() {
  local real p
  real=$(readlink -f "$CHROOT" 2>/dev/null) || return 0
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/root" 2>/dev/null)" in
      "$real" | "$real (deleted)") echo "${p#/proc/}" ;;
    esac
  done
  return 0
}

master_pid() {
  local p
  for p in $(root_pids); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = condor_master ] && { echo "$p"; return 0; }
  done
  return 0
}

root_mounts() { # mount points under the root, deepest first
  local real
  real=$(readlink -f "$CHROOT" 2>/dev/null) || return 0
  awk -v r="$real/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r
}

# /proc, and a private /dev: a tmpfs with the few device nodes jobs use, a new devpts instance
# and a tmpfs /dev/shm. The host's /dev is never bind-mounted, so an `rm -rf` of the rig
# directory cannot reach the host's device nodes even if it runs while the rig is up.
mount_all() {
  local d=$CHROOT/dev
  mountpoint -q "$CHROOT/proc" || mount -t proc proc "$CHROOT/proc"
  if ! mountpoint -q "$d"; then
    mount -t tmpfs -o mode=0755,nosuid,size=1m rigdev "$d"
    local spec name
    for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
      IFS=: read -r name maj min <<<"$spec"
      if ! mknod -m 0666 "$d/$name" c "$maj" "$min" 2>/dev/null; then
        : >"$d/$name"; mount --bind "/dev/$name" "$d/$name"   # no CAP_MKNOD: bind the one node
      fi
    done
    ln -s /proc/self/fd "$d/fd"
    ln -s /proc/self/fd/0 "$d/stdin"; ln -s /proc/self/fd/1 "$d/stdout"; ln -s /proc/self/fd/2 "$d/stderr"
    mkdir -p "$d/pts" "$d/shm"
  fi
  if ! mountpoint -q "$d/pts"; then
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$d/pts"
    ln -sf pts/ptmx "$d/ptmx"
  fi
  mountpoint -q "$d/shm" || mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m rigshm "$d/shm"
}

umount_all() {
  local m
  for m in $(root_mounts); do
    umount "$m" 2>/dev/null || umount -l "$m" || log "could not unmount $m"
  done
}

# ---------------------------------------------------------------------------------------------
host_mirror() { # the Debian mirror the host's apt uses (not the security one)
  if [ -n "${MLINFN_DEBIAN_MIRROR:-}" ]; then echo "$MLINFN_DEBIAN_MIRROR"; return; fi
  local m
  m=$( { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
           | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/) { print $i; break } }'
         cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
           | awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }'
       } | grep -v -e security -e '^$' | grep -E '/debian/?$' | head -n 1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && [ -e "/usr/share/debootstrap/scripts/$SUITE" ] && return 0
  log "installing debootstrap (apt)"
  apt-get update -qq >/dev/null 2>&1 || log "apt-get update failed; trying the install anyway"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
    || die "apt-get install debootstrap failed"
  [ -e "/usr/share/debootstrap/scripts/$SUITE" ] || die "this debootstrap does not know '$SUITE'"
}

# The root is built in a temporary directory and renamed when complete, so an interrupted build
# is never mistaken for a cached one.
build_root() {
  if [ -f "$CHROOT/.mlinfn-rig-built" ]; then
    ensure_root_pkgs
    return 0
  fi
  need_root
  ensure_debootstrap
  local tmp=$CHROOT.partial mirror version t0=$SECONDS d
  mirror=$(host_mirror)
  # Leftovers: an interrupted build, or a root whose files were deleted under its mounts.
  for d in "$tmp" "$CHROOT"; do
    [ -e "$d" ] || continue
    [ "$d" = "$CHROOT" ] && { log "the root at $CHROOT is incomplete: rebuilding it"; stop_pool; }
    awk -v r="$(readlink -f "$d")/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts \
      | sort -r | xargs -r -n1 umount -l
    rm -rf --one-file-system "$d"
  done
  mkdir -p "$RIG"
  log "debootstrap --variant=minbase $SUITE from $mirror (once; about a minute)"
  debootstrap --variant=minbase "$SUITE" "$tmp" "$mirror" >"$RIG/debootstrap.log" 2>&1 \
    || { tail -n 20 "$RIG/debootstrap.log" >&2; die "debootstrap failed (log: $RIG/debootstrap.log)"; }
  # Packages must not try to start services in the root.
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"; chmod 0755 "$tmp/usr/sbin/policy-rc.d"
  log "installing $CHROOT_PKGS inside the root"
  # Check-Valid-Until=false: the mirror reachable here can be a frozen snapshot, whose sid
  # Release file is past its Valid-Until date (trixie's has none).
  mount -t proc proc "$tmp/proc"
  # shellcheck disable=SC2086
  if ! chroot "$tmp" /usr/bin/env -i PATH=$CHROOT_PATH HOME=/root DEBIAN_FRONTEND=noninteractive \
      sh -c "apt-get -o Acquire::Check-Valid-Until=false update -qq && apt-get install -y -qq --no-install-recommends $CHROOT_PKGS && apt-get clean" \
      >"$RIG/apt-in-root.log" 2>&1; then
    umount "$tmp/proc"; tail -n 20 "$RIG/apt-in-root.log" >&2
    die "installing $CHROOT_PKGS in the root failed (log: $RIG/apt-in-root.log)"
  fi
  chroot "$tmp" /usr/sbin/useradd -m -s /bin/sh "$CUSER" 2>/dev/null || true
  umount "$tmp/proc"
  echo "$CHROOT_PKGS" >"$tmp/.mlinfn-rig-pkgs"
  version=$(chroot "$tmp" /usr/bin/condor_version 2>/dev/null | head -n 1)
  echo "$version" >"$tmp/.mlinfn-rig-built"
  mv -T "$tmp" "$CHROOT"
  log "root ready in $((SECONDS - t0)) s: $version"
}

# A cached root built with fewer packages than CHROOT_PKGS gets the missing ones installed in
# place (a few seconds to a minute), rather than a whole new root; `.mlinfn-rig-pkgs` remembers
# the list. Running daemons are not disturbed: apt only adds files.
ensure_root_pkgs() {
  [ "$(cat "$CHROOT/.mlinfn-rig-pkgs" 2>/dev/null)" = "$CHROOT_PKGS" ] && return 0
  need_root
  local mounted=0
  log "installing $CHROOT_PKGS inside the cached root"
  if ! awk -v r="$(readlink -f "$CHROOT")/proc" '$2 == r { found = 1 } END { exit !found }' /proc/self/mounts; then
    mount -t proc proc "$CHROOT/proc"; mounted=1
  fi
  # shellcheck disable=SC2086
  if ! chroot "$CHROOT" /usr/bin/env -i PATH=$CHROOT_PATH HOME=/root DEBIAN_FRONTEND=noninteractive \
      sh -c "apt-get -o Acquire::Check-Valid-Until=false update -qq && apt-get install -y -qq --no-install-recommends $CHROOT_PKGS && apt-get clean" \
      >"$RIG/apt-in-root.log" 2>&1; then
    [ "$mounted" = 1 ] && umount "$CHROOT/proc"
    tail -n 20 "$RIG/apt-in-root.log" >&2
    die "installing $CHROOT_PKGS in the root failed (log: $RIG/apt-in-root.log)"
  fi
  [ "$mounted" = 1 ] && umount "$CHROOT/proc"
  echo "$CHROOT_PKGS" >"$CHROOT/.mlinfn-rig-pkgs"
}

# ---------------------------------------------------------------------------------------------
write_pool_config() {
  local host; host=$(hostname)
  # The daemons resolve the machine's own name: it must resolve inside the root.
  printf '127.0.0.1\t%s localhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$host" \
    >"$CHROOT/etc/hosts"
  in_root id -u "$CUSER" >/dev/null 2>&1 || in_root useradd -m -s /bin/sh "$CUSER"
  cat >"$CHROOT/etc/condor/config.d/99-mlinfn-rig.conf" <<EOF
# Written by scripts/rigs/htcondor.sh on every start; edits are lost.
# On top of Debian's 00-minicondor (central manager + submit + execute on 127.0.0.1).
CONDOR_HOST = 127.0.0.1
COLLECTOR_HOST = 127.0.0.1:$PORT
SHARED_PORT_PORT = $PORT
NETWORK_INTERFACE = 127.0.0.1
BIND_ALL_INTERFACES = False
# IPv4 loopback only. With IPv6 left on (auto), the daemons also advertise the machine's
# global IPv6 address (e.g. fd00::2) and a remote client then reaches the schedd from that
# address, which the ALLOW lists below (127.0.0.1) rightly refuse.
ENABLE_IPV6 = False

# Owners are user@$DOMAIN; the token issuer is $DOMAIN.
UID_DOMAIN = $DOMAIN
TRUST_DOMAIN = $DOMAIN

# Without this every job is held with HoldReasonCode 6 (the starter cannot bind-mount
# /tmp and /var/tmp under the scratch directory inside the chroot).
MOUNT_UNDER_SCRATCH =

# Remote submitters authenticate with IDTOKENS signed by this pool's key (passwords.d/POOL);
# local tools inside the root use FS. READ stays open to loopback as in minicondor; WRITE
# (submit, spool, retrieve, act) needs an authenticated user of this domain from loopback.
SEC_DEFAULT_AUTHENTICATION_METHODS = FS, IDTOKENS
SEC_CLIENT_AUTHENTICATION_METHODS = FS, IDTOKENS
ALLOW_READ = */127.0.0.1
ALLOW_WRITE = *@\$(UID_DOMAIN)/127.0.0.1
ALLOW_DAEMON = condor@\$(UID_DOMAIN) condor_pool@\$(UID_DOMAIN) root@\$(UID_DOMAIN)
ALLOW_NEGOTIATOR = \$(ALLOW_DAEMON)

# Quick turnaround for tests (minicondor already sets the intervals to a few seconds).
SCHEDD_INTERVAL = 2
NEGOTIATOR_INTERVAL = 2
NEGOTIATOR_CYCLE_DELAY = 2
STARTER_UPDATE_INTERVAL = 2
EOF
}

write_client() {
  mkdir -p "$TOKEN_DIR"; chmod 0700 "$CLIENT" "$TOKEN_DIR"
  cat >"$CLIENT_CONFIG" <<EOF
# Host-side HTCondor client config for the rig pool (written by scripts/rigs/htcondor.sh).
# Use with CONDOR_CONFIG=$CLIENT_CONFIG before importing htcondor2 (or call
# htcondor2.reload_config() after setting it).
COLLECTOR_HOST = 127.0.0.1:$PORT
SEC_CLIENT_AUTHENTICATION_METHODS = IDTOKENS
SEC_TOKEN_DIRECTORY = $TOKEN_DIR
# Tools running as root read the system token directory: point it at the same place.
SEC_TOKEN_SYSTEM_DIRECTORY = $TOKEN_DIR
EOF
}

# The token for the submitting user, made inside the root with the pool's signing key (which
# the collector creates on its first start). Remade only when the key changed.
ensure_token() {
  local key=$CHROOT/etc/condor/passwords.d/POOL i sum
  for i in $(seq 1 $((TIMEOUT * 2))); do [ -s "$key" ] && break; sleep 0.5; done
  [ -s "$key" ] || fail_start "the pool signing key $key never appeared"
  sum=$(sha256sum "$key" | cut -c1-32)
  if [ -s "$TOKEN_FILE" ] && [ "$(cat "$CLIENT/.pool-key" 2>/dev/null)" = "$sum" ]; then return 0; fi
  local tmp; tmp=$(mktemp "$TOKEN_DIR/.token.XXXXXX")
  in_root condor_token_create -identity "$CUSER@$DOMAIN" -authz READ -authz WRITE >"$tmp" \
    || { rm -f "$tmp"; fail_start "condor_token_create failed"; }
  chmod 0600 "$tmp"; mv "$tmp" "$TOKEN_FILE"
  echo "$sum" >"$CLIENT/.pool-key"
  log "token for $CUSER@$DOMAIN written to $TOKEN_FILE (0600)"
}

ensure_bindings() {
  [ -x "$VENV/bin/python" ] || { log "no venv at $VENV: host bindings not installed"; return 0; }
  "$VENV/bin/python" -c 'import htcondor2' 2>/dev/null && return 0
  log "installing $PIP_REQ into $VENV"
  "$VENV/bin/pip" install -q "$PIP_REQ" || die "pip install $PIP_REQ failed"
}

log_tail() {
  local f
  for f in MasterLog CollectorLog SchedLog StartLog NegotiatorLog SharedPortLog; do
    [ -f "$CHROOT/var/log/condor/$f" ] || continue
    printf -- '--- %s (last 15 lines) ---\n' "$f" >&2
    tail -n 15 "$CHROOT/var/log/condor/$f" >&2
  done
}

fail_start() { log_tail; die "$* (the pool is left as it is; scripts/rigs/htcondor.sh stop)"; }

# Names of ads of one type in the collector, asked from inside the root.
ads() { in_root condor_status -pool "127.0.0.1:$PORT" "$1" -af Name 2>/dev/null || true; }

wait_ready() {
  local deadline=$((SECONDS + TIMEOUT)) schedd="" startd=""
  while [ $SECONDS -lt $deadline ]; do
    [ -n "$(master_pid)" ] || fail_start "condor_master exited"
    schedd=$(ads -schedd | head -n 1)
    startd=$(ads -startd | head -n 1)
    [ -n "$schedd" ] && [ -n "$startd" ] && { echo "$schedd"; return 0; }
    sleep 1
  done
  fail_start "no schedd and startd in the collector after $TIMEOUT s (schedd='$schedd' startd='$startd')"
}

print_env() {
  cat <<EOF
export CONDOR_POOL=127.0.0.1:$PORT
export CONDOR_SCHEDD_NAME=$1
export CONDOR_CONFIG=$CLIENT_CONFIG
export MLINFN_CONDOR_CONFIG=$CLIENT_CONFIG
export MLINFN_CONDOR_TOKEN_FILE=$TOKEN_FILE
export MLINFN_CONDOR_TOKEN_DIR=$TOKEN_DIR
export MLINFN_CONDOR_USER=$CUSER
export MLINFN_CONDOR_UID_DOMAIN=$DOMAIN
export MLINFN_CONDOR_ROOT=$CHROOT
EOF
}

# ---------------------------------------------------------------------------------------------
take_lock() { # serialize start/stop/build/clean of this rig (concurrent test sessions)
  mkdir -p "$RIG"
  exec 9>"$RIG/.lock"
  flock -w 900 9 || die "another htcondor.sh holds $RIG/.lock"
}

add_lease() { mkdir -p "$LEASES"; : >"$LEASES/$1"; }

live_leases() { # prunes leases of dead processes, prints the others
  local f n
  for f in "$LEASES"/*; do
    [ -e "$f" ] || continue
    n=${f##*/}
    if [ "$n" = manual ] || kill -0 "$n" 2>/dev/null; then echo "$n"; else rm -f "$f"; fi
  done
}

cmd_start() {
  need_root
  local t0=$SECONDS
  build_root
  ensure_bindings
  write_client
  if [ -n "$(master_pid)" ]; then
    local running; running=$(cat "$PORT_FILE" 2>/dev/null || echo "$PORT")
    [ "$running" = "$PORT" ] || log "the running pool listens on $running, not $PORT: keeping it"
    PORT=$running
    write_client
    log "condor_master already running (pid $(master_pid))"
  else
    echo "$PORT" >"$PORT_FILE"
    port_in_use && die "127.0.0.1:$PORT is taken by another process (set MLINFN_CONDOR_PORT)"
    mount_all
    write_pool_config
    log "starting condor_master in $CHROOT (pool 127.0.0.1:$PORT)"
    # condor_master daemonizes; setsid keeps it out of the caller's session and process group,
    # and 9>&- keeps the lock file's descriptor from living on in the daemons.
    setsid chroot "$CHROOT" /usr/bin/env -i PATH=$CHROOT_PATH HOME=/root LANG=C.UTF-8 \
      /usr/sbin/condor_master </dev/null >"$RIG/master.out" 2>&1 9>&- \
      || { cat "$RIG/master.out" >&2; fail_start "condor_master did not start"; }
  fi
  ensure_token
  local schedd; schedd=$(wait_ready)
  print_env "$schedd" >"$STATE"
  add_lease "${LEASE:-manual}"
  log "pool up in $((SECONDS - t0)) s: schedd '$schedd', $(ads -startd | wc -l) slot(s); $(cat "$CHROOT/.mlinfn-rig-built")"
}

port_in_use() {
  # Is anything outside the root listening on 127.0.0.1:$PORT / *:$PORT?
  ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q .
}

cmd_stop() {
  if [ -n "${LEASE:-}" ]; then
    rm -f "$LEASES/$LEASE"
    local others; others=$(live_leases | tr '\n' ' ')
    if [ -n "${others// /}" ]; then log "still in use (leases: $others): left running"; return 0; fi
  fi
  rm -rf "$LEASES"
  stop_pool
}

stop_pool() { # every process in the root, then its mounts
  [ -d "$CHROOT" ] || { log "no rig at $RIG"; return 0; }
  need_root
  local mp i left
  mp=$(master_pid)
  if [ -n "$mp" ]; then
    log "stopping condor_master (pid $mp)"
    kill -TERM "$mp" 2>/dev/null || true
    for i in $(seq 1 60); do [ -z "$(root_pids)" ] && break; sleep 0.5; done
  fi
  left=$(root_pids | tr '\n' ' ')
  if [ -n "${left// /}" ]; then
    log "killing what is left in the root: $left"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
    for i in $(seq 1 20); do [ -z "$(root_pids)" ] && break; sleep 0.25; done
  fi
  umount_all
  rm -f "$STATE"
  log "stopped"
}

cmd_env() {
  if [ -f "$STATE" ] && [ -n "$(master_pid)" ]; then cat "$STATE"; return 0; fi
  die "the pool is not running (scripts/rigs/htcondor.sh start)"
}

cmd_status() {
  local mp; mp=$(master_pid)
  [ -n "$mp" ] || { echo "htcondor rig: stopped ($RIG)"; return 1; }
  echo "htcondor rig: condor_master pid $mp, pool 127.0.0.1:$PORT, root $CHROOT"
  echo "version: $(cat "$CHROOT/.mlinfn-rig-built" 2>/dev/null)"
  in_root condor_status -pool "127.0.0.1:$PORT" -any -af MyType Name 2>&1 | sed 's/^/  /'
  [ -n "$(ads -schedd)" ] && [ -n "$(ads -startd)" ]
}

cmd_clean() {
  rm -rf "$LEASES"
  stop_pool
  [ -z "$(root_mounts)" ] || die "mounts remain under $CHROOT; not deleting"
  log "deleting $RIG"
  rm -rf --one-file-system "$RIG"
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
  build) need_root; take_lock; build_root ;;
  clean) take_lock; cmd_clean ;;
  *) echo "usage: $0 start|stop|env|status|build|clean [--lease PID]" >&2; exit 2 ;;
esac
