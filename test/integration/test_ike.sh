#!/usr/bin/env bash
# Two ipsecgw gateways in network namespaces (scripts/topology.sh) that
# negotiate their ESP tunnel with IKEv1 and a pre-shared key:
#  - main mode and aggressive mode: the first ping triggers ACQUIRE, phase 1
#    and quick mode (PFS); ping and TCP both ways; the wire carries ESP and IKE
#    only; remote-peers print shows established with the right side on both,
#    installed-sa print the P flag, policy print stats ph2-state=established;
#  - a 25 s proposal lifetime: phase 2 rekeys (new SPIs) during a continuous
#    ping that loses nothing;
#  - installed-sa flush: SAs renegotiated on the next traffic;
#  - an AH+ESP bundle (ipsec-protocols=ah,esp) from one quick mode: the wire
#    carries AH whose next header is ESP, never bare ESP; both pairs rekey
#    together under a continuous ping that loses nothing;
#  - a wrong pre-shared key and a phase 1 / phase 2 proposal mismatch: no SA,
#    no ping, and a clear log line on our side.
set -uo pipefail
cd "$(dirname "$0")/../.."
TOPO=${TOPO:-gwt-ike}
source test/integration/lib.sh
source test/integration/ike_lib.sh
ns_test_init ike
STREAM_PID=
LIFE=25

topo_up

# start_pair [key=value...]: both gateways with the same IKE settings (the
# key=value pairs for gateway B only follow a "--").
start_pair() {
  local a=() b=() side=both kv
  for kv in "$@"; do
    if [ "$kv" = -- ]; then side=b; continue; fi
    b+=("$kv"); [ $side = both ] && a+=("$kv")
  done
  ike_gw_conf a "$T_WORK/a.yaml" "${a[@]}" || return 1
  ike_gw_conf b "$T_WORK/b.yaml" "${b[@]}" || return 1
  gw_start a "$NS_GA" "$T_WORK/a.yaml" || return 1
  gw_start b "$NS_GB" "$T_WORK/b.yaml" || return 1
}

stop_pair() {
  gw_stop a >/dev/null 2>&1
  gw_stop b >/dev/null 2>&1
}

# ONLY="main bundle neg" runs only the parts named (debugging).
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

for mode in main aggressive; do
  want $mode || continue
  echo "# $mode mode, PFS, proposal lifetime ${LIFE}s (at ${SECONDS}s)"
  if ! start_pair mode=$mode enc=aes-128-cbc auth=sha1 pfs=modp2048 life=${LIFE}s; then
    fail "$mode: gateways start"; stop_pair; continue
  fi
  t0=$SECONDS
  if ping_wait "$NS_HA" "$HOST_B" 20; then pass "$mode: first ping host A -> host B answered after $((SECONDS - t0)) s (ACQUIRE, phase 1, quick mode)"
  else fail "$mode: no ping host A -> host B answered within 20 s"; stop_pair; continue; fi
  cap_start $mode "$NS_WAN" "$WAN_CAP_IF" || fail "tcpdump on the wire starts"
  expect_ping "$mode: 5 pings host A -> host B" "$NS_HA" "$HOST_B" 5
  expect_ping "$mode: 5 pings host B -> host A" "$NS_HB" "$HOST_A" 5
  if out=$(tcp_transfer "$NS_HA" "$NS_HB" "$HOST_B" 2000000); then pass "$mode: TCP 2 MB host A -> host B intact: $out"
  else fail "$mode: TCP 2 MB host A -> host B: $out"; fi
  if out=$(tcp_transfer "$NS_HB" "$NS_HA" "$HOST_A" 1000000); then pass "$mode: TCP 1 MB host B -> host A intact: $out"
  else fail "$mode: TCP 1 MB host B -> host A: $out"; fi
  cap_stop $mode
  NATT=0 ike_check_wire $mode

  for gs in "a initiator" "b responder"; do
    set -- $gs
    expect_eq "$mode: gateway $1 remote-peers state" "$(ike_peer_field $1 state)" established
    expect_eq "$mode: gateway $1 remote-peers side" "$(ike_peer_field $1 side)" "$2"
    expect_eq "$mode: gateway $1 installed-sa: 2 SAs with E and P (PFS)" "$(ike_sa_count $1 P)" 2
    expect_eq "$mode: gateway $1 policy 0 ph2-state" "$(gw_policy_stat $1 0 ph2-state)" established
    expect_gt "$mode: gateway $1 policy 0 encrypted" "$(gw_policy_stat $1 0 encrypted)" 0
  done
  expect_log "$mode: gateway A logs the ISAKMP SA" a "ISAKMP SA established ($mode mode, initiator"
  expect_log "$mode: gateway B logs the ISAKMP SA" b "ISAKMP SA established ($mode mode, responder"

  echo "# $mode: phase 2 rekey during a continuous ping (at ${SECONDS}s)"
  spis_a=$(ike_spis a in) spis_b=$(ike_spis b in)
  ping_stream_start "$NS_HA" "$HOST_B" $((LIFE + 12))
  ping_stream_wait; sent=$STREAM_SENT got=$STREAM_GOT
  if [ "$sent" -gt 0 ] && [ "$sent" = "$got" ]; then pass "$mode: continuous ping over the rekey: $got/$sent answered"
  else fail "$mode: continuous ping over the rekey: $got/$sent answered"; tail -n 3 "$T_WORK/stream.out" | sed 's/^/      /'; fi
  for g in a b; do
    old=$([ $g = a ] && echo "$spis_a" || echo "$spis_b")
    new=$(ike_spis $g in)
    if [ -n "$new" ] && [ -z "$(comm -12 <(echo "$old") <(echo "$new"))" ]; then
      pass "$mode: gateway $g: new inbound SPIs after the rekey ($(echo $old) -> $(echo $new))"
    else fail "$mode: gateway $g: inbound SPIs before the rekey '$(echo $old)', after '$(echo $new)'"; fi
    n=$(grep -c "ESP SA pair installed" "${GW_LOG[$g]}") gap=$(ike_install_gap_ms $g)
    if [ "$n" -ge 2 ] && [[ "$gap" =~ ^[0-9]+$ ]] && [ "$gap" -ge 2000 ]; then
      pass "$mode: gateway $g: $n SA pairs installed, at least ${gap} ms apart (no duplicate rekey)"
    else fail "$mode: gateway $g: $n SA pairs installed, shortest gap '$gap' ms"; grep -h "installed\|rekey" "${GW_LOG[$g]}" | sed 's/^/      /'; fi
    expect_eq "$mode: gateway $g policy 0 ph2-state after the rekey" "$(gw_policy_stat $g 0 ph2-state)" established
  done
  expect_eq "$mode: gateway A: counters icv-failure" "$(gw_counter a icv-failure)" 0
  expect_eq "$mode: gateway B: counters bad-spi" "$(gw_counter b bad-spi)" 0

  echo "# $mode: installed-sa flush (at ${SECONDS}s)"
  check "$mode: gateway A: installed-sa flush" gw_ctl a installed-sa flush
  check "$mode: gateway B: installed-sa flush" gw_ctl b installed-sa flush
  expect_eq "$mode: gateway A has no SA after the flush" "$(ike_sa_count a E)" 0
  old=$(ike_spis a in)
  if ping_wait "$NS_HA" "$HOST_B" 20; then pass "$mode: after the flush, traffic renegotiates: ping answered"
  else fail "$mode: after the flush, no ping answered within 20 s"; fi
  expect_ping "$mode: after the flush: 5 pings host A -> host B" "$NS_HA" "$HOST_B" 5
  expect_eq "$mode: gateway A: 2 SAs again after the flush" "$(ike_sa_count a P)" 2
  expect_eq "$mode: gateway B: 2 SAs again after the flush" "$(ike_sa_count b P)" 2
  stop_pair
done

want bundle && echo "# AH+ESP bundle from one quick mode (at ${SECONDS}s)"
if ! want bundle; then :
elif start_pair protos=ah,esp enc=aes-128-cbc auth=sha1 pfs=modp2048 life=${LIFE}s; then
  if ping_wait "$NS_HA" "$HOST_B" 20; then pass "bundle: first ping host A -> host B answered"
  else fail "bundle: no ping host A -> host B answered within 20 s"; fi
  cap_start bundle "$NS_WAN" "$WAN_CAP_IF" || fail "bundle: tcpdump on the wire starts"
  expect_ping "bundle: 5 pings host A -> host B" "$NS_HA" "$HOST_B" 5
  expect_ping "bundle: 5 pings host B -> host A" "$NS_HB" "$HOST_A" 5
  if out=$(tcp_transfer "$NS_HA" "$NS_HB" "$HOST_B" 1000000); then pass "bundle: TCP 1 MB host A -> host B intact"
  else fail "bundle: TCP 1 MB host A -> host B: $out"; fi
  cap_stop bundle
  # first fragments (or whole packets; large ones leave as IP fragments):
  # AH's first byte (after a 20-byte IPv4 header) is its next header, ESP
  ah=$(cap_count bundle 'ip proto 51 and ip[6:2] & 0x1fff = 0')
  ah_esp=$(cap_count bundle 'ip proto 51 and ip[6:2] & 0x1fff = 0 and ip[0] & 0xf = 5 and ip[20] = 50')
  expect_gt "bundle: AH packets on the wire" "$ah" 100
  expect_eq "bundle: every AH packet carries ESP" "$ah_esp" "$ah"
  expect_eq "bundle: bare ESP packets on the wire" "$(cap_count bundle 'ip proto 50')" 0
  for g in a b; do
    expect_eq "bundle: gateway $g installed-sa: 2 AH SAs" "$(ike_sa_count $g A)" 2
    expect_eq "bundle: gateway $g installed-sa: 2 ESP SAs" "$(ike_sa_count $g E)" 2
  done
  expect_log "bundle: gateway A logs the AH pair" a "AH SA pair of the bundle installed"
  spis_a=$(ike_spis a in)
  ping_stream_start "$NS_HA" "$HOST_B" $((LIFE + 12))
  ping_stream_wait
  if [ "$STREAM_SENT" -gt 0 ] && [ "$STREAM_SENT" = "$STREAM_GOT" ]; then
    pass "bundle: continuous ping over the rekey: $STREAM_GOT/$STREAM_SENT answered"
  else fail "bundle: continuous ping over the rekey: $STREAM_GOT/$STREAM_SENT answered"; fi
  new=$(ike_spis a in)
  if [ "$(echo "$new" | wc -w)" -ge 2 ] && [ -z "$(comm -12 <(echo "$spis_a") <(echo "$new"))" ]; then
    pass "bundle: gateway a: new inbound SPIs for both SAs after the rekey ($(echo $spis_a) -> $(echo $new))"
  else fail "bundle: gateway a: inbound SPIs before the rekey '$(echo $spis_a)', after '$(echo $new)'"; fi
  for k in icv-failure bad-spi replay; do
    expect_eq "bundle: gateway A: counters $k" "$(gw_counter a $k)" 0
    expect_eq "bundle: gateway B: counters $k" "$(gw_counter b $k)" 0
  done
else
  fail "bundle: gateways start"
fi
stop_pair

if ! want neg; then finish; exit; fi
echo "# wrong pre-shared key (at ${SECONDS}s)"
start_pair -- secret=not-the-same-key || fail "gateways start"
expect_no_ping "wrong PSK: no ping host A -> host B" "$NS_HA" "$HOST_B" 4
expect_log "wrong PSK: gateway B (responder) says why" b "probably a wrong pre-shared key" 15
expect_gt "wrong PSK: gateway B counts it (counters print detail: ike-auth-failures)" "$(gw_counter b ike-auth-failures)" 0
expect_gt "wrong PSK: gateway A's retransmissions counted (ike-retransmits-tx)" "$(gw_counter a ike-retransmits-tx)" 0
expect_eq "wrong PSK: gateway A has no SA" "$(ike_sa_count a E)" 0
expect_eq "wrong PSK: gateway B has no SA" "$(ike_sa_count b E)" 0
stop_pair

echo "# phase 1 proposal mismatch (at ${SECONDS}s)"
start_pair p1enc=aes-128 -- p1enc=aes-256 || fail "gateways start"
expect_no_ping "phase 1 mismatch: no ping host A -> host B" "$NS_HA" "$HOST_B" 4
expect_log "phase 1 mismatch: gateway B (responder) says why" b "no proposal chosen" 15
expect_log "phase 1 mismatch: gateway A (initiator) is told" a "NO-PROPOSAL-CHOSEN" 15
expect_eq "phase 1 mismatch: gateway A has no SA" "$(ike_sa_count a E)" 0
expect_eq "phase 1 mismatch: gateway B has no SA" "$(ike_sa_count b E)" 0
stop_pair

echo "# phase 2 proposal mismatch (at ${SECONDS}s)"
start_pair enc=aes-128-cbc -- enc=3des || fail "gateways start"
expect_no_ping "phase 2 mismatch: no ping host A -> host B" "$NS_HA" "$HOST_B" 4
expect_log "phase 2 mismatch: gateway B (responder) says why" b "no proposal chosen" 15
expect_log "phase 2 mismatch: gateway A (initiator) is told" a "NO-PROPOSAL-CHOSEN" 15
expect_eq "phase 2 mismatch: gateway A has no SA" "$(ike_sa_count a E)" 0
expect_eq "phase 2 mismatch: gateway B has no SA" "$(ike_sa_count b E)" 0
stop_pair

finish
