#include <boost/test/unit_test.hpp>

#include "fhir/codec.h"
#include "fhir/compare.h"
#include "support/test_support.h"

using namespace onedoor::fhir;
using onedoor::testing::model;
using onedoor::testing::parse;

BOOST_AUTO_TEST_SUITE(Writers)

BOOST_AUTO_TEST_CASE(json_aligns_primitive_extensions_with_nulls) {
  Node p = parse(R"(<Patient xmlns="http://hl7.org/fhir"><name><given value="A"/><given><extension url="u"><valueBoolean value="true"/></extension></given></name></Patient>)");
  BOOST_CHECK_EQUAL(writeJson(p),
                    R"({"resourceType":"Patient","name":[{"given":["A",null],"_given":[null,{"extension":[{"url":"u","valueBoolean":true}]}]}]})");
}

BOOST_AUTO_TEST_CASE(xml_puts_ids_and_urls_in_attributes_and_elements_in_definition_order) {
  Node p = parse(R"({"resourceType":"Patient","gender":"male","extension":[{"url":"u","valueString":"v"}],"id":"x",
    "name":[{"id":"n1","family":"F"}]})");
  BOOST_CHECK_EQUAL(writeXml(p),
                    R"(<?xml version="1.0" encoding="UTF-8"?><Patient xmlns="http://hl7.org/fhir"><id value="x"/><extension url="u"><valueString value="v"/></extension><name id="n1"><family value="F"/></name><gender value="male"/></Patient>)");
}

BOOST_AUTO_TEST_CASE(xml_keeps_line_breaks_in_attribute_values) {
  Node p = parse(R"({"resourceType":"Patient","name":[{"text":"a\nb\tc \"q\" <&>"}]})");
  std::string xml = writeXml(p);
  BOOST_CHECK(xml.find("a&#xA;b&#x9;c &quot;q&quot; &lt;&amp;&gt;") != std::string::npos);
  auto back = readXml(model(), xml);
  BOOST_REQUIRE(back.ok());
  BOOST_CHECK(canonicalEqual(p, back.resource));
}

BOOST_AUTO_TEST_CASE(decimals_are_written_as_read) {
  Node o = parse(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":0.0010}})");
  BOOST_CHECK(writeJson(o).find("\"value\":0.0010") != std::string::npos);
  BOOST_CHECK(writeXml(o).find("value=\"0.0010\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_value_that_is_not_a_json_number_is_written_as_a_string) {
  Node o = parse(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueInteger":3})");
  o.child("value")->value = "3 apples";
  BOOST_CHECK(writeJson(o).find("\"valueInteger\":\"3 apples\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(canonical_equality_treats_equal_decimals_at_equal_precision_as_equal) {
  Node a = parse(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.0}})");
  Node b = parse(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.0e0}})");
  Node c = parse(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.00}})");
  BOOST_CHECK(canonicalEqual(a, b));
  std::string diff;
  BOOST_CHECK(!canonicalEqual(a, c, &diff));
  BOOST_CHECK(diff.find("value") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
