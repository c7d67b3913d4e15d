#!/usr/bin/env bash
# The README's first command (root, fresh Debian 12): builds ipsecgw, builds
# the namespace topology of scripts/topology.sh
#
#   host A ── gateway A ══ ESP ══ gateway B ── host B
#   198.18.1.2                                198.18.2.2
#
# starts both gateways with a manually keyed ESP tunnel (aes-128-cbc +
# sha1) protecting 198.18.1.0/24 <-> 198.18.2.0/24, pings and sends 8 MB over
# TCP from host A to host B while tcpdump watches the wire between the
# gateways, and shows what ipsecctl reports on both. Everything it made
# (namespaces, daemons, captures) is removed on exit, Ctrl-C included.
# Exit 0 only if the ping, the transfer and the wire check all passed.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/demo.sh: must run as root (installs packages, runs DPDK in network namespaces)" >&2
  exit 1
fi

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
section() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
note() { echo "   $*"; }
run() { echo "\$ $*"; "$@"; }
PROBLEMS=()
problem() {
  PROBLEMS+=("$*"); echo "!! $*"
  local g
  for g in a b; do   # Ctrl-C reaches the daemons too: stop here, cleanly
    if [ -n "${GW_PIDS[$g]:-}" ] && ! gw_running $g; then echo "!! gateway ${g^^} is not running any more"; exit 1; fi
  done
}

section "1. Build (scripts/build.sh: Debian packages, meson, ninja)"
scripts/build.sh || { echo "build failed" >&2; exit 1; }
note "built build/ipsecgw and build/ipsecctl"

BUILD_DIR=build
TOPO=${TOPO:-gwdemo}
source test/integration/lib.sh
ns_test_init demo
T_ON_FAIL=          # the demo reports its own problems
# "scripts/demo.sh" keys the tunnel with IKE; "scripts/demo.sh manual" with manual SAs.
KEYING=${1:-ike}
case $KEYING in
  ike) CONF_A=conf/demo/ike-a.yaml CONF_B=conf/demo/ike-b.yaml ;;
  manual) CONF_A=test/integration/conf/tunnel-a.yaml CONF_B=test/integration/conf/tunnel-b.yaml ;;
  *) echo "usage: scripts/demo.sh [ike|manual]" >&2; exit 2 ;;
esac
ctl() { local g=$1; shift; echo "\$ ipsecctl $*    # on gateway ${g^^}"; gw_ctl "$g" "$@"; }

section "2. Network namespaces (scripts/topology.sh, TOPO=$TOPO)"
topo_up
cat <<EOF
   $NS_HA   host A     eth0 $HOST_A/24, default via $GW_A_LAN
   $NS_GA   gateway A  veths "lan" and "wan", no kernel addresses: ipsecgw owns them
   $NS_WAN  the wire   bridge br0 joining gateway A's and gateway B's "wan" (tcpdump here)
   $NS_GB   gateway B  veths "lan" and "wan"
   $NS_HB   host B     eth0 $HOST_B/24, default via $GW_B_LAN
EOF

section "3. Gateway A's configuration ($CONF_A; gateway B's is its mirror)"
grep -v '^#' "$CONF_A" | sed 's/^/   /'

section "4. Start both gateways (DPDK net_af_packet on the veths, 512 MB, no hugepages)"
for g in a b; do
  ns=$NS_GA conf=$CONF_A; [ $g = b ] && ns=$NS_GB conf=$CONF_B
  note "ip netns exec $ns $IPSECGW --no-huge --no-pci -m $GW_MEM -l 0-1 --file-prefix $TOPO-$g -- -c $conf -s $T_WORK/gw-$g.sock"
  gw_start $g "$ns" "$conf" || { echo "gateway ${g^^} did not start" >&2; exit 1; }
done
ctl a policy print
ctl a installed-sa print
[ "$KEYING" = ike ] && note "(no SA yet: the first packet for the tunnel makes the dataplane ask IKE for one)"

section "5. Capture on the wire between the gateways"
cap_start wire "$NS_WAN" "$WAN_CAP_IF" || exit 1
note "tcpdump -i $WAN_CAP_IF in $NS_WAN, writing $(basename "${CAP_FILE[wire]}")"

section "6. Ping host A -> host B through the tunnel"
note "(first a few single pings while ARP resolves on both gateways)"
ping_wait "$NS_HA" "$HOST_B" 15 || problem "no ping answered within 15 s"
echo "\$ ip netns exec $NS_HA ping -c 5 $HOST_B"
if ip netns exec "$NS_HA" ping -n -c 5 -i 0.3 -W 2 -w 8 "$HOST_B"; then :; else problem "ping host A -> host B failed"; fi

section "7. TCP: 8 MB of random bytes from host A to host B, sha256 on both ends"
if out=$(tcp_transfer "$NS_HA" "$NS_HB" "$HOST_B" 8000000); then
  note "$out"; note "identical: the transfer arrived intact"
else
  note "$out"; problem "the TCP transfer did not arrive intact"
fi
cap_stop wire

section "8. What the wire saw"
note "first frames, as tcpdump prints them:"
cap_show wire 8 ip
total=$(cap_count wire ip) esp=$(cap_count wire 'ip proto 50')
plain=$(cap_count wire "ip host $HOST_A or ip host $HOST_B")
other=$(cap_count wire 'ip and not ip proto 50 and not (udp port 500 or udp port 4500)')
ike=$(cap_count wire 'udp port 500 or udp port 4500') arp=$(cap_count wire arp)
frag=$(cap_count wire 'ip proto 50 and (ip[6:2] & 0x3fff != 0)')
printf '   %-52s %s\n' "IP packets:" "$total" \
  "ESP (protocol 50), $GW_A_WAN <-> $GW_B_WAN:" "$esp" \
  "  of which outer fragments (TCP segments + ESP > 1500):" "$frag" \
  "plain packets with a host address (should be 0):" "$plain" \
  "IKE (UDP 500/4500) between the gateways:" "$ike" \
  "any other IP packet (should be 0):" "$other" \
  "ARP frames between the gateways:" "$arp"
note "(tcpdump: $(grep -h 'captured\|dropped by kernel' "$T_WORK/wire.tcpdump.log" | tr '\n' ' '); the counts above are of the captured frames)"
[ "$esp" -gt 0 ] || problem "no ESP on the wire"
[ "$plain" -eq 0 ] || problem "plain packets between the hosts on the wire"
[ "$other" -eq 0 ] || problem "IP packets other than ESP and IKE on the wire"
[ "$KEYING" != ike ] || [ "$ike" -gt 0 ] || problem "no IKE on the wire"

for g in a b; do
  section "9${g}. Gateway ${g^^}: peers, SAs, counters and policy statistics"
  [ "$KEYING" = ike ] && ctl $g remote-peers print
  ctl $g installed-sa print
  ctl $g counters print
  echo
  ctl $g policy print stats
done

section "10. Done"
note "gateway logs:"
for g in a b; do sed "s/^/   [${g^^}] /" "${GW_LOG[$g]}"; done
if [ ${#PROBLEMS[@]} -eq 0 ]; then
  wire="ESP"; [ "$KEYING" = ike ] && wire="IKE and ESP"
  note "the tunnel carried ping and TCP, and the wire showed only $wire."
  note "cleaning up: daemons stopped, namespaces removed."
  exit 0
fi
echo "!! demo found problems:"; printf '!!   %s\n' "${PROBLEMS[@]}"
exit 1
