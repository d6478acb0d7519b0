#include "dlrun/jobspec/units.hpp"

#include <catch2/catch.hpp>

namespace dlrun::jobspec {

TEST_CASE("sizes use docker's binary units", "[spec][units]") {
  CHECK(parse_size("1024") == 1024);
  CHECK(parse_size("1k") == 1024);
  CHECK(parse_size("16g") == 16LL << 30);
  CHECK(parse_size("16G") == 16LL << 30);
  CHECK(parse_size("512MiB") == 512LL << 20);
  CHECK(parse_size("1.5g") == 3LL << 29);
  CHECK(parse_size("2 gb") == 2LL << 30);
  CHECK(parse_size("1t") == 1LL << 40);
  CHECK_FALSE(parse_size("").has_value());
  CHECK_FALSE(parse_size("g").has_value());
  CHECK_FALSE(parse_size("-1g").has_value());
  CHECK_FALSE(parse_size("0").has_value());
  CHECK_FALSE(parse_size("8 gigs").has_value());
  CHECK_FALSE(parse_size("1.2.3m").has_value());
  CHECK_FALSE(parse_size("99999999999t").has_value());
}

TEST_CASE("durations are units largest first", "[spec][units]") {
  CHECK(parse_duration("90s") == std::chrono::seconds(90));
  CHECK(parse_duration("6h") == std::chrono::hours(6));
  CHECK(parse_duration("1h30m") == std::chrono::minutes(90));
  CHECK(parse_duration("2d") == std::chrono::hours(48));
  CHECK(parse_duration("1d2h3m4s") == std::chrono::seconds(93784));
  CHECK_FALSE(parse_duration("").has_value());
  CHECK_FALSE(parse_duration("6").has_value());
  CHECK_FALSE(parse_duration("30m1h").has_value());
  CHECK_FALSE(parse_duration("1h1h").has_value());
  CHECK_FALSE(parse_duration("0s").has_value());
  CHECK_FALSE(parse_duration("5w").has_value());
  CHECK_FALSE(parse_duration("h").has_value());
}

TEST_CASE("sizes and durations format back", "[spec][units]") {
  CHECK(format_size(8LL << 30) == "8g");
  CHECK(format_size(512LL << 20) == "512m");
  CHECK(format_size(1000) == "1000b");
  CHECK(format_size(3LL << 29) == "1536m");
  CHECK(format_duration(std::chrono::seconds(5400)) == "1h30m");
  CHECK(format_duration(std::chrono::seconds(45)) == "45s");
}

// Found by tests/fuzz (units): a negative part overflowed when multiplied into seconds.
TEST_CASE("a duration's parts are never negative", "[spec][units][fuzz]") {
  CHECK_FALSE(parse_duration("1h-30m").has_value());
  CHECK_FALSE(parse_duration("-90s").has_value());
  CHECK_FALSE(parse_duration("-9223372036854775808d").has_value());
  CHECK_FALSE(parse_duration("-0374183741824181101m24181101m").has_value());
}

}  // namespace dlrun::jobspec
