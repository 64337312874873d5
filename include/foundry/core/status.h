#pragma once
// Status and Result<T>: errors as values at every module boundary.
//
// A Status is OK or carries a code plus a message a user can act on. Result<T> holds either a T or
// a non-OK Status, never "OK and empty". Both are [[nodiscard]]. Thread-compatible.

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace foundry {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input: malformed file, JSON, flag, prompt
  kNotFound,            // no such file, key, tensor, model
  kOutOfRange,          // e.g. prompt longer than the context
  kFailedPrecondition,  // operation not valid in the current state
  kUnimplemented,       // unsupported architecture, quant type, feature
  kResourceExhausted,   // memory, KV cells
  kCancelled,
  kUnavailable,
  kInternal,            // a foundry bug
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>" (context added while rising).
  Status WithContext(std::string_view prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or a non-OK Status. REQUIRES: constructed from a non-OK Status when holding an error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace foundry

#define FOUNDRY_CONCAT_INNER_(a, b) a##b
#define FOUNDRY_CONCAT_(a, b) FOUNDRY_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` (a Status) is not OK.
#define FOUNDRY_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::foundry::Status foundry_st_ = (expr);    \
    if (!foundry_st_.ok()) return foundry_st_; \
  } while (0)

// `lhs = value of expr` (a Result<T>), or returns its Status from the enclosing function.
#define FOUNDRY_ASSIGN_OR_RETURN(lhs, expr) \
  FOUNDRY_ASSIGN_OR_RETURN_IMPL_(FOUNDRY_CONCAT_(foundry_res_, __LINE__), lhs, expr)
#define FOUNDRY_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()
