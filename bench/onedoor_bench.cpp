// OneDoor micro-benchmarks, printed as JSON lines for bench/run.sh:
//   onedoor_bench codec FILE...      JSON parse+serialise, JSON->XML, XML->JSON (MB/s)
//   onedoor_bench fhirpath PATIENT BUNDLE EXPRESSIONS   evaluations per second per expression
//   onedoor_bench search N           search latency over N generated resources, indexing cost
//   onedoor_bench validate PROFILES FILE...   validations per second (base + meta.profile)
//   onedoor_bench hl7v2 MAP FILE...  HL7 v2 parse, and parse + map + serialise, per second (hl7v2_bench.cpp)
//   onedoor_bench messaging POLICY ADT_MAP A01 SECONDS   durable acknowledgements/s, delivery latency (messaging_bench.cpp)
//   onedoor_bench identity N         Patient/$match latency over N patients, upserts/s (identity_bench.cpp)
#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "app/gateway.h"
#include "bench/bench_support.h"
#include "fhir/codec.h"
#include "fhir/model_builder.h"
#include "fhirpath/expression.h"
#include "search/indexer.h"
#include "stages/route/rest_engine.h"
#include "storage/sql_store.h"

using namespace onedoor;
using namespace onedoor::bench;

namespace {

fhir::ModelPtr loadModel() {
  fhir::PackageCache packages;
  auto m = fhir::loadModel(packages, fhir::kR4Core, fhir::defaultCacheDir());
  if (!m.isOk()) {
    std::cerr << m.status().message() << "\n";
    std::exit(1);
  }
  return *m;
}

int codec(const std::vector<std::string>& files) {
  auto model = loadModel();
  for (const auto& f : files) {
    std::string json = slurp(f + ".json");
    std::string xml = slurp(f + ".xml");
    double jmb = static_cast<double>(json.size()) / 1e6;
    double xmb = static_cast<double>(xml.size()) / 1e6;
    auto report = [&](const char* name, double mb, const std::vector<double>& s) {
      std::cout << "{\"bench\":\"" << name << "\",\"input\":\"" << std::filesystem::path(f).filename().string()
                << "\",\"mb_s\":" << mb / median(s) << "}\n";
    };
    report("json_roundtrip", jmb, samples([&] {
             auto r = fhir::readJson(*model, json);
             auto out = fhir::writeJson(r.resource);
             if (out.empty()) std::abort();
           }));
    report("json_to_xml", jmb, samples([&] {
             auto r = fhir::readJson(*model, json);
             auto out = fhir::writeXml(r.resource);
             if (out.empty()) std::abort();
           }));
    report("xml_to_json", xmb, samples([&] {
             auto r = fhir::readXml(*model, xml);
             auto out = fhir::writeJson(r.resource);
             if (out.empty()) std::abort();
           }));
  }
  return 0;
}

int fhirpathBench(const std::string& patient_file, const std::string& bundle_file, const std::string& exprs_file) {
  auto model = loadModel();
  fhir::Node patient = fhir::readJson(*model, slurp(patient_file)).resource;
  fhir::Node bundle = fhir::readJson(*model, slurp(bundle_file)).resource;
  std::ifstream in(exprs_file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    std::string target = line.substr(0, tab), expr = line.substr(tab + 1);
    const fhir::Node& input = target == "bundle" ? bundle : patient;
    auto e = fhirpath::Expression::compile(expr);
    if (!e.isOk()) {
      std::cerr << expr << ": " << e.status().message() << "\n";
      return 1;
    }
    auto s = samples([&] {
      fhirpath::Environment env;
      auto r = e->evaluate(input, env);
      if (!r.isOk()) std::abort();
    });
    std::string quoted = fhirpath::toJson({fhirpath::Value::string(expr)});
    quoted = quoted.substr(1, quoted.size() - 2);  // the JSON string without the array brackets
    std::cout << "{\"bench\":\"fhirpath\",\"target\":\"" << target << "\",\"expression\":" << quoted
              << ",\"evals_s\":" << 1.0 / median(s) << "}\n";
  }
  return 0;
}

int searchBench(int n) {
  auto model = loadModel();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("onedoor-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto store_r = storage::openSqliteStore((dir / "bench.db").string(), {});
  if (!store_r.isOk()) return 1;
  std::shared_ptr<storage::Store> store = std::move(store_r).value();
  fhir::PackageCache packages;
  auto reg = search::SearchParamRegistry::load(*model, {*packages.locate(fhir::kR4Core)});
  auto indexer = std::make_shared<const search::Indexer>(model, *reg);
  stages::route::RestConfig cfg;
  cfg.base_url = "http://localhost/fhir";
  stages::route::RestEngine engine(model, store, core::Env::real(), indexer, cfg);

  static const char* kFamilies[] = {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright"};
  static const char* kGiven[] = {"Ann", "Bob", "Cara", "Dev", "Eve", "Finn", "Gita", "Hal", "Ida", "Jon"};
  std::vector<double> index_cost;
  auto start_all = Clock::now();
  int patients = n / 4;
  for (int batch = 0; batch < n; batch += 500) {
    std::vector<fhir::Node> nodes;
    for (int i = batch; i < std::min(n, batch + 500); ++i) {
      std::string json;
      if (i < patients) {
        json = R"({"resourceType":"Patient","id":"p)" + std::to_string(i) + R"(","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":")" +
               std::to_string(9000000000LL + i) + R"("}],"name":[{"family":")" + kFamilies[i % 10] + R"(","given":[")" + kGiven[(i / 10) % 10] +
               R"("]}],"gender":")" + (i % 2 ? "male" : "female") + R"(","birthDate":")" + std::to_string(1930 + i % 80) + "-0" + std::to_string(1 + i % 9) + R"(-15"})";
      } else {
        int p = i % patients;
        json = R"({"resourceType":"Observation","status":")" + std::string(i % 10 ? "final" : "preliminary") +
               R"(","code":{"coding":[{"system":"http://loinc.org","code":")" + (i % 3 ? "29463-7" : "8867-4") +
               R"("}]},"subject":{"reference":"Patient/p)" + std::to_string(p) + R"("},"effectiveDateTime":"2026-0)" +
               std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10) + R"(T10:00:00Z","valueQuantity":{"value":)" +
               std::to_string(40 + i % 80) + R"(,"system":"http://unitsofmeasure.org","code":"kg"}})";
      }
      nodes.push_back(fhir::readJson(*model, json).resource);
    }
    auto t0 = Clock::now();
    std::vector<std::vector<search::IndexRow>> rows;
    for (const auto& node : nodes) rows.push_back(indexer->rows(node));
    auto t1 = Clock::now();
    index_cost.push_back(std::chrono::duration<double>(t1 - t0).count() / static_cast<double>(nodes.size()));
    core::Status st = store->write([&](storage::WriteTx& tx) -> core::Status {
      for (auto& node : nodes) {
        std::string id(node.childValue("id"));
        auto r = id.empty() ? engine.create(tx, std::move(node), "") : engine.update(tx, std::move(node), id, std::nullopt);
        if (!r.isOk()) return r.status();
      }
      return core::Status::ok();
    });
    if (!st.isOk()) {
      std::cerr << st.toString() << "\n";
      return 1;
    }
  }
  double load_s = std::chrono::duration<double>(Clock::now() - start_all).count();
  std::cout << "{\"bench\":\"search_load\",\"resources\":" << n << ",\"seconds\":" << load_s
            << ",\"index_us_per_resource\":" << median(index_cost) * 1e6
            << ",\"write_us_per_resource\":" << load_s / n * 1e6 << "}\n";
  const std::vector<std::pair<std::string, std::string>> queries = {
      {"Patient", "identifier=https://fhir.nhs.uk/Id/nhs-number|9000001234"},
      {"Patient", "family=smith&given=ann"},
      {"Patient", "birthdate=ge1980-01-01&birthdate=lt1990-01-01&gender=female"},
      {"Patient", "name=wil&_sort=-birthdate&_count=20"},
      {"Observation", "subject=Patient/p1234"},
      {"Observation", "patient=p77&code=http://loinc.org|29463-7&_sort=-date"},
      {"Observation", "code=http://loinc.org|8867-4&date=2026-03&_count=10"},
      {"Observation", "value-quantity=gt100|http://unitsofmeasure.org|kg&_count=10"},
      {"Observation", "subject:Patient.name=patel&status=preliminary&_count=10"},
      {"Patient", "_has:Observation:subject:status=preliminary&family=jones&_count=10"},
  };
  core::Env& env = *core::Env::real();
  (void)env;
  for (const auto& [type, q] : queries) {
    auto params = stages::route::splitQuery(q);
    auto parsed = engine.parseSearch(type, *params, false);
    if (!parsed.isOk()) {
      std::cerr << q << ": " << parsed.status().message() << "\n";
      return 1;
    }
    std::vector<double> times;
    std::size_t matches = 0;
    for (int i = 0; i < 60; ++i) {
      auto t0 = Clock::now();
      auto page = store->search(*parsed);
      times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!page.isOk()) return 1;
      matches = page->total ? static_cast<std::size_t>(*page->total) : page->matches.size();
    }
    std::cout << "{\"bench\":\"search\",\"query\":\"" << type << "?" << q << "\",\"total\":" << matches
              << ",\"median_ms\":" << median(times) << ",\"p99_ms\":" << percentile(times, 0.99) << "}\n";
  }
  store.reset();
  if (std::getenv("ONEDOOR_BENCH_KEEP") != nullptr) {
    std::cerr << "kept " << (dir / "bench.db").string() << "\n";
  } else {
    std::filesystem::remove_all(dir);
  }
  return 0;
}

// Validations per second of each file, with the ICS profiles in `profile_dir` loaded and
// compiled first (as at gateway start-up); each file is parsed once.
int validateBench(const std::string& profile_dir, const std::vector<std::string>& files) {
  config::GatewayConfig cfg;
  config::Diagnostics diags;
  auto model = app::loadDefinitions(cfg);
  if (!model.isOk()) return 1;
  auto profiles = app::loadProfiles(cfg, *model, {profile_dir}, diags);
  if (!profiles.isOk() || diags.hasErrors()) {
    std::cerr << diags.toString();
    return 1;
  }
  stages::validate::Validator validator(*profiles);
  for (const auto& f : files) {
    std::string text = slurp(f);
    auto r = fhir::read(**model, fhir::sniffFormat(text), text);
    if (!r.ok()) return 1;
    std::size_t errors = 0;
    validator.validate(r.resource);  // first use compiles the core structures it needs
    auto s = samples([&] { errors = validator.validate(r.resource).size(); });
    std::cout << "{\"bench\":\"validate\",\"input\":\"" << std::filesystem::path(f).filename().string()
              << "\",\"issues\":" << errors << ",\"validations_s\":" << 1.0 / median(s) << "}\n";
  }
  return 0;
}

}  // namespace

int hl7v2Bench(const std::vector<std::string>& args);
int messagingBench(const std::vector<std::string>& args);
int identityBench(int n);

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "usage: onedoor_bench codec FILESTEM... | fhirpath PATIENT BUNDLE EXPRS | search N | validate PROFILES FILE...\n";
    return 2;
  }
  if (args[0] == "codec") return codec({args.begin() + 1, args.end()});
  if (args[0] == "fhirpath" && args.size() == 4) return fhirpathBench(args[1], args[2], args[3]);
  if (args[0] == "search" && args.size() == 2) return searchBench(std::stoi(args[1]));
  if (args[0] == "validate" && args.size() >= 3) return validateBench(args[1], {args.begin() + 2, args.end()});
  if (args[0] == "hl7v2" && args.size() >= 3) return hl7v2Bench({args.begin() + 1, args.end()});
  if (args[0] == "messaging" && args.size() == 5) return messagingBench({args.begin() + 1, args.end()});
  if (args[0] == "identity" && args.size() == 2) return identityBench(std::stoi(args[1]));
  std::cerr << "unknown benchmark\n";
  return 2;
}
