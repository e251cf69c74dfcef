// onedoor map --map FILE --input FILE [--format fhir|hl7v2|csv|json|xml] [--to json|xml|csv|hl7v2|fml] [--pretty]
#include <Poco/SHA1Engine.h>
#include <Poco/UUIDGenerator.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <iostream>

#include "app/cli_options.h"
#include "app/command.h"
#include "app/gateway.h"
#include "fhir/codec.h"
#include "fml/engine.h"
#include "fml/parser.h"
#include "formats/any_format.h"

namespace onedoor::app {
namespace {

// UUIDs made from the input and a counter (version 5): the same input maps to the same output,
// so that a re-sent message gives the same resources and golden files are stable.
fml::TransformOptions reproducible(const std::string& input) {
  fml::TransformOptions o;
  auto counter = std::make_shared<int>(0);
  std::string seed = input;
  o.uuid = [counter, seed] {
    Poco::SHA1Engine sha;
    return Poco::UUIDGenerator::defaultGenerator()
        .createFromName(Poco::UUID::oid(), seed + "#" + std::to_string(++*counter), sha, Poco::UUID::UUID_NAME_BASED_SHA1)
        .toString();
  };
  return o;
}

// The input's format from its file name (.csv, .hl7), else "" (guessed from the content).
std::string formatOf(const std::string& file) {
  std::string ext = std::filesystem::path(file).extension().string();
  // Non-FHIR JSON and XML inputs of golden cases are named <case>.data.json, <case>.data.xml.
  if (file.size() > 10 && file.substr(file.size() - 10) == ".data.json") return "json";
  if (file.size() > 9 && file.substr(file.size() - 9) == ".data.xml") return "xml";
  return ext == ".csv" ? "csv" : ext == ".hl7" ? "hl7v2" : "";
}

std::string unixLines(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

// One golden case: the map's output for `input` compared with `expected` (FHIR JSON, or the text
// of a non-FHIR result in the format the file's extension names). "" when they agree.
std::string checkCase(const fml::CompiledMap& map, const fhir::Model& model, const std::filesystem::path& input_file,
                      const std::filesystem::path& expected) {
  std::string input, want;
  if (!readInput(input_file.string(), input)) return "cannot read " + input_file.string();
  if (!readInput(expected.string(), want)) return "cannot read " + expected.string();
  auto source = formats::readAny(model, input, formatOf(input_file.string()));
  if (!source.isOk()) return source.status().message();
  auto out = map.transform(*source, reproducible(input));
  if (!out.isOk()) return out.status().message();
  std::string ext = expected.extension().string().substr(1);
  if (out->type == nullptr) {
    auto wo = formats::writeOptionsOf(map.map().metadata);
    wo.segment_end = "\n";
    auto got = formats::writeAny(*out, ext == "hl7" ? "hl7v2" : ext, wo);
    if (!got.isOk()) return got.status().message();
    if (unixLines(*got) == unixLines(want)) return "";
    return "output differs from " + expected.filename().string() + ":\n" + *got;
  }
  auto expected_node = fhir::read(model, fhir::Format::kJson, want);
  if (ext != "json" || !expected_node.ok()) {
    return expected.filename().string() + " is not valid FHIR JSON" +
           (expected_node.ok() ? "" : ": " + expected_node.issues.front().message);
  }
  if (fhir::writeJson(*out) == fhir::writeJson(expected_node.resource)) return "";
  return "output differs from " + expected.filename().string() + ":\n  got  " + fhir::writeJson(*out);
}

// onedoor map test DIR: every <name>.map with cases in tests/<name>/ (<case>.<ext> and
// <case>.expected.json; non-FHIR JSON and XML inputs are <case>.data.json|xml) must give exactly the
// expected output (<case>.expected.csv|json|xml|hl7 for a map whose target is not FHIR).
int testMaps(const std::string& dir, const fhir::ModelPtr& model) {
  namespace fs = std::filesystem;
  int passed = 0, failed = 0;
  std::vector<fs::path> maps;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".map") maps.push_back(e.path());
  }
  std::sort(maps.begin(), maps.end());
  for (const auto& map_file : maps) {
    auto compiled = loadMapFile(map_file.string(), model);
    fs::path cases = map_file.parent_path() / "tests" / map_file.stem();
    if (!compiled.isOk()) {
      std::cout << "FAIL " << map_file.string() << ": " << compiled.status().message() << "\n";
      ++failed;
      continue;
    }
    if (!fs::is_directory(cases)) {
      std::cout << "FAIL " << map_file.string() << ": no golden cases in " << cases.string() << "\n";
      ++failed;
      continue;
    }
    std::vector<fs::path> inputs;
    for (const auto& e : fs::directory_iterator(cases)) {
      std::string name = e.path().filename().string();
      if (name.find(".expected.") == std::string::npos) inputs.push_back(e.path());
    }
    std::sort(inputs.begin(), inputs.end());
    for (const auto& in : inputs) {
      std::string name = in.stem().string();  // two-referrals, or case.data for case.data.json
      if (name.size() > 5 && name.substr(name.size() - 5) == ".data") name.resize(name.size() - 5);
      fs::path expected;
      for (const char* ext : {".expected.json", ".expected.csv", ".expected.xml", ".expected.hl7"}) {
        if (expected.empty() && fs::exists(in.parent_path() / (name + ext))) expected = in.parent_path() / (name + ext);
      }
      std::string why = expected.empty() ? "no " + name + ".expected.json (or .csv, .xml, .hl7)"
                                         : checkCase(**compiled, *model, in, expected);
      bool ok = why.empty();
      std::cout << (ok ? "PASS " : "FAIL ") << in.string() << (ok ? "" : ": " + why) << "\n";
      ok ? ++passed : ++failed;
    }
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace

int mapCommand(const std::vector<std::string>& args) {
  CliOptions opts("map", "--map FILE --input FILE|- [--format fhir|hl7v2|csv|json|xml] [--to json|xml|csv|hl7v2|fml] [--pretty]  |  test DIR",
                  "Runs a FHIR Mapping Language map on an input (a FHIR resource in JSON or XML, an HL7 v2 "
                  "message or a CSV file: see docs/mapping.md for how their fields are named) and prints the FHIR result. "
                  "Mistakes in the map are reported with file:line:col; failures while running name the map, "
                  "group and rule. Exits 1 on any error.");
  opts.value("map", "the map: FML text, or a StructureMap resource (.json)", "FILE");
  opts.value("input", "the input (- for standard input)", "FILE");
  opts.value("format", "the input's format: fhir, hl7v2, csv, json or xml (the last two: not FHIR) (default: from the file name, else its first bytes)",
             "FORMAT");
  opts.value("to", "the output format: json (default) or xml for FHIR; for a map whose target is not FHIR csv, json, xml "
             "or hl7v2 (default: the one its target structure's URL names, as https://onedoor.dev/csv/...); fml prints "
             "the map itself as FML text (no --input)", "FORMAT");
  opts.flag("pretty", "indent FHIR output; end HL7 v2 segments with LF instead of CR, for reading on a terminal");
  if (!opts.parse(args)) return opts.exitCode();
  if (!opts.positional().empty()) {
    if (opts.positional().size() != 2 || opts.positional()[0] != "test") {
      std::cerr << "onedoor map: 'onedoor map test DIR' runs the golden cases of the maps in DIR\n";
      return 2;
    }
    auto defs = loadDefinitions(config::GatewayConfig{});
    if (!defs.isOk()) {
      std::cerr << "onedoor map: " << defs.status().message() << "\n";
      return 1;
    }
    return testMaps(opts.positional()[1], *defs);
  }
  fhir::ModelPtr model;
  fml::CompiledMapPtr compiled;
  // The definitions and the map, or a message on stderr.
  auto load = [&]() -> bool {
    auto defs = loadDefinitions(config::GatewayConfig{});
    if (!defs.isOk()) {
      std::cerr << "onedoor map: " << defs.status().message() << "\n";
      return false;
    }
    model = *defs;
    auto m = loadMapFile(opts.get("map"), model);
    if (!m.isOk()) {
      std::cerr << m.status().message() << "\n";
      return false;
    }
    compiled = *m;
    return true;
  };
  if (opts.get("to") == "fml" && opts.has("map")) {
    // The map as FML text: a StructureMap resource made readable, or an FML file normalised.
    if (!load()) return 1;
    std::cout << fml::toFml(compiled->map());
    return 0;
  }
  if (!opts.has("map") || !opts.has("input")) {
    std::cerr << "onedoor map: give --map FILE and --input FILE (or: onedoor map test DIR)\n";
    return 2;
  }
  std::string input;
  if (!readInput(opts.get("input"), input)) {
    std::cerr << "onedoor map: cannot read " << opts.get("input") << "\n";
    return 1;
  }
  if (!load()) return 1;
  auto source = formats::readAny(*model, input, opts.get("format", formatOf(opts.get("input"))));
  if (!source.isOk()) {
    std::cerr << opts.get("input") << ": " << source.status().message() << "\n";
    return 1;
  }
  auto result = compiled->transform(*source, reproducible(input));
  if (!result.isOk()) {
    std::cerr << result.status().message() << "\n";
    return 1;
  }
  if (result->type == nullptr) {
    std::string to = opts.get("to", fml::targetFormat(compiled->map()));
    if (to.empty()) {
      std::cerr << "onedoor map: the map's target is not FHIR: say how to write it with --to csv|json|xml|hl7v2\n";
      return 1;
    }
    auto wo = formats::writeOptionsOf(compiled->map().metadata);
    wo.segment_end = opts.has("pretty") ? "\n" : "\r";
    auto text = formats::writeAny(*result, to, wo);
    if (!text.isOk()) {
      std::cerr << "onedoor map: " << text.status().message() << "\n";
      return 1;
    }
    std::cout << *text;
    return 0;
  }
  std::string to = opts.get("to", "json");
  if (to != "json" && to != "xml") {
    std::cerr << "onedoor map: the result is FHIR: write it with --to json or --to xml\n";
    return 1;
  }
  fhir::WriteOptions wo;
  wo.pretty = opts.has("pretty");
  std::cout << (to == "xml" ? fhir::writeXml(*result, wo) : fhir::writeJson(*result, wo)) << "\n";
  return 0;
}

}  // namespace onedoor::app
