#include "dlrun/engine/demux.hpp"

#include <algorithm>
#include <string>

namespace dlrun::engine {

Result<void> Demultiplexer::feed(std::span<const char> bytes) {
  while (!bytes.empty()) {
    if (payload_left_ == 0) {
      const std::size_t take = std::min(header_.size() - header_filled_, bytes.size());
      std::copy_n(bytes.begin(), take,
                  header_.begin() + static_cast<std::ptrdiff_t>(header_filled_));
      header_filled_ += take;
      bytes = bytes.subspan(take);
      if (header_filled_ < header_.size()) return {};
      header_filled_ = 0;
      if (header_[0] > 3) {
        return fail(ErrorKind::engine,
                    "the daemon sent an unrecognized stream type " + std::to_string(header_[0]) +
                        " in the container's output",
                    "this happens when the container runs with a TTY; report it with `dlrun "
                    "--log-level debug`");
      }
      current_ = static_cast<StreamId>(header_[0]);
      payload_left_ = (std::uint32_t{header_[4]} << 24) | (std::uint32_t{header_[5]} << 16) |
                      (std::uint32_t{header_[6]} << 8) | std::uint32_t{header_[7]};
      continue;
    }
    const std::size_t take = std::min<std::size_t>(payload_left_, bytes.size());
    sink_.on_payload(current_, bytes.first(take));
    payload_left_ -= static_cast<std::uint32_t>(take);
    bytes = bytes.subspan(take);
  }
  return {};
}

}  // namespace dlrun::engine
