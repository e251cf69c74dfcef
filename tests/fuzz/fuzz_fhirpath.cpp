// libFuzzer target: the FHIRPath parser and evaluator on a fixed Patient.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fhir/codec.h"
#include "fhirpath/expression.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const onedoor::fhir::Node patient = onedoor::fhir::readJson(onedoor::fuzz::model(),
      R"({"resourceType":"Patient","name":[{"family":"F","given":["A","B"]}],"birthDate":"1980-01-01",
          "telecom":[{"system":"phone","value":"1"}],"contained":[{"resourceType":"Organization","id":"o"}]})").resource;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size > 4096) return 0;
  auto e = onedoor::fhirpath::Expression::compile(text);
  if (e.isOk()) {
    onedoor::fhirpath::Environment env;
    (void)e->evaluate(patient, env);
  }
  return 0;
}
