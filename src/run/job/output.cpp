#include "dlrun/run/job/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace dlrun::run {
namespace {

// Writes all of `bytes`; false once the reader has gone away (EPIPE), so we stop writing there.
bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

OutputForwarder::OutputForwarder(int stdout_fd, int stderr_fd, std::function<void()> on_attached,
                                 std::stop_token stop)
    : stdout_fd_(stdout_fd),
      stderr_fd_(stderr_fd),
      on_attached_(std::move(on_attached)),
      stop_(std::move(stop)),
      demux_(*this) {}

void OutputForwarder::on_headers(long status) {
  if (status >= 200 && status < 300 && on_attached_) on_attached_();
}

bool OutputForwarder::on_body(std::span<const char> bytes) {
  auto fed = demux_.feed(bytes);
  // libcurl hands over at most 16 KiB per call; writing each piece at once would cost a system
  // call per 16 KiB. Pieces of one read are gathered and written when the read is done.
  if (pending_.size() >= kFlushBytes || !fed || !system_error_.empty()) flush();
  if (!fed) {
    failure_ = fed.error();
    return false;
  }
  if (!system_error_.empty()) {
    failure_ = Error{ErrorKind::engine,
                     "the daemon reported an error in the output stream: " + system_error_,
                     "the job's output may be incomplete; check the daemon's log"};
    return false;
  }
  return true;
}

void OutputForwarder::on_payload(engine::StreamId stream, std::span<const char> bytes) {
  if (stream == engine::StreamId::system_error) {
    system_error_.append(bytes.data(), bytes.size());
    return;
  }
  if (stream == engine::StreamId::stdin_echo) stream = engine::StreamId::stdout;
  if (stream != pending_stream_) flush();
  pending_stream_ = stream;
  pending_.append(bytes.data(), bytes.size());
}

std::string_view OutputForwarder::last_output() const {
  const std::string_view tail = tail_;
  return tail.substr(tail.size() - std::min(tail.size(), kTailBytes));
}

void OutputForwarder::on_idle() {
  flush();
}

void OutputForwarder::finish() {
  flush();
}

void OutputForwarder::flush() {
  if (pending_.empty()) return;
  const bool was_open = stdout_open_ && stderr_open_;
  if (pending_stream_ == engine::StreamId::stderr) {
    if (stderr_open_) stderr_open_ = write_all(stderr_fd_, pending_);
  } else if (stdout_open_) {
    stdout_open_ = write_all(stdout_fd_, pending_);
  }
  // The end of the output, kept for a post-mortem (a GPU failure's words); trimmed now and then
  // rather than at every write.
  const std::string_view written = pending_;
  tail_.append(written.substr(written.size() - std::min(written.size(), kTailBytes)));
  if (tail_.size() > 2 * kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
  pending_.clear();
  if (was_open && !(stdout_open_ && stderr_open_) && on_reader_gone_) on_reader_gone_();
}

}  // namespace dlrun::run
