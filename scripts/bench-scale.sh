#!/usr/bin/env bash
# bench-scale.sh: the scale goal of docs/performance.md in one command: the
# packet rate with many policies and SAs against the rate with one policy and
# one SA pair, for the same traffic (the same number of flows), on the same
# worker, runs interleaved (A B A B ...).
#
#   scripts/bench-scale.sh [--policies N] [--sas N] [--flows LIST] [--seconds S]
#                          [--runs N] [--alg A] [--size B] [--huge] [--json]
#
#   A  ipsecgw-bench --inline --policies 1 --sas 2 --flows F
#   B  ipsecgw-bench --inline --policies N --sas S --flows F
# Rates are per second of the worker thread's CPU time. For each F it prints
# the median and min-max of A and B and the ratio B / A. Root (DPDK).
set -euo pipefail

REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
PY3=/usr/bin/python3
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
BENCH=${BENCH:-$BUILD_DIR/ipsecgw-bench}
PREFIX=${BENCH_SCALE_PREFIX:-bsc-$$}

POLICIES=100000
SAS=1000000
FLOWS=1,1000
SECS=5
RUNS=3
ALG=aes-128-gcm
SIZE=64
HUGE=0
JSON=0

usage() {
  cat <<EOF
usage: $0 [options]
  --policies N   policies of the scaled run (default $POLICIES)
  --sas N        SAs of the scaled run, even (default $SAS)
  --flows LIST   active flows, each case run at both scales (default $FLOWS)
  --seconds S    measured seconds per run (default $SECS)
  --runs N       runs of each scale per case, interleaved (default $RUNS)
  --alg A        ipsecgw-bench algorithm (default $ALG)
  --size B       packet size (default $SIZE)
  --huge         hugepages for the mempool (default --no-huge -m 1024)
  --json         results as JSON on stdout (progress on stderr)
environment: BUILD_DIR (default build), BENCH, BENCH_SCALE_PREFIX (EAL --file-prefix stem)
EOF
}

die() { echo "bench-scale: $*" >&2; exit 1; }
say() { echo "$*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    --policies) POLICIES=${2:?}; shift 2 ;;
    --sas) SAS=${2:?}; shift 2 ;;
    --flows) FLOWS=${2:?}; shift 2 ;;
    --seconds) SECS=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --alg) ALG=${2:?}; shift 2 ;;
    --size) SIZE=${2:?}; shift 2 ;;
    --huge) HUGE=1; shift ;;
    --json) JSON=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

IFS=, read -r -a FLOW_LIST <<<"$FLOWS"
positive() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
positive "$POLICIES" || die "--policies: a positive integer"
positive "$SAS" && [ $((SAS % 2)) -eq 0 ] || die "--sas: a positive even integer (SAs come in pairs)"
positive "$RUNS" || die "--runs: a positive integer"
[[ $SECS =~ ^[0-9]+([.][0-9]+)?$ ]] || die "--seconds: a number"
for f in "${FLOW_LIST[@]}"; do positive "$f" || die "--flows: positive integers, not '$f'"; done
[ "$(id -u)" -eq 0 ] || die "must run as root (DPDK)"
[ -x "$BENCH" ] || die "$BENCH not built (meson setup build && ninja -C build)"
if [ "$HUGE" = 1 ]; then MEM=(-m 1024); else MEM=(--no-huge -m 1024); fi

WORK=$(mktemp -d /tmp/bench-scale.XXXXXX)
trap 'rm -rf "$WORK" "/var/run/dpdk/$PREFIX"' EXIT

# run_one POLICIES FLOWS SAS OUT.json
run_one() {
  local rc=0
  timeout $(( ${SECS%.*} + 300 )) "$BENCH" --no-pci "${MEM[@]}" -l 0-1 --file-prefix "$PREFIX" \
    --log-level=error -- --inline --alg "$ALG" --dir encap --size "$SIZE" --policies "$1" \
    --flows "$2" --sas "$3" --duration "$SECS" --no-raw --json --quiet >"$4" 2>"$4.err" || rc=$?
  if [ $rc -ne 0 ]; then
    sed 's/^/    /' "$4.err" | tail -20 >&2
    die "ipsecgw-bench failed (--policies $1 --flows $2 --sas $3, exit $rc)"
  fi
}

RESULTS=$WORK/results.tsv
: >"$RESULTS"
say "bench-scale: $ALG encap ${SIZE} B, 1 policy / 2 SAs against $POLICIES policies / $SAS SAs," \
  "$SECS s x $RUNS runs each, ${MEM[*]}"
for f in "${FLOW_LIST[@]}"; do
  for r in $(seq 1 "$RUNS"); do
    run_one 1 "$f" 2 "$WORK/base-$f-$r.json"
    run_one "$POLICIES" "$f" "$SAS" "$WORK/scaled-$f-$r.json"
    printf '%s\t%s\t%s\n' "$f" "$WORK/base-$f-$r.json" "$WORK/scaled-$f-$r.json" >>"$RESULTS"
    say "  $f flows run $r/$RUNS: $("$PY3" -c 'import json,sys; a=json.load(open(sys.argv[1]))[0]; b=json.load(open(sys.argv[2]))[0]; print("1 policy %.2f Mpps, %d policies %.2f Mpps (tables built in %.1f s)" % (a["mpps"], b["policies"], b["mpps"], b["tables_ms"] / 1000))' "$WORK/base-$f-$r.json" "$WORK/scaled-$f-$r.json")"
  done
done

"$PY3" - "$RESULTS" "$JSON" "$POLICIES" "$SAS" "$ALG" "$SIZE" "$SECS" "$RUNS" <<'PY'
import json, statistics, sys
res, as_json, pol, sas, alg, size, secs, runs = sys.argv[1:9]
cases, order = {}, []
for line in open(res):
    f, a, b = line.rstrip("\n").split("\t")
    if f not in cases:
        cases[f] = {"base": [], "scaled": []}
        order.append(f)
    for key, path in (("base", a), ("scaled", b)):
        r = json.load(open(path))[0]
        cases[f][key].append({k: r[k] for k in ("mpps", "cycles_per_packet", "cpu_share", "tables_ms", "rx_packets")})

def summary(rs):
    m = [r["mpps"] for r in rs]
    return {"median": statistics.median(m), "min": min(m), "max": max(m), "runs": rs}

out = []
for f in order:
    a, b = summary(cases[f]["base"]), summary(cases[f]["scaled"])
    out.append({"flows": int(f), "one_policy": a, "scaled": b,
                "ratio": b["median"] / a["median"] if a["median"] > 0 else 0.0})
settings = {"alg": alg, "size": int(size), "policies": int(pol), "sas": int(sas), "seconds": float(secs),
            "runs": int(runs), "goal_ratio": 0.80}
if as_json == "1":
    print(json.dumps({"settings": settings, "cases": out}, indent=1))
    sys.exit(0)
print()
print("ipsecgw-bench %s encap %s B, one worker, --inline; Mpps per second of worker CPU," % (alg, size))
print("median [min-max] of %s interleaved runs of %s s; ratio = %s policies / %s SAs against 1 policy / 2 SAs" %
      (runs, secs, pol, sas))
print("for the same flows (the goal: >= 0.80)")
print()
hdr = "%8s   %-24s %-24s %6s" % ("flows", "1 policy, 2 SAs", "%s pol, %s SAs" % (pol, sas), "ratio")
print(hdr)
print("-" * len(hdr))
f = lambda s: "%.2f [%.2f-%.2f]" % (s["median"], s["min"], s["max"])
for c in out:
    print("%8d   %-24s %-24s %6.2f" % (c["flows"], f(c["one_policy"]), f(c["scaled"]), c["ratio"]))
PY
