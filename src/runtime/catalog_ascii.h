#pragma once
// ASCII case folding for model IDs, aliases and filter values (shared by catalog.cc and
// model_cache.cc). Model IDs are ASCII by the catalog's grammar, so no locale is involved.

#include <string>
#include <string_view>

namespace foundry::runtime::internal {

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

inline bool AsciiIEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  return true;
}

}  // namespace foundry::runtime::internal
