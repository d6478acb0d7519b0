#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dlrun::jobspec {

// The candidate a typo most likely meant, if any is close enough to be worth suggesting.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);

// "a, b, c": for hints that list the accepted values.
std::string join_names(std::span<const std::string_view> names);

}  // namespace dlrun::jobspec
