#pragma once
// Block layouts of the quantized formats, shared by the scalar reference kernels and their SIMD
// variants. The spec is ../shared/reference/formats.md §2 (layouts, dequantization) and §3
// (activation formats, dot products). Internal to src/engine/kernels (and its tests).
//
// Fields are little-endian, as stored in GGUF; this code assumes a little-endian host (x86-64,
// arm64). `uint16_t d`-style fields hold IEEE binary16 bits. Every struct has the exact size of
// its on-disk block, so an array of blocks aliases a tensor row. A block pointer must be aligned
// to alignof(block) (2, or 4 for BlockQ8_K); GGUF tensor data and std::vector storage are.
//
// The helper functions are in an unnamed namespace on purpose: this header is included by
// translation units compiled with different -m flags (*_avx2.cc, *_avx512.cc). An inline function
// with external linkage is one symbol, and the linker could keep an AVX-512 unit's out-of-line
// copy and run it on a CPU without AVX-512. Internal linkage gives each unit its own copy. For
// the same reason SIMD units call no inline functions of other headers (e.g. core/fp16.h).

#include <cmath>
#include <cstdint>
#include <cstring>

namespace foundry::engine::kernels {

inline constexpr int kSmallBlock = 32;   // elements per block of Q4_0 … Q8_1, IQ4_NL
inline constexpr int kSuperBlock = 256;  // elements per block of the K-quants and IQ4_XS

// Q4_0, 32 elements in 18 bytes.
//   @0  d   f16
//   @2  qs  u8[16]: byte j = element j (low nibble) | element j+16 (high nibble) << 4
//   x(e) = d·(q(e) − 8)
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_0) == 18);

// Q4_1, 32 elements in 20 bytes.
//   @0 d f16   @2 m f16   @4 qs u8[16] (nibbles as Q4_0)
//   x(e) = d·q(e) + m
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ4_1) == 20);

// Q5_0, 32 elements in 22 bytes.
//   @0 d f16   @2 qh u8[4]: bit e of the LE u32 = 5th bit of element e   @6 qs u8[16] (as Q4_0)
//   x(e) = d·(q(e) − 16), q(e) = nibble(e) | bit(e) << 4
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_0) == 22);

// Q5_1, 32 elements in 24 bytes.
//   @0 d f16   @2 m f16   @4 qh u8[4] (as Q5_0)   @8 qs u8[16] (as Q4_0)
//   x(e) = d·q(e) + m
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ5_1) == 24);

// Q8_0, 32 elements in 34 bytes; also the activation format of Q4_0/Q5_0/Q8_0/IQ4_NL.
//   @0 d f16   @2 qs i8[32]
//   x(e) = d·qs[e]. As an activation |qs| ≤ 127 (the SIMD dot products rely on it).
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_0) == 34);

// Q8_1, 32 elements in 36 bytes; activation format of Q4_1/Q5_1 only.
//   @0 d f16   @2 s f16 = fp16(d_unrounded·Σqs)   @4 qs i8[32], |qs| ≤ 127
//   x(e) = d·qs[e]
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[32];
};
static_assert(sizeof(BlockQ8_1) == 36);

// Q2_K, 256 elements in 84 bytes.
//   @0  scales u8[16]: group k = e>>4 of 16 elements; low nibble scale, high nibble min
//   @16 qs u8[64]: with h = e>>7, j = (e>>5)&3, t = e&31: q(e) = (qs[32h + t] >> 2j) & 3
//   @80 d f16   @82 dmin f16
//   x(e) = (d·lo(s_k))·q(e) − dmin·hi(s_k)
struct BlockQ2_K {
  uint8_t scales[16];
  uint8_t qs[64];
  uint16_t d;
  uint16_t dmin;
};
static_assert(sizeof(BlockQ2_K) == 84);

// Q3_K, 256 elements in 110 bytes.
//   @0   hmask u8[32]: bit (e>>5) of hmask[e&31] set = no −4 offset for element e
//   @32  qs u8[64]: low two bits, packed as Q2_K
//   @96  scales u8[12]: sixteen 6-bit scales (see UnpackQ3KScales), stored +32
//   @108 d f16
//   x(e) = (d·sc_k)·q(e), q(e) = low2(e) − (hbit(e) ? 0 : 4) ∈ [−4, 3], k = e>>4
struct BlockQ3_K {
  uint8_t hmask[32];
  uint8_t qs[64];
  uint8_t scales[12];
  uint16_t d;
};
static_assert(sizeof(BlockQ3_K) == 110);

// Q4_K, 256 elements in 144 bytes.
//   @0 d f16   @2 dmin f16   @4 scales u8[12]: eight 6-bit scales and mins (UnpackQ4KScales)
//   @16 qs u8[128]: 64-element group g = e>>6, r = e&63: byte qs[32g + (r&31)], low nibble for
//       r < 32 (sub-block 2g), high nibble for r ≥ 32 (sub-block 2g+1)
//   x(e) = (d·sc_k)·q(e) − dmin·m_k, k = e>>5
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ4_K) == 144);

// Q5_K, 256 elements in 176 bytes.
//   @0 d f16   @2 dmin f16   @4 scales u8[12] (as Q4_K)
//   @16 qh u8[32]: bit (e>>5) of qh[e&31] = 5th bit of element e   @48 qs u8[128] (as Q4_K)
//   x(e) as Q4_K with q(e) ∈ [0, 31]
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[32];
  uint8_t qs[128];
};
static_assert(sizeof(BlockQ5_K) == 176);

// Q6_K, 256 elements in 210 bytes.
//   @0   ql u8[128]: h = e>>7, j = (e>>5)&3, t = e&31: c = ql[64h + 32(j&1) + t],
//        low 4 bits = j < 2 ? lo(c) : hi(c)
//   @128 qh u8[64]: high 2 bits = (qh[32h + t] >> 2j) & 3
//   @192 scales i8[16] (group k = e>>4)   @208 d f16
//   x(e) = (d·scales[k])·q(e), q(e) = (low | high << 4) − 32 ∈ [−32, 31]
struct BlockQ6_K {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6_K) == 210);

// Q8_K, 256 elements in 292 bytes; activation format of the K-quants and IQ4_XS.
//   @0 d f32   @4 qs i8[256], |qs| ≤ 127   @260 bsums i16[16]: bsums[k] = Σ_{i<16} qs[16k + i]
//   x(e) = d·qs[e]
struct BlockQ8_K {
  float d;
  int8_t qs[256];
  int16_t bsums[16];
};
static_assert(sizeof(BlockQ8_K) == 292);

// IQ4_NL, 32 elements in 18 bytes.
//   @0 d f16   @2 qs u8[16] (nibbles as Q4_0)
//   x(e) = d·kIq4nlValues[n(e)]
struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockIQ4_NL) == 18);

// IQ4_XS, 256 elements in 136 bytes.
//   @0 d f16   @2 scales_h u16: bits 2ib..2ib+1 = high 2 bits of sub-block ib's scale
//   @4 scales_l u8[4]: nibble ib&1 of byte ib>>1 = low 4 bits of sub-block ib's scale
//   @8 qs u8[128]: sub-block ib = e>>5, r = e&31: byte qs[16ib + (r&15)], low nibble for
//      r < 16, high nibble for r ≥ 16
//   x(e) = (d·(ls − 32))·kIq4nlValues[n(e)]
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[4];
  uint8_t qs[128];
};
static_assert(sizeof(BlockIQ4_XS) == 136);

// The 16 non-uniform levels of IQ4_NL and IQ4_XS (formats.md §2, K).
alignas(16) inline constexpr int8_t kIq4nlValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                        1,    13,   25,  38,  53,  69,  89,  113};

namespace {

// Round to nearest, ties to even (x·id = 2.5 → 2): the rule of the SIMD quantizers that produced
// the reference activations (_mm256_round_ps with _MM_FROUND_TO_NEAREST_INT), formats.md §3.2.
// nearbyint follows the FP environment, whose rounding mode foundry never changes from the
// default round-to-nearest-even. Scalar code only.
inline float RoundHalfEven(float v) { return std::nearbyint(v); }

// Q5_0/Q5_1: the 4 qh bytes as the little-endian word whose bit e is element e's 5th bit.
inline uint32_t LoadQh(const uint8_t* qh) {
  uint32_t h;
  std::memcpy(&h, qh, sizeof(h));
  return h;
}

// Q5_0/Q5_1: the 5-bit code of element e, its Q4_0-style nibble plus bit e of qh as bit 4.
inline int Q5Code(const uint8_t* qs, uint32_t qh, int e) {
  const int nibble = e < 16 ? (qs[e] & 0x0F) : (qs[e - 16] >> 4);
  return nibble | int(((qh >> e) & 1u) << 4);
}

// Q4_K/Q5_K: the eight 6-bit scales and mins packed in 12 bytes `s`.
//   k < 4:  sc = s[k] & 63,                          m = s[k+4] & 63
//   k ≥ 4:  sc = lo(s[k+4]) | (s[k−4] >> 6) << 4,    m = hi(s[k+4]) | (s[k] >> 6) << 4
inline void UnpackQ4KScales(const uint8_t* s, uint8_t* sc, uint8_t* m) {
  for (int k = 0; k < 4; ++k) {
    sc[k] = uint8_t(s[k] & 63);
    m[k] = uint8_t(s[k + 4] & 63);
  }
  for (int k = 4; k < 8; ++k) {
    sc[k] = uint8_t((s[k + 4] & 0x0F) | ((s[k - 4] >> 6) << 4));
    m[k] = uint8_t((s[k + 4] >> 4) | ((s[k] >> 6) << 4));
  }
}

// Q3_K: the sixteen signed scales. Low 4 bits: nibble k>>3 of s[k & 7]; high 2 bits: bits
// 2(k>>2)..2(k>>2)+1 of s[8 + (k&3)]; the 6-bit value is stored +32.
inline void UnpackQ3KScales(const uint8_t* s, int8_t* sc) {
  for (int k = 0; k < 16; ++k) {
    const int low = k < 8 ? (s[k] & 0x0F) : (s[k - 8] >> 4);
    const int high = (s[8 + (k & 3)] >> (2 * (k >> 2))) & 3;
    sc[k] = int8_t((low | (high << 4)) - 32);
  }
}

// UnpackQ4KScales computed four bytes at a time (SWAR), for the SIMD kernels. With the 12 bytes
// read as little-endian words u0, u1, u2, byte lane j of each word is scale/min j or j + 4:
//   sc[0..3] = u0 & 63        sc[4..7] = lo(u2) | (u0 >> 6) << 4 = (u2 & 0x0F) | (u0 >> 2) & 0x30
//   m[0..3]  = u1 & 63        m[4..7]  = hi(u2) | (u1 >> 6) << 4 = (u2 >> 4 & 0x0F) | (u1 >> 2) &
//   0x30
// The masks keep every shifted bit inside its own byte, so no lane leaks into another.
inline void UnpackQ4KScalesSwar(const uint8_t* s, uint8_t* sc, uint8_t* m) {
  uint32_t u[3];
  std::memcpy(u, s, sizeof(u));
  const uint32_t sc_lo = u[0] & 0x3F3F3F3Fu;
  const uint32_t m_lo = u[1] & 0x3F3F3F3Fu;
  const uint32_t sc_hi = (u[2] & 0x0F0F0F0Fu) | ((u[0] >> 2) & 0x30303030u);
  const uint32_t m_hi = ((u[2] >> 4) & 0x0F0F0F0Fu) | ((u[1] >> 2) & 0x30303030u);
  std::memcpy(sc, &sc_lo, 4);
  std::memcpy(sc + 4, &sc_hi, 4);
  std::memcpy(m, &m_lo, 4);
  std::memcpy(m + 4, &m_hi, 4);
}

// UnpackQ3KScales four bytes at a time (SWAR), for the SIMD kernels. Word w of the result holds
// scales 4w..4w+3: low nibbles from u0 (w = 0), u1 (1), u0 >> 4 (2), u1 >> 4 (3); high bit pairs
// from u2 >> 2w. The −32 is a bytewise subtraction that cannot borrow across bytes: with the top
// bit of every byte set first, (x | 0x80) − 32 ≥ 0x60, and the final ^ 0x80 removes it again.
inline void UnpackQ3KScalesSwar(const uint8_t* s, int8_t* sc) {
  uint32_t u[3];
  std::memcpy(u, s, sizeof(u));
  const uint32_t low[4] = {u[0], u[1], u[0] >> 4, u[1] >> 4};
  for (int w = 0; w < 4; ++w) {
    const uint32_t q = (low[w] & 0x0F0F0F0Fu) | (((u[2] >> (2 * w)) & 0x03030303u) << 4);
    const uint32_t v = ((q | 0x80808080u) - 0x20202020u) ^ 0x80808080u;
    std::memcpy(sc + 4 * w, &v, 4);
  }
}

// IQ4_XS: the signed scale (ls − 32) ∈ [−32, 31] of sub-block ib.
inline int Iq4XsScale(const BlockIQ4_XS& b, int ib) {
  const int low = (b.scales_l[ib >> 1] >> (4 * (ib & 1))) & 0x0F;
  const int high = (b.scales_h >> (2 * ib)) & 3;
  return (low | (high << 4)) - 32;
}

}  // namespace
}  // namespace foundry::engine::kernels
