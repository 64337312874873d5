#include "foundry/runtime/sha256.h"

#include <openssl/evp.h>

#include <algorithm>

#include "foundry/core/mapped_file.h"

namespace foundry::runtime {
namespace {

// Hashing a mapped file in slices keeps the progress callback responsive and bounds how much
// of the mapping one Update touches at a time; 8 MiB is a few milliseconds of SHA-256.
constexpr size_t kHashSliceBytes = size_t{8} << 20;

}  // namespace

void Sha256::CtxDeleter::operator()(evp_md_ctx_st* ctx) const { EVP_MD_CTX_free(ctx); }

Result<Sha256> Sha256::Create() {
  std::unique_ptr<evp_md_ctx_st, CtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) return Status::ResourceExhausted("out of memory creating a SHA-256 context");
  if (EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return Status::Internal("OpenSSL could not initialise SHA-256");
  return Sha256(std::move(ctx));
}

Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

Status Sha256::Update(std::span<const std::byte> bytes) {
  if (bytes.empty()) return Status::Ok();
  if (EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()) != 1)
    return Status::Internal("OpenSSL SHA-256 update failed");
  return Status::Ok();
}

Status Sha256::Update(std::string_view bytes) {
  return Update(std::as_bytes(std::span<const char>(bytes.data(), bytes.size())));
}

Result<std::string> Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), md, &n) != 1 || n != 32)
    return Status::Internal("OpenSSL SHA-256 final failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(64, '0');
  for (unsigned int i = 0; i < n; ++i) {
    hex[2 * i] = kHex[md[i] >> 4];
    hex[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return hex;
}

Status Sha256::Reset() {
  if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    return Status::Internal("OpenSSL could not restart SHA-256");
  return Status::Ok();
}

Result<std::string> Sha256File(const std::filesystem::path& path, const HashProgress& progress) {
  FOUNDRY_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  FOUNDRY_ASSIGN_OR_RETURN(Sha256 sha, Sha256::Create());
  std::span<const std::byte> bytes = file.bytes();
  for (size_t off = 0; off < bytes.size(); off += kHashSliceBytes) {
    size_t n = std::min(kHashSliceBytes, bytes.size() - off);
    FOUNDRY_RETURN_IF_ERROR(sha.Update(bytes.subspan(off, n)));
    if (progress && !progress(off + n))
      return Status::Cancelled("hashing " + path.string() + " was cancelled");
  }
  return sha.HexDigest();
}

bool IsSha256Hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

}  // namespace foundry::runtime
