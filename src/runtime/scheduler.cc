#include "foundry/runtime/scheduler.h"

#include <algorithm>
#include <thread>

#include "foundry/runtime/prefix_cache.h"
#include "foundry/runtime/sequence.h"

namespace foundry::runtime {

constexpr uint32_t kBlock = engine::KvCache::kBlockSize;

// The worker's wake-up, shared with the requests. `mu` also guards the scheduler's queue, its
// stop flag and its published stats. Anyone changing what the worker could do next (a new
// request, a cancel, a client reading from a full buffer) bumps `epoch` under `mu` and
// notifies, so the worker never sleeps through it.
struct SchedulerWaker {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t epoch = 0;

  void Poke() {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++epoch;
    }
    cv.notify_all();
  }
};

// ---- Request ----

void Request::Poke() { waker_->Poke(); }

bool Request::Next(Piece* piece) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return ended_ || !pieces_.empty(); });
  if (pieces_.empty()) return false;
  const bool was_full = pieces_.size() >= max_pieces_;
  *piece = std::move(pieces_.front());
  pieces_.pop_front();
  lock.unlock();
  if (was_full) Poke();  // the worker may be holding this sequence back
  return true;
}

void Request::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ended_ || cancelled_) return;
    cancelled_ = true;
  }
  Poke();
}

Result<GenerateResult> Request::Stream(const PieceCallback& on_piece) {
  Piece piece;
  while (Next(&piece)) {
    if (on_piece && !on_piece(piece.text, piece.tokens)) {
      Cancel();
      break;
    }
  }
  return Wait();
}

bool Request::Push(std::string_view text, std::span<const engine::SampledToken> tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  pieces_.push_back({std::string(text), {tokens.begin(), tokens.end()}});
  cv_.notify_all();
  return true;
}

void Request::End(Result<GenerateResult> result) {
  std::lock_guard<std::mutex> lock(mu_);
  result_ = std::move(result);
  ended_ = true;
  cv_.notify_all();
}

Result<GenerateResult> Request::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return ended_ || !pieces_.empty(); });
    const bool was_full = pieces_.size() >= max_pieces_;
    pieces_.clear();
    if (ended_) return result_;
    if (was_full) {
      lock.unlock();
      Poke();
      lock.lock();
    }
  }
}

// ---- Scheduler ----

struct Scheduler::Impl {
  // A request holding a sequence slot.
  struct Active {
    std::shared_ptr<Request> req;
    uint32_t slot = 0;
    bool prompt_cached = false;  // its prompt's full blocks went into the prefix cache
  };

  Impl(std::unique_ptr<engine::Context> c, const SchedulerOptions& o)
      : ctx(std::move(c)), kv(ctx->kv_cache()), options(o), prefix(kv), waker(std::make_shared<SchedulerWaker>()) {
    for (uint32_t s = kv.n_seq(); s-- > 0;) free_slots.push_back(s);
  }

  // Sequence output into a request's piece buffer (never asks to stop: Cancel() does that).
  static PieceCallback PushTo(Request& r) {
    return [&r](std::string_view text, std::span<const engine::SampledToken> tokens) { return r.Push(text, tokens); };
  }
  void Run();
  bool Admit();
  void DropCancelled();
  bool Paused(const Active& a) const;
  // Builds the next batch into `batch` / `owners` (index into active per entry); false if no
  // sequence can make progress now.
  bool BuildBatch();
  // Makes room in the KV pool for the batch: prefix-cache eviction, then preemption.
  bool FitBatch();
  void Preempt(size_t i);
  void Finish(size_t i, Status error = Status::Ok());
  void Publish();

  std::unique_ptr<engine::Context> ctx;
  engine::KvCache& kv;
  const SchedulerOptions options;
  PrefixCache prefix;
  std::shared_ptr<SchedulerWaker> waker;

  // Guarded by waker->mu.
  std::deque<std::shared_ptr<Request>> queue;
  bool stop = false;
  SchedulerStats stats;

  // The worker's alone.
  std::vector<Active> active;  // in admission order
  std::vector<uint32_t> free_slots;
  std::vector<engine::BatchToken> batch;
  std::vector<size_t> owners;
  std::vector<float> logits;
  uint64_t steps = 0, preemptions = 0, cancelled = 0;
  std::thread worker;
};

bool Scheduler::Impl::Paused(const Active& a) const {
  std::lock_guard<std::mutex> lock(a.req->mu_);
  return a.req->pieces_.size() >= options.max_buffered_pieces;
}

// Blocks the pool could hand out now: free ones and those only the prefix cache holds.
static uint32_t Available(const engine::KvCache& kv, const PrefixCache& prefix) {
  return kv.n_free_blocks() + prefix.evictable();
}

bool Scheduler::Impl::Admit() {
  bool admitted = false;
  for (;;) {
    std::shared_ptr<Request> req;
    {
      std::lock_guard<std::mutex> lock(waker->mu);
      if (queue.empty() || free_slots.empty()) break;
      req = queue.front();
    }
    Sequence& seq = *req->seq_;
    const auto tokens = seq.tokens();
    // Reuse the longest cached prefix, keeping at least one token to evaluate for logits.
    std::vector<uint32_t> cached;
    if (options.prefix_cache) cached = prefix.Lookup(tokens, (tokens.size() - 1) / kBlock, /*count=*/false);
    // The blocks its tokens need beyond the cached ones, plus one of headroom per running
    // sequence (each may cross into a new block in the next steps).
    const uint32_t need = uint32_t((tokens.size() + kBlock) / kBlock - cached.size());
    const uint32_t headroom = uint32_t(active.size());
    // Cached blocks it reuses are not evictable for it: count them out of the available ones.
    uint32_t cached_evictable = 0;
    for (uint32_t b : cached) cached_evictable += kv.block_refs(b) == 1;
    if (!active.empty() && need + headroom > Available(kv, prefix) - cached_evictable) break;  // wait
    const uint32_t slot = free_slots.back();
    free_slots.pop_back();
    if (!cached.empty()) (void)kv.AdoptBlocks(slot, cached);  // cannot fail: slot empty, blocks held
    {
      std::lock_guard<std::mutex> lock(waker->mu);
      queue.pop_front();
    }
    if (options.prefix_cache) prefix.CountLookup(cached.size());
    seq.MarkStart();
    active.push_back({std::move(req), slot, false});
    admitted = true;
  }
  return admitted;
}

void Scheduler::Impl::DropCancelled() {
  for (size_t i = active.size(); i-- > 0;) {
    bool is_cancelled;
    {
      std::lock_guard<std::mutex> lock(active[i].req->mu_);
      is_cancelled = active[i].req->cancelled_;
    }
    if (is_cancelled) {
      ++cancelled;
      active[i].req->seq_->Cancel();
      Finish(i);
    }
  }
  std::vector<std::shared_ptr<Request>> gone;
  {
    std::lock_guard<std::mutex> lock(waker->mu);
    for (auto it = queue.begin(); it != queue.end();) {
      std::lock_guard<std::mutex> rl((*it)->mu_);
      if ((*it)->cancelled_) {
        gone.push_back(*it);
        it = queue.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& r : gone) {
    ++cancelled;
    r->seq_->Cancel();
    r->End(r->seq_->Finish({}));
  }
}

bool Scheduler::Impl::BuildBatch() {
  batch.clear();
  owners.clear();
  uint32_t budget = std::max<uint32_t>(options.step_tokens, 1);
  // Decoding sequences first (one token each), then prompt chunks in admission order.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < active.size() && budget > 0; ++i) {
      const Active& a = active[i];
      const auto tokens = a.req->seq_->tokens();
      const uint32_t done = kv.seq_len(a.slot);
      const size_t pending = tokens.size() - done;
      if ((pending == 1) != (pass == 0) || pending == 0) continue;
      if (Paused(a)) continue;
      const size_t take = std::min<size_t>({pending, pass == 0 ? 1 : options.prefill_chunk, budget});
      for (size_t k = 0; k < take; ++k) {
        const size_t p = done + k;
        batch.push_back({.token = tokens[p], .pos = int32_t(p), .seq = a.slot, .want_logits = p + 1 == tokens.size()});
        owners.push_back(i);
      }
      budget -= uint32_t(take);
    }
  }
  return !batch.empty();
}

bool Scheduler::Impl::FitBatch() {
  for (;;) {
    const uint32_t need = ctx->BlocksNeeded(batch);
    if (need <= kv.n_free_blocks()) return true;
    prefix.Evict(need - kv.n_free_blocks());
    if (need <= kv.n_free_blocks()) return true;
    // Still short: the most recently admitted sequence gives its blocks back and waits.
    if (active.size() <= 1) {
      Finish(0, Status::ResourceExhausted("the KV cache is full: this generation needs more than the " +
                                          std::to_string(kv.n_blocks()) + " blocks of " + std::to_string(kBlock) +
                                          " positions the service has (raise the KV budget)"));
      return false;
    }
    Preempt(active.size() - 1);
    if (!BuildBatch()) return false;
  }
}

void Scheduler::Impl::Preempt(size_t i) {
  Active a = std::move(active[i]);
  active.erase(active.begin() + ptrdiff_t(i));
  kv.Free(a.slot);
  free_slots.push_back(a.slot);
  ++preemptions;
  std::lock_guard<std::mutex> lock(waker->mu);
  queue.push_front(std::move(a.req));
}

void Scheduler::Impl::Finish(size_t i, Status error) {
  Active a = std::move(active[i]);
  active.erase(active.begin() + ptrdiff_t(i));
  Sequence& seq = *a.req->seq_;
  if (options.prefix_cache)
    prefix.Insert(seq.tokens(), kv.block_table(a.slot), kv.seq_len(a.slot) / kBlock);
  kv.Free(a.slot);
  free_slots.push_back(a.slot);
  Request& r = *a.req;
  Result<GenerateResult> res =
      error.ok() ? Result<GenerateResult>(seq.Finish(PushTo(r))) : Result<GenerateResult>(error);
  Publish();  // the stats show the blocks back before the client hears the end
  r.End(std::move(res));
}

void Scheduler::Impl::Publish() {
  std::lock_guard<std::mutex> lock(waker->mu);
  stats.queued = uint32_t(queue.size());
  stats.running = uint32_t(active.size());
  stats.max_running = kv.n_seq();
  stats.kv_blocks_total = kv.n_blocks();
  stats.kv_blocks_free = kv.n_free_blocks();
  stats.kv_blocks_cached = prefix.evictable();
  stats.kv_block_positions = kBlock;
  stats.prefix_lookups = prefix.lookups();
  stats.prefix_hits = prefix.hits();
  stats.prefix_hit_tokens = prefix.hit_tokens();
  stats.steps = steps;
  stats.preemptions = preemptions;
  stats.cancelled = cancelled;
}

void Scheduler::Impl::Run() {
  for (;;) {
    uint64_t epoch;
    {
      std::lock_guard<std::mutex> lock(waker->mu);
      if (stop) break;
      epoch = waker->epoch;
    }
    DropCancelled();
    Admit();
    if (!BuildBatch() || !FitBatch()) {
      Publish();
      std::unique_lock<std::mutex> lock(waker->mu);
      waker->cv.wait(lock, [&] { return stop || waker->epoch != epoch; });
      continue;
    }
    logits.clear();
    Status st = ctx->Decode(batch, &logits);
    ++steps;
    if (!st.ok()) {  // not expected: the batch was validated and fitted; end its sequences
      std::vector<size_t> who(owners.begin(), owners.end());
      std::sort(who.begin(), who.end());
      who.erase(std::unique(who.begin(), who.end()), who.end());
      for (size_t k = who.size(); k-- > 0;) Finish(who[k], st);
      Publish();
      continue;
    }
    // Logits rows come in batch order, one per entry that asked for them (at most one per
    // sequence: its last pending token).
    std::vector<size_t> sampling;  // indices into active, in row order
    for (size_t e = 0; e < batch.size(); ++e) {
      Active& a = active[owners[e]];
      Sequence& seq = *a.req->seq_;
      if (options.prefix_cache && !a.prompt_cached && kv.seq_len(a.slot) >= seq.n_prompt()) {
        // The prompt is in: share its full blocks with requests that start the same way.
        prefix.Insert(seq.tokens(), kv.block_table(a.slot), seq.n_prompt() / kBlock);
        a.prompt_cached = true;
      }
      if (batch[e].want_logits) sampling.push_back(owners[e]);
    }
    // Sampling touches only each sequence's own state: spread it over the pool (a softmax over
    // a 150k vocabulary is about a millisecond).
    const size_t n_vocab = ctx->model().hparams().n_vocab;
    std::vector<Status> step(sampling.size());
    ctx->pool().ParallelFor(int64_t(sampling.size()), 1, [&](int64_t begin, int64_t end) {
      for (int64_t k = begin; k < end; ++k) {
        Request& r = *active[sampling[size_t(k)]].req;
        step[size_t(k)] = r.seq_->Step(std::span<float>(logits.data() + size_t(k) * n_vocab, n_vocab), PushTo(r));
      }
    });
    std::vector<std::pair<size_t, Status>> ended;  // (index into active, error or Ok)
    for (size_t k = 0; k < sampling.size(); ++k)
      if (!step[k].ok() || active[sampling[k]].req->seq_->done()) ended.emplace_back(sampling[k], std::move(step[k]));
    // A sequence asks for logits once per step, so indices are distinct; finish from the back.
    std::sort(ended.begin(), ended.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    for (auto& [i, st] : ended) Finish(i, std::move(st));
    Publish();
  }
  // Stopping: every request still here ends.
  for (size_t i = active.size(); i-- > 0;) Finish(i, Status::Unavailable("the model was unloaded"));
  std::lock_guard<std::mutex> lock(waker->mu);
  for (auto& r : queue) r->End(Status::Unavailable("the model was unloaded"));
  queue.clear();
}

Scheduler::Scheduler(std::unique_ptr<engine::Context> ctx, const SchedulerOptions& options)
    : impl_(std::make_unique<Impl>(std::move(ctx), options)) {
  impl_->Publish();
  impl_->worker = std::thread([this] { impl_->Run(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(impl_->waker->mu);
    impl_->stop = true;
  }
  impl_->waker->cv.notify_all();
  impl_->worker.join();
}

const engine::Model& Scheduler::model() const { return impl_->ctx->model(); }
uint32_t Scheduler::n_ctx() const { return impl_->ctx->n_ctx(); }

SchedulerStats Scheduler::Stats() const {
  std::lock_guard<std::mutex> lock(impl_->waker->mu);
  return impl_->stats;
}

Result<std::shared_ptr<Request>> Scheduler::Submit(std::string_view prompt, const GenerateOptions& options) {
  FOUNDRY_ASSIGN_OR_RETURN(std::unique_ptr<Sequence> seq,
                           Sequence::Create(model(), n_ctx(), prompt, options));
  const uint64_t blocks = (seq->tokens().size() + kBlock) / kBlock;
  if (blocks > impl_->kv.n_blocks())
    return Status::ResourceExhausted("the prompt needs " + std::to_string(blocks) + " KV blocks of " +
                                     std::to_string(kBlock) + " positions but the service's KV cache has " +
                                     std::to_string(impl_->kv.n_blocks()) + " (raise the KV budget)");
  auto req = std::make_shared<Request>();
  req->waker_ = impl_->waker;
  req->max_pieces_ = std::max<uint32_t>(impl_->options.max_buffered_pieces, 1);
  req->seq_ = std::move(seq);
  if (req->seq_->done()) {  // max_tokens 0: nothing to evaluate
    req->End(req->seq_->Finish({}));
    return req;
  }
  {
    std::lock_guard<std::mutex> lock(impl_->waker->mu);
    if (impl_->stop) return Status::Unavailable("the model is being unloaded");
    if (impl_->queue.size() >= impl_->options.max_queued)
      return Status::Unavailable("the server is busy: " + std::to_string(impl_->queue.size()) +
                                 " requests are already waiting for this model; retry later");
    impl_->queue.push_back(req);
    impl_->stats.queued = uint32_t(impl_->queue.size());
    ++impl_->waker->epoch;
  }
  impl_->waker->cv.notify_all();
  return req;
}

Result<GenerateResult> Generate(Scheduler& scheduler, std::string_view prompt, const GenerateOptions& options,
                                const PieceCallback& on_piece) {
  FOUNDRY_ASSIGN_OR_RETURN(std::shared_ptr<Request> req, scheduler.Submit(prompt, options));
  return req->Stream(on_piece);
}

Result<GenerateResult> Generate(Scheduler& scheduler, std::string_view prompt, const GenerateOptions& options,
                                const TextCallback& on_text) {
  PieceCallback on_piece;
  if (on_text) on_piece = [&on_text](std::string_view piece, std::span<const engine::SampledToken>) {
    return on_text(piece);
  };
  return Generate(scheduler, prompt, options, on_piece);
}

}  // namespace foundry::runtime
