#include "runtime/chat/json_stream.h"

#include <nlohmann/json.hpp>

namespace foundry::runtime::chat {
namespace {

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The text of a complete JSON string token, or false if it is not valid UTF-8.
bool DecodeString(const std::string& raw, std::string* out) {
  nlohmann::json j = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (!j.is_string()) return false;
  *out = j.get<std::string>();
  return true;
}

std::string Printable(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static const char* kHex = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

}  // namespace

JsonStream::Step JsonStream::Fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  return Step::kError;
}

JsonStream::Step JsonStream::Feed(char c) {
  if (state_ == State::kError) return Step::kError;
  if (state_ == State::kDone) return Fail("text after the end of the JSON value");
  switch (token_) {
    case Token::kString:
    case Token::kKey: return StringByte(c);
    case Token::kLiteral:
      if (c != literal_[literal_pos_])
        return Fail("unexpected " + Printable(c) + " in '" + std::string(literal_) + "'");
      if (++literal_pos_ < literal_.size()) return Step::kMore;
      token_ = Token::kNone;
      return EndValue(literal_[0], nullptr, true);
    case Token::kNumber:
      if (NumberByte(c)) return Step::kMore;
      if (num_ != Num::kZero && num_ != Num::kInt && num_ != Num::kFrac && num_ != Num::kExp)
        return Fail("unexpected " + Printable(c) + " in a number");
      token_ = Token::kNone;
      if (Step s = EndValue('0', nullptr, false); s != Step::kMore) return s;
      return Structural(c);  // the byte after a number belongs to its container
    case Token::kNone: return Structural(c);
  }
  return Fail("internal: unknown token state");
}

JsonStream::Step JsonStream::Structural(char c) {
  if (IsWhitespace(c)) return Step::kMore;
  switch (state_) {
    case State::kRoot:
      if (c != '{' && c != '[') return Fail("expected '{' or '[', got " + Printable(c));
      return BeginValue(c);
    case State::kValueOrClose:
      if (c == ']') {
        path_.pop_back();
        return EndValue('[', nullptr, true);
      }
      return BeginValue(c);
    case State::kValue: return BeginValue(c);
    case State::kKeyOrClose:
      if (c == '}') {
        path_.pop_back();
        return EndValue('{', nullptr, true);
      }
      [[fallthrough]];
    case State::kKey:
      if (c != '"') return Fail("expected an object key, got " + Printable(c));
      token_ = Token::kKey;
      raw_ = "\"";
      escape_ = 0;
      return Step::kMore;
    case State::kColon:
      if (c != ':') return Fail("expected ':' after an object key, got " + Printable(c));
      state_ = State::kValue;
      return Step::kMore;
    case State::kAfterValue: {
      Frame& top = path_.back();
      if (c == ',') {
        if (top.is_object) {
          state_ = State::kKey;
        } else {
          ++top.index;
          state_ = State::kValue;
        }
        return Step::kMore;
      }
      if (c == (top.is_object ? '}' : ']')) {
        const char first = top.is_object ? '{' : '[';
        path_.pop_back();
        return EndValue(first, nullptr, true);
      }
      return Fail(std::string("expected ',' or '") + (top.is_object ? '}' : ']') + "', got " +
                  Printable(c));
    }
    case State::kDone:
    case State::kError: break;
  }
  return Fail("internal: unexpected state");
}

JsonStream::Step JsonStream::BeginValue(char c) {
  const bool is_number = c == '-' || IsDigit(c);
  if (c != '{' && c != '[' && c != '"' && !is_number && c != 't' && c != 'f' && c != 'n')
    return Fail("expected a JSON value, got " + Printable(c));
  listener_->OnValueBegin(c);
  switch (c) {
    case '{':
    case '[':
      if (path_.size() >= max_depth_)
        return Fail("JSON nested deeper than " + std::to_string(max_depth_) + " levels");
      path_.push_back({.is_object = c == '{'});
      state_ = c == '{' ? State::kKeyOrClose : State::kValueOrClose;
      return Step::kMore;
    case '"':
      token_ = Token::kString;
      raw_ = "\"";
      escape_ = 0;
      return Step::kMore;
    case 't': literal_ = "true"; break;
    case 'f': literal_ = "false"; break;
    case 'n': literal_ = "null"; break;
    default:
      token_ = Token::kNumber;
      num_ = c == '-' ? Num::kSign : c == '0' ? Num::kZero : Num::kInt;
      return Step::kMore;
  }
  token_ = Token::kLiteral;
  literal_pos_ = 1;
  return Step::kMore;
}

JsonStream::Step JsonStream::EndValue(char first, const std::string* decoded, bool with_byte) {
  listener_->OnValueEnd(first, decoded, with_byte);
  if (path_.empty()) {
    state_ = State::kDone;
    return Step::kDone;
  }
  state_ = State::kAfterValue;
  return Step::kMore;
}

JsonStream::Step JsonStream::StringByte(char c) {
  raw_ += c;
  if (escape_ == 1) {
    if (c == 'u') {
      escape_ = 2;
    } else if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' ||
               c == 't') {
      escape_ = 0;
    } else {
      return Fail("invalid escape '\\" + std::string(1, c) + "' in a string");
    }
    return Step::kMore;
  }
  if (escape_ >= 2) {
    if (!IsHex(c)) return Fail("expected a hex digit in a \\u escape, got " + Printable(c));
    escape_ = escape_ == 5 ? 0 : escape_ + 1;
    return Step::kMore;
  }
  if (c == '\\') {
    escape_ = 1;
    return Step::kMore;
  }
  if (static_cast<unsigned char>(c) < 0x20)
    return Fail("control character " + Printable(c) + " in a string");
  if (c != '"') return Step::kMore;
  std::string text;
  const bool ok = DecodeString(raw_, &text);
  if (token_ == Token::kKey) {
    token_ = Token::kNone;
    if (!ok) return Fail("an object key is not valid UTF-8");
    path_.back().key = std::move(text);
    state_ = State::kColon;
    return Step::kMore;
  }
  token_ = Token::kNone;
  return EndValue('"', ok ? &text : nullptr, true);
}

bool JsonStream::NumberByte(char c) {
  const bool digit = IsDigit(c);
  switch (num_) {
    case Num::kSign:
      if (c == '0') num_ = Num::kZero;
      else if (digit) num_ = Num::kInt;
      else return false;
      return true;
    case Num::kZero:
    case Num::kInt:
      if (digit && num_ == Num::kInt) return true;
      if (c == '.') num_ = Num::kDot;
      else if (c == 'e' || c == 'E') num_ = Num::kE;
      else return false;
      return true;
    case Num::kDot:
    case Num::kFrac:
      if (digit) {
        num_ = Num::kFrac;
        return true;
      }
      if (num_ == Num::kFrac && (c == 'e' || c == 'E')) {
        num_ = Num::kE;
        return true;
      }
      return false;
    case Num::kE:
      if (c == '+' || c == '-') num_ = Num::kESign;
      else if (digit) num_ = Num::kExp;
      else return false;
      return true;
    case Num::kESign:
    case Num::kExp:
      if (!digit) return false;
      num_ = Num::kExp;
      return true;
  }
  return false;
}

}  // namespace foundry::runtime::chat
