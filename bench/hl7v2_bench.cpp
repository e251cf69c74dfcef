// onedoor_bench hl7v2 MAP MAPPED_INPUT FILE...: HL7 v2 messages per second parsed (every input),
// and MAPPED_INPUT parsed + mapped through MAP to FHIR + serialised as JSON (one thread, so per
// core). JSON lines for bench/run.sh. ONEDOOR_BENCH_MAP_ONLY=N runs N mapped messages only.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "app/gateway.h"
#include "bench/bench_support.h"
#include "fhir/codec.h"
#include "fml/engine.h"
#include "fml/parser.h"
#include "hl7v2/message.h"

using namespace onedoor;

using onedoor::bench::median;
using onedoor::bench::samples;
using onedoor::bench::slurp;

namespace {

// Calls per second (median of the samples).
template <typename F>
double rate(F&& f) {
  return 1.0 / median(samples(std::forward<F>(f)));
}

}  // namespace

int hl7v2Bench(const std::vector<std::string>& args) {
  auto model = app::loadDefinitions(config::GatewayConfig{});
  if (!model.isOk()) {
    std::cerr << model.status().message() << "\n";
    return 1;
  }
  auto parsed = fml::parseMap(slurp(args.at(0)), args.at(0));
  if (!parsed.isOk()) {
    std::cerr << parsed.status().message() << "\n";
    return 1;
  }
  auto map = fml::CompiledMap::compile(std::move(parsed).value(), *model);
  if (!map.isOk()) {
    std::cerr << map.status().message() << "\n";
    return 1;
  }
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string text = slurp(args[i]);
    std::string name = args[i].substr(args[i].rfind('/') + 1);
    const char* map_only = std::getenv("ONEDOOR_BENCH_MAP_ONLY");
    if (map_only == nullptr) {
      double parse = rate([&] {
        auto m = hl7v2::parse(text);
        if (!m.isOk()) std::abort();
      });
      std::cout << R"({"bench":"hl7v2_parse","input":")" << name << R"(","bytes":)" << text.size()
                << R"(,"messages_s":)" << parse << "}\n";
    }
    if (i != 1) continue;
    int counter = 0;
    fml::TransformOptions options;
    options.uuid = [&counter] { return "00000000-0000-4000-8000-" + std::to_string(100000000000 + ++counter); };
    auto once = [&] {
      auto m = hl7v2::parse(text);
      auto out = (*map)->transform(hl7v2::toTree(*m), options);
      if (!out.isOk()) {
        std::cerr << out.status().message() << "\n";
        std::abort();
      }
      if (fhir::writeJson(*out).empty()) std::abort();
    };
    // ONEDOOR_BENCH_MAP_ONLY=N: N mapped messages and nothing else, for a profiler or
    // `perf stat -e instructions` (steadier than a clock on a shared machine).
    if (map_only != nullptr) {
      for (long k = std::atol(map_only); k > 0; --k) once();
      return 0;
    }
    double mapped = rate(once);
    std::cout << R"({"bench":"hl7v2_map","input":")" << name << R"(","bytes":)" << text.size()
              << R"(,"messages_s":)" << mapped << "}\n";
  }
  return 0;
}
