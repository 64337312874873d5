// The tiled attention loop compiled for AVX2 + FMA (see attention_tiled.h).
#define FOUNDRY_ATTENTION_LANES 8
#include "engine/attention_tiled.h"

namespace foundry::engine::attention {
void AttentionAvx2(const Task& task) { AttentionTiled(task); }
}  // namespace foundry::engine::attention
