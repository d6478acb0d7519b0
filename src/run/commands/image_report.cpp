#include "dlrun/run/commands/image_report.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dlrun/json_text.hpp"

namespace dlrun::run {
namespace {

using nlohmann::ordered_json;

// Text, or null where there is none.
ordered_json text_or_null(const std::string& text) {
  return text.empty() ? ordered_json(nullptr) : ordered_json(text);
}

ordered_json rejection_json(const resolve::Rejection& rejection) {
  return {{"rule", resolve::rule_name(rejection.rule)},
          {"message", rejection.message},
          {"source", text_or_null(rejection.source)},
          {"inferred", rejection.inferred}};
}

ordered_json rejections_json(const std::vector<resolve::Rejection>& rejections) {
  ordered_json out = ordered_json::array();
  for (const auto& rejection : rejections) out.push_back(rejection_json(rejection));
  return out;
}

// Sources cited by --explain, each numbered once in the order first cited.
class SourceNotes {
 public:
  std::size_t number(const std::string& source) {
    const auto found = std::find(sources_.begin(), sources_.end(), source);
    if (found != sources_.end()) return static_cast<std::size_t>(found - sources_.begin()) + 1;
    sources_.push_back(source);
    return sources_.size();
  }
  std::string text() const {
    if (sources_.empty()) return "";
    std::string out = "\nsources:\n";
    for (std::size_t i = 0; i < sources_.size(); ++i)
      out += "  [" + std::to_string(i + 1) + "] " + sources_[i] + "\n";
    return out;
  }

 private:
  std::vector<std::string> sources_;
};

// "gpu-arch-not-compiled: GPU 0 (sm_90) has no kernels in it [3, inferred]"
std::string explained(const resolve::Rejection& rejection, SourceNotes& notes) {
  std::string marks;
  if (!rejection.source.empty()) marks = std::to_string(notes.number(rejection.source));
  if (rejection.inferred) marks += marks.empty() ? "inferred" : ", inferred";
  return std::string(resolve::rule_name(rejection.rule)) + ": " + rejection.message +
         (marks.empty() ? "" : " [" + marks + "]");
}

std::string variant_name(resolve::Variant variant) {
  return variant == resolve::Variant::devel ? "devel" : "runtime";
}

std::string source_kind_name(resolve::ImageSource source) {
  return source == resolve::ImageSource::ngc ? "ngc" : "official";
}

std::string arch_name(const Version& capability) {
  return "sm_" + std::to_string(capability.major()) + std::to_string(capability.minor());
}

std::string host_line(const resolve::HostFacts& host) {
  std::string line = "host: driver ";
  if (host.driver) {
    line += host.driver->to_string() + (host.origin.empty() ? "" : " (" + host.origin + ")");
  } else {
    line +=
        "unknown, not checked" + (host.unknown_because.empty() ? "" : ": " + host.unknown_because);
  }
  std::string gpus;
  for (const auto& gpu : host.gpus) {
    if (gpu.compute_capability)
      gpus += (gpus.empty() ? "" : ", ") + arch_name(*gpu.compute_capability);
  }
  line += gpus.empty() ? "; GPUs unknown, not checked" : "; GPUs " + gpus;
  return line + "\n";
}

// The rules that reject a row, for a table cell: "driver-below-toolkit, gpu-arch-not-compiled".
std::string rule_list(const std::vector<resolve::Rejection>& rejections) {
  std::string text;
  for (const auto& rejection : rejections) {
    const std::string name =
        std::string(resolve::rule_name(rejection.rule)) + (rejection.inferred ? " (inferred)" : "");
    if (text.find(name) == std::string::npos) text += (text.empty() ? "" : ", ") + name;
  }
  return text;
}

}  // namespace

std::string resolution_text(const ResolvedImage& resolved, ResolveDetail detail) {
  std::string out;
  const auto say_built_on = [&] {
    if (!resolved.built_on) return;
    out +=
        "the job runs in its own image, built on this one from the spec's \"build\" section "
        "(`dlrun build --print` shows how)\n";
  };
  if (resolved.explicit_image) {
    out += resolved.image + ": given explicitly in the spec\n";
    say_built_on();
    return out;
  }
  out += resolved.image + ": " + resolved.reason + "\n";
  if (resolved.pull_from) out += "pulled from " + *resolved.pull_from + " (registry mirror)\n";
  say_built_on();
  if (detail != ResolveDetail::explain) return out;
  out += "\ncandidates, best first:\n";
  SourceNotes sources;
  for (const auto& candidate : resolved.candidates) {
    out += std::string("  ") + (candidate.fits ? "fits " : "no   ") + candidate.image +
           (candidate.on_engine ? " (on the engine)" : "") + "\n";
    for (const auto& rejection : candidate.rejections)
      out += "         " + explained(rejection, sources) + "\n";
    for (const auto& note : candidate.notes) out += "         (" + note + ")\n";
  }
  return out + sources.text();
}

std::string resolution_json(const ResolvedImage& resolved) {
  ordered_json out = {
      {"image", resolved.image}, {"reason", resolved.reason}, {"built_on", resolved.built_on}};
  if (!resolved.explicit_image) {
    out["pull_from"] = resolved.pull_from ? ordered_json(*resolved.pull_from) : nullptr;
    out["candidates"] = ordered_json::array();
    for (const auto& candidate : resolved.candidates) {
      out["candidates"].push_back({{"image", candidate.image},
                                   {"fits", candidate.fits},
                                   {"on_engine", candidate.on_engine},
                                   {"rejections", rejections_json(candidate.rejections)},
                                   {"notes", candidate.notes}});
    }
  }
  return json_text(out) + "\n";
}

std::string image_table(const ImageList& list) {
  std::string out = host_line(list.host);
  if (list.rows.empty()) return out + "no image in the catalog matches\n";
  std::vector<std::vector<std::string>> cells = {{"FRAMEWORK", "VERSION", "CUDA", "PYTHON",
                                                  "VARIANT", "SOURCE", "FITS", "LOCAL", "IMAGE",
                                                  "WHY NOT"}};
  for (const auto& row : list.rows) {
    const auto& image = row.image;
    cells.push_back({image.framework, image.version.to_string(), image.cuda.to_string(),
                     image.python ? image.python->to_string() : "-", variant_name(image.variant),
                     source_kind_name(image.source_kind), row.rejections.empty() ? "yes" : "no",
                     row.on_engine ? (*row.on_engine ? "yes" : "no") : "-", image.reference,
                     rule_list(row.rejections)});
  }
  std::vector<std::size_t> widths(cells.front().size(), 0);
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  for (const auto& line : cells) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size()) text += std::string(widths[i] - line[i].size() + 2, ' ');
    }
    text.erase(text.find_last_not_of(' ') + 1);
    out += text + "\n";
  }
  return out;
}

std::string image_list_json(const ImageList& list) {
  ordered_json gpus = ordered_json::array();
  for (const auto& gpu : list.host.gpus) {
    if (gpu.compute_capability) gpus.push_back(arch_name(*gpu.compute_capability));
  }
  ordered_json host = {
      {"driver", list.host.driver ? ordered_json(list.host.driver->to_string()) : nullptr},
      {"origin", text_or_null(list.host.origin)},
      {"unknown_because", text_or_null(list.host.unknown_because)},
      {"gpus", gpus}};
  ordered_json images = ordered_json::array();
  for (const auto& row : list.rows) {
    const auto& image = row.image;
    images.push_back({{"image", image.reference},
                      {"framework", image.framework},
                      {"version", image.version.to_string()},
                      {"cuda", image.cuda.to_string()},
                      {"python", image.python ? ordered_json(image.python->to_string()) : nullptr},
                      {"variant", variant_name(image.variant)},
                      {"source_kind", source_kind_name(image.source_kind)},
                      {"fits", row.rejections.empty()},
                      {"on_engine", row.on_engine ? ordered_json(*row.on_engine) : nullptr},
                      {"rejections", rejections_json(row.rejections)},
                      {"notes", row.notes},
                      {"inferred", image.inferred},
                      {"source", image.source}});
  }
  const ordered_json out{{"host", host}, {"engine_asked", list.engine_asked}, {"images", images}};
  return json_text(out) + "\n";
}

}  // namespace dlrun::run
