#include "dlrun/base64.hpp"

#include <cstdint>

namespace dlrun {

std::string base64_encode(std::string_view bytes, Base64Alphabet alphabet) {
  const char* table = alphabet == Base64Alphabet::standard
                          ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                          : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t block = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                                (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                                std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += table[(block >> 18) & 63];
    out += table[(block >> 12) & 63];
    out += table[(block >> 6) & 63];
    out += table[block & 63];
  }
  if (const std::size_t left = bytes.size() - i; left > 0) {
    std::uint32_t block = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (left == 2) block |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += table[(block >> 18) & 63];
    out += table[(block >> 12) & 63];
    out += left == 2 ? table[(block >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t block = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    block = (block << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((block >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace dlrun
