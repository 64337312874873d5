#include "engine/tokenizer/byte_level.h"

#include "engine/tokenizer/utf8.h"

namespace foundry::engine::tokenizer {
namespace {

constexpr bool MapsToItself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

constexpr std::array<uint16_t, 256> MakeByteToCodepoint() {
  std::array<uint16_t, 256> table{};
  uint16_t next = 0x100;
  for (int b = 0; b < 256; ++b) table[size_t(b)] = MapsToItself(b) ? uint16_t(b) : next++;
  return table;
}

constexpr std::array<uint16_t, 256> kByteToCodepoint = MakeByteToCodepoint();
// 68 bytes are remapped, so the alphabet ends at U+0143.
static_assert(kByteToCodepoint[0xAD] == 0x143 && kByteToCodepoint[' '] == 0x120);

// Inverse table over U+0000..U+0143; -1 marks code points outside the alphabet.
constexpr std::array<int16_t, 0x144> MakeCodepointToByte() {
  std::array<int16_t, 0x144> table{};
  for (auto& v : table) v = -1;
  for (int b = 0; b < 256; ++b) table[kByteToCodepoint[size_t(b)]] = int16_t(b);
  return table;
}

constexpr std::array<int16_t, 0x144> kCodepointToByte = MakeCodepointToByte();

}  // namespace

uint32_t ByteToCodepoint(uint8_t b) { return kByteToCodepoint[b]; }

int CodepointToByte(uint32_t cp) {
  return cp < kCodepointToByte.size() ? kCodepointToByte[cp] : -1;
}

void AppendByteEncoded(std::string_view bytes, std::string& out) {
  for (char c : bytes) AppendUtf8(kByteToCodepoint[static_cast<uint8_t>(c)], out);
}

}  // namespace foundry::engine::tokenizer
