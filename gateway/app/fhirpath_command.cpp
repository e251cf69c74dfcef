// onedoor fhirpath [--input FILE|-] [--var name=JSON]... [--expressions FILE] [EXPRESSION]
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli_options.h"
#include "app/command.h"
#include "fhir/codec.h"
#include "fhir/json_tree.h"
#include "fhir/model_builder.h"
#include "fhir/definitions.h"
#include "fhir/terminology.h"
#include "fhirpath/expression.h"
#include "fhirpath/terminology_binding.h"

namespace onedoor::app {
namespace {

bool readAll(const std::string& file, std::string& out) {
  if (file == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    out = ss.str();
    return true;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// A --var value: JSON scalars become System values, objects with resourceType resources,
// arrays several items.
core::Result<fhirpath::Collection> varValue(const fhir::Model& model, const std::string& json,
                                            std::deque<fhir::Node>& keep) {
  GW_ASSIGN_OR_RETURN(fhir::JsonTree tree, fhir::JsonTree::parse(json));
  fhirpath::Collection out;
  std::vector<const fhir::JsonTree::Item*> items;
  if (tree.root().kind == fhir::JsonTree::Kind::kArray) {
    items = tree.children(tree.root());
  } else {
    items.push_back(&tree.root());
  }
  for (const auto* it : items) {
    using K = fhir::JsonTree::Kind;
    switch (it->kind) {
      case K::kTrue:
      case K::kFalse: out.push_back(fhirpath::Value::boolean(it->kind == K::kTrue)); break;
      case K::kString: out.push_back(fhirpath::Value::string(std::string(it->text))); break;
      case K::kNumber: {
        auto d = fhirpath::Decimal::parse(it->text);
        if (!d) return core::invalid("bad number in --var");
        bool integer = it->text.find_first_of(".eE") == std::string_view::npos;
        if (integer && d->toInt64()) {
          out.push_back(fhirpath::Value::integer(*d->toInt64()));
        } else {
          out.push_back(fhirpath::Value::decimal(*d));
        }
        break;
      }
      case K::kObject: {
        return core::invalid("--var objects must be FHIR resources; put a resource in a file and use --var name=@FILE");
      }
      default: break;
    }
  }
  (void)model;
  (void)keep;
  return out;
}

}  // namespace

int fhirpathCommand(const std::vector<std::string>& args) {
  CliOptions opts("fhirpath", "[--input FILE|-] [--var name=JSON]... (EXPRESSION | --expressions FILE)",
                  "Evaluates FHIRPath against a FHIR resource (JSON or XML) and prints the result as a "
                  "JSON array. With --expressions, evaluates each line of FILE and prints one JSON line "
                  "per expression (the result, or {\"error\": ...}). A syntax error exits 2.");
  opts.value("input", "the resource to evaluate against (- for standard input)", "FILE");
  opts.value("var", "a variable for %name: a JSON value, or @FILE for a resource", "name=JSON", false, true);
  opts.value("expressions", "a file with one expression per line", "FILE");
  opts.value("package-cache", "FHIR package cache (default ~/.fhir/packages)", "DIR");
  if (!opts.parse(args)) return opts.exitCode();
  if (opts.positional().size() > 1 || (opts.positional().empty() == !opts.has("expressions"))) {
    std::cerr << "onedoor fhirpath: give one EXPRESSION or --expressions FILE\n";
    return 2;
  }
  fhir::PackageCache packages(opts.get("package-cache"));
  auto model = fhir::loadModel(packages, fhir::kR4Core, fhir::defaultCacheDir());
  if (!model.isOk()) {
    std::cerr << "onedoor fhirpath: " << model.status().message() << "\n";
    return 1;
  }
  std::deque<fhir::Node> keep;
  const fhir::Node* input = nullptr;
  if (opts.has("input")) {
    std::string text;
    if (!readAll(opts.get("input"), text)) {
      std::cerr << "onedoor fhirpath: cannot read " << opts.get("input") << "\n";
      return 1;
    }
    auto r = fhir::read(**model, fhir::sniffFormat(text), text);
    if (!r.ok()) {
      const auto& i = r.issues.front();
      std::cerr << "onedoor fhirpath: the input is not a valid FHIR resource: " << i.message
                << (i.expression.empty() ? "" : " at " + i.expression) << "\n";
      return 1;
    }
    input = &keep.emplace_back(std::move(r.resource));
  }
  fhirpath::Environment env;
  env.model = model->get();
  // memberOf() against the ValueSets of the core package (the index is cached after first use).
  if (auto dir = packages.locate(fhir::kR4Core); dir.isOk()) {
    auto defs = fhir::DefinitionIndex::load(*model, {*dir}, fhir::defaultCacheDir());
    if (defs.isOk()) env.member_of = fhirpath::membership(std::make_shared<fhir::Terminology>(*defs));
  }
  for (const auto& v : opts.all("var")) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "onedoor fhirpath: --var takes name=JSON\n";
      return 2;
    }
    std::string name = v.substr(0, eq), json = v.substr(eq + 1);
    if (!json.empty() && json[0] == '@') {
      std::string text;
      if (!readAll(json.substr(1), text)) {
        std::cerr << "onedoor fhirpath: cannot read " << json.substr(1) << "\n";
        return 1;
      }
      auto r = fhir::read(**model, fhir::sniffFormat(text), text);
      if (!r.ok()) {
        std::cerr << "onedoor fhirpath: --var " << name << ": not a valid FHIR resource\n";
        return 1;
      }
      env.variables[name] = {fhirpath::Value(&keep.emplace_back(std::move(r.resource)))};
      continue;
    }
    auto value = varValue(**model, json, keep);
    if (!value.isOk()) {
      std::cerr << "onedoor fhirpath: --var " << name << ": " << value.status().message() << "\n";
      return 2;
    }
    env.variables[name] = *value;
  }
  fhirpath::CompileOptions copts;
  copts.model = model->get();
  if (input != nullptr) copts.input_type = input->type->name;

  if (!opts.has("expressions")) {
    auto e = fhirpath::Expression::compile(opts.positional().front(), copts);
    if (!e.isOk()) {
      std::cerr << "onedoor fhirpath: " << e.status().message() << "\n";
      return 2;
    }
    auto r = input != nullptr ? e->evaluate(*input, env) : e->evaluate(fhirpath::Collection{}, env);
    if (!r.isOk()) {
      std::cerr << "onedoor fhirpath: " << r.status().message() << "\n";
      return 1;
    }
    std::cout << fhirpath::toJson(*r) << "\n";
    return 0;
  }

  std::string lines;
  if (!readAll(opts.get("expressions"), lines)) {
    std::cerr << "onedoor fhirpath: cannot read " << opts.get("expressions") << "\n";
    return 1;
  }
  std::istringstream in(lines);
  std::string line;
  int worst = 0;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto e = fhirpath::Expression::compile(line, copts);
    std::string error;
    fhirpath::Collection result;
    if (!e.isOk()) {
      error = e.status().message();
    } else {
      auto r = input != nullptr ? e->evaluate(*input, env) : e->evaluate(fhirpath::Collection{}, env);
      if (r.isOk()) {
        result = *r;
      } else {
        error = r.status().message();
      }
    }
    if (error.empty()) {
      std::cout << fhirpath::toJson(result) << "\n";
    } else {
      std::string quoted = fhirpath::toJson({fhirpath::Value::string(error)});
      std::cout << "{\"error\":" << quoted.substr(1, quoted.size() - 2) << "}\n";
      worst = 1;
    }
  }
  return worst;
}

}  // namespace onedoor::app
