#!/usr/bin/env bash
# Installs every dependency on Debian 12 and builds foundry (Release in build/, ASan+UBSan in
# build-asan/). Safe to re-run. Needs root (or sudo) for apt.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config git
  libpcre2-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  libcpp-httplib-dev libssl-dev libcurl4-openssl-dev
)
# The end-to-end tests (tests/e2e) run Microsoft's npm SDKs under node.
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== npm ci in tests/e2e (foundry-local-sdk 0.3.1 + 0.5.0, openai; pinned by package-lock.json)"
(cd tests/e2e && npm ci --no-audit --no-fund)

# The Ollama API end-to-end tests (tests/e2e-ollama) run the real `ollama` npm client under node.
if command -v npm >/dev/null 2>&1; then
  echo "== npm ci in tests/e2e-ollama (ollama, pinned by package-lock.json)"
  npm ci --prefix tests/e2e-ollama --no-audit --no-fund
else
  echo "== npm not found: the e2e_ollama tests will be skipped (apt-get install nodejs npm)"
fi

JOBS="${JOBS:-$(nproc)}"
echo "== building build/ (Release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"

if [ "${FOUNDRY_SKIP_ASAN:-0}" != 1 ]; then
  echo "== building build-asan/ (AddressSanitizer + UndefinedBehaviorSanitizer)"
  # -O1 -g1 (line tables, enough for sanitizer stack traces) compiles in about half the time of
  # RelWithDebInfo's -O2 -g, which keeps the whole CI run short.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
        -DFOUNDRY_SANITIZE=ON -DFOUNDRY_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$JOBS"
fi
echo "== done: ./build/src/foundry --help"
