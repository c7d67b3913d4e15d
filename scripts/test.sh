#!/usr/bin/env bash
# Every test of ipsecgw: unit tests (normal and ASan/UBSan builds) and the
# integration tests on DPDK vdevs and network namespaces. Needs root (apt-get,
# DPDK, namespaces). Ends with "N passed, N failed"; exit 0 only if all passed.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "scripts/test.sh: must run as root (installs packages, runs DPDK and network namespaces)" >&2
  exit 1
fi
scripts/install-deps.sh || { echo "scripts/test.sh: dependency install failed" >&2; exit 1; }

passed=0
failed=0
failures=()

# run_suite NAME BUILD_DIR MESON_TEST_ARGS...: counts meson's results.
run_suite() {
  local name=$1 dir=$2; shift 2
  local log
  log=$(mktemp)
  meson test -C "$dir" --print-errorlogs "$@" >"$log" 2>&1
  local rc=$?
  cat "$log"
  local ok fail
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  fail=$(( $(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$log" | tail -1) + $(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$log" | tail -1) ))
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0}))
  if [ "$rc" -ne 0 ]; then
    [ "${fail:-0}" -gt 0 ] || failed=$((failed + 1))
    failures+=("$name")
  fi
  rm -f "$log"
}

build() {
  local dir=$1; shift
  if ! BUILD_DIR=$dir scripts/build.sh "$@"; then
    echo "scripts/test.sh: build of $dir failed" >&2
    failed=$((failed + 1))
    failures+=("build $dir")
    return 1
  fi
}

echo "== build (release) =="
if build build; then
  echo "== unit tests =="
  run_suite unit build --suite unit
  echo "== integration tests =="
  run_suite integration build --suite integration
fi

echo "== build (ASan + UBSan) =="
if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
  echo "== unit tests under ASan/UBSan =="
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_suite unit-asan build-asan --suite unit
  echo "== the daemon under ASan/UBSan: management test, clean shutdown, no leaks =="
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_suite daemon-asan build-asan mgmt-daemon
fi

echo "== fuzz targets (libFuzzer + ASan/UBSan, ${FUZZ_SECONDS:-20} s each, corpus in test/fuzz/corpus) =="
if scripts/fuzz.sh "${FUZZ_SECONDS:-20}"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
  failures+=("fuzz")
fi

[ ${#failures[@]} -eq 0 ] || echo "failed suites: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
