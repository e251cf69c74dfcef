#include <boost/test/unit_test.hpp>

#include "fhir/codec.h"
#include "support/test_support.h"

using onedoor::fhir::readJson;
using onedoor::testing::model;

namespace {

const onedoor::core::Issue& firstError(const onedoor::fhir::ReadResult& r) {
  BOOST_REQUIRE(!r.issues.empty());
  return r.issues.front();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(JsonReader)

BOOST_AUTO_TEST_CASE(reads_primitive_extensions_aligned_with_nulls) {
  auto r = readJson(model(), R"({"resourceType":"Patient",
    "name":[{"given":["Ann",null,"Bo"],"_given":[null,{"extension":[{"url":"http://x","valueString":"a"}]},null]}],
    "birthDate":"1970-01-01","_birthDate":{"id":"b1"}})");
  BOOST_REQUIRE(r.ok());
  const auto* name = r.resource.child("name");
  auto given = name->childrenNamed("given");
  BOOST_REQUIRE_EQUAL(given.size(), 3u);
  BOOST_CHECK_EQUAL(given[0]->value, "Ann");
  BOOST_CHECK(!given[1]->has_value);
  BOOST_CHECK_EQUAL(given[1]->child("extension")->child("url")->value, "http://x");
  BOOST_CHECK_EQUAL(r.resource.child("birthDate")->child("id")->value, "b1");
}

BOOST_AUTO_TEST_CASE(keeps_the_lexical_form_of_decimals) {
  auto r = readJson(model(), R"({"resourceType":"Observation","status":"final",
    "code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"g"}})");
  BOOST_REQUIRE(r.ok());
  const auto* q = r.resource.child("value");
  BOOST_REQUIRE(q != nullptr);
  BOOST_CHECK_EQUAL(q->type->name, "Quantity");
  BOOST_CHECK_EQUAL(q->child("value")->value, "1.50");
  BOOST_CHECK(onedoor::fhir::writeJson(r.resource).find("\"value\":1.50") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_duplicate_keys_naming_the_key) {
  auto r = readJson(model(), R"({"resourceType":"Patient","active":true,"active":false})");
  BOOST_CHECK(!r.ok());
  BOOST_CHECK(firstError(r).message.find("duplicate JSON property 'active'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_unknown_elements_with_path_and_position) {
  auto r = readJson(model(), "{\"resourceType\":\"Patient\",\n \"name\":[{\"family\":\"X\",\"nickname\":\"Y\"}]}");
  BOOST_CHECK(!r.ok());
  const auto& i = firstError(r);
  BOOST_CHECK_EQUAL(i.expression, "Patient.name[0]");
  BOOST_CHECK(i.message.find("unknown element 'nickname'") != std::string::npos);
  BOOST_CHECK_EQUAL(i.line, 2u);
  BOOST_CHECK(i.column > 1u);
}

BOOST_AUTO_TEST_CASE(rejects_wrong_json_types) {
  auto r = readJson(model(), R"({"resourceType":"Patient","active":"true","birthDate":19700101})");
  BOOST_CHECK(!r.ok());
  BOOST_REQUIRE_EQUAL(r.issues.size(), 2u);
  BOOST_CHECK_EQUAL(r.issues[0].expression, "Patient.active");
  BOOST_CHECK_EQUAL(r.issues[1].expression, "Patient.birthDate");
  BOOST_CHECK_EQUAL(r.issues[1].code, "value");
}

BOOST_AUTO_TEST_CASE(rejects_arrays_where_an_element_does_not_repeat_and_the_reverse) {
  auto one = readJson(model(), R"({"resourceType":"Patient","gender":["male"]})");
  BOOST_CHECK(!one.ok());
  BOOST_CHECK(firstError(one).message.find("must not be an array") != std::string::npos);
  auto many = readJson(model(), R"({"resourceType":"Patient","name":{"family":"X"}})");
  BOOST_CHECK(!many.ok());
  BOOST_CHECK(firstError(many).message.find("must be a JSON array") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_nesting_deeper_than_the_limit) {
  std::string deep = R"({"resourceType":"Patient","extension":)";
  for (int i = 0; i < 300; ++i) deep += R"([{"url":"x","extension":)";
  deep += "[]";
  for (int i = 0; i < 300; ++i) deep += "}]";
  deep += "}";
  auto r = readJson(model(), deep);
  BOOST_CHECK(!r.ok());
  BOOST_CHECK(firstError(r).message.find("nesting is deeper than the limit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_invalid_utf8_and_control_characters) {
  auto bad = readJson(model(), "{\"resourceType\":\"Patient\",\"id\":\"a\xC3\x28\"}");
  BOOST_CHECK(!bad.ok());
  BOOST_CHECK(firstError(bad).message.find("malformed JSON") != std::string::npos);
  auto ctrl = readJson(model(), R"({"resourceType":"Patient","name":[{"family":"a\u0001b"}]})");
  BOOST_CHECK(!ctrl.ok());
  BOOST_CHECK_EQUAL(firstError(ctrl).expression, "Patient.name[0].family");
}

BOOST_AUTO_TEST_CASE(rejects_unknown_or_missing_resource_type) {
  BOOST_CHECK(!readJson(model(), R"({"resourceType":"Patientt"})").ok());
  BOOST_CHECK(!readJson(model(), R"({"id":"x"})").ok());
  BOOST_CHECK(!readJson(model(), R"({"resourceType":"DomainResource"})").ok());
  BOOST_CHECK(!readJson(model(), R"([1,2])").ok());
}

BOOST_AUTO_TEST_CASE(rejects_empty_objects_and_arrays) {
  BOOST_CHECK(!readJson(model(), R"({"resourceType":"Patient","name":[]})").ok());
  BOOST_CHECK(!readJson(model(), R"({"resourceType":"Patient","maritalStatus":{}})").ok());
}

BOOST_AUTO_TEST_CASE(rejects_two_values_for_one_choice_element) {
  auto r = readJson(model(), R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "valueString":"a","valueBoolean":true})");
  BOOST_CHECK(!r.ok());
  BOOST_CHECK(firstError(r).message.find("value[x]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_a_narrative_that_is_not_xhtml) {
  auto r = readJson(model(), R"({"resourceType":"Patient","text":{"status":"generated","div":"<p>hi</p>"}})");
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_EQUAL(firstError(r).expression, "Patient.text.div");
  auto ok = readJson(model(), R"({"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>hi</p></div>"}})");
  BOOST_CHECK(ok.ok());
}

BOOST_AUTO_TEST_CASE(reads_contained_resources_and_bundle_entries_with_their_own_types) {
  auto r = readJson(model(), R"({"resourceType":"Bundle","type":"collection","entry":[
    {"resource":{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o"}],
     "managingOrganization":{"reference":"#o"}}}]})");
  BOOST_REQUIRE(r.ok());
  const auto* patient = r.resource.child("entry")->child("resource");
  BOOST_CHECK_EQUAL(patient->type->name, "Patient");
  BOOST_CHECK_EQUAL(patient->child("contained")->type->name, "Organization");
}

BOOST_AUTO_TEST_CASE(reports_syntax_errors_with_line_and_column) {
  auto r = readJson(model(), "{\"resourceType\":\"Patient\",\n\"active\": tru }");
  BOOST_CHECK(!r.ok());
  const auto& i = firstError(r);
  BOOST_CHECK_EQUAL(i.line, 2u);
  BOOST_CHECK(i.column >= 11u);
  BOOST_CHECK(i.message.find("malformed JSON") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
