#!/usr/bin/env bash
# ipsecgw against an independent ESP/AH implementation: a scapy peer
# (test/integration/ipsec_scapy.py, python3-scapy + python3-cryptography) at
# 198.19.0.2 on the wire in front of gateway A (scripts/topology.sh "peer":
# host A, gateway A, and the WAN namespace where scapy sends and sniffs raw
# frames and answers ARP itself). It covers what two gateways with hosts
# behind them cannot show:
#  - ESP transport mode between scapy and gateway A's own address: the policy
#    has only sa-src/sa-dst (src/dst follow them as /32, as the seed shows);
#    an ESP-protected echo request to 198.19.0.1 gets an ESP-protected echo
#    reply that scapy verifies and decrypts; a plain request is dropped by the
#    incoming policy check, a bad ICV and a replayed sequence number are dropped;
#  - AH transport mode, the same exchange with AH;
#  - AH tunnel mode: scapy plays gateway B with host B behind it, sends
#    AH-tunnelled echo requests from 198.18.2.2 to host A and checks host A's
#    replies come back AH-tunnelled;
#  - ESP tunnel mode with every cipher and integrity algorithm, scapy again
#    as gateway B (manual-sa set live on gateway A, new SPIs each time).
set -uo pipefail
cd "$(dirname "$0")/../.."
TOPO=${TOPO:-gwt-peer}
source test/integration/lib.sh
ns_test_init scapy-peer
need_scapy
SCAPY="$PY3 test/integration/ipsec_scapy.py"
PEER_IP=$GW_B_WAN   # scapy stands where gateway B would
STATE=$T_WORK/peer-seq.json

# peer DESCRIPTION ARGS...: one scapy exchange with gateway A, in the WAN namespace.
peer() {
  local what=$1; shift
  local out rc
  out=$(ip netns exec "$NS_WAN" timeout 60 $SCAPY peer --iface "$WAN_CAP_IF" --my-ip "$PEER_IP" \
        --gw-ip "$GW_A_WAN" --state "$STATE" "$@" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then pass "$what"; else fail "$what (scapy exit $rc)"; fi
  echo "$out" | sed 's/^/      /'
}

EK_IN=$(hexkey 16 11) EK_OUT=$(hexkey 16 12) AK_IN=$(hexkey 20 13) AK_OUT=$(hexkey 20 14)

# The gateway's config for each scenario; IN/OUT from gateway A's side.
conf_common() {
  gw_conf_base a "$1"
  printf 'ipsec:\n' >>"$1"
}
conf_esp_transport() {
  conf_common "$1"
  cat >>"$1" <<YAML
  manual-sa:
    - name: t1
      esp-enc-algorithm: aes-128-cbc
      esp-auth-algorithm: sha1
      esp-enc-key: $EK_IN/$EK_OUT
      esp-auth-key: $AK_IN/$AK_OUT
      esp-spi: 0x4001/0x4000
  policies:
    - sa-src-address: $GW_A_WAN
      sa-dst-address: $PEER_IP
      action: encrypt
      tunnel: no
      manual-sa: t1
YAML
}
conf_ah_transport() {
  conf_common "$1"
  cat >>"$1" <<YAML
  manual-sa:
    - name: t1
      ah-algorithm: sha1
      ah-key: $AK_IN/$AK_OUT
      ah-spi: 0x4101/0x4100
  policies:
    - sa-src-address: $GW_A_WAN
      sa-dst-address: $PEER_IP
      action: encrypt
      ipsec-protocols: ah
      manual-sa: t1
YAML
}
conf_ah_tunnel() {
  conf_common "$1"
  cat >>"$1" <<YAML
  manual-sa:
    - name: t1
      ah-algorithm: sha1
      ah-key: $AK_IN/$AK_OUT
      ah-spi: 0x4201/0x4200
  policies:
    - src-address: $NET_A
      dst-address: $NET_B
      action: encrypt
      ipsec-protocols: ah
      tunnel: yes
      sa-src-address: $GW_A_WAN
      sa-dst-address: $PEER_IP
      manual-sa: t1
YAML
}
conf_esp_tunnel() {
  conf_common "$1"
  cat >>"$1" <<YAML
  manual-sa:
    - name: t1
      esp-enc-algorithm: aes-128-cbc
      esp-auth-algorithm: sha1
      esp-enc-key: $EK_IN/$EK_OUT
      esp-auth-key: $AK_IN/$AK_OUT
      esp-spi: 0x4301/0x4300
  policies:
    - src-address: $NET_A
      dst-address: $NET_B
      action: encrypt
      tunnel: yes
      sa-src-address: $GW_A_WAN
      sa-dst-address: $PEER_IP
      manual-sa: t1
YAML
}

scenario() {
  echo "# $1 (at ${SECONDS}s)"
  gw_stop_all
  conf_"$1" "$T_WORK/$1.yaml"
  gw_start a "$NS_GA" "$T_WORK/$1.yaml" || { fail "$1: gateway A starts"; return 1; }
}

topo_up peer

# ---------------------------------------------------------------- ESP transport
if scenario esp_transport; then
  out=$(gw_ctl a policy print 0)
  expect_contains "esp transport: src-address defaults to sa-src-address/32" "$out" "src-address=$GW_A_WAN/32"
  expect_contains "esp transport: dst-address defaults to sa-dst-address/32" "$out" "dst-address=$PEER_IP/32"
  expect_contains "esp transport: tunnel=no" "$out" "tunnel=no"
  OUT="esp:4001:aes-128-cbc:$EK_IN:sha1:$AK_IN:transport"   # scapy -> gateway (the gateway's IN SA)
  IN="esp:4000:aes-128-cbc:$EK_OUT:sha1:$AK_OUT:transport"  # gateway -> scapy
  peer "esp transport: ESP echo request to $GW_A_WAN, ESP echo reply decrypted by scapy" --out "$OUT" --in "$IN" --count 3 --warmup 2
  expect_gt "esp transport: in-decrypted" "$(gw_counter a in-decrypted)" 0
  expect_gt "esp transport: out-encrypt" "$(gw_counter a out-encrypt)" 0
  expect_gt "esp transport: policy 0 decrypted" "$(gw_policy_stat a 0 decrypted)" 0
  expect_gt "esp transport: policy 0 encrypted" "$(gw_policy_stat a 0 encrypted)" 0
  expect_gt "esp transport: SA 4001 (in) current-bytes" "$(gw_sa_field a 4001 current-bytes)" 0
  expect_gt "esp transport: SA 4000 (out) current-bytes" "$(gw_sa_field a 4000 current-bytes)" 0

  d0=$(gw_counter a in-decrypted)
  e0=$(gw_counter a in-drop-encrypted-expected)
  peer "esp transport: a plain echo request gets no answer" --out "$OUT" --in "$IN" --count 2 --plain --expect-none
  expect_gt "esp transport: in-drop-encrypted-expected grew by" "$(( $(gw_counter a in-drop-encrypted-expected) - e0 ))" 0
  i0=$(gw_counter a icv-failure)
  peer "esp transport: a request with a bad ICV gets no answer" --out "$OUT" --in "$IN" --count 2 --corrupt --expect-none
  expect_gt "esp transport: icv-failure grew by" "$(( $(gw_counter a icv-failure) - i0 ))" 0
  r0=$(gw_counter a replay)
  peer "esp transport: a replayed sequence number (1) gets no answer" --out "$OUT" --in "$IN" --count 1 --seq 1 --expect-none
  expect_gt "esp transport: replay drops grew by" "$(( $(gw_counter a replay) - r0 ))" 0
  expect_eq "esp transport: forged and replayed packets not counted as decrypted" "$(gw_counter a in-decrypted)" "$d0"
  peer "esp transport: still answers after the forgeries" --out "$OUT" --in "$IN" --count 2
fi

# ---------------------------------------------------------------- AH transport
if scenario ah_transport; then
  OUT="ah:4101:null::sha1:$AK_IN:transport"
  IN="ah:4100:null::sha1:$AK_OUT:transport"
  peer "ah transport: AH echo request to $GW_A_WAN, AH echo reply verified by scapy" --out "$OUT" --in "$IN" --count 3 --warmup 2
  expect_gt "ah transport: in-decrypted" "$(gw_counter a in-decrypted)" 0
  expect_gt "ah transport: out-encrypt" "$(gw_counter a out-encrypt)" 0
  expect_contains "ah transport: installed-sa shows AH SAs" "$(gw_ctl a installed-sa print)" "spi=4100"
  i0=$(gw_counter a icv-failure)
  peer "ah transport: a request with a bad ICV gets no answer" --out "$OUT" --in "$IN" --count 2 --corrupt --expect-none
  expect_gt "ah transport: icv-failure grew by" "$(( $(gw_counter a icv-failure) - i0 ))" 0
fi

# ---------------------------------------------------------------- AH tunnel
if scenario ah_tunnel; then
  ping_wait "$NS_HA" "$GW_A_LAN" 5 >/dev/null   # host A knows its gateway
  OUT="ah:4201:null::sha1:$AK_IN:tunnel"
  IN="ah:4200:null::sha1:$AK_OUT:tunnel"
  peer "ah tunnel: scapy as gateway B pings host A from $HOST_B, host A's replies come back AH-tunnelled" \
    --out "$OUT" --in "$IN" --inner-src "$HOST_B" --inner-dst "$HOST_A" --count 3 --warmup 5
  expect_gt "ah tunnel: in-decrypted" "$(gw_counter a in-decrypted)" 0
  expect_gt "ah tunnel: out-encrypt" "$(gw_counter a out-encrypt)" 0
  expect_gt "ah tunnel: policy 0 decrypted" "$(gw_policy_stat a 0 decrypted)" 0
fi

# ---------------------------------------------------------------- ESP tunnel, every algorithm
if scenario esp_tunnel; then
  ping_wait "$NS_HA" "$GW_A_LAN" 5 >/dev/null
  CASES=(
    "des sha1" "3des sha1" "aes-128-cbc sha1" "aes-192-cbc sha1" "aes-256-cbc sha1"
    "aes-128-ctr sha1" "aes-192-ctr sha1" "aes-256-ctr sha1"
    "aes-128-gcm null" "aes-256-gcm null" "chacha20poly1305 null" "null sha1"
    "aes-128-cbc md5" "aes-128-cbc sha256" "aes-128-cbc sha384" "aes-128-cbc sha512"
  )
  # one scapy run for all cases (scapy takes a second to start): each case
  # first sets gateway A's manual SA live, then exchanges echoes
  batch=$T_WORK/esp-tunnel.cases
  : >"$batch"
  i=0
  for c in "${CASES[@]}"; do
    set -- $c
    enc=$1 auth=$2
    spi_in=$(printf '%x' $((0x5001 + 16 * i))) spi_out=$(printf '%x' $((0x5000 + 16 * i)))
    ek_in=$(hexkey "$(enc_key_len "$enc")" $((2 * i + 101))) ek_out=$(hexkey "$(enc_key_len "$enc")" $((2 * i + 102)))
    ak_in=$(hexkey "$(auth_key_len "$auth")" $((2 * i + 151))) ak_out=$(hexkey "$(auth_key_len "$auth")" $((2 * i + 152)))
    i=$((i + 1))
    args="esp-enc-algorithm=$enc esp-auth-algorithm=$auth esp-spi=0x$spi_in/0x$spi_out"
    [ "$enc" = null ] || args+=" esp-enc-key=$ek_in/$ek_out"
    [ "$auth" = null ] || args+=" esp-auth-key=$ak_in/$ak_out"
    printf 'esp tunnel %s + %s\t%s -s %s manual-sa set t1 %s\t%s\t%s\n' "$enc" "$auth" \
      "$IPSECCTL" "${GW_SOCK[a]}" "$args" \
      "esp:$spi_in:$enc:$ek_in:$auth:$ak_in:tunnel" "esp:$spi_out:$enc:$ek_out:$auth:$ak_out:tunnel" >>"$batch"
  done
  out=$(ip netns exec "$NS_WAN" timeout 150 $SCAPY peer --iface "$WAN_CAP_IF" --my-ip "$PEER_IP" \
        --gw-ip "$GW_A_WAN" --inner-src "$HOST_B" --inner-dst "$HOST_A" --count 2 --warmup 3 \
        --batch "$batch" 2>&1)
  for c in "${CASES[@]}"; do
    d="esp tunnel ${c/ / + }"
    if grep -qxF "case ok: $d" <<<"$out"; then
      pass "$d: scapy <-> ipsecgw, echo from $HOST_B to host A and back"
    else
      fail "$d: scapy <-> ipsecgw, echo from $HOST_B to host A and back:"
      echo "$out" | sed -n "/^peer: -- $d\$/,/^case /p" | sed 's/^/      /'
    fi
  done
  expect_eq "esp tunnel: no ICV failures in the whole run" "$(gw_counter a icv-failure)" 0
fi

finish
