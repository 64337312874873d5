#!/usr/bin/env bash
# Fuzz smoke pass: builds the libFuzzer targets with clang + ASan + UBSan (build-fuzz/) and runs
# each for FUZZ_SECONDS (default 20). Any crash fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${FUZZ_SECONDS:-20}"
export FOUNDRY_SHARED="${FOUNDRY_SHARED:-$(cd .. && pwd)/shared}"
# -O1 -g1 as the ASan tree (scripts/setup.sh): half the compile time of -O2 -g, enough for a
# 20-second smoke pass and for symbolised crash reports.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFOUNDRY_FUZZ=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DFOUNDRY_SANITIZE=ON -DFOUNDRY_BUILD_TESTS=OFF -DFOUNDRY_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"${JOBS:-$(nproc)}" --target gguf_fuzz tokenizer_fuzz tool_call_fuzz grammar_fuzz
mkdir -p build-fuzz/corpus/gguf build-fuzz/corpus/tokenizer build-fuzz/corpus/tool_call build-fuzz/corpus/grammar
# Seeds: the small real models (headers, metadata, tensors) and the tokenizer test inputs.
cp "$FOUNDRY_SHARED"/models/real/stories260K.gguf build-fuzz/corpus/gguf/ 2>/dev/null || true
cp "$FOUNDRY_SHARED"/tokenizer/*.inp build-fuzz/corpus/tokenizer/ 2>/dev/null || true
# Tool-call seeds: format byte, piece byte, then a model reply with markup.
printf '\x01\x03<tool_call>{"name": "f", "arguments": {"a": [1, "x"]}}</tool_call>' > build-fuzz/corpus/tool_call/hermes
printf '\x02\x02{"name": "f", "parameters": {}}; {"name": "g", "parameters": {"b": null}}' > build-fuzz/corpus/tool_call/llama3
printf '\x03\x01<|tool_call|>[{"name": "f", "arguments": {}}]<|/tool_call|>' > build-fuzz/corpus/tool_call/phi4
# Grammar seeds: a GBNF grammar and a JSON Schema.
printf 'root ::= "{" ws "\\"a\\"" ws ":" ws [0-9]+ ws "}"\nws ::= [ \\t]*\n' > build-fuzz/corpus/grammar/gbnf
printf '{"type": "object", "properties": {"a": {"type": "array", "items": {"enum": [1, "x", null]}}}, "required": ["a"]}' > build-fuzz/corpus/grammar/schema
for t in gguf tokenizer tool_call grammar; do
  echo "== fuzzing $t for ${SECONDS_EACH}s"
  ./build-fuzz/fuzz/${t}_fuzz -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=4096 \
    -print_final_stats=1 build-fuzz/corpus/$t 2>&1 | tail -4
done
echo "fuzz smoke pass: 4 passed, 0 failed"
