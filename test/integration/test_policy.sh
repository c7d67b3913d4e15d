#!/usr/bin/env bash
# The SPD between two ipsecgw gateways (scripts/topology.sh), one scenario per
# pair of generated configs, after the seed's policy rules:
#  - AH tunnel (ipsec-protocols=ah): pings cross, the wire carries AH whose
#    ICV scapy verifies, no ESP, no plain packet between the hosts;
#  - AH+ESP bundle (ipsec-protocols=ah,esp): AH outside, ESP inside;
#  - nested tunnels: an ESP policy for the hosts' traffic (SA1), and a second
#    policy for ESP between the gateways (SA2) that encrypts the result again;
#    the wire shows ESP with SA2's SPI, whose payload is ESP with SA1's; both
#    with the SA2 policy below and (policy move) above the SA1 policy;
#  - level=use without any SA sends plain; level=require drops (out-drop) and
#    the incoming policy check drops the plain replies (in-drop-encrypted-expected);
#  - the incoming policy check: A accepts (sends plain), B expects encryption
#    and drops (in-drop-encrypted-expected);
#  - a drop policy: out-drop outbound, in-drop for what comes the other way;
#  - MTU 1400 on the WAN: 1400-byte pings with DF clear are fragmented outside
#    and reassembled before decapsulation; with DF set and dont-fragment=inherit
#    host A gets ICMP "fragmentation needed" with an MTU that then works.
set -uo pipefail
cd "$(dirname "$0")/../.."
TOPO=${TOPO:-gwt-pol}
source test/integration/lib.sh
ns_test_init policy
need_scapy
SCAPY="$PY3 test/integration/ipsec_scapy.py"

# Keys and SPIs, named by direction: _AB is what A sends to B.
EK_AB=$(hexkey 16 1) EK_BA=$(hexkey 16 2) AK_AB=$(hexkey 20 3) AK_BA=$(hexkey 20 4)
EK2_AB=$(hexkey 16 5) EK2_BA=$(hexkey 16 6) AK2_AB=$(hexkey 32 7) AK2_BA=$(hexkey 32 8)
HK_AB=$(hexkey 20 9) HK_BA=$(hexkey 20 10)

# The usual ESP tunnel template (sa1) and policy text, for gateway $SIDE.
esp_sa1() {
  cat <<YAML
    - name: sa1
      esp-enc-algorithm: aes-128-cbc
      esp-auth-algorithm: sha1
      esp-enc-key: $(io $EK_BA $EK_AB)
      esp-auth-key: $(io $AK_BA $AK_AB)
      esp-spi: $(io 0x1001 0x1000)
YAML
}
tunnel_policy() { # ACTION [extra policy lines...]
  local a=$1; shift
  cat <<YAML
    - src-address: $MY_NET
      dst-address: $PEER_NET
      action: $a
      tunnel: yes
      sa-src-address: $MY_WAN
      sa-dst-address: $PEER_WAN
YAML
  local l
  for l in "$@"; do echo "      $l"; done
}

conf_ah() {
  gw_conf_base "$1" "$2"
  cat >>"$2" <<YAML
ipsec:
  manual-sa:
    - name: ah1
      ah-algorithm: sha1
      ah-key: $(io $HK_BA $HK_AB)
      ah-spi: $(io 0x3001 0x3000)
  policies:
$(tunnel_policy encrypt "ipsec-protocols: ah" "manual-sa: ah1")
YAML
}
conf_bundle() {
  gw_conf_base "$1" "$2"
  cat >>"$2" <<YAML
ipsec:
  manual-sa:
    - name: ahesp
      ah-algorithm: sha1
      ah-key: $(io $HK_BA $HK_AB)
      ah-spi: $(io 0x3101 0x3100)
      esp-enc-algorithm: aes-128-cbc
      esp-auth-algorithm: sha1
      esp-enc-key: $(io $EK_BA $EK_AB)
      esp-auth-key: $(io $AK_BA $AK_AB)
      esp-spi: $(io 0x3201 0x3200)
  policies:
$(tunnel_policy encrypt "ipsec-protocols: ah,esp" "manual-sa: ahesp")
YAML
}
conf_nested() {
  gw_conf_base "$1" "$2"
  cat >>"$2" <<YAML
ipsec:
  manual-sa:
$(esp_sa1)
    - name: sa2
      esp-enc-algorithm: aes-128-cbc
      esp-auth-algorithm: sha256
      esp-enc-key: $(io $EK2_BA $EK2_AB)
      esp-auth-key: $(io $AK2_BA $AK2_AB)
      esp-spi: $(io 0x2001 0x2000)
  policies:
$(tunnel_policy encrypt "manual-sa: sa1")
    - src-address: $MY_WAN/32
      dst-address: $PEER_WAN/32
      protocol: esp
      action: encrypt
      tunnel: yes
      sa-src-address: $MY_WAN
      sa-dst-address: $PEER_WAN
      manual-sa: sa2
      comment: ESP between the gateways, encrypted again
YAML
}
conf_level_use() {
  gw_conf_base "$1" "$2"
  cat >>"$2" <<YAML
ipsec:
  policies:
$(tunnel_policy encrypt "level: use" "comment: \"no manual-sa, no IKE peer, so no SA\"")
YAML
}
conf_incoming() { # A accepts (plain), B encrypts
  gw_conf_base "$1" "$2"
  if [ "$1" = a ]; then
    printf 'ipsec:\n  policies:\n%s\n' "$(tunnel_policy accept)" >>"$2"
  else
    printf 'ipsec:\n  manual-sa:\n%s\n  policies:\n%s\n' "$(esp_sa1)" "$(tunnel_policy encrypt "manual-sa: sa1")" >>"$2"
  fi
}
conf_drop() { # A drops the hosts' traffic, B accepts it
  gw_conf_base "$1" "$2"
  printf 'ipsec:\n  policies:\n%s\n' "$(tunnel_policy "$([ "$1" = a ] && echo drop || echo accept)")" >>"$2"
}
conf_mtu() {
  gw_conf_base "$1" "$2" 1400
  cat >>"$2" <<YAML
ipsec:
  manual-sa:
$(esp_sa1)
  policies:
$(tunnel_policy encrypt "manual-sa: sa1" "dont-fragment: inherit")
YAML
}

# scenario NAME: both gateways restarted on the scenario's configs.
scenario() {
  echo "# $1 (at ${SECONDS}s)"
  gw_stop_all
  conf_"$1" a "$T_WORK/$1-a.yaml"
  conf_"$1" b "$T_WORK/$1-b.yaml"
  gw_start a "$NS_GA" "$T_WORK/$1-a.yaml" || { fail "$1: gateway A starts"; return 1; }
  gw_start b "$NS_GB" "$T_WORK/$1-b.yaml" || { fail "$1: gateway B starts"; return 1; }
}

# wire_only_proto NAME PROTO: the capture has PROTO, and no plain host packet.
wire_only_proto() {
  local c=$1 p=$2
  expect_gt "$c: protocol $p packets on the wire" "$(cap_count "$c" "ip proto $p")" 0
  local plain
  plain=$(cap_count "$c" "ip host $HOST_A or ip host $HOST_B")
  expect_eq "$c: plain packets between the hosts on the wire" "$plain" 0
  [ "$plain" = 0 ] || cap_show "$c" 10 "ip host $HOST_A or ip host $HOST_B"
}

topo_up

# ---------------------------------------------------------------- AH tunnel
if scenario ah; then
  ping_wait "$NS_HA" "$HOST_B" 15 >/dev/null
  cap_start ah "$NS_WAN" "$WAN_CAP_IF"
  expect_ping "ah: 5 pings host A -> host B in an AH tunnel" "$NS_HA" "$HOST_B" 5
  cap_stop ah
  wire_only_proto ah 51
  expect_eq "ah: no ESP on the wire" "$(cap_count ah 'ip proto 50')" 0
  if out=$($SCAPY wire "${CAP_FILE[ah]}" --sa "ah:3000:null::sha1:$HK_AB:tunnel" --sa "ah:3001:null::sha1:$HK_BA:tunnel" \
      --expect "ah/3000 icmp $HOST_A>$HOST_B echo-request" --expect "ah/3001 icmp $HOST_B>$HOST_A echo-reply" 2>&1)
  then pass "ah: scapy verifies the AH ICVs, the hosts' pings inside"; else fail "ah: scapy on the wire:"; fi
  echo "$out" | sed 's/^/      /'
  for g in a b; do
    expect_gt "ah: gateway $g out-encrypt" "$(gw_counter $g out-encrypt)" 0
    expect_gt "ah: gateway $g in-decrypted" "$(gw_counter $g in-decrypted)" 0
  done
  expect_contains "ah: installed-sa flags A" "$(gw_ctl a installed-sa print)" "spi=3000"
fi

# ---------------------------------------------------------------- AH + ESP
if scenario bundle; then
  ping_wait "$NS_HA" "$HOST_B" 15 >/dev/null
  cap_start bundle "$NS_WAN" "$WAN_CAP_IF"
  expect_ping "bundle: 5 pings host A -> host B with ipsec-protocols=ah,esp" "$NS_HA" "$HOST_B" 5
  cap_stop bundle
  wire_only_proto bundle 51
  expect_gt "bundle: AH whose next header is ESP (ip[20]=50)" "$(cap_count bundle 'ip proto 51 and ip[20] = 50')" 0
  expect_eq "bundle: AH with another next header" "$(cap_count bundle 'ip proto 51 and ip[20] != 50')" 0
  if out=$($SCAPY wire "${CAP_FILE[bundle]}" \
      --sa "ah:3100:null::sha1:$HK_AB:transport" --sa "ah:3101:null::sha1:$HK_BA:transport" \
      --sa "esp:3200:aes-128-cbc:$EK_AB:sha1:$AK_AB:tunnel" --sa "esp:3201:aes-128-cbc:$EK_BA:sha1:$AK_BA:tunnel" \
      --expect "ah/3100 esp/3200 icmp $HOST_A>$HOST_B echo-request" \
      --expect "ah/3101 esp/3201 icmp $HOST_B>$HOST_A echo-reply" 2>&1)
  then pass "bundle: scapy verifies AH, then decrypts ESP, the hosts' pings inside"; else fail "bundle: scapy on the wire:"; fi
  echo "$out" | sed 's/^/      /'
fi

# ---------------------------------------------------------------- nested tunnels
if scenario nested; then
  ping_wait "$NS_HA" "$HOST_B" 15 >/dev/null
  for order in below above; do
    if [ $order = above ]; then
      check "nested: gateway A policy move 1 0 (SA2's policy first)" gw_ctl a policy move 1 0
      check "nested: gateway B policy move 1 0" gw_ctl b policy move 1 0
      expect_contains "nested: gateway A's policy 0 is now the ESP one" "$(gw_ctl a policy print 0)" "protocol=esp"
      ping_wait "$NS_HA" "$HOST_B" 5 >/dev/null
    fi
    cap_start nested-$order "$NS_WAN" "$WAN_CAP_IF"
    expect_ping "nested ($order): 5 pings host A -> host B through ESP in ESP" "$NS_HA" "$HOST_B" 5
    cap_stop nested-$order
    wire_only_proto nested-$order 50
    # ESP's SPI is the first 4 bytes after a 20-byte IPv4 header
    expect_gt "nested ($order): outer SPI is SA2's (0x2000) A->B" "$(cap_count nested-$order 'ip proto 50 and ip[20:4] = 0x2000')" 0
    expect_gt "nested ($order): outer SPI is SA2's (0x2001) B->A" "$(cap_count nested-$order 'ip proto 50 and ip[20:4] = 0x2001')" 0
    expect_eq "nested ($order): ESP with SA1's SPI outermost" "$(cap_count nested-$order 'ip proto 50 and (ip[20:4] = 0x1000 or ip[20:4] = 0x1001)')" 0
    if out=$($SCAPY wire "${CAP_FILE[nested-$order]}" \
        --sa "esp:2000:aes-128-cbc:$EK2_AB:sha256:$AK2_AB:tunnel" --sa "esp:2001:aes-128-cbc:$EK2_BA:sha256:$AK2_BA:tunnel" \
        --sa "esp:1000:aes-128-cbc:$EK_AB:sha1:$AK_AB:tunnel" --sa "esp:1001:aes-128-cbc:$EK_BA:sha1:$AK_BA:tunnel" \
        --expect "esp/2000 esp/1000 icmp $HOST_A>$HOST_B echo-request" \
        --expect "esp/2001 esp/1001 icmp $HOST_B>$HOST_A echo-reply" 2>&1)
    then pass "nested ($order): SA2's ESP holds SA1's ESP holds the hosts' pings (scapy)"; else fail "nested ($order): scapy on the wire:"; fi
    echo "$out" | sed 's/^/      /'
    single=$(echo "$out" | grep -E '^ *[0-9]+ esp/100[01] ' || true)
    expect_eq "nested ($order): host packets in SA1 alone (not inside SA2) on the wire" "${single:-none}" none
  done
  for g in a b; do
    expect_gt "nested: gateway $g policy SA1 encrypted" "$(gw_policy_stat $g 1 encrypted)" 0
    expect_gt "nested: gateway $g policy SA2 encrypted" "$(gw_policy_stat $g 0 encrypted)" 0
    expect_gt "nested: gateway $g policy SA1 decrypted" "$(gw_policy_stat $g 1 decrypted)" 0
    expect_gt "nested: gateway $g policy SA2 decrypted" "$(gw_policy_stat $g 0 decrypted)" 0
  done
fi

# ---------------------------------------------------------------- level=use / require
if scenario level_use; then
  if ping_wait "$NS_HA" "$HOST_B" 15; then pass "level=use: ping answered"; else fail "level=use: no ping answered within 15 s"; fi
  cap_start use "$NS_WAN" "$WAN_CAP_IF"
  expect_ping "level=use, no SA: 3 pings host A -> host B sent plain" "$NS_HA" "$HOST_B" 3
  cap_stop use
  expect_gt "level=use: plain ICMP between the hosts on the wire" "$(cap_count use "icmp and ip host $HOST_A and ip host $HOST_B")" 0
  expect_eq "level=use: no ESP on the wire" "$(cap_count use 'ip proto 50 or ip proto 51')" 0
  expect_eq "level=use: gateway A out-encrypt" "$(gw_counter a out-encrypt)" 0
  expect_gt "level=use: gateway A policy 0 not-encrypted" "$(gw_policy_stat a 0 not-encrypted)" 0
  expect_eq "level=use: gateway A out-drop" "$(gw_counter a out-drop)" 0
  expect_eq "level=use: gateway B in-drop-encrypted-expected" "$(gw_counter b in-drop-encrypted-expected)" 0

  check "gateway A: policy set 0 level=require" gw_ctl a policy set 0 level=require
  d0=$(gw_counter a out-drop) p0=$(gw_policy_stat a 0 out-dropped)
  expect_no_ping "level=require, no SA: pings host A -> host B dropped" "$NS_HA" "$HOST_B" 3
  expect_gt "level=require: gateway A out-drop grew by" "$(( $(gw_counter a out-drop) - d0 ))" 0
  expect_gt "level=require: gateway A policy 0 out-dropped grew by" "$(( $(gw_policy_stat a 0 out-dropped) - p0 ))" 0
  e0=$(gw_counter a in-drop-encrypted-expected)
  expect_no_ping "level=require: B's plain pings to host A dropped by A's incoming policy check" "$NS_HB" "$HOST_A" 3
  expect_gt "level=require: gateway A in-drop-encrypted-expected grew by" "$(( $(gw_counter a in-drop-encrypted-expected) - e0 ))" 0
fi

# ---------------------------------------------------------------- incoming policy check
if scenario incoming; then
  ping_wait "$NS_HA" "$GW_A_LAN" 5 >/dev/null   # host A resolves its gateway
  cap_start incoming "$NS_WAN" "$WAN_CAP_IF"
  expect_no_ping "incoming: A sends plain, B expects ESP: pings dropped" "$NS_HA" "$HOST_B" 5
  cap_stop incoming
  expect_gt "incoming: gateway A sent the pings plain (wire)" "$(cap_count incoming "icmp and src host $HOST_A and dst host $HOST_B")" 0
  expect_gt "incoming: gateway A out-accept" "$(gw_counter a out-accept)" 0
  expect_gt "incoming: gateway B in-drop-encrypted-expected" "$(gw_counter b in-drop-encrypted-expected)" 0
  expect_gt "incoming: gateway B policy 0 in-dropped" "$(gw_policy_stat b 0 in-dropped)" 0
  expect_eq "incoming: gateway B in-decrypted" "$(gw_counter b in-decrypted)" 0
fi

# ---------------------------------------------------------------- drop policy
if scenario drop; then
  ping_wait "$NS_HA" "$GW_A_LAN" 5 >/dev/null
  ping_wait "$NS_HB" "$GW_B_LAN" 5 >/dev/null
  cap_start drop "$NS_WAN" "$WAN_CAP_IF"
  expect_no_ping "drop: pings host A -> host B dropped by A's drop policy" "$NS_HA" "$HOST_B" 3
  expect_gt "drop: gateway A out-drop" "$(gw_counter a out-drop)" 0
  expect_gt "drop: gateway A policy 0 out-dropped" "$(gw_policy_stat a 0 out-dropped)" 0
  expect_no_ping "drop: pings host B -> host A dropped at A (incoming)" "$NS_HB" "$HOST_A" 3
  cap_stop drop
  expect_eq "drop: nothing from host A on the wire" "$(cap_count drop "src host $HOST_A")" 0
  expect_gt "drop: gateway A in-drop (seed: incoming packets that matched a drop policy)" "$(gw_counter a in-drop)" 0
  expect_gt "drop: gateway A policy 0 in-dropped" "$(gw_policy_stat a 0 in-dropped)" 0
fi

# ---------------------------------------------------------------- MTU 1400
if scenario mtu; then
  ping_wait "$NS_HA" "$HOST_B" 15 >/dev/null
  cap_start mtu "$NS_WAN" "$WAN_CAP_IF"
  expect_ping "mtu: 3 pings of 1400 bytes, DF clear, cross the tunnel" "$NS_HA" "$HOST_B" 3 -M dont -s 1400
  cap_stop mtu
  expect_gt "mtu: outer ESP fragments on the wire" "$(cap_count mtu 'ip proto 50 and (ip[6:2] & 0x3fff != 0)')" 0
  expect_eq "mtu: frames larger than MTU 1400 + Ethernet on the wire" "$(cap_count mtu 'greater 1415')" 0
  expect_eq "mtu: plain packets between the hosts on the wire" "$(cap_count mtu "ip host $HOST_A or ip host $HOST_B")" 0
  expect_gt "mtu: gateway B reassembled ESP and decrypted" "$(gw_counter b in-decrypted)" 0

  cap_start fragneeded "$NS_HA" eth0 'icmp'
  got=$(ping_count "$NS_HA" "$HOST_B" 2 -M do -s 1400)
  cap_stop fragneeded
  pout=$(cat "$T_WORK/ping.out")
  expect_eq "mtu: pings of 1400 bytes with DF set (dont-fragment=inherit) answered" "$got" 0
  expect_gt "mtu: host A received ICMP fragmentation needed (3/4)" "$(cap_count fragneeded 'icmp[0] = 3 and icmp[1] = 4')" 0
  cap_show fragneeded 4 'icmp[0] = 3'
  echo "$pout" | sed 's/^/      /'
  mtu=$(echo "$pout" | grep -oE 'mtu ?= ?[0-9]+' | head -1 | grep -oE '[0-9]+$')
  if [ -n "$mtu" ] && [ "$mtu" -lt 1400 ] && [ "$mtu" -ge 1300 ]; then
    pass "mtu: the MTU reported to host A leaves room for ESP ($mtu)"
    expect_ping "mtu: DF pings that fill the reported MTU ($mtu) cross" "$NS_HA" "$HOST_B" 2 -M do -s $((mtu - 28))
  else
    fail "mtu: host A was told no usable MTU (got '${mtu:-none}', want 1300..1399)"
  fi
fi

finish
