// ParseGrammar: GBNF-like text -> GrammarBuilder -> Grammar. Recursive descent over a bounded
// cursor; every error names its line and column.

#include <cctype>
#include <string>

#include "foundry/runtime/grammar/grammar.h"
#include "runtime/grammar/grammar_builder.h"
#include "runtime/grammar/utf8_ranges.h"

namespace foundry::runtime::grammar {
namespace {

using Seq = GrammarBuilder::Seq;

// Repetition bounds above this are refused: {m,n} expands to ~n elements.
constexpr uint32_t kMaxRepeat = 10000;
// Parenthesis nesting bound, so hostile input cannot overflow the parser's stack.
constexpr int kMaxDepth = 256;

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  Result<Grammar> Run() {
    SkipSpace();
    if (AtEnd()) return Status::InvalidArgument("the grammar is empty (it needs a 'root' rule)");
    while (!AtEnd()) FOUNDRY_RETURN_IF_ERROR(ParseRule());
    return b_.Finish(std::string(src_));
  }

 private:
  bool AtEnd() const { return pos_ >= src_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }
  Status Error(size_t at, const std::string& msg) const {
    return Status::InvalidArgument(LineColumn(src_, at) + ": " + msg);
  }

  void SkipSpace() {
    while (!AtEnd()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (!AtEnd() && src_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  std::string_view ScanName() {
    size_t start = pos_;
    while (!AtEnd() && IsNameChar(src_[pos_])) ++pos_;
    return src_.substr(start, pos_ - start);
  }

  // True if a `name ::=` starts at the cursor (the end of the current rule).
  bool AtRuleStart() const {
    size_t p = pos_;
    if (p >= src_.size() || !IsNameChar(src_[p])) return false;
    while (p < src_.size() && IsNameChar(src_[p])) ++p;
    while (p < src_.size() && (src_[p] == ' ' || src_[p] == '\t' || src_[p] == '\r' || src_[p] == '\n')) ++p;
    return src_.substr(p, 3) == "::=";
  }

  Status ParseRule() {
    const size_t at = pos_;
    std::string_view name = ScanName();
    if (name.empty()) return Error(at, "expected a rule name");
    SkipSpace();
    if (src_.substr(pos_, 3) != "::=") return Error(pos_, "expected '::=' after rule name '" + std::string(name) + "'");
    pos_ += 3;
    SkipSpace();
    name_ = std::string(name);
    std::vector<Seq> alts;
    FOUNDRY_RETURN_IF_ERROR(ParseAlternates(/*depth=*/0, &alts));
    if (Peek() == ')') return Error(pos_, "unbalanced ')'");
    Status st = b_.Define(b_.Ref(name, at), std::move(alts));
    if (!st.ok() && st.code() == StatusCode::kInvalidArgument) return Error(at, st.message());
    return st;
  }

  Status ParseAlternates(int depth, std::vector<Seq>* alts) {
    while (true) {
      Seq seq;
      FOUNDRY_RETURN_IF_ERROR(ParseSequence(depth, &seq));
      alts->push_back(std::move(seq));
      if (Peek() != '|') return Status::Ok();
      ++pos_;
      SkipSpace();
    }
  }

  Status ParseSequence(int depth, Seq* seq) {
    while (!AtEnd()) {
      const char c = Peek();
      if (c == '|' || c == ')') return Status::Ok();
      if (AtRuleStart()) {
        if (depth > 0) return Error(pos_, "expected ')' before the next rule");
        return Status::Ok();
      }
      const size_t atom_at = pos_;
      Seq atom;
      FOUNDRY_RETURN_IF_ERROR(ParseAtom(depth, &atom));
      SkipSpace();
      FOUNDRY_RETURN_IF_ERROR(ParsePostfix(atom_at, &atom));
      seq->insert(seq->end(), atom.begin(), atom.end());
    }
    return Status::Ok();
  }

  Status ParseAtom(int depth, Seq* atom) {
    const size_t at = pos_;
    const char c = Peek();
    if (c == '"') return ParseLiteral(atom);
    if (c == '[') return ParseClass(atom);
    if (c == '.') {
      ++pos_;
      atom->push_back(b_.Class(NormalizeRanges({{0, 0x10FFFF}}, false), name_));
      return Status::Ok();
    }
    if (c == '(') {
      if (depth + 1 > kMaxDepth) return Error(at, "parentheses nested too deeply");
      ++pos_;
      SkipSpace();
      std::vector<Seq> alts;
      FOUNDRY_RETURN_IF_ERROR(ParseAlternates(depth + 1, &alts));
      if (Peek() != ')') return Error(pos_, "expected ')' to close the '(' at " + LineColumn(src_, at));
      ++pos_;
      if (alts.size() == 1) {
        *atom = std::move(alts[0]);  // a plain group is just its sequence
      } else {
        atom->push_back({.kind = Element::Kind::kRule, .arg = b_.AddAux(name_, std::move(alts))});
      }
      return Status::Ok();
    }
    if (IsNameChar(c)) {
      std::string_view name = ScanName();
      atom->push_back({.kind = Element::Kind::kRule, .arg = b_.Ref(name, at)});
      return Status::Ok();
    }
    if (c == ')') return Error(at, "unbalanced ')'");
    return Error(at, std::string("unexpected character '") + c + "'");
  }

  // An escape after the backslash at pos_-1; returns the code point.
  Result<uint32_t> ParseEscape() {
    const size_t at = pos_ - 1;
    if (AtEnd()) return Error(at, "unfinished escape");
    const char c = src_[pos_++];
    switch (c) {
      case 'n': return uint32_t('\n');
      case 'r': return uint32_t('\r');
      case 't': return uint32_t('\t');
      case '\\': case '"': case '\'': case '[': case ']': case '-': case '^': case '/':
        return uint32_t(static_cast<unsigned char>(c));
      case 'x': case 'u': case 'U': {
        const int digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (int i = 0; i < digits; ++i) {
          int h = HexValue(Peek());
          if (h < 0) return Error(at, std::string("\\") + c + " needs " + std::to_string(digits) + " hex digits");
          v = v * 16 + uint32_t(h);
          ++pos_;
        }
        if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
          return Error(at, "escape names an invalid code point");
        return v;
      }
      default:
        return Error(at, std::string("unknown escape '\\") + c + "'");
    }
  }

  // One UTF-8 character of the source as a code point.
  Result<uint32_t> ParseSourceChar() {
    const size_t at = pos_;
    const unsigned char c0 = static_cast<unsigned char>(src_[pos_++]);
    if (c0 < 0x80) return uint32_t(c0);
    const int n = c0 >= 0xF0 && c0 <= 0xF4 ? 3 : c0 >= 0xE0 ? (c0 < 0xF0 ? 2 : -1) : c0 >= 0xC2 ? 1 : -1;
    if (n < 0) return Error(at, "invalid UTF-8");
    uint32_t cp = c0 & (0x3F >> n);
    for (int i = 0; i < n; ++i) {
      const unsigned char ci = static_cast<unsigned char>(Peek());
      if ((ci & 0xC0) != 0x80) return Error(at, "invalid UTF-8");
      cp = (cp << 6) | (ci & 0x3F);
      ++pos_;
    }
    const uint32_t min_cp = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return Error(at, "invalid UTF-8");
    return cp;
  }

  Status ParseLiteral(Seq* atom) {
    const size_t at = pos_++;
    std::string bytes;
    while (true) {
      if (AtEnd() || Peek() == '\n') return Error(at, "unterminated literal");
      const char c = src_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        ++pos_;
        FOUNDRY_ASSIGN_OR_RETURN(uint32_t cp, ParseEscape());
        AppendUtf8(cp, &bytes);
      } else {
        bytes.push_back(c);  // raw bytes are copied as they are
        ++pos_;
      }
    }
    *atom = b_.Literal(bytes);
    return Status::Ok();
  }

  Result<uint32_t> ParseClassChar() {
    if (Peek() == '\\') {
      ++pos_;
      return ParseEscape();
    }
    return ParseSourceChar();
  }

  Status ParseClass(Seq* atom) {
    const size_t at = pos_++;
    const bool negate = Peek() == '^';
    if (negate) ++pos_;
    std::vector<CodeRange> ranges;
    while (true) {
      if (AtEnd() || Peek() == '\n') return Error(at, "unterminated character class");
      if (Peek() == ']') {
        ++pos_;
        break;
      }
      const size_t item_at = pos_;
      FOUNDRY_ASSIGN_OR_RETURN(uint32_t lo, ParseClassChar());
      uint32_t hi = lo;
      if (Peek() == '-' && Peek(1) != ']' && pos_ + 1 < src_.size()) {
        ++pos_;
        FOUNDRY_ASSIGN_OR_RETURN(hi, ParseClassChar());
        if (hi < lo) return Error(item_at, "character range is reversed");
      }
      ranges.push_back({lo, hi});
    }
    if (ranges.empty()) return Error(at, "empty character class");
    atom->push_back(b_.Class(NormalizeRanges(std::move(ranges), negate), name_));
    return Status::Ok();
  }

  Result<uint32_t> ParseCount() {
    const size_t at = pos_;
    uint64_t v = 0;
    if (!std::isdigit(static_cast<unsigned char>(Peek()))) return Error(at, "expected a number in '{...}'");
    while (std::isdigit(static_cast<unsigned char>(Peek()))) {
      v = v * 10 + uint64_t(Peek() - '0');
      if (v > kMaxRepeat) return Error(at, "repetition count above " + std::to_string(kMaxRepeat));
      ++pos_;
    }
    return uint32_t(v);
  }

  Status ParsePostfix(size_t atom_at, Seq* atom) {
    while (!AtEnd()) {
      const char c = Peek();
      uint32_t min = 0, max = 0;
      const size_t at = pos_;
      if (c == '*') {
        min = 0, max = kUnbounded;
        ++pos_;
      } else if (c == '+') {
        min = 1, max = kUnbounded;
        ++pos_;
      } else if (c == '?') {
        min = 0, max = 1;
        ++pos_;
      } else if (c == '{') {
        ++pos_;
        SkipSpace();
        FOUNDRY_ASSIGN_OR_RETURN(min, ParseCount());
        SkipSpace();
        max = min;
        if (Peek() == ',') {
          ++pos_;
          SkipSpace();
          if (Peek() == '}') {
            max = kUnbounded;
          } else {
            FOUNDRY_ASSIGN_OR_RETURN(max, ParseCount());
            SkipSpace();
          }
        }
        if (Peek() != '}') return Error(pos_, "expected '}'");
        ++pos_;
        if (max < min) return Error(at, "repetition {m,n} with n < m");
      } else {
        return Status::Ok();
      }
      if (atom->empty() && max != 0 && max != 1)
        return Error(atom_at, "repetition of an empty literal");
      Result<Seq> r = b_.Repeat(std::move(*atom), min, max, name_);
      if (!r.ok()) return r.status();
      *atom = std::move(r).value();
      SkipSpace();
    }
    return Status::Ok();
  }

  std::string_view src_;
  size_t pos_ = 0;
  std::string name_;  // current rule, the base name of generated rules
  GrammarBuilder b_;
};

}  // namespace

Result<Grammar> ParseGrammar(std::string_view gbnf) { return Parser(gbnf).Run(); }

std::string GbnfLiteral(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20 || u == 0x7F) {
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 15];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace foundry::runtime::grammar
