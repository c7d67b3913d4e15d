# Shared helpers for the integration tests (sourced, bash).
# BUILD_DIR points at a meson build dir with ipsecgw and ipsecctl.

BUILD_DIR=${BUILD_DIR:-build}
IPSECGW=${IPSECGW:-$BUILD_DIR/ipsecgw}
IPSECCTL=${IPSECCTL:-$BUILD_DIR/ipsecctl}
T_PASS=0
T_FAIL=0

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "FAIL: $0 needs root (DPDK, network namespaces)" >&2
    exit 1
  fi
}

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || { echo "FAIL: $0 needs '$c' (run scripts/install-deps.sh)" >&2; exit 1; }
  done
}

pass() { T_PASS=$((T_PASS + 1)); echo "ok   - $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL - $*"; }

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# expect_contains DESCRIPTION HAYSTACK NEEDLE
expect_contains() {
  if printf '%s' "$2" | grep -qF -- "$3"; then pass "$1"; else fail "$1: no \"$3\" in:"; printf '%s\n' "$2" | sed 's/^/      /'; fi
}
expect_not_contains() {
  if printf '%s' "$2" | grep -qF -- "$3"; then fail "$1: unexpected \"$3\" in:"; printf '%s\n' "$2" | sed 's/^/      /'; else pass "$1"; fi
}

# start_gw CONFIG SOCKET PREFIX LOG [LCORES] [extra EAL args...]: starts the daemon in
# the background and waits until its socket answers. Sets GW_PID.
start_gw() {
  local conf=$1 sock=$2 prefix=$3 log=$4 lcores=${5:-0-1}
  shift 5 2>/dev/null || shift $#
  ${GW_WRAP:-} "$IPSECGW" --no-huge --no-pci -m 256 -l "$lcores" --file-prefix "$prefix" \
    --log-level=lib.eal:error "$@" -- -c "$conf" -s "$sock" >"$log" 2>&1 &
  GW_PID=$!
  local i
  for i in $(seq 1 100); do
    if [ -S "$sock" ] && "$IPSECCTL" -s "$sock" counters print >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$GW_PID" 2>/dev/null; then
      echo "ipsecgw exited during start; its log:"; sed 's/^/      /' "$log"
      return 1
    fi
    sleep 0.1
  done
  echo "ipsecgw did not answer on $sock within 10 s; its log:"; sed 's/^/      /' "$log"
  return 1
}

# stop_gw: SIGTERM and wait; returns the daemon's exit status.
stop_gw() {
  [ -n "${GW_PID:-}" ] || return 0
  kill -TERM "$GW_PID" 2>/dev/null
  local rc=0
  wait "$GW_PID" || rc=$?
  GW_PID=
  return $rc
}

finish() {
  echo "$T_PASS passed, $T_FAIL failed"
  [ "$T_FAIL" -eq 0 ]
}
