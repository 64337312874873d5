// Feeds arbitrary bytes to the GGUF parser: it must return OK or a Status, never crash or read
// out of bounds (run under ASan + UBSan by scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "foundry/engine/gguf/gguf_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::byte> bytes(size);
  if (size) std::memcpy(bytes.data(), data, size);
  auto f = foundry::engine::GgufFile::FromBytes(std::move(bytes));
  if (f.ok()) {
    // Touch everything a loader would: metadata renderings and the last byte of every tensor.
    size_t sink = 0;
    for (const auto& kv : f->metadata()) sink += kv.value.ToString().size();
    for (const auto& t : f->tensors())
      if (t.n_bytes) sink += size_t(t.data[t.n_bytes - 1]);
    volatile size_t keep = sink;
    (void)keep;
  }
  return 0;
}
