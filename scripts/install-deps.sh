#!/usr/bin/env bash
# Installs every Debian 12 package that ipsecgw needs to build, test and demo.
# The one place where packages are named: everything else calls this script.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config meson ninja-build clang
  dpdk dpdk-dev libdpdk-dev libipsec-mb-dev dpdk-doc
  libssl-dev libyaml-dev libcmocka-dev
  iproute2 iputils-ping tcpdump ethtool procps netcat-openbsd
  python3 python3-scapy python3-cryptography
  strongswan-charon strongswan-swanctl strongswan-libcharon libcharon-extra-plugins
  libstrongswan-standard-plugins
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (apt-get)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
