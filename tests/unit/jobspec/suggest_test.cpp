#include "dlrun/jobspec/suggest.hpp"

#include <array>
#include <catch2/catch.hpp>

namespace dlrun::jobspec {

TEST_CASE("a did-you-mean takes swapped letters as one slip", "[jobspec][suggest]") {
  constexpr std::array<std::string_view, 4> kCommands{"train", "validate", "build", "wait"};
  // A swap is the commonest typo; as two edits it was more than a five-letter word may have.
  CHECK(closest_match("trian", kCommands) == "train");
  CHECK(closest_match("vlaidate", kCommands) == "validate");
  CHECK(closest_match("TRAIN", kCommands) == "train");
  CHECK(closest_match("frobnicate", kCommands) == std::nullopt);
  CHECK(closest_match("pull", kCommands) == std::nullopt);
}

}  // namespace dlrun::jobspec
