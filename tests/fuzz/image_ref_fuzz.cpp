// An image reference as a spec, a flag or the catalog writes it: the spec's check, the parse the
// engine calls, and what is made of a parsed one (names for the pull API and for messages, a
// mirror). A parsed reference written out in full must parse back to itself.
#include <cstdio>

#include "dlrun/engine/image_ref.hpp"
#include "dlrun/jobspec/fields.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dlrun;
  const std::string_view text = fuzz::as_text(data, size);
  (void)jobspec::check_image_reference(text);
  const auto ref = engine::parse_image_ref(text);
  if (!ref) return 0;
  (void)ref->name();
  (void)ref->familiar();
  const auto again = engine::parse_image_ref(ref->full());
  if (!again || *again != *ref) {
    std::fprintf(stderr, "\"%s\" does not parse back to itself\n", ref->full().c_str());
    std::abort();
  }
  static const engine::RegistryMirrors mirrors{{"docker.io", "mirror.example:5000"},
                                               {"nvcr.io", "127.0.0.1:5000"}};
  (void)engine::apply_mirror(*ref, mirrors).full();
  return 0;
}
