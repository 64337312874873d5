#!/usr/bin/env bash
# Runs every test: the Release build, then the ASan+UBSan build. Reference data is read from
# ../shared (override with FOUNDRY_SHARED). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS="${JOBS:-$(nproc)}"

echo "== tests (Release)"
ctest --test-dir build -j"$JOBS" --output-on-failure

if [ "${FOUNDRY_SKIP_ASAN:-0}" != 1 ]; then
  echo "== tests (ASan + UBSan)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -j"$JOBS" --output-on-failure
fi

if [ "${FOUNDRY_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz smoke pass (clang, libFuzzer, ASan + UBSan)"
  ./scripts/fuzz.sh
fi
