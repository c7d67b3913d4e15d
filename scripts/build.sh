#!/usr/bin/env bash
# Build ipsecgw into BUILD_DIR (default: build). Extra arguments go to
# `meson setup`, e.g. scripts/build.sh -Db_sanitize=address,undefined.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
if [ "$(id -u)" -eq 0 ]; then
  scripts/install-deps.sh
fi
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  meson setup "$BUILD_DIR" "$@" >/dev/null
elif [ $# -gt 0 ]; then
  meson configure "$BUILD_DIR" "$@" >/dev/null
fi
meson compile -C "$BUILD_DIR" >/dev/null || meson compile -C "$BUILD_DIR"
