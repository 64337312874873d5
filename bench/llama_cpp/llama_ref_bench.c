// llama_ref_bench: llama-bench's pp/tg measurement, through libllama's C API, for a side-by-side
// comparison with `foundry bench` on machines where llama.cpp's own tools cannot be built (see
// bench/vs_llama_cpp.sh, which builds and runs this). Not part of the product and not built by
// CMake: it links a prebuilt libllama that the script fetches.
//
// Like llama-bench: random token ids, one warm-up run, then REPS timed runs per test, each on an
// empty KV cache; pp decodes the prompt in batches of 512, tg decodes one token at a time
// without sampling. Prints one JSON array in the shape of `foundry bench --json`.
//
// libllama has no stable ABI. The handful of declarations below match llama.cpp's llama.h as
// built into node-llama-cpp 3.22.x; the program checks the defaults of llama_context_params
// before using it and refuses a library whose layout differs (use LLAMA_BENCH=llama-bench then).
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int32_t llama_token;

struct llama_batch {  // stable since 2023
  int32_t n_tokens;
  llama_token* token;
  float* embd;
  int32_t* pos;
  int32_t* n_seq_id;
  int32_t** seq_id;
  int8_t* logits;
};

// Only the leading fields are named; the padding is larger than the real structs, which are
// returned through a hidden pointer and passed by value in memory (x86-64 SysV), so a larger
// buffer is safe as long as the named offsets are right (checked in main).
struct model_params { char bytes[4096]; };
struct context_params {
  uint32_t n_ctx, n_batch, n_ubatch, n_seq_max, n_rs_seq, n_outputs_max, reserved;
  int32_t n_threads, n_threads_batch;
  char rest[4096];
};

struct model_params llama_model_default_params(void);
struct context_params llama_context_default_params(void);
void* llama_model_load_from_file(const char* path, struct model_params params);
void* llama_init_from_model(void* model, struct context_params params);
struct llama_batch llama_batch_get_one(llama_token* tokens, int32_t n_tokens);
int32_t llama_decode(void* ctx, struct llama_batch batch);
void llama_synchronize(void* ctx);
void* llama_get_memory(void* ctx);
void llama_memory_clear(void* mem, bool data);
void llama_backend_init(void);
void llama_log_set(void (*cb)(int level, const char* text, void* user), void* user);
void ggml_backend_load_all_from_path(const char* dir);

static void Log(int level, const char* text, void* user) {
  (void)user;
  if (level == 4 /* GGML_LOG_LEVEL_ERROR */ || getenv("LLAMA_REF_VERBOSE")) fputs(text, stderr);
}

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: llama_ref_bench MODEL BACKEND_DIR THREADS N_PROMPT N_GEN REPS\n");
    return 2;
  }
  const char* model_path = argv[1];
  const int threads = atoi(argv[3]), n_prompt = atoi(argv[4]), n_gen = atoi(argv[5]);
  const int reps = atoi(argv[6]);
  if (threads < 1 || n_prompt < 0 || n_gen < 0 || reps < 1) {
    fprintf(stderr, "llama_ref_bench: THREADS and REPS must be >= 1, N_PROMPT and N_GEN >= 0\n");
    return 2;
  }

  struct context_params cp = llama_context_default_params();
  // The defaults of this layout: n_ctx 512, n_batch 2048, n_ubatch 512, n_seq_max 1, and
  // GGML_DEFAULT_N_THREADS (4) for both thread counts.
  if (cp.n_ctx != 512 || cp.n_batch != 2048 || cp.n_ubatch != 512 || cp.n_seq_max != 1 ||
      cp.n_threads != 4 || cp.n_threads_batch != 4) {
    fprintf(stderr,
            "llama_ref_bench: this libllama's llama_context_params layout is not the one this "
            "harness was written for (node-llama-cpp 3.22.x); run a llama-bench binary instead "
            "(LLAMA_BENCH=/path/to/llama-bench bench/vs_llama_cpp.sh)\n");
    return 2;
  }

  llama_log_set(Log, NULL);
  ggml_backend_load_all_from_path(argv[2]);
  llama_backend_init();
  const double t_load = Now();
  void* model = llama_model_load_from_file(model_path, llama_model_default_params());
  if (!model) {
    fprintf(stderr, "llama_ref_bench: cannot load %s\n", model_path);
    return 1;
  }
  const double load_ms = (Now() - t_load) * 1e3;

  cp.n_ctx = (uint32_t)(n_prompt + n_gen + 16);
  cp.n_batch = cp.n_ubatch = 512;
  cp.n_threads = cp.n_threads_batch = threads;
  void* ctx = llama_init_from_model(model, cp);
  if (!ctx) {
    fprintf(stderr, "llama_ref_bench: cannot create a context\n");
    return 1;
  }

  llama_token* tokens = malloc(sizeof(llama_token) * (size_t)(n_prompt > 0 ? n_prompt : 1));
  srand(1);
  printf("[");
  int printed = 0;
  for (int test = 0; test < 2; ++test) {
    const int n = test == 0 ? n_prompt : n_gen;
    if (n == 0) continue;
    double* samples = malloc(sizeof(double) * (size_t)reps);
    for (int r = -1; r < reps; ++r) {  // r = -1 warms up
      llama_memory_clear(llama_get_memory(ctx), true);
      for (int i = 0; i < (n_prompt > 0 ? n_prompt : 1); ++i) tokens[i] = 100 + rand() % 10000;
      const double t0 = Now();
      if (test == 0) {
        for (int i = 0; i < n_prompt; i += 512) {
          const int k = n_prompt - i < 512 ? n_prompt - i : 512;
          if (llama_decode(ctx, llama_batch_get_one(tokens + i, k)) != 0) return 1;
        }
      } else {
        llama_token t = tokens[0];
        for (int i = 0; i < n_gen; ++i) {
          if (llama_decode(ctx, llama_batch_get_one(&t, 1)) != 0) return 1;
          t = 100 + rand() % 10000;
        }
      }
      llama_synchronize(ctx);
      if (r >= 0) samples[r] = n / (Now() - t0);
    }
    double mean = 0, var = 0;
    for (int r = 0; r < reps; ++r) mean += samples[r] / reps;
    for (int r = 0; r < reps; ++r) var += (samples[r] - mean) * (samples[r] - mean);
    const double sd = reps > 1 ? sqrt(var / (reps - 1)) : 0.0;
    printf("%s\n  {\"engine\": \"llama.cpp\", \"n_threads\": %d, \"test\": \"%s%d\", "
           "\"n_tokens\": %d, \"tokens_per_second\": %.4f, \"stddev\": %.4f, \"load_ms\": %.1f, "
           "\"samples_ts\": [",
           printed++ ? "," : "", threads, test == 0 ? "pp" : "tg", n, n, mean, sd,
           load_ms);
    for (int r = 0; r < reps; ++r) printf("%s%.4f", r ? ", " : "", samples[r]);
    printf("]}");
    free(samples);
  }
  printf("\n]\n");
  free(tokens);
  return 0;
}
