// CPU feature detection and ISA levels.

#include "foundry/engine/kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace foundry::engine::kernels {

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

// kAvx2 kernels are compiled with -mavx2 -mfma -mf16c; kAvx512 kernels additionally with
// -mavx512f/bw/vl/dq/vnni, so each level needs every one of its flags.
Isa CpuFeatures::best() const {
  const bool has_avx2 = avx2 && fma && f16c;
  if (has_avx2 && avx512f && avx512bw && avx512vl && avx512dq && avx512vnni) return Isa::kAvx512;
  if (has_avx2) return Isa::kAvx2;
  return Isa::kScalar;
}

#if defined(__x86_64__) || defined(__i386__)
namespace {
// F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does not know "f16c". The
// OS state it needs (YMM registers) is the AVX2 check's, which best() requires alongside it.
bool HasF16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  return (c & bit_F16C) != 0;
}
}  // namespace
#endif

// __builtin_cpu_supports also checks that the OS saves the AVX/AVX-512 register state (XCR0),
// so a feature reported here is usable.
CpuFeatures DetectCpu() {
  CpuFeatures cpu;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  cpu.avx2 = __builtin_cpu_supports("avx2");
  cpu.fma = __builtin_cpu_supports("fma");
  cpu.f16c = HasF16c();
  cpu.avx512f = __builtin_cpu_supports("avx512f");
  cpu.avx512bw = __builtin_cpu_supports("avx512bw");
  cpu.avx512vl = __builtin_cpu_supports("avx512vl");
  cpu.avx512dq = __builtin_cpu_supports("avx512dq");
  cpu.avx512vnni = __builtin_cpu_supports("avx512vnni");
#endif
  return cpu;
}

}  // namespace foundry::engine::kernels
