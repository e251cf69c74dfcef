#include <boost/test/unit_test.hpp>
#include <thread>

#include "fhirpath/expression.h"
#include "support/test_support.h"

using namespace onedoor;
using fhirpath::Expression;

namespace {

fhir::Node patient() {
  return testing::parse(R"({"resourceType":"Patient","id":"p1",
    "contained":[{"resourceType":"Organization","id":"org1","name":"Leeds GP"}],
    "identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],
    "name":[{"use":"official","family":"Smith","given":["Ann","Marie"]},{"use":"usual","given":["Annie"]}],
    "birthDate":"1980-02-29","managingOrganization":{"reference":"#org1"}})");
}

std::string eval(const std::string& expr, const fhir::Node& input, fhirpath::Environment* env_in = nullptr) {
  auto e = Expression::compile(expr, {&testing::model(), input.type->name, false});
  BOOST_REQUIRE_MESSAGE(e.isOk(), expr + ": " + e.status().message());
  fhirpath::Environment local;
  fhirpath::Environment& env = env_in != nullptr ? *env_in : local;
  env.model = &testing::model();
  auto r = e->evaluate(input, env);
  BOOST_REQUIRE_MESSAGE(r.isOk(), expr + ": " + r.status().message());
  return fhirpath::toJson(*r);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ExpressionTest)

BOOST_AUTO_TEST_CASE(navigates_filters_and_projects) {
  fhir::Node p = patient();
  BOOST_CHECK_EQUAL(eval("Patient.name.where(use = 'official').given", p), R"(["Ann","Marie"])");
  BOOST_CHECK_EQUAL(eval("name.given.count()", p), "[3]");
  BOOST_CHECK_EQUAL(eval("identifier.where(system = 'https://fhir.nhs.uk/Id/nhs-number').value", p), R"(["9434765919"])");
  BOOST_CHECK_EQUAL(eval("birthDate + 1 year", p), R"(["1981-02-28"])");
  BOOST_CHECK_EQUAL(eval("name.first().given.join(' ')", p), R"(["Ann Marie"])");
}

BOOST_AUTO_TEST_CASE(decimals_are_exact) {
  fhir::Node p = patient();
  BOOST_CHECK_EQUAL(eval("0.1 + 0.2", p), "[0.3]");
  BOOST_CHECK_EQUAL(eval("0.1 + 0.2 = 0.3", p), "[true]");
  BOOST_CHECK_EQUAL(eval("1.50 * 2", p), "[3.00]");
  BOOST_CHECK_EQUAL(eval("10 / 4", p), "[2.5]");
}

BOOST_AUTO_TEST_CASE(quantities_convert_between_ucum_units) {
  fhir::Node p = patient();
  BOOST_CHECK_EQUAL(eval("1 'g' = 1000 'mg'", p), "[true]");
  BOOST_CHECK_EQUAL(eval("5 'mmol/L' > 4900 'umol/L'", p), "[true]");
  BOOST_CHECK_EQUAL(eval("1 'h' = 60 'min'", p), "[true]");
  BOOST_CHECK_EQUAL(eval("1 'cm' = 1 's'", p), "[]");
}

BOOST_AUTO_TEST_CASE(resolves_contained_references_and_bundle_entries) {
  fhir::Node p = patient();
  BOOST_CHECK_EQUAL(eval("managingOrganization.resolve().name", p), R"(["Leeds GP"])");
  fhir::Node b = testing::parse(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"http://x/fhir/Patient/a","resource":{"resourceType":"Patient","id":"a","gender":"female"}},
    {"fullUrl":"http://x/fhir/Observation/o","resource":{"resourceType":"Observation","id":"o","status":"final",
      "code":{"text":"t"},"subject":{"reference":"Patient/a"}}}]})");
  fhirpath::Environment env;
  env.root_resource = &b;
  BOOST_CHECK_EQUAL(eval("entry.resource.ofType(Observation).subject.resolve().gender", b, &env), R"(["female"])");
}

BOOST_AUTO_TEST_CASE(resolves_through_the_store_callback) {
  fhir::Node o = testing::parse(R"({"resourceType":"Observation","status":"final","code":{"text":"t"},"subject":{"reference":"Patient/zz"}})");
  fhirpath::Environment env;
  int calls = 0;
  env.resolver = [&](std::string_view ref) -> std::optional<fhir::Node> {
    ++calls;
    if (ref != "Patient/zz") return std::nullopt;
    return testing::parse(R"({"resourceType":"Patient","id":"zz","gender":"male"})");
  };
  BOOST_CHECK_EQUAL(eval("subject.resolve().gender", o, &env), R"(["male"])");
  BOOST_CHECK_EQUAL(calls, 1);
}

BOOST_AUTO_TEST_CASE(syntax_errors_carry_line_and_column) {
  auto e = Expression::compile("name.where(\n  use = 'x'\n  and )");
  BOOST_REQUIRE(!e.isOk());
  BOOST_CHECK_EQUAL(e.status().expression(), "3:7");
  BOOST_CHECK(e.status().message().find("3:7:") == 0);
  auto u = Expression::compile("name.frobnicate()");
  BOOST_REQUIRE(!u.isOk());
  BOOST_CHECK(u.status().message().find("unknown function 'frobnicate'") != std::string::npos);
  auto a = Expression::compile("substring()");
  BOOST_CHECK(!a.isOk());
}

BOOST_AUTO_TEST_CASE(type_errors_are_found_at_compile_time_when_the_input_type_is_known) {
  auto e = Expression::compile("Patient.name.famly", {&testing::model(), "Patient", false});
  BOOST_REQUIRE(!e.isOk());
  BOOST_CHECK(e.status().message().find("'famly' is not an element of HumanName") != std::string::npos);
  BOOST_CHECK(Expression::compile("Patient.name.famly").isOk());  // no type known: checked at run time
  // Choice elements: by stem always, by typed name outside strict mode.
  BOOST_CHECK(Expression::compile("Observation.valueQuantity.unit", {&testing::model(), "Observation", false}).isOk());
  BOOST_CHECK(!Expression::compile("Observation.valueQuantity.unit", {&testing::model(), "Observation", true}).isOk());
  BOOST_CHECK(Expression::compile("Observation.value.ofType(Quantity).unit", {&testing::model(), "Observation", true}).isOk());
}

BOOST_AUTO_TEST_CASE(one_compiled_expression_serves_many_threads) {
  auto e = Expression::compile("name.where(use = 'official').given.count() + identifier.count()");
  BOOST_REQUIRE(e.isOk());
  fhir::Node p = patient();
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        fhirpath::Environment env;
        auto r = e->evaluate(p, env);
        if (!r.isOk() || fhirpath::toJson(*r) != "[3]") ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_CHECK_EQUAL(wrong.load(), 0);
}

BOOST_AUTO_TEST_CASE(variables_and_trace) {
  fhir::Node p = patient();
  fhirpath::Environment env;
  env.variables["family"] = {fhirpath::Value::string("Smith")};
  std::vector<std::string> traced;
  env.trace = [&](const std::string& name, const fhirpath::Collection& v) {
    traced.push_back(name + "=" + std::to_string(v.size()));
  };
  BOOST_CHECK_EQUAL(eval("name.where(family = %family).trace('hit').use", p, &env), R"(["official"])");
  BOOST_REQUIRE_EQUAL(traced.size(), 1u);
  BOOST_CHECK_EQUAL(traced[0], "hit=1");
  auto bad = Expression::compile("%nope");
  BOOST_REQUIRE(bad.isOk());
  fhirpath::Environment empty;
  BOOST_CHECK(!bad->evaluate(p, empty).isOk());
}

BOOST_AUTO_TEST_CASE(deep_recursion_is_bounded) {
  std::string deep = "1";
  for (int i = 0; i < 400; ++i) deep = "(" + deep + ").abs()";
  auto e = Expression::compile(deep);
  if (e.isOk()) {
    fhirpath::Environment env;
    auto r = e->evaluate(fhirpath::Collection{}, env);
    BOOST_CHECK(!r.isOk());
  }
}

BOOST_AUTO_TEST_SUITE_END()

#include "fhir/definitions.h"
#include "fhir/model_builder.h"
#include "fhir/terminology.h"
#include "fhirpath/terminology_binding.h"

BOOST_AUTO_TEST_SUITE(MemberOf)

BOOST_AUTO_TEST_CASE(codes_are_checked_against_value_sets_of_the_core_package) {
  fhir::PackageCache packages;
  auto defs = fhir::DefinitionIndex::load(testing::modelPtr(), {*packages.locate(fhir::kR4Core)}, fhir::defaultCacheDir());
  BOOST_REQUIRE(defs.isOk());
  auto terminology = std::make_shared<fhir::Terminology>(*defs);
  fhirpath::Environment env;
  env.member_of = fhirpath::membership(terminology);
  fhir::Node p = testing::parse(R"({"resourceType":"Patient","gender":"female",
    "maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus","code":"M"}]},
    "communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"en-GB"}]}}]})");
  BOOST_CHECK_EQUAL(eval("gender.memberOf('http://hl7.org/fhir/ValueSet/administrative-gender')", p, &env), "[true]");
  BOOST_CHECK_EQUAL(eval("'none'.memberOf('http://hl7.org/fhir/ValueSet/administrative-gender')", p, &env), "[false]");
  BOOST_CHECK_EQUAL(eval("maritalStatus.memberOf('http://hl7.org/fhir/ValueSet/marital-status')", p, &env), "[true]");
  // The languages value set enumerates its codes, so membership is known without BCP-47 itself.
  BOOST_CHECK_EQUAL(eval("communication.language.memberOf('http://hl7.org/fhir/ValueSet/languages')", p, &env), "[true]");
  // A value set over all of SNOMED CT cannot be decided here: empty, not a guess.
  fhir::Node c = testing::parse(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "code":{"coding":[{"system":"http://snomed.info/sct","code":"35489007"}]}})");
  BOOST_CHECK_EQUAL(eval("code.memberOf('http://hl7.org/fhir/ValueSet/condition-code')", c, &env), "[]");
  // is-a filters over a hierarchical CodeSystem.
  BOOST_CHECK(terminology->contains("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "EMER").value_or(false));
  BOOST_CHECK(!terminology->contains("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "PSY").value_or(true));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(FuzzRegressions)

BOOST_AUTO_TEST_CASE(decoding_hex_with_non_hex_characters_is_empty_not_a_crash) {
  auto e = fhirpath::Expression::compile(std::string("'7465\0\0'.decode('hex')", 22));
  BOOST_REQUIRE(e.isOk());
  fhirpath::Environment env;
  auto r = e->evaluate(fhirpath::Collection{}, env);
  BOOST_REQUIRE(r.isOk());
  BOOST_CHECK(r->empty());
}

BOOST_AUTO_TEST_SUITE_END()
