#pragma once
// ModelManager: the models a service has loaded, with their lifetimes.
//
// Models are loaded on demand (memory-mapped weights + one inference Context each), kept for a
// time-to-live that every use renews (default 600 s, as Foundry Local), and unloaded when the TTL
// runs out (Sweep), when asked (Unload / UnloadAll), or to make room: at most `max_loaded`
// models and `memory_budget_bytes` of weights + KV cache, evicting the least recently used
// model that is not in use. Where a model file lives is the resolver's business (catalog, cache,
// bring-your-own files); the manager only sees ids and paths.
//
// Each loaded model has a Scheduler (scheduler.h) that runs all its requests together with
// continuous batching over one paged KV cache; different models run side by side.
//
// Thread-safety: thread-safe. The clock is injected so tests control time.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/core/thread_pool.h"
#include "foundry/engine/context.h"
#include "foundry/engine/kernels/kernels.h"
#include "foundry/engine/model.h"
#include "foundry/runtime/grammar/token_vocabulary.h"
#include "foundry/runtime/scheduler.h"

namespace foundry::runtime {

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

struct ModelManagerOptions {
  std::chrono::seconds default_ttl{600};  // Foundry Local's default
  size_t max_loaded = 3;                  // models loaded at once (LRU eviction beyond)
  uint64_t memory_budget_bytes = 0;       // weights + KV of all loaded models; 0 = unlimited
  uint32_t n_ctx = 4096;                  // context per sequence (capped at the model's own)
  uint32_t max_running = 8;               // sequences a model generates at once
  // KV memory per model, shared by its sequences in blocks; 0 = room for 2 × n_ctx positions.
  uint64_t kv_budget_bytes = 0;
  SchedulerOptions scheduler;             // queue bound, step size, prefix cache
  SteadyClock clock;                      // default: std::chrono::steady_clock::now
};

// A loaded model: its weights, and the scheduler that generates with them.
struct LoadedModel {
  std::string id;
  std::filesystem::path path;
  std::shared_ptr<const engine::Model> model;
  std::unique_ptr<Scheduler> scheduler;      // set once loaded; thread-safe
  uint64_t bytes = 0;                        // weights + KV cache
  uint32_t n_ctx = 0;                        // positions per sequence (immutable)
  uint32_t n_seq = 1;                        // sequences generated at once (immutable)

  // The model's token trie for constrained decoding (GenerateOptions::grammar_vocabulary)
  // with `keep_special` as its text tokens: built on the first call for each distinct
  // keep_special set (0.05-0.3 s) and kept while the model is loaded. Thread-safe (a second
  // caller waits for the build). Errors as TokenVocabulary::Build.
  Result<std::shared_ptr<const grammar::TokenVocabulary>> GrammarVocabulary(
      std::span<const engine::TokenId> keep_special);

 private:
  std::mutex vocab_mu_;
  // keep_special (sorted) -> trie; guarded by vocab_mu_. A model has one or two entries (plain,
  // and with its tool-call markers).
  std::map<std::vector<engine::TokenId>, std::shared_ptr<const grammar::TokenVocabulary>> vocabs_;
};

struct LoadedModelInfo {
  std::string id;
  std::filesystem::path path;
  uint64_t bytes = 0;
  uint32_t n_ctx = 0;
  std::chrono::steady_clock::time_point expires;
};

// A snapshot of what the manager serves, for /metrics and /health: the schedulers' counters
// summed over the loaded models.
struct ServingStats {
  uint32_t queued = 0;             // requests waiting for a sequence slot
  uint32_t running = 0;            // sequences being generated (prefilling or decoding)
  uint64_t kv_blocks_total = 0;    // KV blocks of all loaded models
  uint64_t kv_blocks_used = 0;     // held by running sequences (shared blocks count once)
  uint64_t kv_blocks_cached = 0;   // held only by prefix caches (reclaimable)
  uint64_t kv_blocks_free = 0;
  uint64_t prefix_lookups = 0;     // prompt-prefix cache lookups (one per admitted request)
  uint64_t prefix_hits = 0;        // lookups that reused at least one block
  uint64_t prefix_hit_tokens = 0;  // prompt positions not evaluated thanks to the cache
  uint64_t preemptions = 0;        // sequences sent back to the queue for want of KV blocks
  uint64_t cancelled = 0;          // requests cancelled (clients that went away)
  uint32_t loaded_models = 0;
  uint64_t loaded_bytes = 0;       // weights + KV of the loaded models
  uint32_t loading = 0;            // model loads in progress
};

// Maps a model id to its file: kNotFound when the id is unknown or not downloaded (the message
// is shown to the client).
using ModelResolver = std::function<Result<std::filesystem::path>(const std::string& id)>;

class ModelManager {
 public:
  // `kernels` and `pool` must outlive the manager.
  ModelManager(const engine::kernels::KernelTable& kernels, ThreadPool& pool, ModelResolver resolver,
               ModelManagerOptions options);

  // The loaded model `id`, loading it if needed (kNotFound from the resolver, load errors as
  // Model::Load reports them; kResourceExhausted if it cannot fit even after evicting every idle
  // model). Renews the TTL (`ttl` > 0 sets a new one for this model).
  Result<std::shared_ptr<LoadedModel>> Acquire(const std::string& id, std::chrono::seconds ttl = {});

  // Unloads `id` (kNotFound if not loaded). Without `force` a model with a request in flight
  // is left loaded and kFailedPrecondition returned.
  Status Unload(const std::string& id, bool force);
  void UnloadAll();

  // Unloads models whose TTL has run out and that are idle. Returns how many.
  size_t Sweep();

  std::vector<LoadedModelInfo> List() const;
  bool IsLoaded(const std::string& id) const;
  ServingStats Stats() const;

 private:
  struct Entry {
    std::shared_ptr<LoadedModel> m;
    std::chrono::steady_clock::time_point last_used, expires;
    std::chrono::seconds ttl;
  };
  std::chrono::steady_clock::time_point Now() const;
  // Evicts idle LRU entries until `need` more bytes and one more model fit. Caller holds mu_.
  Status MakeRoom(uint64_t need);

  const engine::kernels::KernelTable& kernels_;
  ThreadPool& pool_;
  ModelResolver resolver_;
  ModelManagerOptions options_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // guarded by mu_
  std::mutex load_mu_;          // one load at a time (loads are I/O + allocation heavy)
  std::atomic<uint32_t> loading_{0};  // Acquire calls loading a model now
};

}  // namespace foundry::runtime
