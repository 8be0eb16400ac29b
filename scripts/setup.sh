#!/usr/bin/env bash
# Installs what mlinfn-lab needs and builds the suite into ./.venv, from the wheel.
# Idempotent and quick when nothing changed: each step is skipped when its inputs are unchanged.
#   scripts/setup.sh          the suite (Python venv, npm packages, build, wheel installed)
#   scripts/setup.sh --test   also what the tests need (Debian's chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=$ROOT/.venv
STAMPS=$ROOT/.cache/stamps
mkdir -p "$STAMPS"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
fail() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# A step runs again only when the hash of its inputs changed.
changed() { # name inputs...
  local name=$1; shift
  local sum; sum=$(cat "$@" 2>/dev/null | sha256sum | cut -c1-16)
  [ "$(cat "$STAMPS/$name" 2>/dev/null)" != "$sum" ] && echo "$sum"
}
stamp() { echo "$2" > "$STAMPS/$1"; }

command -v node >/dev/null || fail "Node.js 20 or newer is needed (apt-get install nodejs npm)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || fail "Node.js 20 or newer is needed, found $(node --version)"
PY=${PYTHON:-python3}
command -v "$PY" >/dev/null || fail "Python 3.9 or newer is needed"

if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  [ "$(id -u)" = 0 ] || fail "the UI tests need Debian's chromium: run 'sudo apt-get install chromium'"
  say "installing Debian's chromium for the UI tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  # The real S3 server the data tests run against (Ceph RGW from Debian's packages).
  say "installing the Ceph RGW test rig's packages"
  scripts/rigs/ceph-rgw.sh install
  # data: a FUSE mount the mount-health tests can hang (rclone, fuse3) and getfattr (attr).
  if ! command -v rclone >/dev/null || ! command -v fusermount3 >/dev/null || ! command -v getfattr >/dev/null; then
    [ "$(id -u)" = 0 ] || fail "the data tests need rclone, fuse3 and attr: run 'sudo apt-get install rclone fuse3 attr'"
    say "installing rclone, fuse3 and attr for the data tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rclone fuse3 attr >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rclone fuse3 attr >/dev/null; }
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PY" -m venv "$VENV"
fi
if sum=$(changed venv requirements-test.txt); then
  say "installing Python packages (requirements-test.txt)"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -r requirements-test.txt
  stamp venv "$sum"
fi

if [ ! -d node_modules ] || sum=$(changed npm package-lock.json); then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  sum=$(changed npm package-lock.json || true)
  [ -n "$sum" ] && stamp npm "$sum"
fi

say "building the extensions and the bridge"
npm run --silent build:prod

say "building the wheel and installing it"
rm -rf dist
"$VENV/bin/python" -m build --wheel --no-isolation --outdir dist . >/dev/null
"$VENV/bin/pip" install -q --force-reinstall --no-deps dist/mlinfn_lab-*.whl
say "ready: $("$VENV/bin/jupyter" labextension list 2>&1 | grep -c '@mlinfn/.*enabled.*OK') mlinfn labextension(s) enabled"
