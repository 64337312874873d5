#pragma once
// Scheduler: serves many generations on one model at once with continuous batching.
//
// One worker thread owns the engine Context (its paged KV cache holds up to max_running
// sequences) and loops over steps. Each step:
//   1. drops cancelled requests (their KV blocks go back at once);
//   2. admits queued requests, oldest first, while a sequence slot is free and the KV pool
//      (free blocks plus what the prefix cache could give back) holds their prompt; a new
//      sequence starts from the longest cached prefix of its prompt (PrefixCache);
//   3. builds one batch: the last sampled token of every decoding sequence, then prompt chunks
//      of the sequences still prefilling (at most prefill_chunk tokens each, step_tokens in
//      all), so running streams keep flowing while a long prompt is evaluated;
//   4. evaluates it (Context::Decode), hands each sequence its logits (Sequence::Step) and
//      finishes the sequences that are done, keeping their full blocks in the prefix cache.
// When the pool runs dry mid-generation the most recently admitted sequence is preempted: its
// blocks are freed and it goes back to the head of the queue, to be evaluated again (its own
// prefix-cache blocks make that cheap) with its sampler state intact.
//
// A sequence's logits do not depend on the other sequences in its batch or on how its prompt
// was chunked (tests/engine/context_test.cc checks this bit for bit), so a seeded request
// gives the same output whether it runs alone or among others.
//
// Requests stream their text through a bounded buffer: a sequence whose client has not read
// `max_buffered_pieces` pieces is skipped (it keeps its slot and blocks) until the client
// catches up, so a slow reader costs no memory and no batch time.
//
// Thread-safety: Submit, Stats and every Request method are thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/context.h"
#include "foundry/runtime/generator.h"

namespace foundry::runtime {

class Sequence;
struct SchedulerWaker;  // scheduler.cc

struct SchedulerOptions {
  uint32_t max_queued = 32;          // waiting requests; Submit answers kUnavailable beyond
  uint32_t step_tokens = 256;        // tokens evaluated per step (decode + prompt chunks)
  uint32_t prefill_chunk = 128;      // prompt tokens of one sequence per step
  uint32_t max_buffered_pieces = 64; // unread streamed pieces before a sequence waits
  bool prefix_cache = true;
};

struct SchedulerStats {
  uint32_t queued = 0;
  uint32_t running = 0;             // sequences holding a slot (prefilling or decoding)
  uint32_t max_running = 0;         // slots (the Context's n_seq)
  uint32_t kv_blocks_total = 0;
  uint32_t kv_blocks_free = 0;
  uint32_t kv_blocks_cached = 0;    // held only by the prefix cache (reclaimable)
  uint32_t kv_block_positions = 0;  // positions per block
  uint64_t prefix_lookups = 0, prefix_hits = 0, prefix_hit_tokens = 0;
  uint64_t steps = 0, preemptions = 0;
  uint64_t cancelled = 0;           // requests ended by Cancel() (e.g. a client that went away)
};

// One submitted generation. Pieces come out in order through Next(); Cancel() ends it early.
class Request {
 public:
  struct Piece {
    std::string text;
    std::vector<engine::SampledToken> tokens;  // log-probabilities, when asked for
  };

  // Waits for the next piece; false once the request has ended and every piece was read.
  bool Next(Piece* piece);
  // Ends the request: the scheduler frees its sequence within one step. Idempotent.
  void Cancel();
  // Waits until the request has ended (reading and dropping pieces not read yet) and returns
  // its result, or the error that ended it. finish is kCancelled after Cancel().
  Result<GenerateResult> Wait();
  // Hands every piece to `on_piece` as it comes (Cancel() as soon as it returns false), then
  // Wait(). The pump of Generate(Scheduler&) and of the HTTP streams.
  Result<GenerateResult> Stream(const PieceCallback& on_piece);

 private:
  friend class Scheduler;
  void Poke();  // wakes the scheduler's worker
  // The worker's side: queue a piece for the reader; end with a result or an error.
  bool Push(std::string_view text, std::span<const engine::SampledToken> tokens);
  void End(Result<GenerateResult> result);
  std::shared_ptr<SchedulerWaker> waker_;  // shared: a Request may outlive its Scheduler
  size_t max_pieces_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Piece> pieces_;      // guarded by mu_
  bool ended_ = false;            // guarded by mu_
  bool cancelled_ = false;        // guarded by mu_
  Result<GenerateResult> result_ = Status::Internal("request has not ended");  // guarded by mu_
  std::unique_ptr<Sequence> seq_;  // the worker's (or the queue's) alone
};

class Scheduler {
 public:
  // Starts the worker. The Context's n_seq is the number of sequences run at once; its KV
  // pool is the memory they share.
  Scheduler(std::unique_ptr<engine::Context> ctx, const SchedulerOptions& options);
  // Ends every request (kCancelled for those still running or queued) and joins the worker.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Tokenizes `prompt` (on the caller's thread) and queues the generation. Errors before
  // queueing: those of Generate() (prompt over the context: kOutOfRange, bad options:
  // kInvalidArgument), kResourceExhausted when the prompt needs more KV blocks than the whole
  // pool has, kUnavailable when max_queued requests are already waiting. options.seq is ignored.
  Result<std::shared_ptr<Request>> Submit(std::string_view prompt, const GenerateOptions& options);

  SchedulerStats Stats() const;
  const engine::Model& model() const;
  uint32_t n_ctx() const;

 private:
  struct Impl;  // the queue, the worker's state and the published stats (scheduler.cc)
  std::unique_ptr<Impl> impl_;
};

// Submits and streams through `on_piece` on the caller's thread, cancelling when it returns
// false. Errors as Scheduler::Submit, then as the generation reports them.
Result<GenerateResult> Generate(Scheduler& scheduler, std::string_view prompt, const GenerateOptions& options,
                                const PieceCallback& on_piece);
Result<GenerateResult> Generate(Scheduler& scheduler, std::string_view prompt, const GenerateOptions& options,
                                const TextCallback& on_text = {});

}  // namespace foundry::runtime
