#!/usr/bin/env bash
# Two ipsecgw gateways in network namespaces with a manually keyed ESP tunnel
# between host A (198.18.1.2) and host B (198.18.2.2), scripts/topology.sh:
#  - ping and a TCP transfer (sha256 compared) cross the tunnel;
#  - the wire between the gateways carries ESP only: no plain packet between
#    the hosts, nothing but protocol 50; scapy decrypts what it captured with
#    the configured keys and finds the hosts' packets inside;
#  - the seed's counters move: out-encrypt and in-decrypted on both gateways,
#    policy stats encrypted/decrypted, installed-sa current-bytes and
#    current-usetime; no ICV, SPI or replay drops;
#  - installed-sa flush on both gateways: fresh SAs, the tunnel still works;
#  - every ESP cipher and integrity algorithm end to end (manual-sa set live on
#    both gateways, new SPIs each time), each also checked on the wire by scapy.
set -uo pipefail
cd "$(dirname "$0")/../.."
TOPO=${TOPO:-gwt-tun}
source test/integration/lib.sh
ns_test_init tunnel
need_scapy
SCAPY="$PY3 test/integration/ipsec_scapy.py"

topo_up
gw_start a "$NS_GA" test/integration/conf/tunnel-a.yaml || { fail "gateway A starts"; finish; exit 1; }
gw_start b "$NS_GB" test/integration/conf/tunnel-b.yaml || { fail "gateway B starts"; finish; exit 1; }
pass "both gateways started"

echo "# ping and TCP through the tunnel (at ${SECONDS}s)"
if ping_wait "$NS_HA" "$HOST_B" 15; then pass "first ping host A -> host B answered (ARP resolved)"
else fail "no ping host A -> host B answered within 15 s"; fi
cap_start ping "$NS_WAN" "$WAN_CAP_IF" || fail "tcpdump on the wire starts"
expect_ping "5 pings host A -> host B" "$NS_HA" "$HOST_B" 5
expect_ping "5 pings host B -> host A" "$NS_HB" "$HOST_A" 5
cap_stop ping
cap_start tcp "$NS_WAN" "$WAN_CAP_IF" || fail "tcpdump on the wire starts"
if out=$(tcp_transfer "$NS_HA" "$NS_HB" "$HOST_B" 4000000); then pass "TCP 4 MB host A -> host B intact: $out"
else fail "TCP 4 MB host A -> host B: $out"; fi
cap_stop tcp

echo "# the wire (at ${SECONDS}s)"
for c in ping tcp; do
  esp=$(cap_count $c 'ip proto 50')
  plain=$(cap_count $c "ip host $HOST_A or ip host $HOST_B")
  # the kernel's own multicast (IGMP reports when an interface comes up) is not ours
  other=$(cap_count $c 'ip and not ip multicast and not ip proto 50')
  expect_gt "$c: ESP packets on the wire" "$esp" 0
  expect_eq "$c: plain packets between the hosts on the wire" "$plain" 0
  [ "$plain" = 0 ] || cap_show $c 10 "ip host $HOST_A or ip host $HOST_B"
  expect_eq "$c: IP packets other than ESP on the wire" "$other" 0
  [ "$other" = 0 ] || cap_show $c 10 'ip and not ip multicast and not ip proto 50'
done
# (tcpdump may miss frames during the TCP burst on a busy machine: its counts
# are lower bounds, so only "none of a kind" is asserted on them)
echo "      tcpdump during TCP: $(grep -h 'captured\|dropped by kernel' "$T_WORK/tcp.tcpdump.log" | tr '\n' ' ')"
EK=00112233445566778899aabbccddeeff EK2=ffeeddccbbaa99887766554433221100
AK=0102030405060708090a0b0c0d0e0f1011121314 AK2=14131211100f0e0d0c0b0a090807060504030201
if out=$($SCAPY wire "${CAP_FILE[ping]}" \
    --sa "esp:1000:aes-128-cbc:$EK2:sha1:$AK2:tunnel" --sa "esp:1001:aes-128-cbc:$EK:sha1:$AK:tunnel" \
    --expect "esp/1000 icmp $HOST_A>$HOST_B echo-request" --expect "esp/1001 icmp $HOST_B>$HOST_A echo-reply" \
    --expect "esp/1000 icmp $HOST_A>$HOST_B echo-reply" --expect "esp/1001 icmp $HOST_B>$HOST_A echo-request" 2>&1)
then pass "scapy decrypts the wire's ESP with the configured keys: the hosts' pings inside"
else fail "scapy on the wire's ESP:"; fi
echo "$out" | sed 's/^/      /'

echo "# counters (at ${SECONDS}s)"
for g in a b; do
  for k in out-encrypt in-decrypted; do expect_gt "gateway $g: counters $k" "$(gw_counter $g $k)" 0; done
  for k in out-drop in-drop in-drop-encrypted-expected bad-spi icv-failure replay bad-padding; do
    expect_eq "gateway $g: counters $k" "$(gw_counter $g $k)" 0
  done
  for k in encrypted decrypted; do expect_gt "gateway $g: policy 0 stats $k" "$(gw_policy_stat $g 0 $k)" 0; done
done
enc_a=$(gw_counter a out-encrypt) dec_b=$(gw_counter b in-decrypted)
# A few frames may be lost on the way (the first ping waits for ARP, a busy
# machine may overrun an af_packet ring during the TCP burst); TCP resends them.
if [ "$dec_b" -le "$enc_a" ] && [ $((dec_b * 10)) -ge $((enc_a * 9)) ]; then
  pass "B decrypted what A encrypted, at least 90 % (A out-encrypt=$enc_a, B in-decrypted=$dec_b)"
else fail "A out-encrypt=$enc_a but B in-decrypted=$dec_b"; fi
for gs in "a 1000 out" "a 1001 in" "b 1001 out" "b 1000 in"; do
  set -- $gs
  expect_gt "gateway $1: SA $2 ($3) current-bytes" "$(gw_sa_field $1 $2 current-bytes)" 0
  u=$(gw_sa_field $1 $2 current-usetime)
  if [ -n "$u" ] && [ "$u" != null ]; then pass "gateway $1: SA $2 ($3) current-usetime set ($u)"
  else fail "gateway $1: SA $2 ($3) current-usetime not set: '$u'"; fi
done

echo "# installed-sa flush (at ${SECONDS}s)"
check "gateway A: installed-sa flush" gw_ctl a installed-sa flush
check "gateway B: installed-sa flush" gw_ctl b installed-sa flush
for gs in "a 1000" "a 1001" "b 1000" "b 1001"; do
  set -- $gs
  expect_eq "gateway $1: SA $2 installed again, mature" "$(gw_sa_field $1 $2 state)" mature
  expect_eq "gateway $1: SA $2 fresh: current-bytes" "$(gw_sa_field $1 $2 current-bytes)" 0
done
ping_wait "$NS_HA" "$HOST_B" 5 >/dev/null
expect_ping "after flush: 3 pings host A -> host B" "$NS_HA" "$HOST_B" 3
expect_gt "after flush: gateway A out SA counts again" "$(gw_sa_field a 1000 current-bytes)" 0

echo "# every ESP algorithm, live manual-sa set on both gateways (at ${SECONDS}s)"
# cipher/integrity pairs: every cipher (AEADs without integrity), then every integrity
CASES=(
  "des sha1" "3des sha1" "aes-128-cbc sha1" "aes-192-cbc sha1" "aes-256-cbc sha1"
  "aes-128-ctr sha1" "aes-192-ctr sha1" "aes-256-ctr sha1"
  "aes-128-gcm null" "aes-256-gcm null" "chacha20poly1305 null" "null sha1"
  "aes-128-cbc md5" "aes-128-cbc sha256" "aes-128-cbc sha384" "aes-128-cbc sha512"
)
cap_start algs "$NS_WAN" "$WAN_CAP_IF" 'ip proto 50' || fail "tcpdump on the wire starts"
wire_args=()
declare -A CASE_AB=() CASE_BA=()
i=0
for c in "${CASES[@]}"; do
  set -- $c
  enc=$1 auth=$2
  ab=$(printf '%x' $((0x2000 + 16 * i))) ba=$(printf '%x' $((0x2000 + 16 * i + 1)))
  CASE_AB[$c]=$ab CASE_BA[$c]=$ba
  ek_ab=$(hexkey "$(enc_key_len "$enc")" $((2 * i + 1))) ek_ba=$(hexkey "$(enc_key_len "$enc")" $((2 * i + 2)))
  ak_ab=$(hexkey "$(auth_key_len "$auth")" $((2 * i + 51))) ak_ba=$(hexkey "$(auth_key_len "$auth")" $((2 * i + 52)))
  set_a=(esp-enc-algorithm=$enc esp-auth-algorithm=$auth esp-spi=0x$ba/0x$ab)
  set_b=(esp-enc-algorithm=$enc esp-auth-algorithm=$auth esp-spi=0x$ab/0x$ba)
  if [ "$enc" != null ]; then set_a+=(esp-enc-key=$ek_ba/$ek_ab); set_b+=(esp-enc-key=$ek_ab/$ek_ba); fi
  if [ "$auth" != null ]; then set_a+=(esp-auth-key=$ak_ba/$ak_ab); set_b+=(esp-auth-key=$ak_ab/$ak_ba); fi
  wire_args+=(--sa "esp:$ab:$enc:$ek_ab:$auth:$ak_ab:tunnel" --sa "esp:$ba:$enc:$ek_ba:$auth:$ak_ba:tunnel")
  i=$((i + 1))
  if ! out=$(gw_ctl a manual-sa set sa1 "${set_a[@]}" 2>&1) || ! out2=$(gw_ctl b manual-sa set sa1 "${set_b[@]}" 2>&1); then
    fail "esp $enc + $auth: manual-sa set refused: ${out:-} ${out2:-}"
    continue
  fi
  expect_eq "esp $enc + $auth: gateway A installed-sa enc-algorithm" "$(gw_sa_field a $ab enc-algorithm)" \
    "$( [ "$enc" = null ] && echo none || echo "$enc")"
  expect_eq "esp $enc + $auth: gateway A installed-sa auth-algorithm" "$(gw_sa_field a $ab auth-algorithm)" \
    "$( [ "$auth" = null ] && echo none || echo "$auth")"
  if ! ping_wait "$NS_HA" "$HOST_B" 5; then
    fail "esp $enc + $auth: no ping answered within 5 s"
    continue
  fi
  expect_ping "esp $enc + $auth: 3 pings host A -> host B" "$NS_HA" "$HOST_B" 3
done
cap_stop algs
out=$($SCAPY wire "${CAP_FILE[algs]}" "${wire_args[@]}" 2>&1)
for c in "${CASES[@]}"; do
  ab=${CASE_AB[$c]} ba=${CASE_BA[$c]}
  if grep -q " esp/$ab icmp $HOST_A>$HOST_B echo-request\$" <<<"$out" &&
     grep -q " esp/$ba icmp $HOST_B>$HOST_A echo-reply\$" <<<"$out" &&
     ! grep -qE " esp/($ab|$ba) .*(Error|unknown)" <<<"$out"; then
    pass "esp ${c/ / + }: scapy decrypts both directions on the wire"
  else
    fail "esp ${c/ / + }: scapy did not decrypt both directions (SPIs $ab, $ba):"
    echo "$out" | grep -E "esp/($ab|$ba) " | sed 's/^/      /'
  fi
done
bad=$(echo "$out" | grep -E 'did not verify|missing|unknown-spi' || true)
expect_eq "every ESP packet of the algorithm run verified by scapy" "${bad:-none}" none

finish
