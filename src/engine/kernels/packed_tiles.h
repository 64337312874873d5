#pragma once
// The loop every packed kernel shares: groups of 16 rows × tiles of up to kMaxTokens tokens, the
// token tail handled by the same tile code instantiated for 1..kMaxTokens−1 tokens (a tile keeps
// one accumulator register per token, so its width must be a compile-time constant).
// Include only from the packed kernel files (*_packed_avx512.cc, *_packed_avx2.cc); everything
// has internal linkage (see the note in blocks.h on inline functions across -m flags).

#include <cstddef>
#include <cstdint>
#include <utility>

#include "engine/kernels/packed.h"

namespace foundry::engine::kernels {
namespace {

// Tile<T>(args, group, t0, row0, rows): the outputs of rows [row0, row0 + rows) (rows ≤ 16; the
// group's lanes past `rows` are padding) for tokens [t0, t0 + T), from group bytes `group`.
using TileFn = void (*)(const PackedGemmArgs& a, const std::byte* group, int64_t t0, int64_t row0,
                        int rows);

template <class Kernel, int... kT>
constexpr TileFn kTileTable[] = {nullptr, &Kernel::template Tile<kT + 1>...};

template <class Kernel, int... kT>
constexpr const TileFn* TileTable(std::integer_sequence<int, kT...>) {
  return kTileTable<Kernel, kT...>;
}

// Kernel provides `static constexpr int kMaxTokens` and `template <int T> static void Tile(...)`.
template <class Kernel>
void DriveTiles(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1) {
  constexpr int kMax = Kernel::kMaxTokens;
  constexpr const TileFn* tiles = TileTable<Kernel>(std::make_integer_sequence<int, kMax>{});
  for (int64_t g = g0; g < g1; ++g) {
    const std::byte* group = a.w + size_t(g) * a.group_bytes;
    const int64_t row0 = g * kGroupRows;
    const int rows = int(a.n_rows - row0 < kGroupRows ? a.n_rows - row0 : kGroupRows);
    int64_t t = t0;
    for (; t + kMax <= t1; t += kMax) Kernel::template Tile<kMax>(a, group, t, row0, rows);
    if (t < t1) tiles[t1 - t](a, group, t, row0, rows);
  }
}

}  // namespace
}  // namespace foundry::engine::kernels
