#include "dlrun/tar.hpp"

#include <algorithm>
#include <array>

namespace dlrun {
namespace {

constexpr std::size_t kBlock = 512;

// Writes `value` as a NUL-terminated, zero-padded octal field of `width` bytes, as ustar wants
// numbers (the caller keeps values within the field).
void octal_field(char* field, std::size_t width, unsigned long long value) {
  field[width - 1] = '\0';
  for (std::size_t i = width - 1; i-- > 0; value >>= 3)
    field[i] = static_cast<char>('0' + (value & 7));
}

}  // namespace

std::string tar_archive(const std::vector<TarMember>& members) {
  std::string archive;
  for (const auto& member : members) {
    std::array<char, kBlock> header{};
    const std::string name = member.directory ? member.path + "/" : member.path;
    std::copy_n(name.data(), std::min(name.size(), std::size_t{100}), header.data());
    octal_field(header.data() + 100, 8, member.mode);
    octal_field(header.data() + 108, 8, 0);  // uid
    octal_field(header.data() + 116, 8, 0);  // gid
    octal_field(header.data() + 124, 12, member.directory ? 0 : member.contents.size());
    octal_field(header.data() + 136, 12, 0);  // mtime
    header[156] = member.directory ? '5' : '0';
    std::copy_n("ustar", 6, header.data() + 257);
    std::copy_n("00", 2, header.data() + 263);
    std::copy_n("root", 4, header.data() + 265);  // uname
    std::copy_n("root", 4, header.data() + 297);  // gname
    // The checksum is the header's byte sum with its own field counted as spaces.
    std::fill_n(header.data() + 148, 8, ' ');
    unsigned sum = 0;
    for (const char c : header) sum += static_cast<unsigned char>(c);
    octal_field(header.data() + 148, 7, sum);  // six digits, a NUL, and the space left in place
    archive.append(header.data(), kBlock);
    if (!member.directory) {
      archive.append(member.contents);
      archive.append((kBlock - member.contents.size() % kBlock) % kBlock, '\0');
    }
  }
  archive.append(2 * kBlock, '\0');  // the end: two empty blocks
  return archive;
}

}  // namespace dlrun
