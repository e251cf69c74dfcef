// libFuzzer target: the FHIR JSON reader, and the writers on whatever it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fhir/codec.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = onedoor::fhir::readJson(onedoor::fuzz::model(), text);
  if (r.ok()) {
    std::string xml = onedoor::fhir::writeXml(r.resource);
    auto back = onedoor::fhir::readXml(onedoor::fuzz::model(), xml);
    if (!back.ok()) __builtin_trap();  // what we write we must read
    (void)onedoor::fhir::writeJson(r.resource);
  }
  return 0;
}
