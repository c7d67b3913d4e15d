#!/usr/bin/env bash
# ipsecgw on net_null vdevs, driven by ipsecctl: print / add / set / remove /
# enable / disable / flush / reset, errors that change nothing, a hostile
# client (garbage, half commands, 1000 connections), owner-only access, and
# a clean SIGTERM shutdown.
set -uo pipefail
cd "$(dirname "$0")/../.."
source test/integration/lib.sh
need_root
need_cmd python3 setpriv

work=$(mktemp -d /tmp/ipsecgw-mgmt.XXXXXX)
sock=$work/gw.sock
trap 'stop_gw >/dev/null 2>&1; rm -rf "$work"' EXIT

cat >"$work/gw.yaml" <<'YAML'
interfaces:
  - name: lan
    device: net_null0
    address: 198.18.1.1/24
  - name: wan
    device: net_null1
    address: 198.19.0.1/24
routes:
  - dst-address: 198.18.2.0/24
    gateway: 198.19.0.2
ipsec:
  manual-sa:
    - name: sa1
      esp-auth-algorithm: sha1
      esp-enc-algorithm: aes-128-cbc
      esp-auth-key: 0102030405060708090a0b0c0d0e0f1011121314/1112131415161718191a1b1c1d1e1f2021222324
      esp-enc-key: 000102030405060708090a0b0c0d0e0f/101112131415161718191a1b1c1d1e1f
      esp-spi: 0x1001/0x1000
  policies:
    - src-address: 198.18.1.0/24
      dst-address: 198.18.2.0/24
      action: encrypt
      tunnel: yes
      sa-src-address: 198.19.0.1
      sa-dst-address: 198.19.0.2
      manual-sa: sa1
YAML

ctl() { "$IPSECCTL" -s "$sock" "$@"; }

# --check-config works without EAL and points at the bad line.
out=$("$IPSECGW" --check-config "$work/gw.yaml" 2>&1); rc=$?
check "--check-config accepts a good file" test "$rc" -eq 0
printf 'ipsec:\n  policies:\n    - action: encrypt\n      bogus: 1\n' >"$work/bad.yaml"
out=$("$IPSECGW" --check-config "$work/bad.yaml" 2>&1); rc=$?
check "--check-config refuses a bad file" test "$rc" -ne 0
expect_contains "error names FILE:LINE:COLUMN" "$out" "$work/bad.yaml:4:7:"

start_gw "$work/gw.yaml" "$sock" gw-mgmt-test "$work/gw.log" 0-1 || { fail "daemon starts"; finish; exit 1; }
pass "daemon starts on net_null vdevs"
check "socket is owner-only" test "$(stat -c %a "$sock")" = 600

out=$(ctl policy print)
expect_contains "policy print shows the policy" "$out" "src-address=198.18.1.0/24:any"
expect_contains "policy print shows manual-sa" "$out" 'manual-sa=sa1'
out=$(ctl installed-sa print)
expect_contains "installed-sa legend" "$out" "Flags: A - AH, E - ESP, P - pfs, M - manual"
expect_contains "out SA from the manual-sa" "$out" "spi=1000"
expect_contains "in SA from the manual-sa" "$out" "spi=1001"
expect_contains "SA is mature" "$out" "state=mature"
out=$(ctl /ip ipsec counters print)
for k in out-accept out-accept-isakmp out-drop out-encrypt in-accept in-accept-isakmp in-drop in-decrypted in-drop-encrypted-expected; do
  expect_contains "counters print has $k" "$out" "$k:"
done

# add / set / remove / disable / enable, live
check "policy add" ctl policy add src-address=198.18.1.0/24 dst-address=198.18.3.0/24 action=drop
out=$(ctl policy print)
expect_contains "added policy printed" "$out" "dst-address=198.18.3.0/24:any"
check "policy set by number" ctl policy set 1 action=accept
expect_contains "set applied" "$(ctl policy print)" "action=accept"
check "policy disable" ctl policy disable 1
expect_contains "disabled flag X" "$(ctl policy print)" " X "
check "policy enable" ctl policy enable 1
check "policy remove" ctl policy remove 1
expect_not_contains "removed policy gone" "$(ctl policy print)" "198.18.3.0/24"
check "proposal set default (seed example)" ctl proposal set default enc-algorithms=des,aes-128
expect_contains "aes-128 means aes-128-cbc" "$(ctl proposal print)" "enc-algorithms=des,aes-128-cbc"
check "peer add with a quoted secret" ctl peer add address=198.19.0.2/32 "secret=two words"
expect_contains "peer secret printed quoted" "$(ctl peer print)" 'secret="two words"'

# errors change nothing
before=$(ctl policy print; ctl manual-sa print; ctl peer print; ctl proposal print)
out=$(ctl policy add src-address=198.18.300.0/24 2>&1); rc=$?
check "bad address refused with exit 1" test "$rc" -eq 1
expect_contains "bad address error names the value" "$out" "198.18.300.0/24"
out=$(ctl policy add action=encrypt sa-src-address=198.19.0.1 sa-dst-address=198.19.0.2 manual-sa=nosuch 2>&1); rc=$?
check "unknown manual-sa refused" test "$rc" -eq 1
out=$(ctl manual-sa remove sa1 2>&1); rc=$?
check "removing a referenced manual-sa refused" test "$rc" -eq 1
out=$(ctl manual-sa set sa1 esp-enc-key=0011 2>&1); rc=$?
check "key of the wrong length refused" test "$rc" -eq 1
out=$(ctl manual-sa set sa1 esp-spi=0 2>&1); rc=$?
check "SPI 0 refused" test "$rc" -eq 1
out=$(ctl polcy print 2>&1); rc=$?
check "unknown menu refused" test "$rc" -eq 1
out=$(ctl policy set 1 action=encrypt foo=bar 2>&1); rc=$?
check "unknown key refused (no half-applied set)" test "$rc" -eq 1
after=$(ctl policy print; ctl manual-sa print; ctl peer print; ctl proposal print)
check "refused commands changed nothing" test "$before" = "$after"

# JSON
out=$(ctl --json installed-sa print)
check "installed-sa --json is valid JSON" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d)==2, d' "$out"
out=$(ctl --json counters print)
check "counters --json is valid JSON" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert "out-encrypt" in d, d' "$out"

# flush re-installs manual SAs fresh; counters reset
check "installed-sa flush" ctl installed-sa flush
expect_contains "manual SAs come back after flush" "$(ctl installed-sa print)" "spi=1000"
check "counters reset" ctl counters reset

# hostile clients
python3 - "$sock" <<'PY'
import os, socket, sys, time
path = sys.argv[1]
# 1 MiB of garbage without a newline
s = socket.socket(socket.AF_UNIX); s.connect(path)
try:
    s.sendall(os.urandom(1 << 20))
except OSError:
    pass
s.close()
# a command cut off in the middle
s = socket.socket(socket.AF_UNIX); s.connect(path); s.sendall(b"policy pri"); s.close()
# 1000 connections at once
socks = []
for _ in range(1000):
    c = socket.socket(socket.AF_UNIX)
    try:
        c.connect(path); socks.append(c)
    except OSError:
        c.close()
for c in socks:
    c.close()
PY
sleep 0.5
out=$(ctl counters print 2>&1); rc=$?
check "daemon answers after garbage, half commands and 1000 connections" test "$rc" -eq 0
check "daemon still running" kill -0 "$GW_PID"

# owner only
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$IPSECCTL" -s "$sock" counters print 2>&1); rc=$?
check "another user cannot manage the daemon" test "$rc" -ne 0

# a second daemon on the same socket refuses to start
"$IPSECGW" --no-huge --no-pci -m 128 -l 0 --file-prefix gw-mgmt-test2 --log-level=lib.eal:error \
  -- -c "$work/gw.yaml" -s "$sock" >"$work/gw2.log" 2>&1; rc=$?
check "second daemon on the same socket refused" test "$rc" -ne 0
expect_contains "second daemon says why" "$(cat "$work/gw2.log")" "already running"

stop_gw; rc=$?
check "SIGTERM: clean exit" test "$rc" -eq 0
check "SIGTERM: socket removed" test ! -e "$sock"
finish
