// onedoor convert --to json|xml FILE|-
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli_options.h"
#include "app/command.h"
#include "fhir/codec.h"
#include "fhir/model_builder.h"
#include "fhir/operation_outcome.h"

namespace onedoor::app {

int convertCommand(const std::vector<std::string>& args) {
  CliOptions opts("convert", "--to json|xml [--pretty] FILE|-",
                  "Reads a FHIR resource (JSON or XML, detected) from FILE or standard input and "
                  "prints it in the other format. Problems are printed as an OperationOutcome on "
                  "standard error, with a non-zero exit.");
  opts.value("to", "output format: json or xml", "FORMAT", true);
  opts.flag("pretty", "indent the output");
  opts.value("package-cache", "FHIR package cache (default ~/.fhir/packages)", "DIR");
  if (!opts.parse(args)) return opts.exitCode();
  std::string to = opts.get("to");
  if (to != "json" && to != "xml") {
    std::cerr << "onedoor convert: --to must be json or xml\n";
    return 2;
  }
  if (opts.positional().size() != 1) {
    std::cerr << "onedoor convert: give one FILE, or - for standard input\n";
    return 2;
  }
  std::string input;
  const std::string& file = opts.positional().front();
  if (file == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    input = ss.str();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::cerr << "onedoor convert: cannot read " << file << "\n";
      return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    input = ss.str();
  }
  fhir::PackageCache packages(opts.get("package-cache"));
  auto model = fhir::loadModel(packages, fhir::kR4Core, fhir::defaultCacheDir());
  if (!model.isOk()) {
    std::cerr << "onedoor convert: " << model.status().message() << "\n";
    return 1;
  }
  fhir::ReadResult r = fhir::read(**model, fhir::sniffFormat(input), input);
  fhir::WriteOptions wo;
  wo.pretty = opts.has("pretty");
  if (!r.ok()) {
    std::cerr << fhir::writeJson(fhir::operationOutcome(**model, r.issues), {true}) << "\n";
    return 1;
  }
  std::string out = fhir::write(r.resource, to == "xml" ? fhir::Format::kXml : fhir::Format::kJson, wo);
  std::cout << out;
  if (out.empty() || out.back() != '\n') std::cout << '\n';
  return 0;
}

}  // namespace onedoor::app
