#include "dlrun/run/job/output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <string>

namespace dlrun::run {
namespace {

std::string frame(char stream, const std::string& payload) {
  const auto size = static_cast<std::uint32_t>(payload.size());
  return std::string{stream,
                     0,
                     0,
                     0,
                     static_cast<char>(size >> 24),
                     static_cast<char>((size >> 16) & 0xFF),
                     static_cast<char>((size >> 8) & 0xFF),
                     static_cast<char>(size & 0xFF)} +
         payload;
}

std::string drain(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST_CASE("output goes to the right descriptor and a daemon error stops the stream",
          "[run][output]") {
  int out[2], err[2];
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(err) == 0);
  bool attached = false;
  {
    OutputForwarder forwarder(out[1], err[1], [&] { attached = true; });
    forwarder.on_headers(200);
    const std::string stream = frame(1, "line 1\n") + frame(2, "warn\n") + frame(1, "line 2\n");
    CHECK(forwarder.on_body(std::span(stream).first(11)));
    CHECK(forwarder.on_body(std::span(stream).subspan(11)));
    CHECK_FALSE(forwarder.failure().has_value());

    const std::string daemon_error = frame(3, "log reader failed");
    CHECK_FALSE(forwarder.on_body(daemon_error));
    REQUIRE(forwarder.failure().has_value());
    CHECK(forwarder.failure()->message ==
          "the daemon reported an error in the output stream: log reader failed");
  }
  close(out[1]);
  close(err[1]);
  CHECK(attached);
  CHECK(drain(out[0]) == "line 1\nline 2\n");
  CHECK(drain(err[0]) == "warn\n");
  close(out[0]);
  close(err[0]);
}

TEST_CASE("a reader that goes away does not stop the job's stream", "[run][output]") {
  int out[2];
  REQUIRE(pipe(out) == 0);
  close(out[0]);                  // like `dlrun train … | head -1` after head exits
  std::signal(SIGPIPE, SIG_IGN);  // as dlrun's main does
  const int devnull = open("/dev/null", O_WRONLY);
  OutputForwarder forwarder(out[1], devnull, {});
  const std::string stream = frame(1, "a\n") + frame(1, "b\n");
  CHECK(forwarder.on_body(stream));
  CHECK(forwarder.on_body(stream));
  close(out[1]);
  close(devnull);
}

}  // namespace dlrun::run
