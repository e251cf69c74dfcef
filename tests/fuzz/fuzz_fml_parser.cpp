// libFuzzer target: the FHIR Mapping Language reader, and the StructureMap writer on whatever
// it accepts (must be valid JSON).
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fml/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = onedoor::fml::parseMap(text, "fuzz.map");
  if (!m.isOk()) return 0;
  rapidjson::Document d;
  d.Parse(onedoor::fml::toStructureMapJson(*m).c_str());
  if (d.HasParseError()) __builtin_trap();
  return 0;
}
