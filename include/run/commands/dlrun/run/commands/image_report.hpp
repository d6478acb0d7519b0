#pragma once

#include <string>

#include "dlrun/run/commands/images.hpp"
#include "dlrun/run/commands/resolution.hpp"

// What `dlrun resolve` and `dlrun images` print, as text and as JSON: the one place that knows
// those formats, a rejection's {rule, message, source, inferred} among them (docs/exit-codes.md).
namespace dlrun::run {

enum class ResolveDetail { brief, explain };

// The image and why; with `explain`, every candidate with each rejection's rule, and the sources
// those rejections cite, numbered once at the end.
std::string resolution_text(const ResolvedImage& resolved, ResolveDetail detail);
std::string resolution_json(const ResolvedImage& resolved);

// A line on the host the images were judged for, then one row per image: whether it fits, the
// rules that reject it, whether the engine has it ("-": unknown).
std::string image_table(const ImageList& list);
std::string image_list_json(const ImageList& list);

}  // namespace dlrun::run
