#!/usr/bin/env bash
# Side by side with llama.cpp, in one run (issue 3's targets): for each type, synthesise a
# model-shaped GGUF (foundry model synth), then alternate llama.cpp and `foundry bench` on the
# same file with the same threads, several rounds, and print each engine's mean and the ratio.
#
#   bench/vs_llama_cpp.sh [-t THREADS] [-p N_PROMPT] [-n N_GEN] [-r REPS] [--rounds N]
#                         [--types q4_0,q8_0,q4_k_m] [--shape qwen2.5-0.5b] [--json FILE]
#
# llama.cpp comes from, in order:
#   LLAMA_BENCH=/path/to/llama-bench   a llama-bench binary you built (run with -o json);
#   otherwise                           node-llama-cpp's prebuilt libllama (npm pack
#                                       @node-llama-cpp/linux-<arch>, with CPU variants up to
#                                       AVX-512/Zen 4 picked at run time), driven by
#                                       bench/llama_cpp/llama_ref_bench.c, compiled here with cc.
# Downloads and models go to FOUNDRY_BENCH_DIR (default ~/.cache/foundry-bench). Nothing of
# llama.cpp is part of the repository. Both engines run at normal priority: llama.cpp's spinning
# threads lose 20-30 % under `chrt -f`, so real-time priority would not be a fair setting.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=2 N_PROMPT=512 N_GEN=128 REPS=3 ROUNDS=2 TYPES=q4_0,q8_0,q4_k_m SHAPE=qwen2.5-0.5b JSON_OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    -t) THREADS=$2; shift 2 ;;
    -p) N_PROMPT=$2; shift 2 ;;
    -n) N_GEN=$2; shift 2 ;;
    -r) REPS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --types) TYPES=$2; shift 2 ;;
    --shape) SHAPE=$2; shift 2 ;;
    --json) JSON_OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "vs_llama_cpp.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

FOUNDRY=${FOUNDRY:-build/src/foundry}
SHARED=${FOUNDRY_SHARED:-../shared}
WORK=${FOUNDRY_BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/foundry-bench}
NLC_VERSION=3.22.1
[ -x "$FOUNDRY" ] || { echo "vs_llama_cpp.sh: $FOUNDRY not built (scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$WORK"

# --- llama.cpp ---
if [ -n "${LLAMA_BENCH:-}" ]; then
  llama_run() {  # llama-bench's JSON → the fields foundry bench prints
    "$LLAMA_BENCH" -m "$1" -p "$N_PROMPT" -n "$N_GEN" -t "$THREADS" -r "$REPS" -o json |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{console.log(JSON.stringify(
        JSON.parse(s).map(o=>({engine:"llama.cpp",test:(o.n_prompt?"pp"+o.n_prompt:"tg"+o.n_gen),
          tokens_per_second:o.avg_ts,stddev:o.stddev_ts}))))})'
  }
else
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch=unknown ;; esac
  LIBDIR="$WORK/node-llama-cpp-$NLC_VERSION/package/bins/linux-$arch"
  if ! ls "$LIBDIR"/libllama*.so >/dev/null 2>&1; then
    echo "== fetching llama.cpp's prebuilt libraries (npm pack @node-llama-cpp/linux-$arch@$NLC_VERSION)"
    mkdir -p "$WORK/node-llama-cpp-$NLC_VERSION"
    (cd "$WORK/node-llama-cpp-$NLC_VERSION" &&
       npm pack --silent "@node-llama-cpp/linux-$arch@$NLC_VERSION" >/dev/null && tar xzf ./*.tgz)
  fi
  LIBLLAMA=$(ls "$LIBDIR"/libllama*.so | grep -v common | head -1)
  LIBGGML=$(ls "$LIBDIR"/libggml.*so | head -1)
  REF="$WORK/llama_ref_bench"
  cc -O2 -o "$REF" bench/llama_cpp/llama_ref_bench.c -L"$LIBDIR" -l:"$(basename "$LIBLLAMA")" \
     -l:"$(basename "$LIBGGML")" -Wl,-rpath,"$LIBDIR" -lm
  llama_run() { "$REF" "$1" "$LIBDIR" "$THREADS" "$N_PROMPT" "$N_GEN" "$REPS"; }
fi

# --- models ---
IFS=, read -r -a types <<<"$TYPES"
for t in "${types[@]}"; do
  f="$WORK/$SHAPE-$t.gguf"
  [ -f "$f" ] || "$FOUNDRY" model synth --shape "$SHAPE" --type "$t" \
                   --vocab "$SHARED/tokenizer/ggml-vocab-qwen2.gguf" -o "$f"
done

# --- alternate: odd rounds llama.cpp first, even rounds foundry first ---
results="$WORK/vs_llama_cpp.ndjson"
: >"$results"
foundry_run() { "$FOUNDRY" bench -m "$1" -p "$N_PROMPT" -n "$N_GEN" -t "$THREADS" -r "$REPS" --json; }
for round in $(seq "$ROUNDS"); do
  for t in "${types[@]}"; do
    f="$WORK/$SHAPE-$t.gguf"
    echo "== round $round/$ROUNDS: $t" >&2
    if [ $((round % 2)) = 1 ]; then order="llama foundry"; else order="foundry llama"; fi
    for e in $order; do
      out=$(${e}_run "$f" | tr -d '\n')
      echo "{\"type\":\"$t\",\"engine\":\"$e\",\"round\":$round,\"results\":$out}" >>"$results"
    done
  done
done

# --- summary: mean of the rounds' means per engine, ratio foundry / llama.cpp ---
node - "$results" "$JSON_OUT" <<'EOF'
const fs = require("fs");
const [file, jsonOut] = process.argv.slice(2);
const rows = fs.readFileSync(file, "utf8").trim().split("\n").map(JSON.parse);
const cell = {};
for (const r of rows)
  for (const o of r.results) {
    const k = `${r.type}|${o.test}`;
    (cell[k] ??= { type: r.type, test: o.test, llama: [], foundry: [] })[r.engine].push(o.tokens_per_second);
  }
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const summary = Object.values(cell).map((c) => ({
  type: c.type, test: c.test,
  llama_cpp_tps: mean(c.llama), foundry_tps: mean(c.foundry),
  ratio: mean(c.foundry) / mean(c.llama),
  llama_cpp_rounds: c.llama, foundry_rounds: c.foundry,
}));
const f = (x) => x.toFixed(1).padStart(8);
console.log("| type     | test   | llama.cpp t/s | foundry t/s | ratio | per round (llama.cpp / foundry)");
console.log("|----------|--------|---------------|-------------|-------|--------------------------------");
for (const s of summary)
  console.log(`| ${s.type.padEnd(8)} | ${s.test.padEnd(6)} |      ${f(s.llama_cpp_tps)} |    ${f(s.foundry_tps)} | ${s.ratio.toFixed(2)}x | ` +
    s.llama_cpp_rounds.map((x, i) => `${x.toFixed(1)} / ${s.foundry_rounds[i].toFixed(1)}`).join(", "));
if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(summary, null, 2) + "\n");
EOF
