#pragma once

#include <string>

namespace dlrun {

// JSON for a program to read. Bytes that are not UTF-8 (a spec written in Latin-1, a GPU's name,
// a long value cut in the middle of a character) come out as U+FFFD rather than ending dlrun.
template <typename Json>
std::string json_text(const Json& value) {
  return value.dump(2, ' ', false, Json::error_handler_t::replace);
}

}  // namespace dlrun
