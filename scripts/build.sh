#!/usr/bin/env bash
# Build ipsecgw into BUILD_DIR (default: build). Extra arguments go to
# `meson setup`, e.g. scripts/build.sh -Db_sanitize=address,undefined.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ "$(id -u)" -eq 0 ]; then
  scripts/install-deps.sh
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Quiet when all is well, the whole story when not.
quiet() { "$@" >"$log" 2>&1 || { cat "$log"; return 1; }; }
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  quiet meson setup "$BUILD_DIR" "$@"
elif [ $# -gt 0 ]; then
  quiet meson configure "$BUILD_DIR" "$@"
fi
quiet meson compile -C "$BUILD_DIR"
