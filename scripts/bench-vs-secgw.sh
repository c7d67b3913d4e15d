#!/usr/bin/env bash
# bench-vs-secgw.sh: ipsecgw against DPDK's own ipsec-secgw example, in the
# same run, on the same core, with the same packets through the same PMDs.
#
#   scripts/bench-vs-secgw.sh [--alg LIST] [--size LIST] [--dir LIST] [--seconds S]
#                             [--runs N] [--lcore N] [--ctl-lcore N] [--packets N]
#                             [--secgw-path legacy|librte_ipsec] [--huge] [--json] [--keep]
#
# For every case (direction x algorithm x size) it writes one pcap file and
# runs, alternately (A B A B ...), --runs times each:
#   A  build/ipsecgw-bench --pcap FILE: the gateway's worker on EAL lcore
#      --lcore, input port net_pcap (rx_pcap=FILE,infinite_rx=1), output port
#      net_null; the main lcore (--ctl-lcore) only plays control and sleeps;
#   B  ipsec-secgw (built from Debian's dpdk-doc into a cache directory) as a
#      single-lcore process on --lcore, the same vdevs, an equivalent SA/SP/
#      route config, crypto by the crypto_aesni_mb vdev (intel-ipsec-mb).
# Rates: packets the output port sent, per second of the worker thread's CPU
# time (the thread's clock; /proc/PID/task/TID/schedstat for ipsec-secgw) and
# per second of wall clock. It prints the median and min-max of each and the
# ratio ipsecgw / ipsec-secgw. docs/performance.md ("Against DPDK
# ipsec-secgw") explains the choices. Root; nothing leaves the process (vdevs).
set -euo pipefail

REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
PY3=/usr/bin/python3
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
BENCH=${BENCH:-$BUILD_DIR/ipsecgw-bench}
CACHE=${BENCH_SECGW_CACHE:-/var/tmp/ipsecgw-secgw}
PREFIX=${BENCH_SECGW_PREFIX:-bvs-$$}
SECGW_SRC=/usr/share/dpdk/examples/ipsec-secgw

ALGS=aes-128-gcm,aes-128-cbc+sha1
SIZES=64,1420
DIRS=encap,decap
SECS=5
RUNS=3
LCORE=1
CTL_LCORE=0
PACKETS=256
SECGW_PATH=legacy
HUGE=0
JSON=0
KEEP=0

usage() {
  cat <<EOF
usage: $0 [options]
  --alg LIST         aes-128-gcm, aes-128-cbc+sha1 (default both)
  --size LIST        plaintext IP packet bytes, 64..1420 (default 64,1420)
  --dir LIST         encap, decap (default both)
  --seconds S        measured seconds per run (default $SECS)
  --runs N           runs of each program per case, interleaved (default $RUNS)
  --lcore N          the one lcore (CPU) that does the packet work (default $LCORE)
  --ctl-lcore N      ipsecgw's main lcore: control, asleep between polls (default $CTL_LCORE)
  --packets N        packets in each pcap file (default $PACKETS)
  --secgw-path P     ipsec-secgw's code path: legacy (its default) or librte_ipsec (-l)
  --huge             hugepages for both programs (default --no-huge -m 1024 for both)
  --json             results as JSON on stdout (progress on stderr)
  --keep             keep the work directory (pcaps, configs, logs)
environment: BUILD_DIR (default build), BENCH, BENCH_SECGW_CACHE (default $CACHE),
  BENCH_SECGW_PREFIX (EAL --file-prefix stem, default bvs-PID: -gw and -sg are appended)
EOF
}

die() { echo "bench-vs-secgw: $*" >&2; exit 1; }
say() { echo "$*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    --alg) ALGS=${2:?}; shift 2 ;;
    --size) SIZES=${2:?}; shift 2 ;;
    --dir) DIRS=${2:?}; shift 2 ;;
    --seconds) SECS=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --lcore) LCORE=${2:?}; shift 2 ;;
    --ctl-lcore) CTL_LCORE=${2:?}; shift 2 ;;
    --packets) PACKETS=${2:?}; shift 2 ;;
    --secgw-path) SECGW_PATH=${2:?}; shift 2 ;;
    --huge) HUGE=1; shift ;;
    --json) JSON=1; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

IFS=, read -r -a ALG_LIST <<<"$ALGS"
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
IFS=, read -r -a DIR_LIST <<<"$DIRS"
for a in "${ALG_LIST[@]}"; do
  case $a in aes-128-gcm|aes-128-cbc+sha1) ;; *) die "--alg: aes-128-gcm or aes-128-cbc+sha1, not '$a'" ;; esac
done
for s in "${SIZE_LIST[@]}"; do
  [[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge 64 ] && [ "$s" -le 1420 ] || die "--size: 64..1420, not '$s'"
done
for d in "${DIR_LIST[@]}"; do
  case $d in encap|decap) ;; *) die "--dir: encap or decap, not '$d'" ;; esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs: a positive integer"
[[ $PACKETS =~ ^[1-9][0-9]*$ ]] && [ "$PACKETS" -le 4096 ] || die "--packets: 1..4096"
[[ $SECS =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--seconds: a number"
[[ $LCORE =~ ^[0-9]+$ && $CTL_LCORE =~ ^[0-9]+$ && $LCORE != "$CTL_LCORE" ]] ||
  die "--lcore and --ctl-lcore: two different CPU numbers"
case $SECGW_PATH in legacy) SECGW_LIB=() ;; librte_ipsec) SECGW_LIB=(-l) ;;
  *) die "--secgw-path: legacy or librte_ipsec" ;; esac

# ---- what this needs: say which package is missing and stop, never skip

[ "$(id -u)" -eq 0 ] || die "must run as root (DPDK)"
need_pkg() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      die "Debian package '$p' is not installed (scripts/install-deps.sh installs it)"
  done
}
need_pkg dpdk-doc libdpdk-dev dpdk python3-scapy make pkg-config
TESTPMD=$(command -v dpdk-testpmd) || die "dpdk-testpmd not found (package dpdk)"
for c in make cc pkg-config timeout; do
  command -v "$c" >/dev/null || die "'$c' not found (scripts/install-deps.sh)"
done
[ -f "$SECGW_SRC/ipsec-secgw.c" ] ||
  die "no ipsec-secgw sources in $SECGW_SRC (dpkg -L dpdk-doc lists: $(dpkg -L dpdk-doc | grep -m1 'examples/ipsec-secgw$' || echo nothing))"
pkg-config --exists libdpdk || die "pkg-config cannot find libdpdk (package libdpdk-dev)"
PMD_DIR=$(ls -d "$(pkg-config --variable=libdir libdpdk)"/dpdk/pmds-* 2>/dev/null | head -1)
for pmd in net_pcap net_null crypto_ipsec_mb; do
  [ -n "$PMD_DIR" ] && [ -e "$PMD_DIR/librte_$pmd.so" ] ||
    die "DPDK driver $pmd not found in ${PMD_DIR:-the DPDK plugin directory} (package dpdk)"
done
"$PY3" -c 'import scapy.layers.ipsec, cryptography' 2>/dev/null ||
  die "$PY3 has no scapy IPsec layer (packages python3-scapy, python3-cryptography)"
[ -x "$BENCH" ] || die "$BENCH not built (meson setup build && ninja -C build)"
help=$("$BENCH" --no-pci --no-huge -m 64 -l 0 --file-prefix "$PREFIX-help" --log-level=error -- --help 2>/dev/null || true)
rm -rf "/var/run/dpdk/$PREFIX-help"
grep -q -- '--pcap' <<<"$help" || die "$BENCH has no --pcap option: rebuild it (ninja -C $BUILD_DIR)"

if [ "$HUGE" = 1 ]; then
  free_mb=$(awk '/^HugePages_Free:/ { n = $2 } /^Hugepagesize:/ { kb = $2 } END { print int(n * kb / 1024) }' /proc/meminfo)
  [ "$free_mb" -ge 1024 ] && mountpoint -q /dev/hugepages ||
    die "--huge: needs 1024 MiB of free hugepages on a mounted hugetlbfs, $free_mb MiB free (echo 512 > /proc/sys/vm/nr_hugepages; mount -t hugetlbfs nodev /dev/hugepages)"
  MEM=(-m 1024)
else
  MEM=(--no-huge -m 1024)
fi

# ---- cleanup: our processes, our files, our DPDK runtime directories

WORK=$(mktemp -d /tmp/bench-vs-secgw.XXXXXX)
CUR_PID=    # the one program running now (cleared once reaped: no stale PID is signalled)
PREFIXES=()
# alive PID: running and not a zombie waiting to be reaped.
alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "${st:0:1}" != Z ]
}
# stop_pid PID SIGNAL: the signal, 10 s to exit, then SIGKILL; reaps it.
stop_pid() {
  kill -"$2" "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do alive "$1" || break; sleep 0.2; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  [ -z "$CUR_PID" ] || stop_pid "$CUR_PID" TERM
  for p in "${PREFIXES[@]}"; do rm -rf "/var/run/dpdk/$p"; done
  if [ "$KEEP" = 1 ]; then say "work directory kept: $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# ---- ipsec-secgw, built once per DPDK version into the cache

# Debian's copy requests RX checksum offload on every port (port_conf.rxmode
# .offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM); no vdev offers it and port setup
# fails. The copy we build asks for none. No work changes: ipsec-secgw never
# reads the RX checksum flags (ipsecgw checks every header in software).
DPDK_VER=$(dpkg-query -W -f='${Version}' dpdk-doc)
SECGW_DIR=$CACHE/$DPDK_VER
SECGW=$SECGW_DIR/build/ipsec-secgw
PATCH_ID="no-rx-cksum-1"
build_secgw() {
  say "building ipsec-secgw ($DPDK_VER) in $SECGW_DIR"
  rm -rf "$SECGW_DIR"
  cp -r "$SECGW_SRC" "$SECGW_DIR"
  sed -i 's/\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,/.offloads = 0, \/* bench-vs-secgw.sh: vdevs have no RX checksum offload *\//' \
    "$SECGW_DIR/ipsec-secgw.c"
  grep -q 'bench-vs-secgw.sh: vdevs have no RX checksum offload' "$SECGW_DIR/ipsec-secgw.c" ||
    die "could not patch $SECGW_DIR/ipsec-secgw.c (the RX offload request moved in this DPDK version?)"
  if ! make -C "$SECGW_DIR" -j"$(nproc)" >"$SECGW_DIR/build.log" 2>&1; then
    tail -20 "$SECGW_DIR/build.log" >&2
    die "building ipsec-secgw failed (log: $SECGW_DIR/build.log)"
  fi
  echo "$DPDK_VER $PATCH_ID" >"$SECGW_DIR/.bench-vs-secgw"
}
# one build at a time (a test and a manual run may share the cache)
command -v flock >/dev/null || die "'flock' not found (package util-linux)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock -w 600 9 || die "another build holds $CACHE/.lock"
if [ ! -x "$SECGW" ] || [ "$(cat "$SECGW_DIR/.bench-vs-secgw" 2>/dev/null)" != "$DPDK_VER $PATCH_ID" ]; then
  build_secgw
fi
flock -u 9
exec 9>&-

# ---- keys, traffic, configs

# One SA pair, SPI 0x10000 out (gateway -> peer), 0x10001 in; fixed keys,
# different each way (one GCM key both ways would reuse nonces).
GCM_IN=000102030405060708090a0b0c0d0e0f10111213
GCM_OUT=202122232425262728292a2b2c2d2e2f30313233
CBC_IN=404142434445464748494a4b4c4d4e4f
CBC_OUT=505152535455565758595a5b5c5d5e5f
SHA_IN=606162636465666768696a6b6c6d6e6f70717273
SHA_OUT=808182838485868788898a8b8c8d8e8f90919293
colon() { sed 's/../&:/g; s/:$//' <<<"$1"; }

# secgw_sa DIR SPI ALG: one "sa" line of ipsec-secgw's config.
secgw_sa() {
  local dir=$1 spi=$2 alg=$3 keys src dst
  if [ "$dir" = out ]; then src=198.19.0.1 dst=198.19.0.2; else src=198.19.0.2 dst=198.19.0.1; fi
  case $alg in
    aes-128-gcm)
      if [ "$dir" = out ]; then keys="aead_algo aes-128-gcm aead_key $(colon $GCM_OUT)"
      else keys="aead_algo aes-128-gcm aead_key $(colon $GCM_IN)"; fi ;;
    aes-128-cbc+sha1)
      if [ "$dir" = out ]; then
        keys="cipher_algo aes-128-cbc cipher_key $(colon $CBC_OUT) auth_algo sha1-hmac auth_key $(colon $SHA_OUT)"
      else
        keys="cipher_algo aes-128-cbc cipher_key $(colon $CBC_IN) auth_algo sha1-hmac auth_key $(colon $SHA_IN)"
      fi ;;
  esac
  echo "sa $dir $spi $keys mode ipv4-tunnel src $src dst $dst"
}

# The same gateway as ipsecgw-bench's generated config: LAN 198.18.0.1/24
# (port 0), WAN 198.19.0.1/24 (port 1), peer 198.19.0.2, remote hosts
# 198.18.128.0/17 behind it, one policy and one SA pair.
secgw_conf() {
  local alg=$1 f=$2
  {
    echo "# generated by bench-vs-secgw.sh: the gateway of ipsecgw-bench"
    echo "sp ipv4 out esp protect 65536 pri 1 dst 198.18.128.0/17 sport 0:65535 dport 0:65535"
    echo "sp ipv4 in esp protect 65537 pri 1 dst 198.18.0.0/24 sport 0:65535 dport 0:65535"
    secgw_sa out 65536 "$alg"
    secgw_sa in 65537 "$alg"
    echo "rt ipv4 dst 198.19.0.0/24 port 1"
    echo "rt ipv4 dst 198.18.0.0/24 port 0"
    echo "neigh port 0 02:00:c6:12:00:02"
    echo "neigh port 1 02:00:c6:13:00:02"
  } >"$f"
}

# make_pcap DIR ALG SIZE FILE: PACKETS frames to the first net_pcap device's
# MAC (02:70:63:61:70:00; net_pcap cannot change it). Encap: UDP
# 198.18.0.2:10000 -> 198.18.128.1:5001, SIZE bytes of IP. Decap: the
# answer, sealed by scapy with the peer's SA (SPI 0x10001, sequence numbers
# 1..PACKETS), ESP tunnel 198.19.0.2 -> 198.19.0.1.
make_pcap() {
  "$PY3" - "$@" "$PACKETS" "$GCM_IN" "$CBC_IN" "$SHA_IN" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
from scapy.layers.ipsec import ESP, SecurityAssociation
d, alg, size, out, n, gcm, cbc, sha = sys.argv[1:9]
size, n = int(size), int(n)
eth = Ether(dst="02:70:63:61:70:00", src="02:00:c6:13:00:02" if d == "decap" else "02:00:c6:12:00:02")
pkts = []
if d == "encap":
    for i in range(n):
        ip = IP(src="198.18.0.2", dst="198.18.128.1", id=i, ttl=64) / UDP(sport=10000, dport=5001)
        pkts.append(eth / ip / Raw(bytes((j * 7 + i) & 0xff for j in range(size - 28))))
else:
    if alg == "aes-128-gcm":
        sa = SecurityAssociation(ESP, spi=0x10001, crypt_algo="AES-GCM", crypt_key=bytes.fromhex(gcm),
                                 tunnel_header=IP(src="198.19.0.2", dst="198.19.0.1"))
    else:
        sa = SecurityAssociation(ESP, spi=0x10001, crypt_algo="AES-CBC", crypt_key=bytes.fromhex(cbc),
                                 auth_algo="HMAC-SHA1-96", auth_key=bytes.fromhex(sha),
                                 tunnel_header=IP(src="198.19.0.2", dst="198.19.0.1"))
    for i in range(n):
        ip = IP(src="198.18.128.1", dst="198.18.0.2", id=i, ttl=64) / UDP(sport=5001, dport=10000)
        ip = IP(bytes(ip / Raw(bytes((j * 7 + i) & 0xff for j in range(size - 28)))))
        e = sa.encrypt(ip, seq_num=i + 1)
        e.ttl = 64
        pkts.append(eth / IP(bytes(e)))
wrpcap(out, pkts)
PY
}

# ---- the two runs

# run_ipsecgw DIR ALG SIZE PCAP OUT.json
run_ipsecgw() {
  local d=$1 alg=$2 size=$3 pcap=$4 out=$5 prefix="$PREFIX-gw" pid rc=0 keys
  if [ "$alg" = aes-128-gcm ]; then keys=(--enc-key "$GCM_IN/$GCM_OUT")
  else keys=(--enc-key "$CBC_IN/$CBC_OUT" --auth-key "$SHA_IN/$SHA_OUT"); fi
  PREFIXES+=("$prefix")
  timeout $(( ${SECS%.*} + 60 )) "$BENCH" --no-pci "${MEM[@]}" -l "$CTL_LCORE,$LCORE" --main-lcore "$CTL_LCORE" \
    --file-prefix "$prefix" --log-level=error -- --pcap "$pcap" --dir "$d" --alg "$alg" --size "$size" \
    --burst 32 --duration "$SECS" --no-raw --json --quiet "${keys[@]}" >"$out" 2>"$out.err" &
  pid=$!; CUR_PID=$pid
  wait "$pid" || rc=$?
  CUR_PID=
  rm -rf "/var/run/dpdk/$prefix"
  if [ $rc -ne 0 ]; then
    sed 's/^/    /' "$out.err" >&2
    die "ipsecgw-bench failed ($d $alg $size B, exit $rc)"
  fi
}

# sample_secgw PID SOCKET SECONDS OUT_PORT IN_PORT [TID]: output packets and
# the lcore thread's CPU time at the start and end of SECONDS, from DPDK
# telemetry (/ethdev/stats) and /proc (the lcore thread is TID, by default
# the main thread).
sample_secgw() {
  "$PY3" - "$@" <<'PY'
import json, socket, sys, time
pid, path, secs, outp, inp = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
tid = sys.argv[6] if len(sys.argv) > 6 else pid
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
s.recv(16384)
def q(cmd):
    s.send(cmd.encode())
    return json.loads(s.recv(1 << 20))
def sample():
    t = time.monotonic()
    o = q("/ethdev/stats," + outp)["/ethdev/stats"]
    i = q("/ethdev/stats," + inp)["/ethdev/stats"]
    cpu = int(open("/proc/%s/task/%s/schedstat" % (pid, tid)).read().split()[0]) / 1e9
    return t, o["opackets"], i["ipackets"], cpu
t0, o0, i0, c0 = sample()
time.sleep(secs)
t1, o1, i1, c1 = sample()
dt, dc = t1 - t0, c1 - c0
print(json.dumps({"tx_packets": o1 - o0, "rx_packets": i1 - i0, "seconds": dt,
                  "mpps": (o1 - o0) / dc / 1e6 if dc > 0 else 0.0,
                  "wall_mpps": (o1 - o0) / dt / 1e6, "cpu_share": dc / dt}))
PY
}

# pcap_vdevs DIR PCAP: sets the caller's vdevs, inp and outp. Port 0 = LAN
# (protected), port 1 = WAN (unprotected, ipsec-secgw's -u 0x2): vdev order.
pcap_vdevs() {
  if [ "$1" = encap ]; then
    vdevs=(--vdev "net_pcap0,rx_pcap=$2,infinite_rx=1" --vdev "net_null0,no-rx=1") inp=0 outp=1
  else
    vdevs=(--vdev "net_null0,no-rx=1" --vdev "net_pcap0,rx_pcap=$2,infinite_rx=1") inp=1 outp=0
  fi
}

# run_secgw DIR ALG SIZE PCAP CONF OUT.json
run_secgw() {
  local d=$1 alg=$2 size=$3 pcap=$4 conf=$5 out=$6 prefix="$PREFIX-sg" pid rc=0 i sock vdevs inp outp
  PREFIXES+=("$prefix")
  sock=/var/run/dpdk/$prefix/dpdk_telemetry.v2
  pcap_vdevs "$d" "$pcap"
  # no timeout(1) wrapper: $! must be ipsec-secgw itself (its main thread is
  # the lcore whose CPU time is read); the script stops it, the trap too
  "$SECGW" --no-pci "${MEM[@]}" -l "$LCORE" --file-prefix "$prefix" \
    "${vdevs[@]}" --vdev crypto_aesni_mb0 -- -p 0x3 -u 0x2 --config "(0,0,$LCORE),(1,0,$LCORE)" \
    -f "$conf" "${SECGW_LIB[@]}" >"$out.log" 2>&1 &
  pid=$!; CUR_PID=$pid
  for i in $(seq 1 200); do
    grep -q "entering main loop" "$out.log" 2>/dev/null && [ -S "$sock" ] && break
    alive "$pid" || break
    sleep 0.1
  done
  if ! grep -q "entering main loop" "$out.log" || [ ! -S "$sock" ] || ! alive "$pid"; then
    sed 's/^/    /' "$out.log" | tail -30 >&2
    die "ipsec-secgw did not start ($d $alg $size B)"
  fi
  sleep 0.5 # past the first bursts, as ipsecgw-bench is past its setup
  sample_secgw "$pid" "$sock" "$SECS" "$outp" "$inp" >"$out" || rc=$?
  stop_pid "$pid" INT
  CUR_PID=
  rm -rf "/var/run/dpdk/$prefix"
  [ $rc -eq 0 ] || die "reading ipsec-secgw's telemetry failed ($d $alg $size B)"
}

# run_floor DIR PCAP OUT.json: the packet I/O alone. dpdk-testpmd in io mode
# (no header touched, no crypto) moves the same pcap from the same input
# vdev to net_null on the same lcore: what any gateway on these PMDs pays
# before doing any work of its own.
run_floor() {
  local d=$1 pcap=$2 out=$3 prefix="$PREFIX-io" pid rc=0 i sock vdevs inp outp tid=
  PREFIXES+=("$prefix")
  sock=/var/run/dpdk/$prefix/dpdk_telemetry.v2
  pcap_vdevs "$d" "$pcap"
  # --stats-period: testpmd forwards until signalled instead of reading stdin
  "$TESTPMD" --no-pci "${MEM[@]}" -l "$CTL_LCORE,$LCORE" --main-lcore "$CTL_LCORE" --file-prefix "$prefix" \
    --log-level=error "${vdevs[@]}" -- --forward-mode=io --nb-cores=1 --burst=32 --auto-start \
    --no-lsc-interrupt --total-num-mbufs=16384 --stats-period 3600 >"$out.log" 2>&1 &
  pid=$!; CUR_PID=$pid
  for i in $(seq 1 200); do
    tid=$(grep -lx "rte-worker-$LCORE" /proc/"$pid"/task/*/comm 2>/dev/null | head -1 | cut -d/ -f5 || true)
    [ -n "$tid" ] && [ -S "$sock" ] && grep -q "Start automatic packet forwarding\|io packet forwarding" "$out.log" && break
    alive "$pid" || break
    sleep 0.1
  done
  if [ -z "$tid" ] || [ ! -S "$sock" ] || ! alive "$pid"; then
    sed 's/^/    /' "$out.log" | tail -30 >&2
    die "dpdk-testpmd did not start ($d)"
  fi
  sleep 0.5
  sample_secgw "$pid" "$sock" "$SECS" "$outp" "$inp" "$tid" >"$out" || rc=$?
  stop_pid "$pid" INT
  CUR_PID=
  rm -rf "/var/run/dpdk/$prefix"
  [ $rc -eq 0 ] || die "reading dpdk-testpmd's telemetry failed ($d)"
}

# run_crypto DIR ALG SIZE OUT.json: intel-ipsec-mb alone on the same lcore,
# the transform's bytes of one packet per job (ipsecgw-bench --raw-crypto).
run_crypto() {
  local d=$1 alg=$2 size=$3 out=$4 prefix="$PREFIX-raw" rc=0
  PREFIXES+=("$prefix")
  timeout $(( ${SECS%.*} + 60 )) "$BENCH" --no-pci "${MEM[@]}" -l "$CTL_LCORE,$LCORE" --main-lcore "$CTL_LCORE" \
    --file-prefix "$prefix" --log-level=error -- --raw-crypto --dir "$d" --alg "$alg" --size "$size" \
    --burst 32 --raw-seconds "$SECS" --json --quiet >"$out" 2>"$out.err" || rc=$?
  rm -rf "/var/run/dpdk/$prefix"
  if [ $rc -ne 0 ]; then
    sed 's/^/    /' "$out.err" >&2
    die "ipsecgw-bench --raw-crypto failed ($d $alg $size B, exit $rc)"
  fi
}

# ---- the cases, interleaved runs

RESULTS=$WORK/results.tsv
: >"$RESULTS"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
say "bench-vs-secgw: lcore $LCORE for the packet work (ipsecgw control on $CTL_LCORE), burst 32," \
  "$SECS s x $RUNS runs each, ipsec-secgw path $SECGW_PATH, ${MEM[*]}"
for d in "${DIR_LIST[@]}"; do
  for alg in "${ALG_LIST[@]}"; do
    for size in "${SIZE_LIST[@]}"; do
      case_id="$d-$alg-$size"
      pcap=$WORK/$case_id.pcap conf=$WORK/$case_id.cfg
      make_pcap "$d" "$alg" "$size" "$pcap" || die "writing $pcap with scapy failed"
      secgw_conf "$alg" "$conf"
      for r in $(seq 1 "$RUNS"); do
        run_ipsecgw "$d" "$alg" "$size" "$pcap" "$WORK/$case_id.gw.$r.json"
        run_secgw "$d" "$alg" "$size" "$pcap" "$conf" "$WORK/$case_id.sg.$r.json"
        run_floor "$d" "$pcap" "$WORK/$case_id.io.$r.json"
        run_crypto "$d" "$alg" "$size" "$WORK/$case_id.raw.$r.json"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$d" "$alg" "$size" "$r" "$WORK/$case_id.gw.$r.json" \
          "$WORK/$case_id.sg.$r.json" "$WORK/$case_id.io.$r.json" "$WORK/$case_id.raw.$r.json" >>"$RESULTS"
        say "  $d $alg $size B run $r/$RUNS: ipsecgw $("$PY3" -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; print("%.2f Mpps (%.0f%% CPU)" % (r["mpps"], 100*r["cpu_share"]))' "$WORK/$case_id.gw.$r.json")," \
          "ipsec-secgw $("$PY3" -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.2f Mpps (%.0f%% CPU)" % (r["mpps"], 100*r["cpu_share"]))' "$WORK/$case_id.sg.$r.json")"
      done
    done
  done
done

# ---- summary

"$PY3" - "$RESULTS" "$JSON" "$LCORE" "$CTL_LCORE" "$SECS" "$RUNS" "$SECGW_PATH" "$PACKETS" "${MEM[*]}" "$DPDK_VER" \
  "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, statistics, sys
res, as_json, lcore, ctl, secs, runs, path, packets, mem, dpdk, load0, load1 = sys.argv[1:13]
cases, order = {}, []
for line in open(res):
    d, alg, size, r, gw, sg, io, raw = line.rstrip("\n").split("\t")
    key = (d, alg, int(size))
    if key not in cases:
        cases[key] = {"ipsecgw": [], "ipsec-secgw": [], "io": [], "crypto": []}
        order.append(key)
    g = json.load(open(gw))[0]
    s = json.load(open(sg))
    f = json.load(open(io))
    x = json.load(open(raw))[0]
    cases[key]["io"].append({k: f[k] for k in ("mpps", "wall_mpps", "cpu_share", "tx_packets", "rx_packets")})
    cases[key]["crypto"].append({"mpps": x["raw_mpps"], "wall_mpps": x["raw_wall_mpps"],
                                 "cpu_share": x["raw_wall_mpps"] / x["raw_mpps"] if x["raw_mpps"] > 0 else 0.0,
                                 "cycles_per_job": x["raw_cycles_per_job"]})
    cases[key]["ipsecgw"].append({"mpps": g["mpps"], "wall_mpps": g["wall_mpps"], "cpu_share": g["cpu_share"],
                                  "tx_packets": g["tx_packets"], "rx_packets": g["rx_packets"], "drops": g["drops"]})
    cases[key]["ipsec-secgw"].append({k: s[k] for k in ("mpps", "wall_mpps", "cpu_share", "tx_packets", "rx_packets")})

def summary(runs):
    m = [r["mpps"] for r in runs]
    w = [r["wall_mpps"] for r in runs]
    return {"median": statistics.median(m), "min": min(m), "max": max(m),
            "wall_median": statistics.median(w), "wall_min": min(w), "wall_max": max(w),
            "cpu_share_median": statistics.median(r["cpu_share"] for r in runs), "runs": runs}

out = []
for key in order:
    d, alg, size = key
    a, b = summary(cases[key]["ipsecgw"]), summary(cases[key]["ipsec-secgw"])
    io, cr = summary(cases[key]["io"]), summary(cases[key]["crypto"])
    # A gateway whose own work cost nothing still pays the packet I/O and
    # the crypto, one after the other on its one core: the rate it could
    # reach at best is the harmonic sum of the two.
    bound = 1 / (1 / io["median"] + 1 / cr["median"]) if io["median"] > 0 and cr["median"] > 0 else 0.0
    out.append({"dir": d, "alg": alg, "size": size, "ipsecgw": a, "ipsec-secgw": b,
                "ratio": a["median"] / b["median"] if b["median"] > 0 else 0.0,
                "wall_ratio": a["wall_median"] / b["wall_median"] if b["wall_median"] > 0 else 0.0,
                "io_alone": io, "crypto_alone": cr, "io_crypto_bound_mpps": bound,
                "bound_vs_secgw": bound / b["median"] if b["median"] > 0 else 0.0})
# Every packet in should come out: a gateway that drops (wrong key, policy,
# neighbour) would be measured at the speed of dropping.
warnings = []
for c in out:
    for who in ("ipsecgw", "ipsec-secgw"):
        for i, r in enumerate(c[who]["runs"]):
            if r.get("drops"):
                warnings.append("%s %s %d B run %d: ipsecgw dropped %s" % (c["dir"], c["alg"], c["size"], i + 1, r["drops"]))
            elif r["rx_packets"] and r["tx_packets"] < 0.99 * r["rx_packets"]:
                warnings.append("%s %s %d B run %d: %s sent %d of %d packets" %
                                (c["dir"], c["alg"], c["size"], i + 1, who, r["tx_packets"], r["rx_packets"]))
settings = {"lcore": int(lcore), "ctl_lcore": int(ctl), "burst": 32, "seconds": float(secs), "runs": int(runs),
            "secgw_path": path, "pcap_packets": int(packets), "memory": mem, "dpdk": dpdk, "mode": "ESP tunnel",
            "loadavg_start": load0, "loadavg_end": load1}
if as_json == "1":
    print(json.dumps({"settings": settings, "cases": out, "warnings": warnings}, indent=1))
    sys.exit(0)
print()
print("ipsecgw vs DPDK ipsec-secgw: ESP tunnel, one lcore (%s), burst 32, net_pcap in / net_null out," % lcore)
print("%s runs of %s s each, interleaved; Mpps = output packets per second of the lcore thread's CPU time" % (runs, secs))
print("(wall clock and CPU share below it); median [min-max]; ratio = ipsecgw / ipsec-secgw (medians)")
print("load average at the start: %s, at the end: %s (a shared machine makes every figure noisy)" % (load0, load1))
print()
hdr = "%-6s %-17s %5s   %-24s %-24s %6s" % ("dir", "algorithm", "size", "ipsecgw Mpps", "ipsec-secgw Mpps", "ratio")
print(hdr)
print("-" * len(hdr))
for c in out:
    a, b = c["ipsecgw"], c["ipsec-secgw"]
    f = lambda s: "%.2f [%.2f-%.2f]" % (s["median"], s["min"], s["max"])
    w = lambda s: "wall %.2f, %3.0f%% CPU" % (s["wall_median"], 100 * s["cpu_share_median"])
    print("%-6s %-17s %5d   %-24s %-24s %6.2f" % (c["dir"], c["alg"], c["size"], f(a), f(b), c["ratio"]))
    print("%-6s %-17s %5s   %-24s %-24s %6.2f" % ("", "", "", w(a), w(b), c["wall_ratio"]))
print()
print("What the I/O and the crypto alone allow, same lcore, same runs (Mpps per second of CPU):")
print("I/O = dpdk-testpmd io forwarding of the same pcap to net_null; crypto = intel-ipsec-mb")
print("alone (ipsecgw-bench --raw-crypto); bound = 1/(1/I/O + 1/crypto): a gateway whose own")
print("work cost nothing; bound/secgw = the most any gateway could be ahead of ipsec-secgw here.")
print()
hdr = "%-6s %-17s %5s   %8s %8s %8s %12s %14s" % ("dir", "algorithm", "size", "I/O", "crypto", "bound",
                                              "bound/secgw", "ipsecgw/bound")
print(hdr)
print("-" * len(hdr))
for c in out:
    bnd = c["io_crypto_bound_mpps"]
    print("%-6s %-17s %5d   %8.2f %8.2f %8.2f %12.2f %14.2f" % (
        c["dir"], c["alg"], c["size"], c["io_alone"]["median"], c["crypto_alone"]["median"], bnd,
        c["bound_vs_secgw"], c["ipsecgw"]["median"] / bnd if bnd > 0 else 0.0))
for w in warnings:
    print("WARNING: " + w)
PY
