#pragma once
// The GPT-2 byte-level alphabet (formats.md §4.4 step 3): every byte maps to one printable code
// point so that byte-level BPE vocabularies never store raw control bytes or spaces.
//
// Bytes 0x21-0x7E, 0xA1-0xAC and 0xAE-0xFF map to the code point of the same value; the other
// 68 bytes, in increasing order (0x00-0x20, 0x7F-0xA0, 0xAD), map to U+0100..U+0143
// (space -> U+0120 'Ġ', '\n' -> U+010A 'Ċ').

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace foundry::engine::tokenizer {

// The code point byte `b` is written as.
uint32_t ByteToCodepoint(uint8_t b);

// The byte that code point `cp` stands for, or -1 when `cp` is not in the alphabet.
int CodepointToByte(uint32_t cp);

// Appends the byte-level form of every byte of `bytes` (UTF-8 of the mapped code points).
void AppendByteEncoded(std::string_view bytes, std::string& out);

}  // namespace foundry::engine::tokenizer
