#pragma once
// Row-interleaved ("packed") weight layouts and the activation panels of the tiled GEMM/GEMV
// kernels. Internal to src/engine/kernels (and its tests and benchmarks).
//
// Why: the plain vec_dot reduces one weight row against one activation row, so every block ends
// in a horizontal sum and every (row, token) pair re-converts its scales. The packed kernels keep
// 16 rows side by side: one 64-byte vector holds the same 4 code bytes of 16 rows, the
// activations' 4 matching bytes are broadcast, and one VNNI dpbusd (or AVX2 maddubs + madd) adds
// 4 products into each row's own 32-bit lane. A block's integer sums thus arrive as 16 lanes =
// 16 rows, are scaled by the 16 rows' d (one f16 → f32 conversion of 16 scales) and accumulated
// without any horizontal step. Prefill reuses each unpacked weight vector across a tile of
// tokens; decode streams the weights once in contiguous order.
//
// Numerics are the reference's (formats.md §3.3): integer block sums are exact (offsets such as
// Q4_0's −8 are applied as −8·Σq_a, which is exact in int32), and each block is combined in f32
// as (d_w·d_a)·isum, only the f32 accumulation order differs (fused multiply-add).
//
// Layouts. A matrix of n_rows rows is cut into groups of kGroupRows rows (the last one padded
// with all-zero rows: zero scales, zero codes). Group g starts at g·group_bytes. A group is a
// sequence of units of one or two block columns, each unit a multiple of 64 bytes holding
// everything its blocks need (scales first, then codes) in the order the one-token (decode)
// kernels consume them, so a range of groups is read as one ascending stream that the hardware
// prefetchers follow as they follow plain rows. (Separate scale and code regions per group cost
// up to 30% of the decode bandwidth on 896-wide rows; Q6_K's original interleaved sub-streams
// 60%.) An odd last block column leaves the second half of its unit zero.
//
// "Vector" below is 64 bytes whose 4-byte lane r (bytes 4r..4r+3) belongs to row r of the group,
// so lane r of a 512-bit register is row r (AVX2 reads rows 0..7 and 8..15 as two halves); every
// vector is 64-byte aligned when the buffer is. For block column b, s = b % 2 is its slot in a
// two-block unit, and the offsets below are from the start of its unit.
//
// Q4_0, unit = 2 blocks, 576 B:
//   d  @ 32s:                  16 f16, row r at 2r
//   qs @ 64 + 256s + 64j, j < 4: lane r = row r's qs[4j..4j+3] (low nibbles: elements 4j..4j+3,
//                              high nibbles: elements 16+4j..16+4j+3)
// Q5_0, unit = 2 blocks, 704 B: d @ 32s; then per block (in consumption order) at 64 + 320s:
//   qh @ +0:                   lane r = a u32 whose bit 8i + k is the 5th bit of element 4k + i
//                              (chunk k of 4 elements: k < 4 low nibbles of qs vector k, k ≥ 4
//                              high nibbles of vector k − 4), so chunk k's bits move to bit 4 of
//                              each byte with one shift by 4 − k and a mask
//   qs @ +64 + 64j, j < 4:     as Q4_0
// Q8_0, unit = 2 blocks, 1088 B: d @ 32s;
//   qs @ 64 + 512s + 64j, j < 8: lane r = row r's qs[4j..4j+3] XOR 0x80 (q + 128 ∈ [0, 255]:
//                              dpbusd wants unsigned weights; the kernels subtract 128·Σq_a)
// Q4_K, unit = 1 block (a super-block of 256), 2304 B = 16 × 144:
//   d @ 0, dmin @ 32:          16 f16 each
//   scales @ 64 + 64j, j < 3:  lane r = row r's scales[4j..4j+3] (still 6-bit packed)
//   qs @ 256 + 64(8g + p), g < 4, p < 8: lane r = row r's qs[32g + 4p..+3] (low nibbles:
//                              sub-block 2g, elements 4p..4p+3 of it; high: sub-block 2g + 1)
// Q6_K, unit = 2 blocks, 6720 B = 32 × 210: d @ 32s, then each block's own 3328 bytes at
// B = 64 + 3328s, in the order the one-token kernel consumes them (one ascending stream: short
// interleaved sub-streams, as in the original ql/qh order, kept the L2 stream prefetcher from
// engaging and cost 60% of the decode bandwidth):
//   scales @ B + 64i, i < 4:   lane r = row r's scales[4i..4i+3]
//   then 16 triples of vectors, triple t = 8h + p (h < 2, p < 8) at B + 256 + 192t:
//     + 0:            lane r = row r's qh[32h + 4p..+3]
//     + 64 + 64jj:    lane r = row r's ql[64h + 32jj + 4p..+3], jj < 2
//
// Activation panel. MatMul converts each token row with the vec_dot_type's from_float (the exact
// reference conversion), then PrepareAct splits it into planes the kernels read directly:
//   qs  int8  [n_tokens][n_cols]          the codes, unchanged
//   d   f32   [n_tokens][n_blocks]        the block scale as f32 (Q8_0's f16 converted)
//   aux int32 [n_tokens][n_blocks·aux_per_block], per format:
//     Q4_0/Q5_0/Q8_0: −offset·Σq of the block (offset 8, 16, 128), the initial integer sum
//     Q4_K: 4 words, word j = (B_2j, B_2j+1) as int16 pairs with B_k = bsums[2k] + bsums[2k+1]
//           (the mins term Σ m_k·B_k is then four dpwssd)
//     Q6_K: 16 words, −32·bsums[k] (the initial sum of sub-block k, for codes stored + 32)

#include <cstddef>
#include <cstdint>

#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {

inline constexpr int kGroupRows = 16;  // rows interleaved per group: one 512-bit lane each

namespace {  // internal linkage: included by units with different -m flags (see blocks.h)

// Byte offsets, within a group, of the parts of block column b (the layouts above).
struct Q4_0Layout {
  static constexpr int kUnitBlocks = 2, kUnitBytes = 576;
  static constexpr int64_t Unit(int64_t b) { return (b >> 1) * kUnitBytes; }
  static constexpr int64_t D(int64_t b) { return Unit(b) + 32 * (b & 1); }
  static constexpr int64_t Qs(int64_t b) { return Unit(b) + 64 + 256 * (b & 1); }
};
struct Q5_0Layout {
  static constexpr int kUnitBlocks = 2, kUnitBytes = 704;
  static constexpr int64_t Unit(int64_t b) { return (b >> 1) * kUnitBytes; }
  static constexpr int64_t D(int64_t b) { return Unit(b) + 32 * (b & 1); }
  static constexpr int64_t Qh(int64_t b) { return Unit(b) + 64 + 320 * (b & 1); }
  static constexpr int64_t Qs(int64_t b) { return Unit(b) + 128 + 320 * (b & 1); }
};
struct Q8_0Layout {
  static constexpr int kUnitBlocks = 2, kUnitBytes = 1088;
  static constexpr int64_t Unit(int64_t b) { return (b >> 1) * kUnitBytes; }
  static constexpr int64_t D(int64_t b) { return Unit(b) + 32 * (b & 1); }
  static constexpr int64_t Qs(int64_t b) { return Unit(b) + 64 + 512 * (b & 1); }
};
struct Q4_KLayout {
  static constexpr int kUnitBlocks = 1, kUnitBytes = 2304;
  static constexpr int64_t D(int64_t b) { return b * kUnitBytes; }
  static constexpr int64_t Dmin(int64_t b) { return b * kUnitBytes + 32; }
  static constexpr int64_t Scales(int64_t b) { return b * kUnitBytes + 64; }
  static constexpr int64_t Qs(int64_t b) { return b * kUnitBytes + 256; }
};
struct Q6_KLayout {
  static constexpr int kUnitBlocks = 2, kUnitBytes = 6720;
  static constexpr int64_t Unit(int64_t b) { return (b >> 1) * kUnitBytes; }
  static constexpr int64_t D(int64_t b) { return Unit(b) + 32 * (b & 1); }
  static constexpr int64_t Block(int64_t b) { return Unit(b) + 64 + 3328 * (b & 1); }
  // Offsets from Block(b): the scales, and the qh / ql vectors of half h, position p.
  static constexpr int kScales = 0;
  static constexpr int Qh(int h, int p) { return 256 + 192 * (8 * h + p); }
  static constexpr int Ql(int h, int jj, int p) { return Qh(h, p) + 64 + 64 * jj; }
};

}  // namespace

// One call's view of the packed weights and the activation panel.
struct PackedGemmArgs {
  const std::byte* w = nullptr;  // group g at w + g·group_bytes (64-byte aligned)
  size_t group_bytes = 0;
  int64_t n_blocks = 0;  // block columns (n_cols / block_elems)
  int64_t n_cols = 0;
  int64_t n_rows = 0;              // rows of the matrix; lanes past it are computed but not stored
  const int8_t* act_qs = nullptr;  // [n_tokens][n_cols]
  const float* act_d = nullptr;    // [n_tokens][n_blocks]
  const int32_t* act_aux = nullptr;  // [n_tokens][n_blocks·aux_per_block]
  int aux_per_block = 0;
  float* y = nullptr;  // y[t·n_rows + r]
};

// Computes the outputs of groups [g0, g1) for tokens [t0, t1). REQUIRES 0 ≤ g0 ≤ g1 ≤ n_groups,
// 0 ≤ t0 ≤ t1 ≤ n_tokens of the panel. Thread-safe for disjoint output ranges.
using PackedGemmFn = void (*)(const PackedGemmArgs& args, int64_t g0, int64_t g1, int64_t t0,
                              int64_t t1);

// The ISA-independent half of a packed path: the layout and the activation planes its kernels
// read. One per packable TensorType (FindPackedFormat).
struct PackedFormat {
  TensorType type;
  int block_elems;    // elements per block column (32 or 256)
  int block_bytes;    // bytes of one block of one row in the original layout
  int unit_blocks;    // block columns per unit (1 or 2)
  int unit_bytes;     // bytes of one unit of one group: unit_blocks·16·block_bytes
  int aux_per_block;  // int32 aux words per block and token in the panel
  // Group g of `src` (n_rows rows of n_blocks blocks, row_bytes apart) into `dst`
  // (group_bytes, zero-filled by the caller). Rows past n_rows are packed as all-zero blocks.
  void (*pack_group)(const std::byte* src, size_t row_bytes, int64_t n_rows, int64_t n_blocks,
                     int64_t g, std::byte* dst);
  // Inverse of pack_group for row r < 16 of a group: its n_blocks original blocks into dst.
  // The layout's reference (tests hold pack_group to it).
  void (*unpack_row)(const std::byte* group, int64_t n_blocks, int r, std::byte* dst);
  // One token: `act` = n_blocks·(block_elems / act block) blocks of the vec_dot_type, as its
  // from_float wrote them, into the panel planes (qs n_cols bytes, d n_blocks, aux
  // n_blocks·aux_per_block).
  void (*prepare_act)(const std::byte* act, int64_t n_blocks, int8_t* qs, float* d, int32_t* aux);
};

// nullptr when `type` has no packed layout.
const PackedFormat* FindPackedFormat(TensorType type);

// Bytes of one group of `fmt` for n_blocks block columns: whole units, a multiple of 64.
size_t PackedGroupBytes(const PackedFormat& fmt, int64_t n_blocks);

// --- Packed kernels per ISA (packed_small_<isa>.cc: Q4_0, Q5_0, Q8_0; packed_k_<isa>.cc: Q4_K,
// Q6_K) ---
void GemmQ4_0PackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);
void GemmQ5_0PackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);
void GemmQ8_0PackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);
void GemmQ4_KPackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);
void GemmQ6_KPackedAvx2(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);

void GemmQ4_0PackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);
void GemmQ5_0PackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);
void GemmQ8_0PackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);
void GemmQ4_KPackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);
void GemmQ6_KPackedAvx512(const PackedGemmArgs& a, int64_t g0, int64_t g1, int64_t t0, int64_t t1);

}  // namespace foundry::engine::kernels
