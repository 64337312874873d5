#include "runtime/chat/jinja_lexer.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "runtime/chat/jinja_text.h"

namespace foundry::runtime::jinja {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }
bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

// Code point at byte `pos` and its length in bytes (1 for an invalid byte).
char32_t CodePointAt(std::string_view s, size_t pos, size_t* len) {
  std::u32string one = text::Decode(s.substr(pos, 4));
  std::string back;
  text::AppendUtf8(one[0], back);
  *len = back.size();
  return one[0];
}

// Byte offset where the whitespace run starting at `pos` ends (Python regex \s*).
size_t SkipSpace(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    size_t len = 1;
    if (!text::IsSpace(CodePointAt(s, pos, &len))) break;
    pos += len;
  }
  return pos;
}

// Length of `s` with trailing whitespace removed (Python str.rstrip()).
size_t RStripLength(std::string_view s) {
  std::u32string cps = text::Decode(s);
  size_t end = cps.size();
  while (end > 0 && text::IsSpace(cps[end - 1])) --end;
  return text::Encode(std::u32string_view(cps).substr(0, end)).size();
}

bool AllSpace(std::string_view s) {
  for (char32_t c : text::Decode(s))
    if (!text::IsSpace(c)) return false;
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src.size(); ++i)
      if (src[i] == '\n') line_starts_.push_back(i + 1);
  }

  Result<std::vector<Token>> Run() {
    size_t pos = 0;
    bool line_starting = true;
    while (pos < src_.size()) {
      size_t open = FindTagOpen(pos);
      if (open == std::string_view::npos) {
        EmitData(src_.substr(pos), pos);
        break;
      }
      char kind = src_[open + 1];
      char modifier = open + 2 < src_.size() ? src_[open + 2] : '\0';
      if (modifier != '-' && modifier != '+') modifier = '\0';
      std::string_view text = src_.substr(pos, open - pos);
      text = ApplyLeftControl(text, kind, modifier, line_starting);
      EmitData(text, pos);
      size_t body = open + 2 + (modifier ? 1 : 0);
      Status st;
      if (kind == '#') {
        st = LexComment(open, body, &pos, &line_starting);
      } else if (kind == '%' && IsRawBegin(body)) {
        st = LexRaw(open, body, &pos, &line_starting);
      } else {
        st = LexTag(open, kind == '{', body, &pos, &line_starting);
      }
      if (!st.ok()) return st;
    }
    Token eof;
    eof.kind = TokenKind::kEof;
    eof.pos = Pos(src_.size());
    tokens_.push_back(eof);
    return std::move(tokens_);
  }

 private:
  SourcePos Pos(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t line = static_cast<size_t>(it - line_starts_.begin());
    return {static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1] + 1)};
  }

  Status Error(size_t offset, const std::string& msg) const {
    return Status::InvalidArgument(PositionPrefix(Pos(offset)) + "TemplateSyntaxError: " + msg);
  }

  size_t FindTagOpen(size_t pos) const {
    while (true) {
      size_t i = src_.find('{', pos);
      if (i == std::string_view::npos || i + 1 >= src_.size()) return std::string_view::npos;
      char c = src_[i + 1];
      if (c == '{' || c == '%' || c == '#') return i;
      pos = i + 1;
    }
  }

  // Whitespace control on the text before a tag: `-` strips all trailing whitespace; otherwise
  // lstrip_blocks removes spaces between a line start and a block or comment tag.
  std::string_view ApplyLeftControl(std::string_view text, char kind, char modifier,
                                    bool line_starting) const {
    if (modifier == '-') return text.substr(0, RStripLength(text));
    if (modifier == '+' || kind == '{') return text;
    size_t nl = text.rfind('\n');
    size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
    if ((l_pos > 0 || line_starting) && l_pos < text.size() && AllSpace(text.substr(l_pos)))
      return text.substr(0, l_pos);
    return text;
  }

  void EmitData(std::string_view text, size_t offset) {
    if (text.empty()) return;
    Token t;
    t.kind = TokenKind::kData;
    t.text = std::string(text);
    t.pos = Pos(offset);
    tokens_.push_back(std::move(t));
  }

  // After a block or comment end: `-` strips following whitespace, plain ends drop one newline
  // (trim_blocks), `+` keeps everything. Returns the new position; sets line_starting.
  size_t AfterBlockEnd(size_t end, char modifier, bool* line_starting) const {
    size_t next = end;
    if (modifier == '-')
      next = SkipSpace(src_, end);
    else if (modifier == '\0' && end < src_.size() && src_[end] == '\n')
      next = end + 1;
    *line_starting = next > end && src_[next - 1] == '\n';
    return next;
  }

  Status LexComment(size_t open, size_t body, size_t* pos, bool* line_starting) {
    size_t close = src_.find("#}", body);
    if (close == std::string_view::npos) return Error(open, "Missing end of comment tag");
    char modifier = '\0';
    if (close > body && (src_[close - 1] == '-' || src_[close - 1] == '+'))
      modifier = src_[close - 1];
    *pos = AfterBlockEnd(close + 2, modifier, line_starting);
    return Status::Ok();
  }

  // Matches `\s*raw\s*(-)?%}` at `body`.
  bool IsRawBegin(size_t body) const { return MatchKeywordTag(body, "raw", nullptr, nullptr); }

  bool MatchKeywordTag(size_t p, std::string_view word, size_t* end, char* modifier) const {
    p = SkipSpace(src_, p);
    if (src_.substr(p, word.size()) != word) return false;
    p += word.size();
    if (p < src_.size() && IsNameChar(src_[p])) return false;
    p = SkipSpace(src_, p);
    char mod = '\0';
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) mod = src_[p++];
    if (src_.substr(p, 2) != "%}") return false;
    if (end) *end = p + 2;
    if (modifier) *modifier = mod;
    return true;
  }

  Status LexRaw(size_t open, size_t body, size_t* pos, bool* line_starting) {
    size_t begin_end = 0;
    char begin_mod = '\0';
    MatchKeywordTag(body, "raw", &begin_end, &begin_mod);
    // The raw begin tag strips after itself only with `-` (jinja2 applies no trim_blocks here).
    size_t content = begin_mod == '-' ? SkipSpace(src_, begin_end) : begin_end;
    *line_starting = content > begin_end && src_[content - 1] == '\n';
    size_t search = content;
    while (true) {
      size_t tag = src_.find("{%", search);
      if (tag == std::string_view::npos) return Error(open, "Missing end of raw directive");
      char mod = tag + 2 < src_.size() && (src_[tag + 2] == '-' || src_[tag + 2] == '+')
                     ? src_[tag + 2]
                     : '\0';
      size_t end = 0;
      char end_mod = '\0';
      if (MatchKeywordTag(tag + 2 + (mod ? 1 : 0), "endraw", &end, &end_mod)) {
        std::string_view text = src_.substr(content, tag - content);
        EmitData(ApplyLeftControl(text, '%', mod, *line_starting), content);
        *pos = AfterBlockEnd(end, end_mod, line_starting);
        return Status::Ok();
      }
      search = tag + 2;
    }
  }

  Status LexTag(size_t open, bool is_var, size_t p, size_t* pos, bool* line_starting) {
    Token begin;
    begin.kind = is_var ? TokenKind::kVarBegin : TokenKind::kBlockBegin;
    begin.pos = Pos(open);
    tokens_.push_back(begin);
    std::vector<char> brackets;
    while (true) {
      p = SkipSpace(src_, p);
      if (p >= src_.size())
        return Error(open, is_var ? "unexpected end of template, expected end of print statement"
                                  : "unexpected end of template, expected end of statement block");
      if (brackets.empty()) {
        std::optional<char> mod;
        size_t close = 0;
        if (is_var) {
          if (src_.substr(p, 2) == "}}")
            mod = '\0', close = p + 2;
          else if (src_.substr(p, 3) == "-}}")
            mod = '-', close = p + 3;
        } else {
          if (src_.substr(p, 2) == "%}")
            mod = '\0', close = p + 2;
          else if (src_.substr(p, 3) == "-%}" || src_.substr(p, 3) == "+%}")
            mod = src_[p], close = p + 3;
        }
        if (mod) {
          Token end;
          end.kind = is_var ? TokenKind::kVarEnd : TokenKind::kBlockEnd;
          end.pos = Pos(p);
          tokens_.push_back(end);
          if (is_var) {
            *pos = *mod == '-' ? SkipSpace(src_, close) : close;
            *line_starting = *pos > close && src_[*pos - 1] == '\n';
          } else {
            *pos = AfterBlockEnd(close, *mod, line_starting);
          }
          return Status::Ok();
        }
      }
      FOUNDRY_ASSIGN_OR_RETURN(p, LexOne(p, brackets));
    }
  }

  // One expression token at `p`; returns the position after it.
  Result<size_t> LexOne(size_t p, std::vector<char>& brackets) {
    Token t;
    t.pos = Pos(p);
    char c = src_[p];
    if (IsNameStart(c)) {
      size_t e = p;
      while (e < src_.size() && IsNameChar(src_[e])) ++e;
      t.kind = TokenKind::kName;
      t.text = std::string(src_.substr(p, e - p));
      tokens_.push_back(std::move(t));
      return e;
    }
    if (IsDigitChar(c)) return LexNumber(p, std::move(t));
    if (c == '\'' || c == '"') return LexString(p, std::move(t));
    static constexpr std::string_view kTwo[] = {"//", "**", "==", "!=", "<=", ">="};
    for (std::string_view op : kTwo) {
      if (src_.substr(p, 2) == op) {
        t.kind = TokenKind::kOp;
        t.text = std::string(op);
        tokens_.push_back(std::move(t));
        return p + 2;
      }
    }
    static constexpr std::string_view kOne = "+-*/%~<>=()[]{},.:|";
    if (kOne.find(c) == std::string_view::npos) {
      size_t len = 1;
      std::string shown;
      text::AppendUtf8(CodePointAt(src_, p, &len), shown);
      return Error(p, "unexpected char '" + shown + "'");
    }
    if (c == '(' || c == '[' || c == '{') {
      brackets.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    } else if (c == ')' || c == ']' || c == '}') {
      if (brackets.empty()) return Error(p, std::string("unexpected '") + c + "'");
      if (brackets.back() != c)
        return Error(p, std::string("unexpected '") + c + "', expected '" + brackets.back() + "'");
      brackets.pop_back();
    }
    t.kind = TokenKind::kOp;
    t.text = std::string(1, c);
    tokens_.push_back(std::move(t));
    return p + 1;
  }

  // Digits with optional single underscores between them.
  size_t ScanDigits(size_t p) const {
    while (p < src_.size() && (IsDigitChar(src_[p]) ||
                               (src_[p] == '_' && p + 1 < src_.size() && IsDigitChar(src_[p + 1]) &&
                                p > 0 && IsDigitChar(src_[p - 1]))))
      ++p;
    return p;
  }

  Result<size_t> LexNumber(size_t p, Token t) {
    size_t e = ScanDigits(p);
    bool is_float = false;
    // A fraction needs digits after the dot (so `x.0.1` stays attribute access), and a number
    // right after a dot is always an integer.
    bool after_dot = p > 0 && src_[p - 1] == '.';
    if (!after_dot && e + 1 < src_.size() && src_[e] == '.' && IsDigitChar(src_[e + 1])) {
      e = ScanDigits(e + 1);
      is_float = true;
    }
    if (!after_dot && e < src_.size() && (src_[e] == 'e' || src_[e] == 'E')) {
      size_t q = e + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      if (q < src_.size() && IsDigitChar(src_[q])) {
        e = ScanDigits(q);
        is_float = true;
      }
    }
    std::string digits;
    for (size_t i = p; i < e; ++i)
      if (src_[i] != '_') digits += src_[i];
    if (is_float) {
      t.kind = TokenKind::kFloat;
      t.float_value = std::strtod(digits.c_str(), nullptr);
    } else {
      t.kind = TokenKind::kInt;
      int64_t v = 0;
      for (char d : digits) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d - '0', &v))
          return Error(p, "integer literal out of 64-bit range");
      }
      t.int_value = v;
    }
    tokens_.push_back(std::move(t));
    return e;
  }

  static int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Python string literal escapes (jinja2 decodes with "unicode-escape").
  Result<size_t> LexString(size_t p, Token t) {
    char quote = src_[p];
    size_t i = p + 1;
    std::string out;
    while (true) {
      if (i >= src_.size()) return Error(p, "unexpected end of string literal");
      char c = src_[i];
      if (c == quote) break;
      if (c != '\\' || i + 1 >= src_.size()) {
        out += c;
        ++i;
        continue;
      }
      char e = src_[i + 1];
      i += 2;
      switch (e) {
        case '\n':
          break;  // line continuation
        case '\\':
          out += '\\';
          break;
        case '\'':
          out += '\'';
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case 'x':
        case 'u':
        case 'U': {
          int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t v = 0;
          for (int k = 0; k < n; ++k) {
            int h = i < src_.size() ? HexValue(src_[i]) : -1;
            if (h < 0) return Error(p, "truncated \\" + std::string(1, e) + " escape in string");
            v = v * 16 + static_cast<uint32_t>(h);
            ++i;
          }
          if (v > 0x10FFFF) return Error(p, "illegal Unicode character in string");
          text::AppendUtf8(v, out);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7'; ++k)
              v = v * 8 + static_cast<uint32_t>(src_[i++] - '0');
            text::AppendUtf8(v, out);
          } else {
            out += '\\';
            out += e;
          }
      }
    }
    t.kind = TokenKind::kString;
    t.text = std::move(out);
    tokens_.push_back(std::move(t));
    return i + 1;
  }

  std::string_view src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
};

}  // namespace

std::string PositionPrefix(const SourcePos& pos) {
  return "line " + std::to_string(pos.line) + ", column " + std::to_string(pos.column) + ": ";
}

std::string NormalizeSource(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

Result<std::vector<Token>> Lex(std::string_view source) { return Lexer(source).Run(); }

}  // namespace foundry::runtime::jinja
