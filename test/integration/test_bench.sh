#!/usr/bin/env bash
# ipsecgw-bench smoke test: the gateway's own packet path on net_ring ports,
# a round trip for every ESP and AH algorithm (the gateway encaps, the
# bench's peer decapsulates and checks the plaintext byte for byte, answers,
# the gateway decaps, the answer is checked again), then decap, encap in
# transport mode, imix with many flows, policies and SAs, and
# scripts/bench-scale.sh. About one second per case. A rate is required to be non-zero, never to reach a figure:
# this is not a timing assertion. Every mbuf must be back in the pool.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/integration/lib.sh
PY3=${PY3:-/usr/bin/python3}
need_root
need_cmd timeout "$PY3"
BENCH=${BENCH:-$BUILD_DIR/ipsecgw-bench}
[ -x "$BENCH" ] || { echo "FAIL: $BENCH not built (meson compile -C $BUILD_DIR)" >&2; exit 1; }

work=$(mktemp -d /tmp/ipsecgw-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

# bench NAME ARGS...: one run, JSON into $work/NAME.json; the exit code of
# the bench (0 when every run verified, moved packets, and left the pool full).
bench() {
  local name=$1; shift
  timeout 110 "$BENCH" --no-pci --no-huge -m 1024 -l 0-1 --file-prefix "gwt-bench-$$" \
    --log-level=error -- --json --quiet --raw-seconds 0.2 "$@" >"$work/$name.json" 2>"$work/$name.err"
}

# check_runs NAME EXPR: EXPR (python, over run r) holds for every run of NAME.
check_runs() {
  "$PY3" - "$work/$1.json" "$2" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
bad = [r for r in runs if not eval(sys.argv[2], {}, {"r": r})]
for r in bad:
    print("      %s: %s" % (r["alg"], {k: r[k] for k in ("mpps", "verified", "bad", "drops", "mempool_full", "raw_mpps")}))
sys.exit(1 if bad or not runs else 0)
PY
}

show_err() { sed 's/^/      /' "$work/$1.err" | tail -20; }

# 1. Round trip, every algorithm: 20 runs of 1 s in one process.
if bench all --dir roundtrip --alg all --duration 1 --size 256; then
  pass "round trip, every algorithm: plaintext verified, pool full"
else
  fail "round trip, every algorithm"; show_err all
fi
check_runs all 'r["verified"] > 0 and r["bad"] == 0' && pass "every algorithm: answers verified byte for byte, none bad" \
  || fail "every algorithm: verification"
check_runs all 'r["mpps"] > 0 and r["raw_mpps"] > 0' && pass "every algorithm: non-zero gateway and raw crypto rates" \
  || fail "every algorithm: rates"
check_runs all 'r["mempool_full"]' && pass "every algorithm: mempool full after the run" || fail "every algorithm: mempool"
n=$("$PY3" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/all.json" 2>/dev/null)
[ "${n:-0}" -ge 20 ] && pass "all 20 algorithms ran" || fail "only ${n:-0} algorithms ran"

# 2. Decap of pre-sealed packets (replay windows reset between passes), GCM and CBC+SHA1.
if bench decap --dir decap --alg aes-128-gcm,aes-128-cbc+sha1 --duration 1 --size 1420 --pool 1024; then
  pass "decap: GCM and CBC+SHA1 at 1420 B"
else
  fail "decap"; show_err decap
fi
check_runs decap 'r["mpps"] > 0 and r["counters"]["in-decrypted"] > 0 and not r["drops"] and r["passes"] > 0' \
  && pass "decap: decrypted, forwarded, no drop (no replay drop across passes)" || fail "decap: counters"

# 3. Encap, transport mode, and imix over many flows, policies and SAs.
if bench transport --dir encap --mode transport --alg aes-256-gcm,ah-sha256 --duration 1 --size 64; then
  pass "encap, transport mode"
else
  fail "encap, transport mode"; show_err transport
fi
check_runs transport 'r["mpps"] > 0 and r["counters"]["out-encrypt"] > 0' && pass "transport: encrypted" \
  || fail "transport: counters"
if bench scale --dir roundtrip --alg aes-128-gcm --duration 1 --size imix --flows 4096 --policies 1000 --sas 4000; then
  pass "round trip, imix, 4096 flows, 1000 policies, 4000 SAs"
else
  fail "round trip at scale"; show_err scale
fi
check_runs scale 'r["verified"] > 0 and r["bad"] == 0 and r["sas"] == 4000' && pass "scale: verified" \
  || fail "scale: verification"

# 4. The text output has the testpmd-like blocks and the summary.
out=$(timeout 60 "$BENCH" --no-pci --no-huge -m 1024 -l 0-1 --file-prefix "gwt-bench-$$" --log-level=error \
  -- --duration 1.5 --raw-seconds 0.2 2>&1)
expect_contains "per-second block" "$out" "Rx-pps:"
expect_contains "summary: cycles per packet" "$out" "cycles/packet"
expect_contains "summary: ratio to raw crypto" "$out" "gateway / raw"
expect_contains "summary: mempool full" "$out" "mbufs back after the run: full"

# 5. scripts/bench-scale.sh: the scale goal's ratio from one command (small
# tables here: the smoke test checks the plumbing, not the figure).
if BENCH_SCALE_PREFIX="gwt-bsc-$$" timeout 300 scripts/bench-scale.sh --policies 1000 --sas 2000 \
    --flows 1,100 --seconds 0.5 --runs 1 --json >"$work/scale.json" 2>"$work/scale.err"; then
  pass "bench-scale.sh ran"
else
  fail "bench-scale.sh"; show_err scale
fi
if "$PY3" - "$work/scale.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["cases"]
assert [x["flows"] for x in c] == [1, 100], c
for x in c:
    assert x["one_policy"]["median"] > 0 and x["scaled"]["median"] > 0 and x["ratio"] > 0, x
assert d["settings"]["policies"] == 1000 and d["settings"]["sas"] == 2000, d["settings"]
PY
then
  pass "bench-scale.sh: both rates and the ratio for each flow count"
else
  fail "bench-scale.sh: unexpected JSON"; sed 's/^/      /' "$work/scale.json" | head -30
fi
bad=$(scripts/bench-scale.sh --sas 3 2>&1) && fail "--sas 3 accepted" \
  || expect_contains "bench-scale.sh: an odd --sas refused with a reason" "$bad" "--sas: a positive even integer"

finish
