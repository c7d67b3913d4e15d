# Network namespaces for demos and tests (sourced, bash). Only 198.18.0.0/15.
#
#   host A ── lan-a ── [gateway A] ── wan ── [gateway B] ── lan-b ── host B
#   198.18.1.2     198.18.1.1 | 198.19.0.1   198.19.0.2 | 198.18.2.1     198.18.2.2
#
# Each gateway is an ipsecgw process inside its own namespace that binds its
# two veth ends with DPDK net_af_packet; the kernel there has no address on
# them, so only ipsecgw answers. TOPO (default "gwt") prefixes every name so
# that several topologies can coexist.

TOPO=${TOPO:-gwt}
NS_HA=${TOPO}-ha NS_GA=${TOPO}-ga NS_GB=${TOPO}-gb NS_HB=${TOPO}-hb
HOST_A=198.18.1.2 GW_A_LAN=198.18.1.1 GW_A_WAN=198.19.0.1
HOST_B=198.18.2.2 GW_B_LAN=198.18.2.1 GW_B_WAN=198.19.0.2

# veth names are at most 15 characters
_veth_pair() { # NS1 IF1 NS2 IF2
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
  # veth leaves checksums to hardware that is not there: af_packet would
  # then carry TCP/UDP with bad checksums (FACTS.md). Turn offloads off.
  ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null 2>&1 || true
  ip netns exec "$3" ethtool -K "$4" tx off rx off >/dev/null 2>&1 || true
}

topo_down() {
  local ns
  for ns in "$NS_HA" "$NS_GA" "$NS_GB" "$NS_HB"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

topo_up() {
  topo_down
  local ns
  for ns in "$NS_HA" "$NS_GA" "$NS_GB" "$NS_HB"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  _veth_pair "$NS_HA" eth0 "$NS_GA" lan
  _veth_pair "$NS_GA" wan "$NS_GB" wan
  _veth_pair "$NS_GB" lan "$NS_HB" eth0
  ip -n "$NS_HA" addr add "$HOST_A/24" dev eth0
  ip -n "$NS_HA" route add default via "$GW_A_LAN"
  ip -n "$NS_HB" addr add "$HOST_B/24" dev eth0
  ip -n "$NS_HB" route add default via "$GW_B_LAN"
  # the gateways' kernels must stay out of the way
  for ns in "$NS_GA" "$NS_GB"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true
  done
}
