#pragma once
// JsonStream: an incremental JSON syntax checker, fed one byte at a time, that reports where
// each value begins and ends. Internal to runtime/chat: the tool-call parser uses it to find
// call names and stream argument text while the model is still writing it.
//
// Accepts exactly one JSON object or array (RFC 8259 syntax, leading whitespace allowed); the
// root may not be a scalar, so the end of the document is always known at its closing bracket.
// Every byte for which Feed() returns kMore or kDone extends a prefix of some valid document;
// the first byte that cannot returns kError and is not consumed. Strings are checked for
// control characters and escapes; bytes >= 0x80 are passed through (UTF-8 is checked only when
// a string is decoded). Nesting is capped at `max_depth` containers.
//
// Thread-compatible. The listener must outlive the stream.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace foundry::runtime::chat {

class JsonStream {
 public:
  enum class Step { kMore, kDone, kError };

  // A container enclosing the current position: its current key (objects) or element index
  // (arrays).
  struct Frame {
    bool is_object = false;
    std::string key;
    size_t index = 0;
  };

  class Listener {
   public:
    virtual ~Listener() = default;
    // A value starts with the byte being fed: '{', '[', '"', '-', a digit, 't', 'f' or 'n'.
    // path() names the containers around it (empty for the root).
    virtual void OnValueBegin(char first) = 0;
    // The value that began with `first` ended; path() is as it was at OnValueBegin. `decoded`
    // holds a string value's text, or is null for other values and for strings that are not
    // valid UTF-8. `with_byte`: the byte being fed is the value's last byte (false only for
    // numbers, which end at the byte after them).
    virtual void OnValueEnd(char first, const std::string* decoded, bool with_byte) = 0;
  };

  explicit JsonStream(Listener* listener, size_t max_depth = 64)
      : listener_(listener), max_depth_(max_depth) {}

  // Consumes `c`. kDone: the root value just closed (feed no more). kError: `c` cannot continue
  // a valid document (error() says why); the stream stays in the error state.
  Step Feed(char c);

  const std::vector<Frame>& path() const { return path_; }
  std::string_view error() const { return error_; }

 private:
  // Where the stream stands between tokens.
  enum class State {
    kRoot,          // before the root value
    kValue,         // a value is required (after ':' or ',' in an array)
    kValueOrClose,  // after '[': a value or ']'
    kKey,           // after ',' in an object: a key
    kKeyOrClose,    // after '{': a key or '}'
    kColon,         // after a key
    kAfterValue,    // after a value in a container: ',' or the closing bracket
    kDone,
    kError,
  };
  // A scalar being read.
  enum class Token { kNone, kString, kKey, kNumber, kLiteral };
  enum class Num { kSign, kZero, kInt, kDot, kFrac, kE, kESign, kExp };

  Step Fail(std::string why);
  Step BeginValue(char c);
  Step EndValue(char first, const std::string* decoded, bool with_byte);
  Step Structural(char c);
  Step StringByte(char c);
  bool NumberByte(char c);

  Listener* listener_;
  size_t max_depth_;
  std::vector<Frame> path_;
  State state_ = State::kRoot;
  Token token_ = Token::kNone;
  std::string raw_;            // the string or key being read, quotes included
  int escape_ = 0;             // 0: none, 1: after '\', 2..5: hex digits of \u still due
  Num num_ = Num::kSign;
  std::string_view literal_;   // "true", "false" or "null"
  size_t literal_pos_ = 0;
  std::string error_;
};

}  // namespace foundry::runtime::chat
