#pragma once
// SHA-256 of a byte stream (OpenSSL EVP underneath), used to verify downloaded model files.
//
// Sha256 hashes incrementally: Update() any number of times, then HexDigest() once. Move-only;
// owns its OpenSSL context. Thread-compatible.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "foundry/core/status.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace foundry::runtime {

class Sha256 {
 public:
  // kInternal if OpenSSL cannot provide SHA-256 (a broken installation).
  static Result<Sha256> Create();

  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  // Adds bytes to the hash. kInternal only if OpenSSL fails.
  Status Update(std::span<const std::byte> bytes);
  Status Update(std::string_view bytes);
  // The digest of everything added since Create()/Reset(): 64 lowercase hex digits. Ends the
  // stream: call Reset() before hashing more.
  Result<std::string> HexDigest();
  // Starts over with an empty stream.
  Status Reset();

 private:
  struct CtxDeleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  explicit Sha256(std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx) : ctx_(std::move(ctx)) {}
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx_;  // never null except after a move
};

// Called while hashing a file with the bytes hashed so far; return false to stop (kCancelled).
using HashProgress = std::function<bool(uint64_t bytes_done)>;

// SHA-256 of a whole file as 64 lowercase hex digits. kNotFound: no such file; kUnavailable: it
// cannot be read (the message names the path and the OS error); kCancelled: `progress` said stop.
Result<std::string> Sha256File(const std::filesystem::path& path, const HashProgress& progress = {});

// True iff `s` is 64 hex digits (either case).
bool IsSha256Hex(std::string_view s);

}  // namespace foundry::runtime
