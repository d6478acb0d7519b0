#include "dlrun/sha256.hpp"

// OpenSSL 3 deprecates the low-level SHA-256 calls, but the EVP interface initializes its
// provider machinery on first use: 3 MB of resident memory and a millisecond on every start,
// for one digest of a small file. The low-level calls compute the same digest directly.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <array>

namespace dlrun {

std::string sha256_digest(std::string_view bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> hash{};
  SHA256_CTX context;
  SHA256_Init(&context);
  SHA256_Update(&context, bytes.data(), bytes.size());
  SHA256_Final(hash.data(), &context);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (const unsigned char byte : hash) {
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

}  // namespace dlrun
