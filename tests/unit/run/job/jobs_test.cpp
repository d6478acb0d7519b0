#include "dlrun/run/job/jobs.hpp"

#include <catch2/catch.hpp>

#include "dlrun/engine/engine_time.hpp"
#include "fake_transport.hpp"

namespace dlrun::run {

TEST_CASE("the daemon's status words give the exit code and about when it ended", "[jobs]") {
  auto exited = parse_exited_status("Exited (137) 5 minutes ago");
  REQUIRE(exited);
  CHECK(exited->exit_code == 137);
  CHECK(exited->ago_seconds == 300);
  CHECK(parse_exited_status("Exited (0) Less than a second ago")->ago_seconds == 0);
  CHECK(parse_exited_status("Exited (1) About an hour ago")->ago_seconds == 3600);
  CHECK(parse_exited_status("Exited (2) 3 days ago")->ago_seconds == 3 * 86400);
  CHECK_FALSE(parse_exited_status("Exited (2) soon")->ago_seconds);
  CHECK_FALSE(parse_exited_status("Up 2 hours"));
  CHECK_FALSE(parse_exited_status("Exited (x) 1 second ago"));
}

TEST_CASE("engine times read as seconds since the epoch, and the zero time is none", "[jobs]") {
  CHECK(engine::parse_engine_time("1970-01-01T00:01:00Z") == 60.0);
  CHECK(engine::parse_engine_time("2026-11-30T03:00:00.5Z") == Approx(1796007600.5));
  CHECK_FALSE(engine::parse_engine_time("0001-01-01T00:00:00Z"));
  CHECK_FALSE(engine::parse_engine_time("yesterday"));
}

TEST_CASE("how a job ended, from its code, the OOM flag and whether it had a timeout", "[jobs]") {
  CHECK(ending_of(0, false, false) == Ending::succeeded);
  CHECK(ending_of(3, false, false) == Ending::failed);
  CHECK(ending_of(137, true, false) == Ending::out_of_memory);
  CHECK(ending_of(137, false, false) == Ending::killed);
  CHECK(ending_of(143, false, false) == Ending::stopped);
  CHECK(ending_of(124, false, true) == Ending::timed_out);
  CHECK(ending_of(124, false, false) == Ending::failed);  // the job's own 124
  CHECK(ending_words(Ending::failed, 3) == "exited 3");
  CHECK(ending_words(Ending::out_of_memory, 137) == "out of memory");
  CHECK(ending_name(Ending::timed_out) == "timed_out");
}

// Found by tests/fuzz (engine_status): " ago" alone was cut past its start, a count of days
// overflowed into seconds, and a month of INT_MIN overflowed when made 0-based.
TEST_CASE("status words and times the daemon never writes are read without overflow",
          "[jobs][fuzz]") {
  const auto bare = parse_exited_status("Exited (137) ago");
  REQUIRE(bare);
  CHECK(bare->exit_code == 137);
  CHECK_FALSE(bare->ago_seconds);
  const auto far = parse_exited_status("Exited (2) 203685477581020363 days ago");
  REQUIRE(far);
  CHECK_FALSE(far->ago_seconds);
  CHECK_FALSE(parse_exited_status("Exited (2) -5 minutes ago")->ago_seconds);
  CHECK_FALSE(engine::parse_engine_time("4-2147483648--2T3:9:6"));
  CHECK_FALSE(engine::parse_engine_time("20260-11-30T03:00:00Z"));
}

}  // namespace dlrun::run

namespace dlrun::run {

TEST_CASE("a job's image is named as people write it, whatever the engine's words", "[jobs]") {
  auto transport = std::make_shared<testing::FakeTransport>();
  transport->expect("GET /_ping", 200, "OK", {{"api-version", "1.41"}});
  // Podman lists images by their full names; an id stands where the image is gone.
  transport->expect("GET /v1.41/containers/json", 200, R"([
      {"Id": "a", "Names": ["/dlrun-a"], "State": "running", "Image": "docker.io/dlrun/job:1",
       "Labels": {"dlrun.managed": "true", "dlrun.user": "1000"}},
      {"Id": "b", "Names": ["/dlrun-b"], "State": "running", "Image": "localhost/mine:2",
       "Labels": {"dlrun.managed": "true", "dlrun.user": "1000"}},
      {"Id": "c", "Names": ["/dlrun-c"], "State": "running", "Image": "sha256:0123abcd",
       "Labels": {"dlrun.managed": "true", "dlrun.user": "1000"}}])");
  auto client = engine::EngineClient::connect(transport, "unix:///test.sock");
  REQUIRE(client);
  auto jobs = list_jobs(*client, JobUsers::mine, JobStates::all, "1000");
  REQUIRE(jobs);
  REQUIRE(jobs->size() == 3);
  CHECK((*jobs)[0].image == "dlrun/job:1");
  CHECK((*jobs)[1].image == "localhost/mine:2");
  CHECK((*jobs)[2].image == "sha256:0123abcd");
}

}  // namespace dlrun::run
