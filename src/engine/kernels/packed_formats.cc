// The packed layouts of packed.h: packing a group of 16 rows, its reference inverse, and the
// activation planes each format's kernels read. Plain portable code (packing runs once at load).

#include <algorithm>
#include <cstring>

#include "engine/kernels/blocks.h"
#include "engine/kernels/packed.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::kernels {
namespace {

using T = TensorType;

// Block b of row r of group g of a matrix in the original layout; past the last row an all-zero
// block (zero scales, zero codes), so padding rows are zero rows in every layout.
template <class Block>
const Block& SourceBlock(const std::byte* src, size_t row_bytes, int64_t n_rows, int64_t g, int r,
                         int64_t b) {
  static constexpr Block kZero{};
  const int64_t row = g * kGroupRows + r;
  if (row >= n_rows) return kZero;
  return reinterpret_cast<const Block*>(src + size_t(row) * row_bytes)[b];
}

// Copies 4 bytes into lane r of the 64-byte vector at `vec` and back.
inline void ToLane(std::byte* vec, int r, const void* four) { std::memcpy(vec + 4 * r, four, 4); }
inline void FromLane(const std::byte* vec, int r, void* four) { std::memcpy(four, vec + 4 * r, 4); }

// --- Q4_0 ---

void PackQ4_0(const std::byte* src, size_t row_bytes, int64_t n_rows, int64_t nb, int64_t g,
              std::byte* dst) {
  using L = Q4_0Layout;
  for (int r = 0; r < kGroupRows; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ4_0& blk = SourceBlock<BlockQ4_0>(src, row_bytes, n_rows, g, r, b);
      for (int j = 0; j < 4; ++j) ToLane(dst + L::Qs(b) + 64 * j, r, blk.qs + 4 * j);
      std::memcpy(dst + L::D(b) + 2 * r, &blk.d, 2);
    }
  }
}

void UnpackQ4_0(const std::byte* group, int64_t nb, int r, std::byte* dst) {
  using L = Q4_0Layout;
  auto* row = reinterpret_cast<BlockQ4_0*>(dst);
  for (int64_t b = 0; b < nb; ++b) {
    for (int j = 0; j < 4; ++j) FromLane(group + L::Qs(b) + 64 * j, r, row[b].qs + 4 * j);
    std::memcpy(&row[b].d, group + L::D(b) + 2 * r, 2);
  }
}

// --- Q5_0 ---

// The qh word reordered so that chunk k (elements 4k..4k+3) has its bits in bit k of each byte:
// bit 8i + k of the result = bit 4k + i of H.
uint32_t Q5HighToChunks(uint32_t h) {
  uint32_t out = 0;
  for (int k = 0; k < 8; ++k)
    for (int i = 0; i < 4; ++i) out |= ((h >> (4 * k + i)) & 1u) << (8 * i + k);
  return out;
}
uint32_t Q5HighFromChunks(uint32_t c) {
  uint32_t h = 0;
  for (int k = 0; k < 8; ++k)
    for (int i = 0; i < 4; ++i) h |= ((c >> (8 * i + k)) & 1u) << (4 * k + i);
  return h;
}

void PackQ5_0(const std::byte* src, size_t row_bytes, int64_t n_rows, int64_t nb, int64_t g,
              std::byte* dst) {
  using L = Q5_0Layout;
  for (int r = 0; r < kGroupRows; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ5_0& blk = SourceBlock<BlockQ5_0>(src, row_bytes, n_rows, g, r, b);
      for (int j = 0; j < 4; ++j) ToLane(dst + L::Qs(b) + 64 * j, r, blk.qs + 4 * j);
      const uint32_t h = Q5HighToChunks(LoadQh(blk.qh));
      ToLane(dst + L::Qh(b), r, &h);
      std::memcpy(dst + L::D(b) + 2 * r, &blk.d, 2);
    }
  }
}

void UnpackQ5_0(const std::byte* group, int64_t nb, int r, std::byte* dst) {
  using L = Q5_0Layout;
  auto* row = reinterpret_cast<BlockQ5_0*>(dst);
  for (int64_t b = 0; b < nb; ++b) {
    for (int j = 0; j < 4; ++j) FromLane(group + L::Qs(b) + 64 * j, r, row[b].qs + 4 * j);
    uint32_t c;
    FromLane(group + L::Qh(b), r, &c);
    const uint32_t h = Q5HighFromChunks(c);
    std::memcpy(row[b].qh, &h, 4);
    std::memcpy(&row[b].d, group + L::D(b) + 2 * r, 2);
  }
}

// --- Q8_0 ---

void PackQ8_0(const std::byte* src, size_t row_bytes, int64_t n_rows, int64_t nb, int64_t g,
              std::byte* dst) {
  using L = Q8_0Layout;
  for (int r = 0; r < kGroupRows; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ8_0& blk = SourceBlock<BlockQ8_0>(src, row_bytes, n_rows, g, r, b);
      for (int j = 0; j < 8; ++j) {
        uint8_t u[4];
        for (int i = 0; i < 4; ++i) u[i] = uint8_t(blk.qs[4 * j + i]) ^ 0x80u;  // q + 128
        ToLane(dst + L::Qs(b) + 64 * j, r, u);
      }
      std::memcpy(dst + L::D(b) + 2 * r, &blk.d, 2);
    }
  }
}

void UnpackQ8_0(const std::byte* group, int64_t nb, int r, std::byte* dst) {
  using L = Q8_0Layout;
  auto* row = reinterpret_cast<BlockQ8_0*>(dst);
  for (int64_t b = 0; b < nb; ++b) {
    for (int j = 0; j < 8; ++j) {
      uint8_t u[4];
      FromLane(group + L::Qs(b) + 64 * j, r, u);
      for (int i = 0; i < 4; ++i) row[b].qs[4 * j + i] = int8_t(u[i] ^ 0x80u);
    }
    std::memcpy(&row[b].d, group + L::D(b) + 2 * r, 2);
  }
}

// --- Q4_K --- (qs vector v = 8g + p holds qs[4v..4v+3]: the original byte order)

void PackQ4_K(const std::byte* src, size_t row_bytes, int64_t n_rows, int64_t nb, int64_t g,
              std::byte* dst) {
  using L = Q4_KLayout;
  for (int r = 0; r < kGroupRows; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ4_K& blk = SourceBlock<BlockQ4_K>(src, row_bytes, n_rows, g, r, b);
      for (int v = 0; v < 32; ++v) ToLane(dst + L::Qs(b) + 64 * v, r, blk.qs + 4 * v);
      for (int j = 0; j < 3; ++j) ToLane(dst + L::Scales(b) + 64 * j, r, blk.scales + 4 * j);
      std::memcpy(dst + L::D(b) + 2 * r, &blk.d, 2);
      std::memcpy(dst + L::Dmin(b) + 2 * r, &blk.dmin, 2);
    }
  }
}

void UnpackQ4_K(const std::byte* group, int64_t nb, int r, std::byte* dst) {
  using L = Q4_KLayout;
  auto* row = reinterpret_cast<BlockQ4_K*>(dst);
  for (int64_t b = 0; b < nb; ++b) {
    for (int v = 0; v < 32; ++v) FromLane(group + L::Qs(b) + 64 * v, r, row[b].qs + 4 * v);
    for (int j = 0; j < 3; ++j) FromLane(group + L::Scales(b) + 64 * j, r, row[b].scales + 4 * j);
    std::memcpy(&row[b].d, group + L::D(b) + 2 * r, 2);
    std::memcpy(&row[b].dmin, group + L::Dmin(b) + 2 * r, 2);
  }
}

// --- Q6_K --- (per block: scales, then (qh, ql, ql) triples; see packed.h)

void PackQ6_K(const std::byte* src, size_t row_bytes, int64_t n_rows, int64_t nb, int64_t g,
              std::byte* dst) {
  using L = Q6_KLayout;
  for (int r = 0; r < kGroupRows; ++r) {
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ6_K& blk = SourceBlock<BlockQ6_K>(src, row_bytes, n_rows, g, r, b);
      std::byte* out = dst + L::Block(b);
      for (int h = 0; h < 2; ++h) {
        for (int p = 0; p < 8; ++p) {
          ToLane(out + L::Qh(h, p), r, blk.qh + 32 * h + 4 * p);
          for (int jj = 0; jj < 2; ++jj)
            ToLane(out + L::Ql(h, jj, p), r, blk.ql + 64 * h + 32 * jj + 4 * p);
        }
      }
      for (int i = 0; i < 4; ++i) ToLane(out + L::kScales + 64 * i, r, blk.scales + 4 * i);
      std::memcpy(dst + L::D(b) + 2 * r, &blk.d, 2);
    }
  }
}

void UnpackQ6_K(const std::byte* group, int64_t nb, int r, std::byte* dst) {
  using L = Q6_KLayout;
  auto* row = reinterpret_cast<BlockQ6_K*>(dst);
  for (int64_t b = 0; b < nb; ++b) {
    const std::byte* in = group + L::Block(b);
    for (int h = 0; h < 2; ++h) {
      for (int p = 0; p < 8; ++p) {
        FromLane(in + L::Qh(h, p), r, row[b].qh + 32 * h + 4 * p);
        for (int jj = 0; jj < 2; ++jj)
          FromLane(in + L::Ql(h, jj, p), r, row[b].ql + 64 * h + 32 * jj + 4 * p);
      }
    }
    for (int i = 0; i < 4; ++i) FromLane(in + L::kScales + 64 * i, r, row[b].scales + 4 * i);
    std::memcpy(&row[b].d, group + L::D(b) + 2 * r, 2);
  }
}

// --- Activation planes ---

// Q8_0 blocks (one per 32 weights): codes, d as f32, and −offset·Σq, the integer sum a block of
// codes stored + offset starts from.
template <int kOffset>
void PrepareQ8_0(const std::byte* act, int64_t nb, int8_t* qs, float* d, int32_t* aux) {
  const auto* a = reinterpret_cast<const BlockQ8_0*>(act);
  for (int64_t b = 0; b < nb; ++b) {
    std::memcpy(qs + b * kSmallBlock, a[b].qs, kSmallBlock);
    d[b] = F16ToF32(a[b].d);
    int32_t sum = 0;
    for (int8_t q : a[b].qs) sum += q;
    aux[b] = -kOffset * sum;
  }
}

// Q8_K for Q4_K: codes, d, and the eight 32-element sums B_k = bsums[2k] + bsums[2k+1] as four
// words of int16 pairs (B_2j low, B_2j+1 high); |B_k| ≤ 32·127 fits int16.
void PrepareQ8_KForQ4_K(const std::byte* act, int64_t nb, int8_t* qs, float* d, int32_t* aux) {
  const auto* a = reinterpret_cast<const BlockQ8_K*>(act);
  for (int64_t b = 0; b < nb; ++b) {
    std::memcpy(qs + b * kSuperBlock, a[b].qs, kSuperBlock);
    d[b] = a[b].d;
    for (int j = 0; j < 4; ++j) {
      const int lo = a[b].bsums[4 * j] + a[b].bsums[4 * j + 1];
      const int hi = a[b].bsums[4 * j + 2] + a[b].bsums[4 * j + 3];
      aux[4 * b + j] = int32_t(uint32_t(uint16_t(lo)) | (uint32_t(uint16_t(hi)) << 16));
    }
  }
}

// Q8_K for Q6_K: codes, d, and −32·bsums[k] per 16-element sub-block (codes are stored + 32).
void PrepareQ8_KForQ6_K(const std::byte* act, int64_t nb, int8_t* qs, float* d, int32_t* aux) {
  const auto* a = reinterpret_cast<const BlockQ8_K*>(act);
  for (int64_t b = 0; b < nb; ++b) {
    std::memcpy(qs + b * kSuperBlock, a[b].qs, kSuperBlock);
    d[b] = a[b].d;
    for (int k = 0; k < 16; ++k) aux[16 * b + k] = -32 * int32_t(a[b].bsums[k]);
  }
}

template <class Layout, class Block>
constexpr PackedFormat Format(TensorType type, int block_elems, int aux_per_block,
                              decltype(PackedFormat::pack_group) pack,
                              decltype(PackedFormat::unpack_row) unpack,
                              decltype(PackedFormat::prepare_act) prepare) {
  // A layout reorders the original bytes of its rows, nothing more.
  static_assert(Layout::kUnitBytes == Layout::kUnitBlocks * kGroupRows * int(sizeof(Block)));
  static_assert(Layout::kUnitBytes % 64 == 0);
  return {type,
          block_elems,
          int(sizeof(Block)),
          Layout::kUnitBlocks,
          Layout::kUnitBytes,
          aux_per_block,
          pack,
          unpack,
          prepare};
}

constexpr PackedFormat kFormats[] = {
    Format<Q4_0Layout, BlockQ4_0>(T::kQ4_0, kSmallBlock, 1, PackQ4_0, UnpackQ4_0, PrepareQ8_0<8>),
    Format<Q5_0Layout, BlockQ5_0>(T::kQ5_0, kSmallBlock, 1, PackQ5_0, UnpackQ5_0, PrepareQ8_0<16>),
    Format<Q8_0Layout, BlockQ8_0>(T::kQ8_0, kSmallBlock, 1, PackQ8_0, UnpackQ8_0, PrepareQ8_0<128>),
    Format<Q4_KLayout, BlockQ4_K>(T::kQ4_K, kSuperBlock, 4, PackQ4_K, UnpackQ4_K,
                                  PrepareQ8_KForQ4_K),
    Format<Q6_KLayout, BlockQ6_K>(T::kQ6_K, kSuperBlock, 16, PackQ6_K, UnpackQ6_K,
                                  PrepareQ8_KForQ6_K),
};

}  // namespace

const PackedFormat* FindPackedFormat(TensorType type) {
  for (const PackedFormat& f : kFormats)
    if (f.type == type) return &f;
  return nullptr;
}

size_t PackedGroupBytes(const PackedFormat& fmt, int64_t n_blocks) {
  const int64_t units = (n_blocks + fmt.unit_blocks - 1) / fmt.unit_blocks;
  return size_t(units) * size_t(fmt.unit_bytes);
}

}  // namespace foundry::engine::kernels
