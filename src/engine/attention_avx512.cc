// The tiled attention loop compiled for AVX-512 (see attention_tiled.h).
#define FOUNDRY_ATTENTION_LANES 16
#include "engine/attention_tiled.h"

namespace foundry::engine::attention {
void AttentionAvx512(const Task& task) { AttentionTiled(task); }
}  // namespace foundry::engine::attention
