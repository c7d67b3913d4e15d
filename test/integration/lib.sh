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
# T_ON_FAIL: a command run after each failure (the namespace tests print the
# gateways' counters and logs with it).
fail() {
  T_FAIL=$((T_FAIL + 1)); echo "FAIL - $*"
  if [ -n "${T_ON_FAIL:-}" ]; then $T_ON_FAIL; fi
  return 0
}

# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() {
  local what=$1; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

# expect_contains DESCRIPTION HAYSTACK NEEDLE
expect_contains() {
  # a here-string, not a pipe: with pipefail, grep -q leaving early would
  # make printf's SIGPIPE fail the check
  if grep -qF -- "$3" <<<"$2"; then pass "$1"; else fail "$1: no \"$3\" in:"; printf '%s\n' "$2" | sed 's/^/      /'; fi
}
expect_not_contains() {
  if grep -qF -- "$3" <<<"$2"; then fail "$1: unexpected \"$3\" in:"; printf '%s\n' "$2" | sed 's/^/      /'; else pass "$1"; fi
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

# ---------------------------------------------------------------------------
# Namespace tests: gateways in network namespaces (scripts/topology.sh), hosts
# that ping and send TCP through them, captures of the wire.
#
# Typical use (see test_tunnel.sh):
#   TOPO=gwt-tun; source test/integration/lib.sh; ns_test_init tunnel
#   topo_up; gw_start a "$NS_GA" conf-a.yaml; gw_start b "$NS_GB" conf-b.yaml
#   ... checks ...; finish
# ns_test_init installs the EXIT/INT/TERM trap that stops the daemons and the
# captures, removes the namespaces and the work directory.

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LIB_DIR/../.." && pwd)
# Debian's interpreter: python3-scapy and python3-cryptography live there, the
# first python3 on PATH may be another one (FACTS.md).
PY3=${PY3:-/usr/bin/python3}
GW_MEM=${GW_MEM:-512}
declare -A GW_NS=() GW_SOCK=() GW_LOG=() GW_PIDS=() GW_CONF=() CAP_PID=() CAP_FILE=()
GW_LOGS_ALL=()
T_DEBUG_DONE=
T_WORK=

need_scapy() {
  if ! "$PY3" -c 'import scapy.all, scapy.layers.ipsec, cryptography' 2>/dev/null; then
    echo "FAIL: $0 needs $PY3 with python3-scapy and python3-cryptography (scripts/install-deps.sh)" >&2
    exit 1
  fi
}

# ns_test_init NAME: root check, tools, work dir, cleanup trap, failure hook.
ns_test_init() {
  need_root
  need_cmd ip ethtool ping tcpdump timeout "$PY3"
  [ -x "$IPSECGW" ] || { echo "FAIL: $IPSECGW not built (meson compile -C $BUILD_DIR)" >&2; exit 1; }
  [ -x "$IPSECCTL" ] || { echo "FAIL: $IPSECCTL not built" >&2; exit 1; }
  source "$REPO_DIR/scripts/topology.sh"
  T_WORK=$(mktemp -d "/tmp/ipsecgw-$1.XXXXXX")
  T_ON_FAIL=gw_debug_once
  trap 'ns_test_cleanup' EXIT
  trap 'echo "interrupted"; exit 130' INT TERM
}

ns_test_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  cap_stop_all
  gw_stop_all
  topo_down
  if [ "$T_FAIL" -gt 0 ] && [ ${#GW_LOGS_ALL[@]} -gt 0 ]; then
    local l
    for l in "${GW_LOGS_ALL[@]}"; do
      [ -s "$l" ] || continue
      echo "---- daemon log $(basename "$l") ----"
      tail -n 60 "$l" | sed 's/^/      /'
    done
  fi
  if [ -n "${KEEP_WORK:-}" ]; then echo "work directory kept: $T_WORK"; else rm -rf "$T_WORK"; fi
  exit $rc
}

# gw_start NAME NS CONF [extra daemon args...]: ipsecgw inside NS on lcores
# 0-1, its own --file-prefix, socket and log; waits (10 s at most) until the
# management socket answers. GW_LCORES replaces the EAL core options "-l 0-1"
# (word-split), e.g. two workers that share the machine's 2 CPUs:
#   GW_LCORES="--lcores 0@0,1@1,2@0" gw_start a "$NS_GA" conf.yaml
gw_start() {
  local n=$1 ns=$2 conf=$3; shift 3
  local sock=$T_WORK/gw-$n.sock
  local log=$T_WORK/gw-$n.$(date +%s%N).log
  GW_NS[$n]=$ns GW_SOCK[$n]=$sock GW_LOG[$n]=$log GW_CONF[$n]=$conf
  GW_LOGS_ALL+=("$log")
  T_DEBUG_DONE=
  # shellcheck disable=SC2086 # GW_LCORES is several words on purpose
  ip netns exec "$ns" ${GW_WRAP:-} "$IPSECGW" --no-huge --no-pci -m "$GW_MEM" ${GW_LCORES:--l 0-1} \
    --file-prefix "${TOPO}-$n" --log-level=lib.eal:error -- -c "$conf" -s "$sock" "$@" \
    >"$log" 2>&1 &
  GW_PIDS[$n]=$!
  local i
  for i in $(seq 1 100); do
    if [ -S "$sock" ] && "$IPSECCTL" -s "$sock" counters print >/dev/null 2>&1; then
      return 0
    fi
    if ! pid_alive "${GW_PIDS[$n]}"; then
      echo "gateway $n (ipsecgw) exited during start; its log:"; sed 's/^/      /' "$log"
      GW_PIDS[$n]=
      return 1
    fi
    sleep 0.1
  done
  echo "gateway $n did not answer on $sock within 10 s; its log:"; sed 's/^/      /' "$log"
  return 1
}

# gw_stop NAME: SIGTERM, 10 s to exit, then SIGKILL. Returns the exit status.
gw_stop() {
  local n=$1 pid=${GW_PIDS[$1]:-} i rc=0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 100); do
    pid_alive "$pid" || break
    sleep 0.1
  done
  if pid_alive "$pid"; then
    echo "gateway $n did not stop within 10 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || rc=$?
  GW_PIDS[$n]=
  return $rc
}

gw_stop_all() {
  local n
  for n in "${!GW_PIDS[@]}"; do gw_stop "$n" >/dev/null 2>&1; done
  return 0
}

# pid_alive PID: running, and not a zombie waiting for us to collect it.
pid_alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "${st:0:1}" != Z ]
}

gw_running() { [ -n "${GW_PIDS[$1]:-}" ] && pid_alive "${GW_PIDS[$1]}"; }

# gw_abort_if_dead: a gateway that died under a test (a crash, or Ctrl-C,
# which reaches the daemons too) ends the test here, with its exit status,
# instead of a cascade of failures. Called on every failure.
gw_abort_if_dead() {
  local n pid rc
  for n in "${!GW_PIDS[@]}"; do
    pid=${GW_PIDS[$n]}
    [ -n "$pid" ] || continue
    pid_alive "$pid" && continue
    rc=0; wait "$pid" 2>/dev/null || rc=$?
    GW_PIDS[$n]=
    [ $rc -gt 128 ] && rc="$rc (signal $((rc - 128)))"
    echo "gateway $n is not running any more (exit status $rc): stopping the test"
    T_FAIL=$((T_FAIL + 1))
    finish
    exit 1
  done
}

# gw_ctl NAME ARGS...: ipsecctl against gateway NAME.
gw_ctl() { local n=$1; shift; "$IPSECCTL" -s "${GW_SOCK[$n]}" "$@"; }

# gw_debug: what a failed check needs to be understood, for every running gateway.
gw_debug() {
  local n
  for n in "${!GW_PIDS[@]}"; do
    gw_running "$n" || { echo "    ---- gateway $n: not running"; continue; }
    echo "    ---- gateway $n: counters print detail"
    gw_ctl "$n" counters print detail 2>&1 | sed 's/^/      /'
    echo "    ---- gateway $n: policy print stats"
    gw_ctl "$n" policy print stats 2>&1 | sed 's/^/      /'
    echo "    ---- gateway $n: installed-sa print"
    gw_ctl "$n" installed-sa print 2>&1 | sed 's/^/      /'
    echo "    ---- gateway $n: log (last 20 lines of ${GW_LOG[$n]##*/})"
    tail -n 20 "${GW_LOG[$n]}" | sed 's/^/      /'
  done
}
# Once per set of running daemons (gw_start re-arms it): a test with many
# failures still prints readable output.
gw_debug_once() {
  gw_abort_if_dead
  [ -z "$T_DEBUG_DONE" ] || return 0
  T_DEBUG_DONE=1
  gw_debug
}

# Values from ipsecctl's prints, without a Python start per value (slow on a
# busy VM): the counters from the text print, the rest from --json.

# json_field JSON_OBJECT KEY: the value of KEY (strings unquoted; null as "null").
json_field() {
  local v
  v=$(printf '%s' "$1" | grep -o "\"$2\":\(\"[^\"]*\"\|[^,}]*\)" | head -1)
  v=${v#\"$2\":}; v=${v#\"}; v=${v%\"}
  printf '%s\n' "$v"
}

# gw_counter NAME KEY: a global counter or a drop reason (counters print
# detail); 0 if the daemon does not have that reason, -1 if it did not answer.
gw_counter() {
  local t
  t=$(gw_ctl "$1" counters print detail 2>/dev/null) || { echo -1; return; }
  printf '%s\n' "$t" | awk -v k="$2" '{ sub(/^ +/, "") } index($0, k ": ") == 1 { print $2; f = 1; exit } END { if (!f) print 0 }'
}

# gw_policy_stat NAME INDEX KEY: a per-policy counter from policy print stats.
gw_policy_stat() {
  local j
  j=$(gw_ctl "$1" --json policy print stats "$2" 2>/dev/null) || { echo -1; return; }
  json_field "$j" "$3"
}

# gw_sa_field NAME SPI KEY: a field of the installed SA with this SPI (hex, 0x
# optional). Prints "null" for a time not yet set, nothing if there is no such SA.
gw_sa_field() {
  local j spi obj
  j=$(gw_ctl "$1" --json installed-sa print 2>/dev/null) || return 0
  spi=$(printf '%X' "0x${2#0x}")
  obj=$(printf '%s' "$j" | sed 's/},{/}\n{/g' | grep "\"spi\":\"$spi\"" | head -1)
  [ -n "$obj" ] || return 0
  json_field "$obj" "$3"
}

# expect_gt DESCRIPTION VALUE MIN: passes when VALUE is an integer > MIN.
expect_gt() {
  if [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt "$3" ]; then pass "$1 ($2)"; else fail "$1: expected > $3, got '$2'"; fi
}
expect_eq() {
  if [ "$2" = "$3" ]; then pass "$1 ($2)"; else fail "$1: expected '$3', got '$2'"; fi
}

# ping_count NS DST COUNT [ping args...]: prints how many replies came back;
# the whole output of ping is in $T_WORK/ping.out.
ping_count() {
  local ns=$1 dst=$2 c=$3; shift 3
  # -w: wait for every reply until the deadline (with -c alone, ping gives up
  # 2 RTTs after the last request once it has seen a reply: too short for a
  # busy machine, where a reply is sometimes 10 ms late)
  ip netns exec "$ns" timeout $((c + 15)) ping -n -c "$c" -i 0.2 -W 2 -w $((c / 5 + 4)) "$@" "$dst" >"$T_WORK/ping.out" 2>&1
  sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_WORK/ping.out" | head -1 | grep . || echo 0
}

# ping_wait NS DST [SECONDS]: one ping at a time until one is answered (ARP is
# resolved on the way), for at most SECONDS (default 10). Returns 0 when answered.
ping_wait() {
  local ns=$1 dst=$2 secs=${3:-10} end
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    ip netns exec "$ns" ping -n -c 1 -W 1 "$dst" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# expect_ping DESCRIPTION NS DST COUNT [ping args]: every one of COUNT pings answered.
expect_ping() {
  local what=$1 ns=$2 dst=$3 c=$4; shift 4
  local got
  got=$(ping_count "$ns" "$dst" "$c" "$@")
  # with -w, ping sends until it has COUNT replies: late replies on a busy
  # machine make it send (and receive) one more than COUNT
  if [ "$got" -ge "$c" ] 2>/dev/null; then pass "$what ($got/$c replies)"; else
    fail "$what: $got/$c replies"; sed 's/^/      /' "$T_WORK/ping.out"; fi
}
# expect_no_ping DESCRIPTION NS DST COUNT [ping args]: none answered.
expect_no_ping() {
  local what=$1 ns=$2 dst=$3 c=$4; shift 4
  local got
  got=$(ping_count "$ns" "$dst" "$c" "$@")
  if [ "$got" = 0 ]; then pass "$what (0/$c replies)"; else
    fail "$what: $got/$c replies, expected none"; sed 's/^/      /' "$T_WORK/ping.out"; fi
}

# cap_start NAME NS IFACE [BPF...]: tcpdump writing $T_WORK/NAME.pcap; returns
# once tcpdump listens (5 s at most).
cap_start() {
  local n=$1 ns=$2 ifc=$3; shift 3
  local f=$T_WORK/$n.pcap
  CAP_FILE[$n]=$f
  ip netns exec "$ns" tcpdump -i "$ifc" -nn -U --immediate-mode -B 16384 -Z root -s 0 -w "$f" "$@" >"$T_WORK/$n.tcpdump.log" 2>&1 &
  CAP_PID[$n]=$!
  local i
  for i in $(seq 1 50); do
    grep -q "listening on" "$T_WORK/$n.tcpdump.log" 2>/dev/null && return 0
    kill -0 "${CAP_PID[$n]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "tcpdump $n did not start:"; sed 's/^/      /' "$T_WORK/$n.tcpdump.log"
  return 1
}

# cap_stop NAME: lets tcpdump write what it has, then stops it.
cap_stop() {
  local pid=${CAP_PID[$1]:-} i
  [ -n "$pid" ] || return 0
  sleep 0.3
  kill -INT "$pid" 2>/dev/null
  for i in $(seq 1 30); do pid_alive "$pid" || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  CAP_PID[$1]=
  return 0
}

cap_stop_all() {
  local n
  for n in "${!CAP_PID[@]}"; do cap_stop "$n"; done
  return 0
}

# cap_count NAME BPF...: packets of the capture that match the filter.
cap_count() {
  local n=$1; shift
  tcpdump -r "${CAP_FILE[$n]}" -nn "$@" 2>/dev/null | wc -l
}

# cap_show NAME [MAX] [BPF...]: the capture as tcpdump prints it, indented.
cap_show() {
  local n=$1 max=${2:-20}; shift 2 2>/dev/null || shift $#
  tcpdump -r "${CAP_FILE[$n]}" -nn "$@" 2>/dev/null | head -n "$max" | sed 's/^/      /'
}

# tcp_transfer NS_SRC NS_DST DST_IP BYTES: sends BYTES random bytes over TCP
# (port 5001) and compares sha256 and length on both ends. Prints
# "sent=N/HASH received=N/HASH"; returns 0 when both agree. 60 s at most.
tcp_transfer() {
  local src=$1 dst=$2 ip=$3 bytes=$4
  local rx=$T_WORK/tcp.rx tx=$T_WORK/tcp.tx
  rm -f "$rx" "$tx"
  ip netns exec "$dst" timeout 60 "$PY3" - "$rx" <<'PY' &
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5001)); s.listen(1); s.settimeout(55)
c, _ = s.accept(); c.settimeout(30)
h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b); n += len(b)
open(sys.argv[1], "w").write("%d/%s\n" % (n, h.hexdigest()))
PY
  local rpid=$!
  ip netns exec "$src" timeout 60 "$PY3" - "$ip" "$bytes" "$tx" <<'PY'
import hashlib, os, socket, sys, time
ip, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = os.urandom(n)
end = time.time() + 10
while True:
    try:
        s = socket.create_connection((ip, 5001), timeout=5)
        break
    except OSError:
        if time.time() > end:
            raise
        time.sleep(0.3)
s.settimeout(30)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
s.recv(1)  # wait for the receiver's close: everything was read
open(out, "w").write("%d/%s\n" % (n, hashlib.sha256(data).hexdigest()))
PY
  wait "$rpid"
  local a b
  a=$(cat "$tx" 2>/dev/null) b=$(cat "$rx" 2>/dev/null)
  echo "sent=${a:-none} received=${b:-none}"
  [ -n "$a" ] && [ "$a" = "$b" ]
}

# io IN OUT: a manual-sa IN/OUT value as written on gateway $SIDE (a or b):
# gateway B writes the pair swapped, so both ends agree.
io() { if [ "${SIDE:-a}" = a ]; then echo "$1/$2"; else echo "$2/$1"; fi; }

# gw_conf_base SIDE FILE [WAN_MTU]: interfaces and routes of gateway SIDE (a or
# b) of scripts/topology.sh; the caller appends its "ipsec:" section. Sets the
# shell variables that the policy text uses: MY_NET PEER_NET MY_WAN PEER_WAN.
gw_conf_base() {
  SIDE=$1
  local f=$2 mtu=${3:-1500}
  if [ "$SIDE" = a ]; then
    MY_NET=$NET_A PEER_NET=$NET_B MY_WAN=$GW_A_WAN PEER_WAN=$GW_B_WAN MY_LAN=$GW_A_LAN
  else
    MY_NET=$NET_B PEER_NET=$NET_A MY_WAN=$GW_B_WAN PEER_WAN=$GW_A_WAN MY_LAN=$GW_B_LAN
  fi
  cat >"$f" <<YAML
# gateway $SIDE of scripts/topology.sh (generated by $(basename "$0"))
interfaces:
  - name: lan
    device: net_af_packet0,iface=lan
    address: $MY_LAN/24
  - name: wan
    device: net_af_packet1,iface=wan
    address: $MY_WAN/24
    mtu: $mtu
routes:
  - dst-address: $PEER_NET
    gateway: $PEER_WAN
YAML
}

# hexkey BYTES SEED: BYTES of deterministic key material as hex (no 0x).
hexkey() {
  local n=$1 s=$2 j out=""
  for ((j = 0; j < n; j++)); do out+=$(printf '%02x' $(((s * 37 + j * 11 + 1) & 255))); done
  echo "$out"
}

# enc_key_len ALG / auth_key_len ALG: key bytes as docs/config.md lists them.
enc_key_len() {
  case $1 in
    null) echo 0 ;; des) echo 8 ;; 3des) echo 24 ;;
    aes-128-cbc) echo 16 ;; aes-192-cbc) echo 24 ;; aes-256-cbc) echo 32 ;;
    aes-128-ctr|aes-128-gcm) echo 20 ;; aes-192-ctr|aes-192-gcm) echo 28 ;;
    aes-256-ctr|aes-256-gcm|chacha20poly1305) echo 36 ;;
    *) echo "enc_key_len: unknown $1" >&2; return 1 ;;
  esac
}
auth_key_len() {
  case $1 in
    null) echo 0 ;; md5) echo 16 ;; sha1) echo 20 ;; sha256) echo 32 ;; sha384) echo 48 ;; sha512) echo 64 ;;
    *) echo "auth_key_len: unknown $1" >&2; return 1 ;;
  esac
}
