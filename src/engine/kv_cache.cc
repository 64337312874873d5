#include "foundry/engine/kv_cache.h"

#include <new>
#include <string>

namespace foundry::engine {

Result<KvCache> KvCache::Create(const Hparams& hp, uint32_t n_ctx, uint32_t n_seq) {
  if (n_ctx == 0 || n_seq == 0) return Status::InvalidArgument("KV cache needs n_ctx and n_seq > 0");
  KvCache c;
  c.n_ctx_ = n_ctx;
  c.n_seq_ = n_seq;
  c.dk_ = hp.n_embd_k_gqa();
  c.dv_ = hp.n_embd_v_gqa();
  const uint64_t cells = uint64_t(hp.n_layer) * n_seq * n_ctx;
  const uint64_t bytes = cells * (c.dk_ + c.dv_) * sizeof(float);
  try {
    c.k_.assign(size_t(cells * c.dk_), 0.0f);
    c.v_.assign(size_t(cells * c.dv_), 0.0f);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("KV cache of " + std::to_string(bytes >> 20) +
                                     " MiB does not fit in memory; use a smaller context");
  }
  c.len_.assign(n_seq, 0);
  return c;
}

}  // namespace foundry::engine
