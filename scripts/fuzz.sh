#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each for
# SECONDS (default 60) from its corpus in test/fuzz/corpus/NAME (new findings
# are added there). Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
# Exit non-zero if any target finds a crash, a sanitizer report or a leak.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
if [ "$(id -u)" -eq 0 ]; then
  scripts/install-deps.sh
fi
command -v clang >/dev/null || { echo "scripts/fuzz.sh: clang is needed (scripts/install-deps.sh installs it)" >&2; exit 1; }
dir=build-fuzz
if [ ! -f $dir/build.ninja ]; then
  CC=clang meson setup $dir -Dfuzz=true -Dtests=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized >/dev/null
fi
meson compile -C $dir >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=()
  for f in $dir/test/fuzz/fuzz_*; do
    [ -f "$f" ] && [ -x "$f" ] && targets+=("$(basename "$f")")
  done
fi
rc=0
for t in "${targets[@]}"; do
  corpus=test/fuzz/corpus/$t
  mkdir -p "$corpus" "$dir/artifacts/$t"
  echo "== $t for ${secs}s"
  if ! ASAN_OPTIONS=detect_leaks=1 "$dir/test/fuzz/$t" -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="$dir/artifacts/$t/" "$corpus" 2>&1 | tail -15; then
    rc=1
  fi
  if ls "$dir/artifacts/$t"/crash-* "$dir/artifacts/$t"/leak-* >/dev/null 2>&1; then
    echo "$t: findings in $dir/artifacts/$t"
    rc=1
  fi
done
exit $rc
