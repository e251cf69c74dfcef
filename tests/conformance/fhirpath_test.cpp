// The official FHIRPath R4 test suite (../shared/conformance/fhirpath/r4/tests-fhir-r4.xml), every
// case sorted into pass / expected-fail / unexpected-pass / fail against
// conformance/fhirpath/expected_failures.txt.
#include <libxml/tree.h>

#include <boost/test/unit_test.hpp>
#include <iostream>
#include <map>

#include "conformance/harness.h"
#include "fhir/codec.h"
#include "fhir/xml_parser.h"
#include "fhirpath/expression.h"
#include "fhirpath/operators.h"
#include "support/test_support.h"

using namespace onedoor;
using fhirpath::Value;

namespace {

std::string attr(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  std::string s = v != nullptr ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return s;
}

std::string text(const xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  std::string s = v != nullptr ? reinterpret_cast<const char*>(v) : "";
  xmlFree(v);
  return s;
}

std::string display(const Value& v) {
  auto s = v.system();
  if (!s) return "<" + v.type().name + ">";
  std::string d = s->toDisplayString().value_or("");
  if (s->kind() == Value::Kind::kDate || s->kind() == Value::Kind::kDateTime) return "@" + d;
  if (s->kind() == Value::Kind::kTime) return "@T" + d;
  return d;
}

struct Expected {
  std::string type;
  std::string text;
};

bool matches(const Value& v, const Expected& e) {
  auto s = v.system();
  if (e.type.empty()) return display(v) == e.text;
  if (!s) return false;
  if (e.type == "boolean") return s->kind() == Value::Kind::kBoolean && (s->asBoolean() ? "true" : "false") == e.text;
  if (e.type == "integer") return s->kind() == Value::Kind::kInteger && std::to_string(s->asInteger()) == e.text;
  if (e.type == "decimal") {
    auto d = fhirpath::Decimal::parse(e.text);
    return d && (s->kind() == Value::Kind::kDecimal || s->kind() == Value::Kind::kInteger) &&
           fhirpath::itemsEqual(*s, Value::decimal(*d)).value_or(false);
  }
  if (e.type == "string" || e.type == "code" || e.type == "id" || e.type == "uri") {
    return s->kind() == Value::Kind::kString && s->asString() == e.text;
  }
  if (e.type == "date" || e.type == "dateTime" || e.type == "time") return display(*s) == e.text;
  if (e.type == "Quantity") return s->kind() == Value::Kind::kQuantity && display(*s) == e.text;
  return display(*s) == e.text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(fhirpath_r4_suite) {
  auto dir = testing::sharedDir("fhirpath/r4");
  if (!dir) {
    BOOST_TEST_MESSAGE("skipped: ../shared/conformance/fhirpath/r4 is absent");
    return;
  }
  auto doc = fhir::parseXmlDocument(testing::readFile(*dir / "tests-fhir-r4.xml"));
  BOOST_REQUIRE(doc.isOk());
  std::map<std::string, fhir::Node> inputs;
  testing::Harness harness("fhirpath");
  std::map<std::string, int> seen;
  std::size_t total = 0;
  for (const xmlNode* g = xmlDocGetRootElement(doc->get())->children; g != nullptr; g = g->next) {
    if (g->type != XML_ELEMENT_NODE) continue;
    for (const xmlNode* t = g->children; t != nullptr; t = t->next) {
      if (t->type != XML_ELEMENT_NODE || std::string_view(reinterpret_cast<const char*>(t->name)) != "test") continue;
      ++total;
      std::string name = attr(t, "name");
      if (name.empty()) name = attr(g, "name") + "-unnamed";
      if (seen[name]++ > 0) name += "#" + std::to_string(seen[name]);
      std::string input_file = attr(t, "inputfile");
      std::string expression, invalid, expr_mode;
      std::vector<Expected> expected;
      for (const xmlNode* c = t->children; c != nullptr; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) continue;
        std::string_view tag = reinterpret_cast<const char*>(c->name);
        if (tag == "expression") {
          expression = text(c);
          invalid = attr(c, "invalid");
          expr_mode = attr(c, "mode");
        } else if (tag == "output") {
          expected.push_back({attr(c, "type"), text(c)});
        }
      }
      const fhir::Node* input = nullptr;
      if (!input_file.empty()) {
        auto it = inputs.find(input_file);
        if (it == inputs.end()) {
          std::string body = testing::readFile(*dir / "input" / input_file);
          auto r = fhir::read(testing::model(), fhir::sniffFormat(body), body);
          if (!r.ok()) {
            harness.record(name, false, "input " + input_file + " does not parse: " + r.issues.front().message);
            continue;
          }
          it = inputs.emplace(input_file, std::move(r.resource)).first;
        }
        input = &it->second;
      }
      fhirpath::CompileOptions opts;
      opts.model = &testing::model();
      opts.strict = attr(t, "mode") == "strict" || expr_mode == "strict";
      if (input != nullptr) opts.input_type = input->type->name;
      auto compiled = fhirpath::Expression::compile(expression, opts);
      fhirpath::Environment env;
      env.model = &testing::model();
      if (!invalid.empty()) {
        bool failed = !compiled.isOk();
        if (!failed) {
          auto r = input != nullptr ? compiled->evaluate(*input, env) : compiled->evaluate(fhirpath::Collection{}, env);
          failed = !r.isOk();
        }
        if (invalid == "syntax") failed = !compiled.isOk();
        harness.record(name, failed, "expected a " + invalid + " error: " + expression);
        continue;
      }
      if (!compiled.isOk()) {
        harness.record(name, false, "does not compile: " + compiled.status().message() + " | " + expression);
        continue;
      }
      auto r = input != nullptr ? compiled->evaluate(*input, env) : compiled->evaluate(fhirpath::Collection{}, env);
      if (!r.isOk()) {
        harness.record(name, false, "evaluation failed: " + r.status().message() + " | " + expression);
        continue;
      }
      fhirpath::Collection got = *r;
      if (attr(t, "predicate") == "true") got = {Value::boolean(!got.empty())};
      bool ok = got.size() == expected.size();
      if (ok && attr(t, "ordered") == "false") {
        std::vector<bool> used(got.size(), false);
        for (const auto& e : expected) {
          bool hit = false;
          for (std::size_t i = 0; i < got.size() && !hit; ++i) {
            if (!used[i] && matches(got[i], e)) used[i] = hit = true;
          }
          ok = ok && hit;
        }
      } else if (ok) {
        for (std::size_t i = 0; i < got.size(); ++i) ok = ok && matches(got[i], expected[i]);
      }
      std::string detail;
      if (!ok) {
        detail = expression + " | got [";
        for (std::size_t i = 0; i < got.size(); ++i) detail += (i ? ", " : "") + display(got[i]);
        detail += "] expected [";
        for (std::size_t i = 0; i < expected.size(); ++i) detail += (i ? ", " : "") + expected[i].text;
        detail += "]";
      }
      harness.record(name, ok, detail);
    }
  }
  double rate = 100.0 * static_cast<double>(harness.passed()) / static_cast<double>(harness.total());
  std::cout << "[fhirpath] pass rate " << rate << "% of " << total << " cases\n";
  BOOST_CHECK(harness.report());
  BOOST_CHECK_GE(rate, 97.0);
}
