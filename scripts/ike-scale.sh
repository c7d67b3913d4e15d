#!/usr/bin/env bash
# How long N IKE tunnels (default 100) take to come up between two ipsecgw
# (scripts/topology.sh namespaces). A measurement, not a test: it prints the
# time and exits 0 when every tunnel came up, 1 otherwise.
#
#   scripts/ike-scale.sh [N]        (root; BUILD_DIR=build by default)
#
# Shape: one IKE peer each (one ISAKMP SA, main mode, aes-128/sha1/modp2048)
# and N encrypt policies, one per host address: gateway A's policy i protects
# 198.18.1.0/24 <-> 198.18.2.(10+i)/32, gateway B has the mirror; host B holds
# the N addresses. So N quick modes (ESP aes-128-cbc/sha1, PFS modp2048) run
# over one phase 1. Host A pings all N addresses at once (one ping each,
# repeated for those not answered yet, every second): the first pings trigger
# the ACQUIREs. "Up" = both gateways hold 2 N SAs and every address answered.
# Everything it made (namespaces, daemons, files) is removed on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:-100}
[ "$N" -ge 1 ] && [ "$N" -le 200 ] || { echo "ike-scale: N must be 1..200" >&2; exit 2; }
TOPO=${TOPO:-gwt-scale}
source test/integration/lib.sh
source test/integration/ike_lib.sh
ns_test_init ike-scale
T_ON_FAIL=

conf() { # SIDE FILE
  local side=$1 f=$2 i
  gw_conf_base "$side" "$f"
  cat >>"$f" <<YAML
ipsec:
  proposals:
    - name: default
      enc-algorithms: aes-128-cbc
      auth-algorithms: sha1
      pfs-group: modp2048
  peers:
    - address: $PEER_WAN/32
      secret: "ike-scale"
      enc-algorithm: aes-128
      hash-algorithm: sha1
      dh-group: modp2048
  policies:
YAML
  for ((i = 0; i < N; i++)); do
    local h=198.18.2.$((10 + i))/32
    if [ "$side" = a ]; then s=$NET_A d=$h; else s=$h d=$NET_A; fi
    cat >>"$f" <<YAML
    - src-address: $s
      dst-address: $d
      action: encrypt
      tunnel: yes
      sa-src-address: $MY_WAN
      sa-dst-address: $PEER_WAN
YAML
  done
}

topo_up
for ((i = 0; i < N; i++)); do ip -n "$NS_HB" addr add "198.18.2.$((10 + i))/24" dev eth0 noprefixroute 2>/dev/null ||
  ip -n "$NS_HB" addr add "198.18.2.$((10 + i))/32" dev eth0; done
conf a "$T_WORK/a.yaml"
conf b "$T_WORK/b.yaml"
gw_start a "$NS_GA" "$T_WORK/a.yaml" || exit 1
gw_start b "$NS_GB" "$T_WORK/b.yaml" || exit 1
# ARP between the gateways and towards the hosts first, so that the time is IKE's
ping_wait "$NS_HA" "$GW_A_LAN" 5 >/dev/null
ping_wait "$NS_HB" "$GW_B_LAN" 5 >/dev/null

declare -A UP=()
t0=$(date +%s.%N)
deadline=$((SECONDS + 120))
while [ ${#UP[@]} -lt "$N" ] && [ $SECONDS -lt $deadline ]; do
  pids=()
  for ((i = 0; i < N; i++)); do
    [ -n "${UP[$i]:-}" ] && continue
    ip netns exec "$NS_HA" ping -n -c 1 -W 1 "198.18.2.$((10 + i))" >/dev/null 2>&1 &
    pids+=("$!:$i")
  done
  for p in "${pids[@]}"; do
    wait "${p%%:*}" && UP[${p#*:}]=1
  done
done
t_ping=$(date +%s.%N)
while [ $SECONDS -lt $deadline ]; do
  sa=$(ike_sa_count a E) sb=$(ike_sa_count b E)
  [ "$sa" -ge $((2 * N)) ] && [ "$sb" -ge $((2 * N)) ] && break
  sleep 0.2
done
t_sa=$(date +%s.%N)
sa=$(ike_sa_count a E) sb=$(ike_sa_count b E)
p1=$(grep -c "ISAKMP SA established" "${GW_LOG[a]}")
t_end=$(awk -v a="$t_ping" -v b="$t_sa" 'BEGIN { print (a > b ? a : b) }')
echo "ike-scale: $N policies, one peer: ${#UP[@]}/$N host addresses answered, SAs installed: A $sa, B $sb (want $((2 * N)) each), ISAKMP SAs: $p1"
awk -v t0="$t0" -v t1="$t_end" -v n="$N" 'BEGIN { printf "ike-scale: %d tunnels up in %.2f s (from the first packet; %.1f ms per tunnel)\n", n, t1 - t0, (t1 - t0) * 1000 / n }'
[ ${#UP[@]} -eq "$N" ] && [ "$sa" -ge $((2 * N)) ] && [ "$sb" -ge $((2 * N)) ]
