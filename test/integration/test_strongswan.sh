#!/usr/bin/env bash
# ipsecgw against strongSwan 5.9.8 (charon + swanctl, kernel-libipsec) over
# IKEv1 with a pre-shared key. strongSwan replaces gateway B of
# scripts/topology.sh: its namespace routes between "wan" (198.19.0.2) and
# "lan" (198.18.2.1, host B), ESP runs in charon over a TUN device, always in
# UDP 4500 (so our peer has nat-traversal: yes). docs/interop.md.
#
# The matrix (each phase 1 proposal and each ESP proposal at least once, both
# exchange modes, ipsecgw as initiator and as responder, with and without PFS):
#  - ping both ways and TCP both ways between host A and host B;
#  - the wire carries only ESP-in-UDP 4500 and IKE, never a plain packet
#    between the hosts;
#  - remote-peers print: established, the right side; installed-sa print: the
#    P flag exactly with PFS; policy ph2-state established; strongSwan's own
#    view (swanctl --list-sas) shows the CHILD_SA with the expected algorithms;
#  - two cases with a 30 s phase 2 lifetime: rekeys during a continuous ping
#    that loses nothing, started by strongSwan in one case and by ipsecgw in
#    the other (strongSwan installs its inbound SA only on quick mode message
#    3, so ipsecgw holds its new outbound SA until strongSwan uses the pair);
#    in these, DPD (RFC 3706) one way each: ipsecgw's R-U-THERE answered by
#    strongSwan, strongSwan's answered by ipsecgw;
#  - wrong pre-shared key (both roles, both modes) and proposal mismatches
#    (phase 1 and phase 2, both roles): no SA and a clear log line on our side.
# Fails (never skips) without strongSwan: scripts/install-deps.sh installs it.
# ONLY="mm-i1 psk-mm-i ..." runs only the cases named (debugging).
set -uo pipefail
cd "$(dirname "$0")/../.."
TOPO=${TOPO:-gwt-ss}
source test/integration/lib.sh
source test/integration/ike_lib.sh
need_strongswan
ns_test_init strongswan
trap 'rc=$?; ss_stop; (exit $rc); ns_test_cleanup' EXIT
STREAM_PID=
NATT=1

ss_debug() {
  [ -n "${SS_DIR:-}" ] && [ -s "$SS_DIR/charon.log" ] || return 0
  echo "    ---- strongSwan: swanctl --list-sas"
  ss_ctl --list-sas 2>&1 | sed 's/^/      /'
  echo "    ---- strongSwan: charon.log (last 25 lines)"
  tail -n 25 "$SS_DIR/charon.log" | sed 's/^/      /'
}
on_fail() { [ -n "$T_DEBUG_DONE" ] && return 0; gw_debug_once; ss_debug; }
T_ON_FAIL=on_fail

# up CASE GWARGS... -- SSARGS...: fresh topology (strongSwan's TUN routes go
# with its namespace), gateway A (ipsecgw) and charon loaded with the case.
up() {
  local c=$1; shift
  local ga=() sa=() side=gw kv
  for kv in "$@"; do
    if [ "$kv" = -- ]; then side=ss; continue; fi
    if [ $side = gw ]; then ga+=("$kv"); else sa+=("$kv"); fi
  done
  ss_stop; gw_stop a >/dev/null 2>&1
  topo_up
  ss_net_up
  ike_gw_conf a "$T_WORK/a.yaml" natt=yes "${ga[@]}" || return 1
  gw_start a "$NS_GA" "$T_WORK/a.yaml" || return 1
  SS_DIR=$T_WORK/ss-$c
  ss_start || return 1
  ss_conf "$SS_DIR/swanctl.conf" "${sa[@]}" || return 1
  ss_load "$SS_DIR/swanctl.conf"
}

down() { ss_stop; gw_stop a >/dev/null 2>&1; }
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

# case_run NAME MODE ROLE "P1ENC P1HASH DH" SS_IKE "ENC AUTH" SS_ESP PFS [LIFE [DPD [REKEYER]]]
#   ROLE is ipsecgw's: initiator (host A's ping starts it) or responder
#   (swanctl --initiate); PFS is a dh group or none; LIFE (seconds) given:
#   phase 2 lifetime on both, and a continuous ping over the rekeys; DPD gw
#   or ss: that side sends R-U-THERE (every 4 s / 3 s), the other answers;
#   REKEYER ss (default: strongSwan rekeys at 2/3 of LIFE or earlier, before
#   ipsecgw's 75-80 %) or gw (strongSwan rekeys at LIFE - 2 s exactly:
#   ipsecgw rekeys first).
case_run() {
  local name=$1 mode=$2 role=$3 p1=($4) ssike=$5 p2=($6) ssesp=$7 pfs=$8 life=${9:-} dpd=${10:-}
  local rekeyer=${11:-ss}
  local gwlife=30m sslife=() other gwdpd=2m ssdpd=0
  local t0
  want "$name" || return 0
  echo "# $name: $mode mode, ipsecgw $role, IKE $ssike, ESP $ssesp, PFS $pfs${life:+, lifetime ${life}s} (at ${SECONDS}s)"
  [ "$pfs" = none ] || ssesp=$ssesp-$pfs
  if [ -n "$life" ]; then gwlife=${life}s sslife=(life=${life}s rekey=$((life * 2 / 3))s); fi
  if [ -n "$life" ] && [ "$rekeyer" = gw ]; then sslife=(life=${life}s rekey=$((life - 2))s rand=0s); fi
  # ipsecgw's rekeys: strongSwan logs every ESP packet for an SA it does not
  # have (esp level 2), and the ping stream runs at 100 packets a second
  local SS_ESP_LOG=1 STREAM_INTERVAL=0.2
  [ "$rekeyer" = gw ] && SS_ESP_LOG=2 STREAM_INTERVAL=0.01
  [ "$dpd" = gw ] && gwdpd=4s
  [ "$dpd" = ss ] && ssdpd=3s
  if ! up "$name" mode=$mode p1enc=${p1[0]} p1hash=${p1[1]} dh=${p1[2]} enc=${p2[0]} auth=${p2[1]} pfs=$pfs \
      life=$gwlife dpd=$gwdpd -- mode=$mode ike=$ssike esp=$ssesp dpd=$ssdpd "${sslife[@]}"; then
    fail "$name: gateway A and charon start"; down; return
  fi
  t0=$SECONDS
  if [ "$role" = responder ]; then
    ss_ctl --initiate --child net --timeout 20 >"$SS_DIR/initiate.out" 2>&1 ||
      fail "$name: swanctl --initiate: $(tail -n 3 "$SS_DIR/initiate.out" | tr '\n' ' ')"
  fi
  if ping_wait "$NS_HA" "$HOST_B" 20; then pass "$name: first ping host A -> host B answered after $((SECONDS - t0)) s"
  else fail "$name: no ping host A -> host B answered within 20 s"; down; return; fi
  cap_start "$name" "$NS_WAN" "$WAN_CAP_IF" || fail "$name: tcpdump on the wire starts"
  expect_ping "$name: 5 pings host A -> host B" "$NS_HA" "$HOST_B" 5
  expect_ping "$name: 5 pings host B -> host A" "$NS_HB" "$HOST_A" 5
  if out=$(tcp_transfer "$NS_HA" "$NS_HB" "$HOST_B" 1000000); then pass "$name: TCP 1 MB host A -> host B intact"
  else fail "$name: TCP 1 MB host A -> host B: $out"; fi
  if out=$(tcp_transfer "$NS_HB" "$NS_HA" "$HOST_A" 500000); then pass "$name: TCP 500 kB host B -> host A intact"
  else fail "$name: TCP 500 kB host B -> host A: $out"; fi
  cap_stop "$name"
  ike_check_wire "$name"
  other=$(cap_count "$name" 'ip proto 50')
  expect_eq "$name: plain ESP (protocol 50) on the wire" "$other" 0

  expect_eq "$name: remote-peers state" "$(ike_peer_field a state)" established
  expect_eq "$name: remote-peers side" "$(ike_peer_field a side)" "$role"
  expect_eq "$name: installed-sa: 2 ESP SAs" "$(ike_sa_count a E)" 2
  expect_eq "$name: installed-sa: SAs with the P flag" "$(ike_sa_count a P)" "$([ "$pfs" = none ] && echo 0 || echo 2)"
  expect_eq "$name: policy 0 ph2-state" "$(gw_policy_stat a 0 ph2-state)" established
  expect_log "$name: gateway A logs the ISAKMP SA" a "ISAKMP SA established ($mode mode, $role"
  out=$(ss_ctl --list-sas 2>&1)
  expect_contains "$name: strongSwan: IKEv1 SA established" "$out" "ESTABLISHED, IKEv1"
  expect_contains "$name: strongSwan: CHILD_SA installed in UDP" "$out" "INSTALLED, TUNNEL-in-UDP"

  if [ -n "$life" ]; then
    local old new
    old=$(ike_spis a in)
    ping_stream_start "$NS_HA" "$HOST_B" $((life * 3 / 2 + 8))
    ping_stream_wait
    if [ "$STREAM_SENT" -gt 0 ] && [ "$STREAM_SENT" = "$STREAM_GOT" ]; then
      pass "$name: continuous ping over the rekey: $STREAM_GOT/$STREAM_SENT answered"
    else fail "$name: continuous ping over the rekey: $STREAM_GOT/$STREAM_SENT answered"; tail -n 3 "$T_WORK/stream.out" | sed 's/^/      /'; fi
    new=$(ike_spis a in)
    if [ -n "$new" ] && [ -z "$(comm -12 <(echo "$old") <(echo "$new"))" ]; then
      pass "$name: new inbound SPIs after the rekey ($(echo $old) -> $(echo $new))"
    else fail "$name: inbound SPIs before the rekey '$(echo $old)', after '$(echo $new)'"; fi
    expect_eq "$name: policy 0 ph2-state after the rekey" "$(gw_policy_stat a 0 ph2-state)" established
    n=$(grep -c "ESP SA pair installed" "${GW_LOG[a]}") gap=$(ike_install_gap_ms a)
    if [ "$n" -ge 2 ] && [[ "$gap" =~ ^[0-9]+$ ]] && [ "$gap" -ge 2000 ]; then
      pass "$name: $n SA pairs installed, at least ${gap} ms apart (no duplicate rekey)"
    else fail "$name: $n SA pairs installed, shortest gap '$gap' ms"; grep -h "installed\|rekey" "${GW_LOG[a]}" | sed 's/^/      /'; fi
    n=$(grep -c "quick mode for policy uid .*, rekey)" "${GW_LOG[a]}")
    if [ "$rekeyer" = gw ]; then
      expect_gt "$name: ipsecgw started the rekeys" "$n" 0
      n=$(grep -c "does not belong to an installed SA" "$SS_DIR/charon.log")
      expect_eq "$name: strongSwan got no ESP packet for an SA it did not have yet" "$n" 0
    fi
  fi
  if [ -n "$dpd" ]; then
    # who sent R-U-THERE: strongSwan parses (gw) or generates (ss) N(DPD), and the ACK the other way
    local ack=generating req=parsed
    # strongSwan asks only when nothing came in on the tunnel: 8 s idle first
    [ "$dpd" = ss ] && { ack=parsed req=generating; sleep 8; }
    n=$(grep -c "$req INFORMATIONAL_V1 request .*N(DPD) \]" "$SS_DIR/charon.log")
    expect_gt "$name: DPD: R-U-THERE from $([ "$dpd" = gw ] && echo ipsecgw || echo strongSwan)" "$n" 1
    n=$(grep -c "$ack INFORMATIONAL_V1 request .*N(DPD_ACK)" "$SS_DIR/charon.log")
    expect_gt "$name: DPD: R-U-THERE-ACK from $([ "$dpd" = gw ] && echo strongSwan || echo ipsecgw)" "$n" 1
    expect_not_contains "$name: DPD: nobody declared dead" "$(grep -i 'dead\|DPD: ' "${GW_LOG[a]}")" "dead"
    expect_eq "$name: DPD: remote-peers still established" "$(ike_peer_field a state)" established
  fi
  for k in icv-failure bad-spi replay; do expect_eq "$name: counters $k" "$(gw_counter a $k)" 0; done
  down
}

# phase 1: 3des-md5-modp1024, aes128-sha1-modp2048, aes256-sha256-modp2048;
# ESP: aes128-sha1, 3des-md5, aes128gcm16, aes256-sha256; PFS on and off.
P1_3DES="3des md5 modp1024"  P1_AES128="aes-128 sha1 modp2048"  P1_AES256="aes-256 sha256 modp2048"
SS_3DES=3des-md5-modp1024    SS_AES128=aes128-sha1-modp2048    SS_AES256=aes256-sha256-modp2048
case_run mm-i1 main       initiator "$P1_AES128" $SS_AES128 "aes-128-cbc sha1"   aes128-sha1   modp2048 30 gw
case_run mm-r1 main       responder "$P1_3DES"   $SS_3DES   "3des md5"           3des-md5      none
case_run am-i1 aggressive initiator "$P1_AES256" $SS_AES256 "aes-128-gcm null"   aes128gcm16   modp2048
case_run am-r1 aggressive responder "$P1_AES128" $SS_AES128 "aes-256-cbc sha256" aes256-sha256 none     30 ss gw
case_run mm-i2 main       initiator "$P1_3DES"   $SS_3DES   "aes-256-cbc sha256" aes256-sha256 modp1024
case_run mm-r2 main       responder "$P1_AES256" $SS_AES256 "aes-128-gcm null"   aes128gcm16   modp2048
case_run am-i2 aggressive initiator "$P1_AES128" $SS_AES128 "3des md5"           3des-md5      none
case_run am-r2 aggressive responder "$P1_3DES"   $SS_3DES   "aes-128-cbc sha1"   aes128-sha1   modp1024

# neg NAME ROLE GWARGS... -- SSARGS...: no SA may result; the caller checks the log.
neg() {
  local name=$1 role=$2; shift 2
  want "$name" || return 1
  echo "# $name (at ${SECONDS}s)"
  if ! up "$name" "$@"; then fail "$name: gateway A and charon start"; return 1; fi
  if [ "$role" = responder ]; then
    ss_ctl --initiate --child net --timeout 6 >"$SS_DIR/initiate.out" 2>&1 &&
      fail "$name: swanctl --initiate succeeded"
  fi
  expect_no_ping "$name: no ping host A -> host B" "$NS_HA" "$HOST_B" 3
  return 0
}
neg_end() {
  expect_eq "$1: gateway A has no SA" "$(ike_sa_count a E)" 0
  down
}

WRONG=secret=not-the-same-key
if neg psk-mm-i initiator mode=main -- mode=main $WRONG; then
  expect_log "psk-mm-i: gateway A says why" a "cannot decrypt its answer to our main mode message 5 — probably a wrong pre-shared key" 10
  neg_end psk-mm-i
fi
if neg psk-mm-r responder mode=main -- mode=main $WRONG; then
  expect_log "psk-mm-r: gateway A says why" a "invalid HASH — probably a wrong pre-shared key" 10
  neg_end psk-mm-r
fi
if neg psk-am-i initiator mode=aggressive -- mode=aggressive $WRONG; then
  expect_log "psk-am-i: gateway A says why" a "invalid HASH — probably a wrong pre-shared key" 10
  neg_end psk-am-i
fi
if neg psk-am-r responder mode=aggressive -- mode=aggressive $WRONG; then
  expect_log "psk-am-r: gateway A says why" a "cannot decrypt its answer to our aggressive mode message 2 — probably a wrong pre-shared key" 10
  neg_end psk-am-r
fi
if neg p1-mismatch-i initiator p1enc=aes-128 -- ike=aes256-sha1-modp2048; then
  expect_log "p1-mismatch-i: gateway A is told" a "NO-PROPOSAL-CHOSEN" 10
  neg_end p1-mismatch-i
fi
if neg p1-mismatch-r responder p1enc=aes-128 -- ike=aes256-sha1-modp2048; then
  expect_log "p1-mismatch-r: gateway A says why" a "no proposal chosen" 10
  neg_end p1-mismatch-r
fi
if neg p2-mismatch-i initiator enc=aes-128-cbc -- esp=3des-sha1-modp2048; then
  expect_log "p2-mismatch-i: gateway A is told" a "quick mode refused: NO-PROPOSAL-CHOSEN" 10
  neg_end p2-mismatch-i
fi
if neg p2-mismatch-r responder enc=aes-128-cbc -- esp=3des-sha1-modp2048; then
  expect_log "p2-mismatch-r: gateway A says why" a "no proposal chosen for policy" 10
  neg_end p2-mismatch-r
fi

echo "# took ${SECONDS}s"
finish
