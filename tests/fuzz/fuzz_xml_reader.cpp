// libFuzzer target: the FHIR XML reader (hardened libxml2), and the writers on what it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fhir/codec.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = onedoor::fhir::readXml(onedoor::fuzz::model(), text);
  if (r.ok()) {
    std::string json = onedoor::fhir::writeJson(r.resource);
    auto back = onedoor::fhir::readJson(onedoor::fuzz::model(), json);
    if (!back.ok()) __builtin_trap();
    (void)onedoor::fhir::writeXml(r.resource);
  }
  return 0;
}
