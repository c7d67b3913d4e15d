#!/usr/bin/env bash
# The README's first command: build ipsecgw, start it on the built-in default
# config (conf/ipsecgw.yaml, two net_null DPDK ports, a manual-SA policy) and
# show what it holds through ipsecctl, then stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/demo.sh: must run as root (installs packages, runs DPDK)" >&2
  exit 1
fi
scripts/build.sh

BUILD_DIR=build
source test/integration/lib.sh
work=$(mktemp -d /tmp/ipsecgw-demo.XXXXXX)
sock=$work/ipsecgw.sock
trap 'stop_gw >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "== starting: ipsecgw --no-huge --no-pci -l 0-1 -- -c conf/ipsecgw.yaml -s $sock"
start_gw conf/ipsecgw.yaml "$sock" ipsecgw-demo "$work/ipsecgw.log" 0-1
ctl() { echo; echo "\$ ipsecctl $*"; "$IPSECCTL" -s "$sock" "$@"; }
ctl interface print
ctl proposal print
ctl peer print
ctl policy print
ctl manual-sa print
ctl installed-sa print
ctl counters print
echo
echo "== stopping (SIGTERM)"
stop_gw
echo "== daemon log"
cat "$work/ipsecgw.log"
