#!/usr/bin/env bash
# Gateway A with two worker lcores on this 2-core machine (EAL --lcores
# 0@0,1@1,2@0: the main lcore and two workers; lcores 0 and 2 share CPU 0) and
# two queue pairs on each net_af_packet port (conf/multiworker-a.yaml); gateway
# B with one worker (conf/multiworker-b.yaml: tunnel-b.yaml with a larger
# anti-replay window, see below). Manual SAs, ESP tunnel, first aes-128-cbc +
# sha1, then aes-128-gcm set live on both:
#  - two workers on ports with a single TX queue: gateway A refuses to start
#    and says why (it crashed once: a worker sent on a queue the port lacks);
#  - A's log shows 2 workers with 2 RX queues each, its ports 2 RX / 2 TX queues;
#  - pings both ways; scapy decrypts them from the wire;
#  - 4 TCP transfers host A -> host B and 4 host B -> host A at the same time,
#    each one's sha256 and length equal on both ends;
#  - both workers carried that traffic: DPDK's per-queue port counters (EAL
#    telemetry socket, /ethdev/stats) show both RX queues of A's lan and both
#    TX queues of A's wan moving (RX queue q of a port is polled by worker q,
#    worker w transmits on TX queue w of every port, control/main.c);
#  - the ESP captured on the wire (all of it, headers only): no sequence number
#    used twice per SPI, none missing, no outer IP ID reused while a fragmented
#    datagram was in flight, and the bytes of A's outbound SA on the wire equal
#    its current-bytes;
#  - A's ESP leaves out of sequence order (two workers send their bursts of one
#    SA independently): the test prints how far, and what a receiver with the
#    default 32-packet window would drop; B's replay drops must be what its
#    window (4096 here) refuses in the wire's order, so 0;
#  - no icv-failure, replay, bad-spi drop on either gateway; A stops cleanly.
set -uo pipefail
cd "$(dirname "$0")/../.."
TOPO=${TOPO:-gwt-mw}
source test/integration/lib.sh
ns_test_init multiworker
need_scapy
SCAPY="$PY3 test/integration/ipsec_scapy.py"
# main lcore 0 and workers 1 and 2 (on CPUs 1 and 0): two workers on 2 CPUs
A_LCORES=${A_LCORES:---lcores 0@0,1@1,2@0}
A_WORKERS=2
FLOWS=${FLOWS:-4}          # parallel TCP connections in each direction
FLOW_BYTES=${FLOW_BYTES:-2000000}
# Both configs set replay-window 4096 (see their comments). A_CONF/B_CONF can
# name others, e.g. B_CONF=test/integration/conf/tunnel-b.yaml for B's default
# window of 32 packets: then expect replay drops at B.
A_CONF=${A_CONF:-test/integration/conf/multiworker-a.yaml}
B_CONF=${B_CONF:-test/integration/conf/multiworker-b.yaml}
TELEMETRY_A=/var/run/dpdk/${TOPO}-a/dpdk_telemetry.v2

# ---- helpers of this test

# queue_stats: gateway A's per-queue packet counters from DPDK's telemetry
# socket, one line per port: "NAME rx Q0 Q1 tx Q0 Q1" (NAME: lan or wan).
queue_stats() {
  "$PY3" - "$TELEMETRY_A" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
s.connect(sys.argv[1])
s.recv(16384)  # the greeting
def ask(cmd):
    s.send(cmd.encode())
    return json.loads(s.recv(1 << 16).decode())
names = {"net_af_packet0": "lan", "net_af_packet1": "wan"}
for p in ask("/ethdev/list")["/ethdev/list"]:
    info = ask("/ethdev/info,%d" % p)["/ethdev/info"]
    st = ask("/ethdev/stats,%d" % p)["/ethdev/stats"]
    print(names.get(info["name"], info["name"]), "rx", *st["q_ipackets"][:2], "tx", *st["q_opackets"][:2])
PY
}

# qdelta BEFORE AFTER PORT DIR Q: how much counter (PORT DIR queue Q) grew.
qdelta() {
  local b a
  b=$(awk -v p="$3" -v d="$4" -v q="$5" '$1 == p { for (i = 2; i <= NF; i++) if ($i == d) print $(i + 1 + q) }' <<<"$1")
  a=$(awk -v p="$3" -v d="$4" -v q="$5" '$1 == p { for (i = 2; i <= NF; i++) if ($i == d) print $(i + 1 + q) }' <<<"$2")
  echo $((${a:-0} - ${b:-0}))
}

cat >"$T_WORK/par_tcp.py" <<'PY'
"""serve PORT N OUT READY | send IP PORT N BYTES OUT: N TCP connections at
once; each side writes one "length/sha256" line per connection, sorted."""
import hashlib, os, socket, sys, threading, time

def serve(port, n, out, ready):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(n)
    s.settimeout(150)
    open(ready, "w").close()
    res, th = [], []
    def rx(c):
        c.settimeout(60)
        h, k = hashlib.sha256(), 0
        while True:
            b = c.recv(65536)
            if not b:
                break
            h.update(b)
            k += len(b)
        c.close()
        res.append("%d/%s" % (k, h.hexdigest()))
    for _ in range(n):
        c, _ = s.accept()
        t = threading.Thread(target=rx, args=(c,))
        t.start()
        th.append(t)
    for t in th:
        t.join()
    open(out, "w").write("".join(r + "\n" for r in sorted(res)))

def send(ip, port, n, size, out):
    res, th = [], []
    def tx():
        data = os.urandom(size)
        end = time.time() + 20
        while True:
            try:
                s = socket.create_connection((ip, port), timeout=10)
                break
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.3)
        s.settimeout(60)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # the receiver's close: it has read everything
        s.close()
        res.append("%d/%s" % (size, hashlib.sha256(data).hexdigest()))
    for _ in range(n):
        t = threading.Thread(target=tx)
        t.start()
        th.append(t)
    for t in th:
        t.join()
    open(out, "w").write("".join(r + "\n" for r in sorted(res)))

if sys.argv[1] == "serve":
    serve(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
else:
    send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
PY

# parallel_tcp TAG: FLOWS connections host A -> host B and FLOWS host B -> host
# A, all at the same time; checks every connection's length and sha256.
parallel_tcp() {
  local tag=$1 d=$T_WORK/tcp-$1 i pids=() ok=1
  mkdir -p "$d"
  ip netns exec "$NS_HB" timeout 170 "$PY3" "$T_WORK/par_tcp.py" serve 5101 "$FLOWS" "$d/ab.rx" "$d/ab.ready" &
  pids+=($!)
  ip netns exec "$NS_HA" timeout 170 "$PY3" "$T_WORK/par_tcp.py" serve 5102 "$FLOWS" "$d/ba.rx" "$d/ba.ready" &
  pids+=($!)
  for i in $(seq 1 100); do
    [ -e "$d/ab.ready" ] && [ -e "$d/ba.ready" ] && break
    sleep 0.1
  done
  ip netns exec "$NS_HA" timeout 170 "$PY3" "$T_WORK/par_tcp.py" send "$HOST_B" 5101 "$FLOWS" "$FLOW_BYTES" "$d/ab.tx" &
  pids+=($!)
  ip netns exec "$NS_HB" timeout 170 "$PY3" "$T_WORK/par_tcp.py" send "$HOST_A" 5102 "$FLOWS" "$FLOW_BYTES" "$d/ba.tx" &
  pids+=($!)
  for i in "${pids[@]}"; do wait "$i"; done
  local dir what
  for dir in ab ba; do
    [ $dir = ab ] && what="host A -> host B" || what="host B -> host A"
    local tx rx
    tx=$(cat "$d/$dir.tx" 2>/dev/null) rx=$(cat "$d/$dir.rx" 2>/dev/null)
    if [ -n "$tx" ] && [ "$(wc -l <<<"$tx")" = "$FLOWS" ] && [ "$tx" = "$rx" ]; then
      pass "$tag: $FLOWS parallel TCP transfers of $FLOW_BYTES bytes $what arrived intact (length and sha256 of each)"
    else
      fail "$tag: parallel TCP $what: sent and received differ"
      echo "      sent:";     sed 's/^/        /' <<<"${tx:-(nothing)}"
      echo "      received:"; sed 's/^/        /' <<<"${rx:-(nothing)}"
      ok=0
    fi
  done
  [ $ok = 1 ]
}

# wire_capture NAME: like lib.sh's cap_start, but only the headers (ESP only,
# 128 bytes) and a 64 MB buffer, so that tcpdump keeps up with the TCP bursts
# on a busy machine and the capture is complete. lib.sh's cap_stop ends it.
wire_capture() {
  local n=$1 f=$T_WORK/$1.pcap i
  CAP_FILE[$n]=$f
  ip netns exec "$NS_WAN" tcpdump -i "$WAN_CAP_IF" -nn -U --immediate-mode -B 65536 -Z root -s 128 \
    -w "$f" 'ip proto 50' >"$T_WORK/$n.tcpdump.log" 2>&1 &
  CAP_PID[$n]=$!
  for i in $(seq 1 50); do
    grep -q "listening on" "$T_WORK/$n.tcpdump.log" 2>/dev/null && return 0
    kill -0 "${CAP_PID[$n]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "tcpdump $n did not start:"; sed 's/^/      /' "$T_WORK/$n.tcpdump.log"
  return 1
}

# ---- the test

topo_up
echo "# two workers on ports with one TX queue: refused at start (at ${SECONDS}s)"
if GW_LCORES=$A_LCORES gw_start a "$NS_GA" test/integration/conf/tunnel-a.yaml >/dev/null; then
  fail "gateway A started with $A_WORKERS workers on single-queue ports"; gw_stop a >/dev/null 2>&1
else
  expect_contains "gateway A says why it cannot start" "$(cat "${GW_LOG[a]}")" \
    "has 1 TX queue(s) but there are 2 workers, each needs its own"
fi
GW_PIDS[a]=

echo "# gateway A with two workers, two queue pairs per port (at ${SECONDS}s)"
GW_LCORES=$A_LCORES gw_start a "$NS_GA" "$A_CONF" ||
  { fail "gateway A starts with EAL $A_LCORES"; finish; exit 1; }
gw_start b "$NS_GB" "$B_CONF" || { fail "gateway B starts"; finish; exit 1; }
pass "gateway A started with EAL $A_LCORES, gateway B with -l 0-1"

echo "# gateway A's workers and queues (at ${SECONDS}s)"
# the workers log their start from their own lcore: wait for both lines
for i in $(seq 1 100); do
  [ "$(grep -c 'dataplane: .*worker [0-9]*: lcore' "${GW_LOG[a]}")" -ge $A_WORKERS ] && break
  sleep 0.1
done
log=$(cat "${GW_LOG[a]}")
expect_contains "gateway A log: $A_WORKERS workers running" "$log" "running: 2 ports, $A_WORKERS workers"
expect_contains "gateway A log: worker 0 on lcore 1 polls 2 RX queues" "$log" "worker 0: lcore 1, 2 rx queues"
expect_contains "gateway A log: worker 1 on lcore 2 polls 2 RX queues" "$log" "worker 1: lcore 2, 2 rx queues"
for ifc in lan wan; do
  if grep -q "interface $ifc: port .*, 2 rx / 2 tx queues" <<<"$log"; then pass "gateway A log: $ifc has 2 RX / 2 TX queues"
  else fail "gateway A log: $ifc does not have 2 RX / 2 TX queues:"; grep "interface $ifc" <<<"$log" | sed 's/^/      /'; fi
done
expect_contains "gateway B log: 1 worker" "$(cat "${GW_LOG[b]}")" "running: 2 ports, 1 workers"
# B's anti-replay window in packets (installed-sa prints it in bytes)
B_REPLAY_WINDOW=$(( $(gw_sa_field b 1000 replay) * 8 ))
echo "      anti-replay windows: gateway A $(( $(gw_sa_field a 1001 replay) * 8 )) packets ($A_CONF)," \
  "gateway B $B_REPLAY_WINDOW packets ($B_CONF)"
if [ -S "$TELEMETRY_A" ] && q0=$(queue_stats 2>&1) && [ "$(grep -c '^\(lan\|wan\) rx [0-9]* [0-9]* tx [0-9]* [0-9]*$' <<<"$q0")" = 2 ]; then
  pass "gateway A: per-queue counters of lan and wan from the DPDK telemetry socket"
  sed 's/^/      /' <<<"$q0"
else
  fail "gateway A: no per-queue counters from the DPDK telemetry socket $TELEMETRY_A: ${q0:-}"
  finish; exit 1
fi

echo "# ping (at ${SECONDS}s)"
if ping_wait "$NS_HA" "$HOST_B" 15; then pass "first ping host A -> host B answered (ARP resolved)"
else fail "no ping host A -> host B answered within 15 s"; fi
ping_wait "$NS_HB" "$HOST_A" 10 >/dev/null
# Fresh SAs once ARP is resolved (the first packet of a direction may be
# dropped waiting for it, after taking a sequence number): from here on, every
# sequence number an SA uses and every byte it counts should be on the wire.
check "gateway A: installed-sa flush" gw_ctl a installed-sa flush
check "gateway B: installed-sa flush" gw_ctl b installed-sa flush
expect_eq "gateway A: SA 0x1000 fresh: current-bytes" "$(gw_sa_field a 1000 current-bytes)" 0
wire_capture wire || fail "tcpdump on the wire starts"

# PHASES: ENC AUTH SPI(A->B) SPI(B->A) ENC_KEY(A->B) ENC_KEY(B->A) AUTH_KEY(A->B) AUTH_KEY(B->A) IV ICV
EK=00112233445566778899aabbccddeeff EK2=ffeeddccbbaa99887766554433221100
AK=0102030405060708090a0b0c0d0e0f1011121314 AK2=14131211100f0e0d0c0b0a090807060504030201
GK_AB=$(hexkey 20 71) GK_BA=$(hexkey 20 72)
PHASES=(
  "aes-128-cbc sha1 1000 1001 $EK2 $EK $AK2 $AK 16 12"
  "aes-128-gcm null 2000 2001 $GK_AB $GK_BA - - 8 16"
)
WIRE_SPECS=()
declare -A SA_BYTES=() REPLAY_B=()
for ph in "${PHASES[@]}"; do
  set -- $ph
  enc=$1 auth=$2 ab=$3 ba=$4 ek_ab=$5 ek_ba=$6 ak_ab=$7 ak_ba=$8 iv=$9 icv=${10}
  tag="$enc+$auth"
  WIRE_SPECS+=("$ab:$iv:$icv:$tag" "$ba:$iv:$icv:$tag")
  echo "# $tag: SPIs 0x$ab (A -> B) and 0x$ba (B -> A) (at ${SECONDS}s)"
  if [ "$ab" != 1000 ]; then
    sa=(esp-enc-algorithm=$enc esp-auth-algorithm=$auth esp-spi=0x$ba/0x$ab esp-enc-key=$ek_ba/$ek_ab)
    sb=(esp-enc-algorithm=$enc esp-auth-algorithm=$auth esp-spi=0x$ab/0x$ba esp-enc-key=$ek_ab/$ek_ba)
    check "$tag: manual-sa set on gateway A" gw_ctl a manual-sa set sa1 "${sa[@]}"
    check "$tag: manual-sa set on gateway B" gw_ctl b manual-sa set sa1 "${sb[@]}"
    expect_eq "$tag: gateway A installed-sa 0x$ab enc-algorithm" "$(gw_sa_field a $ab enc-algorithm)" "$enc"
    ping_wait "$NS_HA" "$HOST_B" 10 || fail "$tag: no ping answered within 10 s"
  fi
  cap_start ping "$NS_WAN" "$WAN_CAP_IF" 'ip proto 50' || fail "tcpdump on the wire starts"
  expect_ping "$tag: 5 pings host A -> host B" "$NS_HA" "$HOST_B" 5
  expect_ping "$tag: 5 pings host B -> host A" "$NS_HB" "$HOST_A" 5
  cap_stop ping
  [ "$auth" = null ] && { ak_ab=""; ak_ba=""; }
  if out=$($SCAPY wire "${CAP_FILE[ping]}" \
      --sa "esp:$ab:$enc:$ek_ab:$auth:$ak_ab:tunnel" --sa "esp:$ba:$enc:$ek_ba:$auth:$ak_ba:tunnel" \
      --expect "esp/$ab icmp $HOST_A>$HOST_B echo-request" --expect "esp/$ba icmp $HOST_B>$HOST_A echo-reply" \
      --expect "esp/$ab icmp $HOST_A>$HOST_B echo-reply" --expect "esp/$ba icmp $HOST_B>$HOST_A echo-request" 2>&1)
  then pass "$tag: scapy decrypts the pings of both directions from the wire"
  else fail "$tag: scapy on the pings' ESP:"; fi
  echo "$out" | sed 's/^/      /'

  # Flows are spread by the kernel's flow hash (PACKET_FANOUT_HASH): with 2 *
  # FLOWS flows on A's lan, all on one queue is unlikely but possible; then
  # another round with new flows (new source ports), at most 3 rounds.
  for round in 1 2 3; do
    before=$(queue_stats)
    parallel_tcp "$tag round $round"
    after=$(queue_stats)
    lan_rx0=$(qdelta "$before" "$after" lan rx 0) lan_rx1=$(qdelta "$before" "$after" lan rx 1)
    wan_tx0=$(qdelta "$before" "$after" wan tx 0) wan_tx1=$(qdelta "$before" "$after" wan tx 1)
    wan_rx0=$(qdelta "$before" "$after" wan rx 0) wan_rx1=$(qdelta "$before" "$after" wan rx 1)
    lan_tx0=$(qdelta "$before" "$after" lan tx 0) lan_tx1=$(qdelta "$before" "$after" lan tx 1)
    echo "      gateway A, packets per queue (= per worker) in round $round:" \
      "lan rx $lan_rx0/$lan_rx1, wan tx $wan_tx0/$wan_tx1 (encrypted);" \
      "wan rx $wan_rx0/$wan_rx1, lan tx $lan_tx0/$lan_tx1 (decrypted)"
    [ "$lan_rx0" -ge 100 ] && [ "$lan_rx1" -ge 100 ] && break
    [ $round -lt 3 ] && echo "      (the flows of round $round did not use both lan RX queues: another round)"
  done
  for q in 0 1; do
    v=lan_rx$q; expect_gt "$tag: worker $q received host A's packets (lan RX queue $q)" "${!v}" 99
    v=wan_tx$q; expect_gt "$tag: worker $q sent ESP (wan TX queue $q)" "${!v}" 99
  done
  for g in a b; do
    for k in icv-failure replay bad-spi; do
      [ $g = b ] && [ $k = replay ] && continue  # B: checked against the wire below
      expect_eq "$tag: gateway $g: counters $k" "$(gw_counter $g $k)" 0
    done
  done
  REPLAY_B[$ab]=$(gw_counter b replay)
  # the next phase replaces these SAs: their byte counts now
  SA_BYTES[a$ab]=$(gw_sa_field a $ab current-bytes) SA_BYTES[b$ab]=$(gw_sa_field b $ab current-bytes)
  SA_BYTES[a$ba]=$(gw_sa_field a $ba current-bytes) SA_BYTES[b$ba]=$(gw_sa_field b $ba current-bytes)
done

echo "# the wire (at ${SECONDS}s)"
cap_stop wire
tcpdump_log=$(grep -h 'captured\|received by filter\|dropped by kernel' "$T_WORK/wire.tcpdump.log" | tr '\n' ' ')
echo "      tcpdump: $tcpdump_log"
cap_dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$T_WORK/wire.tcpdump.log")
# frames the veths towards the wire dropped (a full backlog) never reach the capture
veth_tx_dropped() { ip -n "$1" -s link show wan | awk '/TX:/ { getline; print $4; exit }'; }
drop_ga=$(veth_tx_dropped "$NS_GA") drop_gb=$(veth_tx_dropped "$NS_GB")
echo "      TX dropped by the veths: gateway A wan ${drop_ga:-?}, gateway B wan ${drop_gb:-?}"
# Per SPI: ESP packets (IP fragments put together), sequence numbers seen
# twice, first/last, gaps, how often a number came after a higher one
# (reordering between workers), and the bytes the cipher processed (ESP
# payload less header, IV and ICV: what current-bytes counts).
wire=$("$PY3" - "${CAP_FILE[wire]}" "$B_REPLAY_WINDOW" "${WIRE_SPECS[@]}" <<'PY'
import struct, sys
from collections import defaultdict
from scapy.utils import RawPcapReader
win_b = int(sys.argv[2])
specs = {}
for a in sys.argv[3:]:
    spi, iv, icv, tag = a.split(":", 3)
    specs[int(spi, 16)] = (int(iv), int(icv), tag)
# One entry per ESP datagram, in the order the receiver can process it: that
# of its last frame (fragments are reassembled first). A fragment that
# overlaps one already seen of the same (src, dst, id) while that datagram is
# still incomplete belongs to another datagram that reuses the IP ID while
# the first is in flight (an "id-collision": the receiver cannot tell them
# apart); both then count as incomplete.
dgrams = []   # [order, spi, seq, esp_len or None]
groups = {}
incomplete = collisions = 0

def close(g, ok):
    global incomplete
    incomplete += not ok
    if g["first"] is not None:  # its sequence number was taken: count it
        dgrams.append([g["last"], g["first"][0], g["first"][1], g["len"] if ok else None])

for idx, (data, _) in enumerate(RawPcapReader(sys.argv[1])):
    if len(data) < 14 + 20 or data[12:14] != b"\x08\x00":
        continue
    ip = data[14:]
    ihl = (ip[0] & 15) * 4
    tot, ident, fl = struct.unpack("!HHH", ip[2:8])
    if ip[9] != 50:
        continue
    off, mf, plen = (fl & 0x1fff) * 8, fl & 0x2000, tot - ihl
    if off == 0 and not mf:
        spi, seq = struct.unpack("!II", ip[ihl:ihl + 8])
        dgrams.append([idx, spi, seq, plen])
        continue
    key = (ip[12:16], ip[16:20], ident)
    g = groups.get(key)
    if g is not None and any(off < e and b < off + plen for b, e in g["have"]):
        collisions += 1
        close(g, False)
        g = None
    if g is None:
        g = groups[key] = {"first": None, "have": [], "len": 0, "end": None, "last": idx}
    g["have"].append((off, off + plen))
    if off == 0:
        g["first"] = struct.unpack("!II", ip[ihl:ihl + 8])
    if not mf:
        g["end"] = off + plen
    g["len"] += plen
    g["last"] = idx
    if g["end"] is not None and g["len"] == g["end"] and g["first"] is not None:
        close(g, True)
        del groups[key]
for g in groups.values():
    close(g, False)
dgrams.sort()
print("incomplete-datagrams %d id-collisions %d" % (incomplete, collisions))
by = defaultdict(list)
for _, spi, seq, ln in dgrams:
    by[spi].append((seq, ln))

def window_drops(seqs, w):
    """What an RFC 4303 receiver with a w-packet window refuses, in this order."""
    top, seen, n = 0, set(), 0
    for s in seqs:
        if s > top:
            top = s
        elif top - s >= w or s in seen:
            n += 1
            continue
        seen.add(s)
    return n

for spi in sorted(by):
    v = by[spi]
    iv, icv, tag = specs.get(spi, (0, 0, "?"))
    seen, dups, reord, lag, hi, ct = set(), [], 0, 0, 0, 0
    for seq, ln in v:
        if seq in seen:
            dups.append(seq)
        seen.add(seq)
        if seq < hi:
            reord += 1
            lag = max(lag, hi - seq)
        hi = max(hi, seq)
        if ln is not None:
            ct += ln - 8 - iv - icv
    seqs = [s for s, _ in v]
    print("spi %x %s packets %d distinct %d repeated %d first %d last %d missing %d reordered %d max-lag %d"
          " late-for-32 %d late-for-b %d bytes %d%s" % (
              spi, tag, len(v), len(seen), len(dups), min(seen), max(seen), max(seen) - len(seen), reord, lag,
              window_drops(seqs, 32), window_drops(seqs, win_b), ct,
              (" repeated-numbers " + ",".join(str(d) for d in dups[:20])) if dups else ""))
PY
)
echo "$wire" | sed 's/^/      /'
wfield() { awk -v s="$1" -v k="$2" '$1 == "spi" && $2 == s { for (i = 3; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$wire"; }
incomplete=$(awk '$1 == "incomplete-datagrams" { print $2 }' <<<"$wire")
collisions=$(awk '$1 == "incomplete-datagrams" { print $4 }' <<<"$wire")
# RFC 791/6864: the IP ID of a fragmented datagram must not be reused (same
# src, dst, protocol) while the datagram may still be in flight; each worker
# numbers its own outer headers, so two workers could meet
expect_eq "outer IP IDs: no ID reused while a fragmented ESP datagram with that ID was incomplete on the wire" \
  "${collisions:-?}" 0
complete=0
if [ "${cap_dropped:-x}" = 0 ] && [ "${incomplete:-x}" = 0 ] && [ "${drop_ga:-x}" = 0 ] && [ "${drop_gb:-x}" = 0 ]; then
  complete=1
else
  echo "      the capture is not complete (tcpdump dropped ${cap_dropped:-?}, incomplete datagrams ${incomplete:-?}," \
    "veth drops ${drop_ga:-?}/${drop_gb:-?}): missing numbers and byte totals are not compared exactly"
fi
for ph in "${PHASES[@]}"; do
  set -- $ph
  enc=$1 auth=$2 ab=$3 ba=$4
  tag="$enc+$auth"
  for spi in $ab $ba; do
    [ $spi = $ab ] && who="A -> B, $A_WORKERS workers" || who="B -> A, 1 worker"
    expect_gt "$tag: ESP with SPI 0x$spi ($who) on the wire" "$(wfield $spi packets)" 1000
    expect_eq "$tag: SPI 0x$spi ($who): sequence numbers used twice" "$(wfield $spi repeated)" 0
    [ "$(wfield $spi repeated)" = 0 ] || grep " $spi .*repeated-numbers" <<<"$wire" | sed 's/^/      /'
    if [ $complete = 1 ]; then
      expect_eq "$tag: SPI 0x$spi ($who): numbers 1..last all on the (complete) capture: missing" "$(wfield $spi missing)" 0
    fi
  done
  # A's two workers send one SA's packets out of order; B refuses those that
  # fall behind its window (replay), exactly as many as the wire order implies
  rb=$((REPLAY_B[$ab] - ${prev_replay_b:-0})) prev_replay_b=${REPLAY_B[$ab]}
  echo "      $tag: SPI 0x$ab (A -> B) on the wire: $(wfield $ab reordered) datagrams after a higher number," \
    "at most $(wfield $ab max-lag) behind; a 32-packet window would refuse $(wfield $ab late-for-32)," \
    "B's $B_REPLAY_WINDOW-packet window $(wfield $ab late-for-b); B counted replay $rb"
  # (B reassembles fragments inside its bursts, so its processing order can
  # differ slightly from the wire's: a tolerance of 2 + 1 %)
  sim=$(wfield $ab late-for-b)
  if [ $complete = 1 ] && [[ "$rb" =~ ^[0-9]+$ ]] && [[ "$sim" =~ ^[0-9]+$ ]]; then
    d=$((rb > sim ? rb - sim : sim - rb))
    if [ $d -le $((2 + sim / 100)) ]; then
      pass "$tag: gateway B's replay drops for SPI 0x$ab ($rb) are what its $B_REPLAY_WINDOW-packet window must refuse in the wire's order ($sim)"
    else fail "$tag: gateway B counted $rb replay drops for SPI 0x$ab, its window refuses $sim of the wire's order"; fi
  fi
  # current-bytes of A's outbound SA: the bytes its ESP carried on the wire
  sab=${SA_BYTES[a$ab]} wb=$(wfield $ab bytes)
  if [ $complete = 1 ]; then
    expect_eq "$tag: gateway A SA 0x$ab current-bytes equals the ESP bytes on the wire" "$sab" "$wb"
  elif [[ "$sab" =~ ^[0-9]+$ ]] && [[ "$wb" =~ ^[0-9]+$ ]] && [ "$wb" -le "$sab" ] && [ "$wb" -gt 0 ]; then
    pass "$tag: gateway A SA 0x$ab current-bytes ($sab) >= the ESP bytes captured ($wb); the capture" \
      "is not complete (tcpdump dropped ${cap_dropped:-?}, incomplete datagrams ${incomplete:-?}): not compared for equality"
  else
    fail "$tag: gateway A SA 0x$ab current-bytes '$sab', ESP bytes on the wire '$wb'"
  fi
  echo "      $tag: current-bytes of gateway B's SA 0x$ab (in) ${SA_BYTES[b$ab]}; SA 0x$ba: B (out)" \
    "${SA_BYTES[b$ba]}, A (in) ${SA_BYTES[a$ba]}, on the wire $(wfield $ba bytes)"
done

echo "# counters (at ${SECONDS}s)"
for g in a b; do
  for k in out-encrypt in-decrypted; do expect_gt "gateway $g: counters $k" "$(gw_counter $g $k)" 0; done
  for k in out-drop in-drop in-drop-encrypted-expected bad-spi icv-failure replay bad-padding \
           ipsec-icv reassembly-failed no-mbuf tx-full; do
    expect_eq "gateway $g: counters $k" "$(gw_counter $g $k)" 0
  done
done
enc_a=$(gw_counter a out-encrypt) dec_b=$(gw_counter b in-decrypted)
if [ "$dec_b" -le "$enc_a" ] && [ $((dec_b * 10)) -ge $((enc_a * 9)) ]; then
  pass "B decrypted what A's two workers encrypted, at least 90 % (A out-encrypt=$enc_a, B in-decrypted=$dec_b)"
else fail "A out-encrypt=$enc_a but B in-decrypted=$dec_b"; fi
echo "      gateway A per queue over the whole run:"; queue_stats | sed 's/^/        /'

echo "# stop (at ${SECONDS}s)"
rc=0; gw_stop a || rc=$?
expect_eq "gateway A ($A_WORKERS workers) stops on SIGTERM: exit status" "$rc" 0
log=$(cat "${GW_LOG[a]}")
for w in 0 1; do expect_contains "gateway A log: worker $w stopped" "$log" "worker $w: stopped"; done

finish
