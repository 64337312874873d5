#include "foundry/runtime/model_manager.h"

#include <algorithm>

namespace foundry::runtime {

ModelManager::ModelManager(const engine::kernels::KernelTable& kernels, ThreadPool& pool,
                           ModelResolver resolver, ModelManagerOptions options)
    : kernels_(kernels), pool_(pool), resolver_(std::move(resolver)), options_(std::move(options)) {}

Result<std::shared_ptr<const grammar::TokenVocabulary>> LoadedModel::GrammarVocabulary(
    std::span<const engine::TokenId> keep_special) {
  std::vector<engine::TokenId> key(keep_special.begin(), keep_special.end());
  std::sort(key.begin(), key.end());
  key.erase(std::unique(key.begin(), key.end()), key.end());
  std::lock_guard<std::mutex> lock(vocab_mu_);
  auto it = vocabs_.find(key);
  if (it != vocabs_.end()) return it->second;
  FOUNDRY_ASSIGN_OR_RETURN(std::shared_ptr<const grammar::TokenVocabulary> vocab,
                           grammar::TokenVocabulary::Build(model->tokenizer(), key));
  vocabs_.emplace(std::move(key), vocab);
  return vocab;
}

std::chrono::steady_clock::time_point ModelManager::Now() const {
  return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

Result<std::shared_ptr<LoadedModel>> ModelManager::Acquire(const std::string& id,
                                                          std::chrono::seconds ttl) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Entry& e : entries_) {
      if (e.m->id != id) continue;
      if (ttl.count() > 0) e.ttl = ttl;
      e.last_used = Now();
      e.expires = e.last_used + e.ttl;
      return e.m;
    }
  }
  // Load outside mu_ so other models keep serving; load_mu_ keeps two loads of the same id out.
  loading_.fetch_add(1);
  struct Done {
    std::atomic<uint32_t>& n;
    ~Done() { n.fetch_sub(1); }
  } done{loading_};
  std::lock_guard<std::mutex> load_lock(load_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Entry& e : entries_)
      if (e.m->id == id) return e.m;  // loaded while we waited
  }
  FOUNDRY_ASSIGN_OR_RETURN(std::filesystem::path path, resolver_(id));
  FOUNDRY_ASSIGN_OR_RETURN(std::shared_ptr<const engine::Model> model,
                           engine::Model::Load(path, kernels_, {.n_ctx = options_.n_ctx, .pool = &pool_}));
  const uint32_t n_ctx = std::min(options_.n_ctx, model->hparams().n_ctx_train);
  engine::ContextOptions co{.n_ctx = n_ctx, .n_seq = std::max<uint32_t>(options_.max_running, 1),
                            .kv_budget_bytes = options_.kv_budget_bytes};
  if (co.kv_budget_bytes == 0)  // room for two full contexts
    co.n_kv_blocks = 2 * ((n_ctx + engine::KvCache::kBlockSize - 1) / engine::KvCache::kBlockSize);
  FOUNDRY_ASSIGN_OR_RETURN(std::unique_ptr<engine::Context> ctx, engine::Context::Create(model, kernels_, pool_, co));
  auto lm = std::make_shared<LoadedModel>();
  lm->id = id;
  lm->path = path;
  lm->bytes = model->weight_bytes() + ctx->kv_cache().bytes();
  lm->n_ctx = ctx->n_ctx();
  lm->n_seq = ctx->kv_cache().n_seq();
  lm->model = std::move(model);
  lm->scheduler = std::make_unique<Scheduler>(std::move(ctx), options_.scheduler);

  std::lock_guard<std::mutex> lock(mu_);
  FOUNDRY_RETURN_IF_ERROR(MakeRoom(lm->bytes));
  Entry e{lm, Now(), {}, ttl.count() > 0 ? ttl : options_.default_ttl};
  e.expires = e.last_used + e.ttl;
  entries_.push_back(std::move(e));
  return lm;
}

Status ModelManager::MakeRoom(uint64_t need) {
  auto used = [&] {
    uint64_t b = 0;
    for (const Entry& e : entries_) b += e.m->bytes;
    return b;
  };
  const uint64_t budget = options_.memory_budget_bytes;
  if (budget > 0 && need > budget)
    return Status::ResourceExhausted("model needs " + std::to_string(need >> 20) +
                                     " MiB, more than the memory budget of " +
                                     std::to_string(budget >> 20) + " MiB");
  while ((options_.max_loaded > 0 && entries_.size() >= options_.max_loaded) ||
         (budget > 0 && used() + need > budget)) {
    // Least recently used entry nobody else holds (use_count 1 = only us).
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->m.use_count() == 1 && (victim == entries_.end() || it->last_used < victim->last_used))
        victim = it;
    if (victim == entries_.end())
      return Status::ResourceExhausted("cannot load another model: every loaded model is in use");
    entries_.erase(victim);
  }
  return Status::Ok();
}

Status ModelManager::Unload(const std::string& id, bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->m->id != id) continue;
    if (!force && it->m.use_count() > 1)
      return Status::FailedPrecondition("model " + id + " is in use; pass force=true to unload it anyway");
    entries_.erase(it);  // in-flight users keep their shared_ptr until they finish
    return Status::Ok();
  }
  return Status::NotFound("model " + id + " is not loaded");
}

void ModelManager::UnloadAll() {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.clear();
}

size_t ModelManager::Sweep() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = Now();
  size_t before = entries_.size();
  std::erase_if(entries_, [&](const Entry& e) { return e.expires <= now && e.m.use_count() == 1; });
  return before - entries_.size();
}

std::vector<LoadedModelInfo> ModelManager::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LoadedModelInfo> out;
  for (const Entry& e : entries_) out.push_back({e.m->id, e.m->path, e.m->bytes, e.m->n_ctx, e.expires});
  return out;
}

ServingStats ModelManager::Stats() const {
  ServingStats s;
  s.loading = loading_.load();
  std::lock_guard<std::mutex> lock(mu_);
  for (const Entry& e : entries_) {
    const SchedulerStats t = e.m->scheduler->Stats();
    s.queued += t.queued;
    s.running += t.running;
    s.kv_blocks_total += t.kv_blocks_total;
    s.kv_blocks_free += t.kv_blocks_free;
    s.kv_blocks_cached += t.kv_blocks_cached;
    s.kv_blocks_used += t.kv_blocks_total - t.kv_blocks_free - t.kv_blocks_cached;
    s.prefix_lookups += t.prefix_lookups;
    s.prefix_hits += t.prefix_hits;
    s.prefix_hit_tokens += t.prefix_hit_tokens;
    s.preemptions += t.preemptions;
    s.cancelled += t.cancelled;
    s.loaded_models += 1;
    s.loaded_bytes += e.m->bytes;
  }
  return s;
}

bool ModelManager::IsLoaded(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Entry& e : entries_)
    if (e.m->id == id) return true;
  return false;
}

}  // namespace foundry::runtime
