#!/usr/bin/env bash
# scripts/bench-vs-secgw.sh smoke test: ipsecgw-bench and DPDK's ipsec-secgw
# (built from dpdk-doc into the script's cache on the first run) on the same
# lcore and the same pcap, one run of about 1.5 s each, GCM 64 B encap, in
# text and in JSON. Both rates must be non-zero and the ratio printed; no
# figure is asserted (this is not a timing test).
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/integration/lib.sh
PY3=${PY3:-/usr/bin/python3}
need_root
need_cmd timeout "$PY3"
SCRIPT=scripts/bench-vs-secgw.sh
export BUILD_DIR
# our own EAL --file-prefix stem: the leftovers checked below are ours only
export BENCH_SECGW_PREFIX=bvst-$$
[ -x "$BUILD_DIR/ipsecgw-bench" ] || { echo "FAIL: $BUILD_DIR/ipsecgw-bench not built (meson compile -C $BUILD_DIR)" >&2; exit 1; }

work=$(mktemp -d /tmp/ipsecgw-bench-secgw.XXXXXX)
trap 'rm -rf "$work"' EXIT

ARGS=(--alg aes-128-gcm --size 64 --dir encap --seconds 1.5 --runs 1)

# 1. Text: a row for the case with both rates and the ratio.
if timeout 400 "$SCRIPT" "${ARGS[@]}" >"$work/text.out" 2>"$work/text.err"; then
  pass "bench-vs-secgw.sh ran (text)"
else
  fail "bench-vs-secgw.sh (text), exit $?"; tail -20 "$work/text.err" | sed 's/^/      /'
fi
out=$(cat "$work/text.out")
expect_contains "table header with the ratio" "$out" "ratio"
expect_contains "the I/O + crypto bound is printed" "$out" "bound/secgw"
row=$(grep -E '^encap +aes-128-gcm +64 ' "$work/text.out" | head -1)
if [[ $row =~ ^encap\ +aes-128-gcm\ +64\ +([0-9.]+)\ \[[0-9.]+-[0-9.]+\]\ +([0-9.]+)\ \[[0-9.]+-[0-9.]+\]\ +([0-9.]+)$ ]]; then
  gw=${BASH_REMATCH[1]} sg=${BASH_REMATCH[2]} ratio=${BASH_REMATCH[3]}
  [ "${gw//[0.]/}" != "" ] && pass "text: ipsecgw rate non-zero ($gw Mpps)" || fail "text: ipsecgw rate is $gw"
  [ "${sg//[0.]/}" != "" ] && pass "text: ipsec-secgw rate non-zero ($sg Mpps)" || fail "text: ipsec-secgw rate is $sg"
  [ "${ratio//[0.]/}" != "" ] && pass "text: ratio printed ($ratio)" || fail "text: ratio is $ratio"
else
  fail "text: no 'encap aes-128-gcm 64 <ipsecgw> <ipsec-secgw> <ratio>' row in:"; sed 's/^/      /' "$work/text.out"
fi

# 2. JSON: the same case, every field the script documents.
if timeout 400 "$SCRIPT" "${ARGS[@]}" --json >"$work/out.json" 2>"$work/json.err"; then
  pass "bench-vs-secgw.sh ran (--json)"
else
  fail "bench-vs-secgw.sh --json, exit $?"; tail -20 "$work/json.err" | sed 's/^/      /'
fi
if "$PY3" - "$work/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["cases"]
assert len(c) == 1 and c[0]["dir"] == "encap" and c[0]["alg"] == "aes-128-gcm" and c[0]["size"] == 64, c
for who in ("ipsecgw", "ipsec-secgw"):
    s = c[0][who]
    assert s["median"] > 0 and s["wall_median"] > 0 and len(s["runs"]) == 1, (who, s)
    assert s["runs"][0]["tx_packets"] > 0, (who, s)
assert not c[0]["ipsecgw"]["runs"][0]["drops"], c[0]["ipsecgw"]
assert c[0]["ratio"] > 0 and c[0]["wall_ratio"] > 0, c[0]
# the I/O floor (dpdk-testpmd) and the crypto alone, measured in the same run
assert c[0]["io_alone"]["median"] > 0 and c[0]["io_alone"]["runs"][0]["tx_packets"] > 0, c[0]["io_alone"]
assert c[0]["crypto_alone"]["median"] > 0, c[0]["crypto_alone"]
b = c[0]["io_crypto_bound_mpps"]
assert 0 < b < min(c[0]["io_alone"]["median"], c[0]["crypto_alone"]["median"]), b
assert d["settings"]["burst"] == 32 and d["settings"]["runs"] == 1
print("      ipsecgw %.2f Mpps, ipsec-secgw %.2f Mpps, ratio %.2f" %
      (c[0]["ipsecgw"]["median"], c[0]["ipsec-secgw"]["median"], c[0]["ratio"]))
PY
then
  pass "json: both rates non-zero, no ipsecgw drop, ratio present"
else
  fail "json: unexpected content"; sed 's/^/      /' "$work/out.json" | head -40
fi

# 3. A bad option fails and says why.
bad=$("$SCRIPT" --alg des 2>&1) && fail "--alg des accepted" || expect_contains "bad --alg refused with a reason" "$bad" "--alg: aes-128-gcm or aes-128-cbc+sha1"

# 4. Nothing left behind: no process, no DPDK runtime directory of ours.
sleep 0.5
if pgrep -f -- "--file-prefix $BENCH_SECGW_PREFIX-" >/dev/null; then
  fail "a benchmark process is still running"
else
  pass "no benchmark process left"
fi
if ls -d "/var/run/dpdk/$BENCH_SECGW_PREFIX-"* >/dev/null 2>&1; then
  fail "DPDK runtime directories left: $(ls -d "/var/run/dpdk/$BENCH_SECGW_PREFIX-"* | tr '\n' ' ')"
else
  pass "no DPDK runtime directory left"
fi

finish
