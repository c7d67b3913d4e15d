# Helpers for the IKE integration tests (test_ike.sh, test_strongswan.sh,
# scripts/ike-scale.sh). Sourced after lib.sh (bash).

# ike_gw_conf SIDE FILE [key=value...]: a gateway of scripts/topology.sh (a or
# b) with one IKE peer (the other gateway) and one encrypt policy between the
# two host subnets, negotiated by IKE (no manual-sa). Keys and defaults:
#   mode=main secret=ipsecgw-test p1enc=aes-128 p1hash=sha1 dh=modp2048
#   p1life=1d natt=no enc=aes-128-cbc auth=sha1 pfs=modp2048 life=30m
#   check=strict dpd=2m ic=yes protos=esp (the policy's ipsec-protocols)
# Sets MY_NET PEER_NET MY_WAN PEER_WAN (gw_conf_base).
ike_gw_conf() {
  local side=$1 f=$2; shift 2
  local mode=main secret=ipsecgw-test p1enc=aes-128 p1hash=sha1 dh=modp2048 p1life=1d natt=no
  local enc=aes-128-cbc auth=sha1 pfs=modp2048 life=30m check=strict dpd=2m ic=yes protos=esp kv
  for kv in "$@"; do
    case ${kv%%=*} in
      mode|secret|p1enc|p1hash|dh|p1life|natt|enc|auth|pfs|life|check|dpd|ic|protos) local "$kv" ;;
      *) echo "ike_gw_conf: unknown key ${kv%%=*}" >&2; return 1 ;;
    esac
  done
  gw_conf_base "$side" "$f"
  cat >>"$f" <<YAML
ipsec:
  proposals:
    - name: default
      enc-algorithms: $enc
      auth-algorithms: $auth
      pfs-group: $pfs
      lifetime: $life
  peers:
    - address: $PEER_WAN/32
      secret: "$secret"
      exchange-mode: $mode
      enc-algorithm: $p1enc
      hash-algorithm: $p1hash
      dh-group: $dh
      lifetime: $p1life
      nat-traversal: $natt
      proposal-check: $check
      dpd-interval: $dpd
      send-initial-contact: $ic
  policies:
    - src-address: $MY_NET
      dst-address: $PEER_NET
      action: encrypt
      tunnel: yes
      ipsec-protocols: $protos
      sa-src-address: $MY_WAN
      sa-dst-address: $PEER_WAN
YAML
}

# ike_peer_field NAME KEY: KEY of gateway NAME's first remote-peers entry.
ike_peer_field() {
  local j
  j=$(gw_ctl "$1" --json remote-peers print 2>/dev/null) || return 0
  json_field "$j" "$2"
}

# ike_wait_p1 NAME [SECONDS]: until gateway NAME shows an established remote peer.
ike_wait_p1() {
  local end=$((SECONDS + ${2:-20}))
  while [ $SECONDS -lt $end ]; do
    gw_ctl "$1" --json remote-peers print 2>/dev/null | grep -q '"state":"established"' && return 0
    sleep 0.2
  done
  return 1
}

# ike_sa_count NAME [FLAG]: installed SAs of gateway NAME (with FLAG among the flags).
ike_sa_count() {
  local j
  j=$(gw_ctl "$1" --json installed-sa print 2>/dev/null) || { echo -1; return; }
  printf '%s' "$j" | sed 's/},{/}\n{/g' | grep -c "\"flags\":\"[^\"]*${2:-}[^\"]*\"" || true
}

# ike_spis NAME DIR: the SPIs (hex) of gateway NAME's installed SAs of direction DIR.
ike_spis() {
  gw_ctl "$1" --json installed-sa print 2>/dev/null | sed 's/},{/}\n{/g' |
    grep "\"direction\":\"$2\"" | sed -n 's/.*"spi":"\([0-9A-F]*\)".*/\1/p' | sort
}

# ike_wait_log NAME TEXT [SECONDS]: until gateway NAME's log has TEXT (grep -F).
ike_wait_log() {
  local end=$((SECONDS + ${3:-10}))
  while [ $SECONDS -lt $end ]; do
    grep -qF -- "$2" "${GW_LOG[$1]}" && return 0
    sleep 0.2
  done
  return 1
}

# expect_log DESCRIPTION NAME TEXT [SECONDS]: gateway NAME logs TEXT in time.
expect_log() {
  if ike_wait_log "$2" "$3" "${4:-10}"; then
    pass "$1: $(grep -F -- "$3" "${GW_LOG[$2]}" | head -1 | sed 's/^ *//' | cut -c1-160)"
  else
    fail "$1: no \"$3\" in gateway $2's log"
    grep -i ' ike' "${GW_LOG[$2]}" | tail -n 15 | sed 's/^/      /'
  fi
}

# ping_stream_start NS DST SECONDS: a background ping, 5 per second, for SECONDS;
# its output goes to $T_WORK/stream.out. ping_stream_wait waits for it and sets
# STREAM_SENT and STREAM_GOT.
ping_stream_start() {
  ip netns exec "$1" ping -n -i "${STREAM_INTERVAL:-0.2}" -W 1 -w "$3" "$2" >"$T_WORK/stream.out" 2>&1 &
  STREAM_PID=$!
}
ping_stream_wait() {
  wait "$STREAM_PID" 2>/dev/null
  STREAM_PID=
  STREAM_SENT=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$T_WORK/stream.out")
  STREAM_GOT=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T_WORK/stream.out")
  STREAM_SENT=${STREAM_SENT:-0} STREAM_GOT=${STREAM_GOT:-0}
}

# ike_check_wire CAPTURE: the capture on the wire carries ESP (in UDP 4500 when
# NATT=1, else IP protocol 50) and IKE only, and no plain packet between the hosts.
# An ESP-in-UDP packet larger than the wire's MTU goes out in IP fragments:
# the non-first ones carry no UDP header, they count as ESP-in-UDP when they
# are UDP between the two gateways.
#
# The kernel's own IPv4 multicast (an IGMP report from 0.0.0.0 when a
# namespace's interface comes up, seen in CI) is neither gateway's traffic and
# is left out of "other".
ike_check_wire() {
  local c=$1 esp plain other frag="ip proto 17 and ip[6:2] & 0x1fff != 0 and host $GW_A_WAN and host $GW_B_WAN"
  if [ "${NATT:-0}" = 1 ]; then
    esp=$(cap_count "$c" 'udp port 4500 and udp[8:4] != 0')
    other=$(cap_count "$c" "ip and not ip multicast and not (udp port 4500 or udp port 500) and not ($frag)")
  else
    esp=$(cap_count "$c" 'ip proto 50')
    other=$(cap_count "$c" 'ip and not ip multicast and not (ip proto 50 or udp port 500)')
  fi
  plain=$(cap_count "$c" "ip host $HOST_A or ip host $HOST_B")
  expect_gt "$c: ESP packets on the wire" "$esp" 0
  expect_eq "$c: plain packets between the hosts on the wire" "$plain" 0
  [ "$plain" = 0 ] || cap_show "$c" 10 "ip host $HOST_A or ip host $HOST_B"
  expect_eq "$c: packets other than ESP and IKE on the wire" "$other" 0
  [ "$other" = 0 ] || cap_show "$c" 10 "ip and not ip multicast and not (ip proto 50 or udp port 500 or udp port 4500) and not ($frag)"
}

# ---------------------------------------------------------------------------
# strongSwan (charon + swanctl, kernel-libipsec) as gateway B in NS_GB.
# Each charon has its own directory SS_DIR with strongswan.conf, swanctl.conf,
# the vici socket and a private /run (charon's pid file path is compiled in):
# "ip netns exec" already gives the command its own mount namespace, where
# /run is bind-mounted over. ESP runs in userspace over a TUN device (no XFRM
# in this kernel) and always in UDP 4500 (FACTS.md).

SS_CHARON=${SS_CHARON:-/usr/lib/ipsec/charon}
SS_PID=

need_strongswan() {
  if [ ! -x "$SS_CHARON" ] || ! command -v swanctl >/dev/null 2>&1 ||
     [ ! -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
     [ ! -e /usr/lib/ipsec/plugins/libstrongswan-openssl.so ]; then
    echo "FAIL: $0 needs strongSwan (charon, swanctl, kernel-libipsec, openssl plugin): run scripts/install-deps.sh" >&2
    exit 1
  fi
}

# ss_net_up: gateway B's namespace as a Linux router: addresses on wan and lan,
# forwarding on.
ss_net_up() {
  ip -n "$NS_GB" addr add "$GW_B_WAN/24" dev wan
  ip -n "$NS_GB" addr add "$GW_B_LAN/24" dev lan
  ip netns exec "$NS_GB" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$NS_GB" sysctl -qw net.ipv4.conf.all.rp_filter=0
  ip netns exec "$NS_GB" sysctl -qw net.ipv4.conf.default.rp_filter=0
}

# ss_start: writes strongswan.conf into SS_DIR (created) and starts charon in NS_GB;
# waits until its vici socket answers (10 s).
ss_start() {
  SS_DIR=${SS_DIR:-$T_WORK/ss}
  mkdir -p "$SS_DIR/run"
  cat >"$SS_DIR/strongswan.conf" <<CONF
charon {
  load_modular = no
  load = random nonce openssl aes sha1 sha2 md5 hmac gmp kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
  retransmit_timeout = 2.0
  retransmit_tries = 3
  install_virtual_ip = no
  plugins {
    vici { socket = unix://$SS_DIR/charon.vici }
    kernel-libipsec { allow_peer_ts = no }
  }
  syslog { daemon { default = -1 } }
  filelog {
    charon {
      path = $SS_DIR/charon.log
      time_format = %H:%M:%S
      default = 1
      ike = ${SS_IKE_LOG:-2}
      knl = 2
      cfg = 2
      esp = ${SS_ESP_LOG:-1}
      flush_line = yes
    }
  }
}
swanctl {
  load = random openssl pem pkcs1 x509 pubkey
  socket = unix://$SS_DIR/charon.vici
}
CONF
  ip netns exec "$NS_GB" env STRONGSWAN_CONF="$SS_DIR/strongswan.conf" \
    sh -c 'mount --bind "$1/run" /run && exec "$2"' sh "$SS_DIR" "$SS_CHARON" \
    >"$SS_DIR/charon.out" 2>&1 &
  SS_PID=$!
  local i
  for i in $(seq 1 100); do
    ss_ctl --stats >/dev/null 2>&1 && return 0
    kill -0 "$SS_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "charon did not start:"; tail -n 20 "$SS_DIR/charon.out" "$SS_DIR/charon.log" 2>/dev/null | sed 's/^/      /'
  return 1
}

# ss_ctl ARGS...: swanctl against our charon.
ss_ctl() {
  ip netns exec "$NS_GB" env STRONGSWAN_CONF="$SS_DIR/strongswan.conf" \
    timeout "${SS_CTL_TIMEOUT:-30}" swanctl "$@" --uri "unix://$SS_DIR/charon.vici"
}

ss_stop() {
  [ -n "${SS_PID:-}" ] || return 0
  local i
  kill -TERM "$SS_PID" 2>/dev/null
  for i in $(seq 1 50); do kill -0 "$SS_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SS_PID" 2>/dev/null
  wait "$SS_PID" 2>/dev/null
  SS_PID=
  return 0
}

# ss_conf FILE [key=value...]: swanctl.conf for connection "gw" (gateway B =
# strongSwan, peer = gateway A). Keys and defaults:
#   mode=main secret=ipsecgw-test ike=aes128-sha1-modp2048 esp=aes128-sha1-modp2048
#   rekey=20m life=30m start=none (none: wait; start: initiate at load)
#   rand= (the CHILD_SA's rand_time; empty: strongSwan's default, life - rekey)
#   dpd=0 (strongSwan's dpd_delay)
ss_conf() {
  local f=$1; shift
  local mode=main secret=ipsecgw-test ike=aes128-sha1-modp2048 esp=aes128-sha1-modp2048
  local rekey=20m life=30m rand= start=none kv aggr=no dpd=0
  for kv in "$@"; do
    case ${kv%%=*} in
      mode|secret|ike|esp|rekey|life|rand|start|dpd) local "$kv" ;;
      *) echo "ss_conf: unknown key ${kv%%=*}" >&2; return 1 ;;
    esac
  done
  [ "$mode" = aggressive ] && aggr=yes
  cat >"$f" <<CONF
connections {
  gw {
    version = 1
    aggressive = $aggr
    local_addrs = $GW_B_WAN
    remote_addrs = $GW_A_WAN
    proposals = $ike
    rekey_time = 1d
    dpd_delay = $dpd
    local { auth = psk
            id = $GW_B_WAN }
    remote { auth = psk
             id = $GW_A_WAN }
    children {
      net {
        mode = tunnel
        local_ts = $NET_B
        remote_ts = $NET_A
        esp_proposals = $esp
        rekey_time = $rekey
        life_time = $life${rand:+
        rand_time = $rand}
        start_action = $start
      }
    }
  }
}
secrets {
  ike-gw {
    id-a = $GW_A_WAN
    secret = "$secret"
  }
}
CONF
}

# ss_load FILE: (re)loads the connections and secrets of FILE.
ss_load() {
  ss_ctl --load-all --file "$1" >"$SS_DIR/load.out" 2>&1 || { sed 's/^/      /' "$SS_DIR/load.out"; return 1; }
}

# ike_install_gap_ms NAME: the shortest time (ms) between two consecutive "ESP
# SA pair installed" lines of gateway NAME's log ("none" with fewer than two).
# Two pairs for one policy within a moment of each other mean that both ends
# rekeyed the same pair (duplicate rekey).
ike_install_gap_ms() {
  grep "ESP SA pair installed" "${GW_LOG[$1]}" | awk '
    { split($1, t, /[:.]/); ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
      if (n++ && (min == "" || ms - last < min)) min = ms - last; last = ms }
    END { print (min == "" ? "none" : min) }'
}
