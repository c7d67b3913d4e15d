# Network namespaces for demos and tests (sourced, bash). Only 198.18.0.0/15.
#
#   host A ── lan-a ── [gateway A] ── wan switch ── [gateway B] ── lan-b ── host B
#   198.18.1.2     198.18.1.1 | 198.19.0.1      198.19.0.2 | 198.18.2.1     198.18.2.2
#
# Each gateway is an ipsecgw process inside its own namespace (NS_GA, NS_GB)
# that binds its two veth ends, "lan" and "wan", with DPDK net_af_packet; the
# kernel there has no address on them, so only ipsecgw answers.
#
# The wire between the gateways is its own namespace NS_WAN: a bridge br0
# with the ports "ga" (to gateway A's wan) and "gb" (to gateway B's wan), no
# addresses. Capture there, on "ga" (WAN_CAP_IF): a bridge port sees the
# frames of both directions, including those that ipsecgw sends with
# PACKET_QDISC_BYPASS, which a capture on the gateway's own veth would miss.
#
# topo_up            the whole picture above (host A, gateway A, wan, gateway B, host B)
# topo_up peer       host A, gateway A and NS_WAN only, where "ga" is a plain veth (no
#                    bridge) for a scapy peer that plays gateway B at 198.19.0.2
# topo_down          removes whatever of the five namespaces exists
#
# TOPO (default "gwt") prefixes every namespace name, so that several
# topologies (tests, the demo) can exist at once.

TOPO=${TOPO:-gwt}
NS_HA=${TOPO}-ha NS_GA=${TOPO}-ga NS_WAN=${TOPO}-wan NS_GB=${TOPO}-gb NS_HB=${TOPO}-hb
HOST_A=198.18.1.2 GW_A_LAN=198.18.1.1 GW_A_WAN=198.19.0.1
HOST_B=198.18.2.2 GW_B_LAN=198.18.2.1 GW_B_WAN=198.19.0.2
NET_A=198.18.1.0/24 NET_B=198.18.2.0/24 NET_WAN=198.19.0.0/24
WAN_CAP_IF=ga

_topo_all_ns() { echo "$NS_HA $NS_GA $NS_WAN $NS_GB $NS_HB"; }

# veth names are at most 15 characters
_veth_pair() { # NS1 IF1 NS2 IF2
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  # veth leaves checksums to hardware that is not there: af_packet would
  # then carry TCP/UDP with bad checksums (FACTS.md). Turn offloads off.
  ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1 || true
  ip netns exec "$3" ethtool -K "$4" tx off rx off >/dev/null 2>&1 || true
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

_topo_ns_add() { # NS
  ip netns add "$1"
  ip -n "$1" link set lo up
  # no IPv6 chatter (router solicitations, MLD) on the wire or towards ipsecgw
  ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
  ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true
}

topo_down() {
  local ns
  for ns in $(_topo_all_ns); do
    ip netns del "$ns" 2>/dev/null || true
  done
}

topo_up() { # [peer]
  local mode=${1:-full} ns
  topo_down
  if [ "$mode" = peer ]; then
    for ns in "$NS_HA" "$NS_GA" "$NS_WAN"; do _topo_ns_add "$ns"; done
  else
    for ns in "$NS_HA" "$NS_GA" "$NS_WAN" "$NS_GB" "$NS_HB"; do _topo_ns_add "$ns"; done
  fi
  _veth_pair "$NS_HA" eth0 "$NS_GA" lan
  _veth_pair "$NS_GA" wan "$NS_WAN" ga
  ip -n "$NS_HA" addr add "$HOST_A/24" dev eth0
  ip -n "$NS_HA" route add default via "$GW_A_LAN"
  [ "$mode" = peer ] && return 0

  ip -n "$NS_WAN" link add br0 type bridge stp_state 0 forward_delay 0
  ip -n "$NS_WAN" link set br0 up
  ip -n "$NS_WAN" link set ga master br0
  _veth_pair "$NS_GB" wan "$NS_WAN" gb
  ip -n "$NS_WAN" link set gb master br0
  _veth_pair "$NS_GB" lan "$NS_HB" eth0
  ip -n "$NS_HB" addr add "$HOST_B/24" dev eth0
  ip -n "$NS_HB" route add default via "$GW_B_LAN"
}
