#include "dlrun/engine/buildkit_trace.hpp"

#include <cstdint>
#include <optional>

namespace dlrun::engine {
namespace {

// The protobuf wire format, as much as a StatusResponse needs: varints and length-delimited
// fields; fixed-size ones are skipped.
class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  struct Field {
    std::uint64_t number = 0;
    std::uint64_t varint = 0;  // wire type 0
    std::string_view bytes;    // wire type 2
    bool length_delimited = false;
  };

  // The next field; nullopt at the end, or on bytes that are not protobuf (then `broken`).
  std::optional<Field> next() {
    if (at_ == bytes_.size() || broken_) return std::nullopt;
    const auto key = varint();
    if (!key) return fail();
    Field field{.number = *key >> 3};
    switch (*key & 7) {
      case 0: {
        const auto value = varint();
        if (!value) return fail();
        field.varint = *value;
        break;
      }
      case 1:
        if (!skip(8)) return fail();
        break;
      case 2: {
        const auto size = varint();
        if (!size || *size > bytes_.size() - at_) return fail();
        field.bytes = bytes_.substr(at_, *size);
        field.length_delimited = true;
        at_ += *size;
        break;
      }
      case 5:
        if (!skip(4)) return fail();
        break;
      default:
        return fail();
    }
    return field;
  }
  bool broken() const { return broken_; }

 private:
  std::optional<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && at_ < bytes_.size(); shift += 7) {
      const auto byte = static_cast<unsigned char>(bytes_[at_++]);
      value |= std::uint64_t{byte & 0x7FU} << shift;
      if ((byte & 0x80U) == 0) return value;
    }
    return std::nullopt;
  }
  bool skip(std::size_t size) {
    if (size > bytes_.size() - at_) return false;
    at_ += size;
    return true;
  }
  std::nullopt_t fail() {
    broken_ = true;
    return std::nullopt;
  }

  std::string_view bytes_;
  std::size_t at_ = 0;
  bool broken_ = false;
};

// "[stage-0 2/5] RUN …" (Docker 20.10) or "[2/5] RUN …" → "Step 2/5 : RUN …"; BuildKit's own
// vertices ("[internal] load build context") are not steps.
std::optional<std::string> step_line(std::string_view name) {
  if (!name.starts_with('[')) return std::nullopt;
  const auto close = name.find("] ");
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view counter = name.substr(1, close - 1);
  if (const auto space = counter.rfind(' '); space != std::string_view::npos) {
    counter.remove_prefix(space + 1);
  }
  const auto slash = counter.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  for (const char c : counter) {
    if (c != '/' && (c < '0' || c > '9')) return std::nullopt;
  }
  return "Step " + std::string(counter) + " : " + std::string(name.substr(close + 2)) + "\n";
}

}  // namespace

bool BuildKitTrace::decode(std::string_view status_response, const OnOutput& on_output) {
  constexpr std::uint64_t kVertexes = 1, kLogs = 3;
  constexpr std::uint64_t kVertexDigest = 1, kVertexName = 3, kVertexStarted = 5;
  constexpr std::uint64_t kLogMessage = 4;
  WireReader response(status_response);
  while (auto field = response.next()) {
    if (!field->length_delimited) continue;
    if (field->number == kVertexes) {
      WireReader vertex(field->bytes);
      std::string_view digest, name;
      bool started = false;
      while (auto part = vertex.next()) {
        if (part->number == kVertexDigest && part->length_delimited) digest = part->bytes;
        if (part->number == kVertexName && part->length_delimited) name = part->bytes;
        if (part->number == kVertexStarted) started = true;
      }
      if (vertex.broken()) return false;
      if (!started || digest.empty() || started_.contains(std::string(digest))) continue;
      started_.insert(std::string(digest));
      if (auto line = step_line(name)) on_output(*line);
    } else if (field->number == kLogs) {
      WireReader log(field->bytes);
      while (auto part = log.next()) {
        if (part->number == kLogMessage && part->length_delimited) on_output(part->bytes);
      }
      if (log.broken()) return false;
    }
  }
  return !response.broken();
}

}  // namespace dlrun::engine
