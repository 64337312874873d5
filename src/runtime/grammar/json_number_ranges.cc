#include "runtime/grammar/json_number_ranges.h"

#include <vector>

namespace foundry::runtime::grammar {
namespace {

// "\"d\"" built with append: GCC 12 reports a false -Wrestrict on operator+ chains here.
std::string Quoted(char d) {
  std::string out = "\"";
  out.push_back(d);
  out += "\" ";
  return out;
}

std::string DigitClass(char lo, char hi) {
  if (lo == hi) return std::string("\"") + lo + "\"";
  return std::string("[") + lo + "-" + hi + "]";
}

std::string AnyDigits(size_t n) {
  if (n == 0) return "";
  if (n == 1) return " [0-9]";
  return " [0-9]{" + std::to_string(n) + "}";
}

// Same-length digit strings lo..hi (lo <= hi, equal length, may have leading zeros since
// they are suffixes).
std::string SameLength(const std::string& lo, const std::string& hi) {
  const size_t n = lo.size();
  if (n == 0) return "\"\"";
  if (lo == hi) return "\"" + lo + "\"";
  if (lo[0] == hi[0]) return Quoted(lo[0]) + SameLength(lo.substr(1), hi.substr(1));
  const std::string rest_lo = lo.substr(1), rest_hi = hi.substr(1);
  const bool lo_full = rest_lo.find_first_not_of('0') == std::string::npos;
  const bool hi_full = rest_hi.find_first_not_of('9') == std::string::npos;
  std::vector<std::string> alts;
  char mid_lo = char(lo[0] + 1), mid_hi = char(hi[0] - 1);
  if (lo_full) mid_lo = lo[0];
  else alts.push_back(Quoted(lo[0]) + SameLength(rest_lo, std::string(n - 1, '9')));
  if (hi_full) mid_hi = hi[0];
  if (mid_lo <= mid_hi) alts.push_back(DigitClass(mid_lo, mid_hi) + AnyDigits(n - 1));
  if (!hi_full) alts.push_back(Quoted(hi[0]) + SameLength(std::string(n - 1, '0'), rest_hi));
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : " ") + alts[i];
  return out + " )";
}

int64_t Pow10(size_t n) {
  int64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// Naturals in [lo, hi], 0 <= lo <= hi.
std::string NaturalRange(int64_t lo, int64_t hi) {
  std::vector<std::string> alts;
  const size_t len_lo = std::to_string(lo).size(), len_hi = std::to_string(hi).size();
  for (size_t len = len_lo; len <= len_hi; ++len) {
    const int64_t a = std::max(lo, len == 1 ? 0 : Pow10(len - 1));
    const int64_t b = std::min(hi, Pow10(len) - 1);
    if (a <= b) alts.push_back(SameLength(std::to_string(a), std::to_string(b)));
  }
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : " ") + alts[i];
  return out + " )";
}

std::string Alternation(const std::vector<std::string>& alts) {
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : " ") + alts[i];
  return out + " )";
}

}  // namespace

std::string IntegerRangeGbnf(int64_t lo, int64_t hi) {
  std::vector<std::string> alts;
  if (lo < 0) alts.push_back("\"-\" " + NaturalRange(hi < 0 ? -hi : 1, -lo));
  if (hi >= 0) alts.push_back(NaturalRange(lo > 0 ? lo : 0, hi));
  return Alternation(alts);
}

std::string NumberRangeGbnf(int64_t lo, int64_t hi) {
  const std::string frac = " \".\" [0-9]{1,16}";
  std::vector<std::string> alts = {IntegerRangeGbnf(lo, hi)};
  // i.ddd with i >= 0 lies in [i, i+1): inside when lo <= i and i + 1 <= hi.
  const int64_t p_lo = std::max<int64_t>(lo, 0), p_hi = hi - 1;
  if (p_lo <= p_hi) alts.push_back(NaturalRange(p_lo, p_hi) + frac);
  // -i.ddd lies in (-(i+1), -i]: inside when -i <= hi and -(i+1) >= lo.
  const int64_t n_lo = std::max<int64_t>(-hi, 0), n_hi = -lo - 1;
  if (n_lo <= n_hi) alts.push_back("\"-\" " + NaturalRange(n_lo, n_hi) + frac);
  return Alternation(alts);
}

}  // namespace foundry::runtime::grammar
