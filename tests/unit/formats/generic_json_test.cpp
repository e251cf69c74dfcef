// Generic (non-FHIR) JSON read into the element tree: keys as names, arrays as repeated
// children, scalars as leaves, null absent, awkward keys made identifiers, errors with position.
#include <boost/test/unit_test.hpp>

#include "support/test_support.h"
#include "formats/generic_json.h"

using namespace onedoor;

using testing::evalJson;

BOOST_AUTO_TEST_SUITE(GenericJson)

BOOST_AUTO_TEST_CASE(objects_arrays_and_scalars_become_the_tree) {
  auto tree = formats::readGenericJson(R"({"personId": "LAS-1", "age": 52, "active": true, "none": null,
    "address": {"post code": "LS1 1AA"}, "needs": [{"code": "NUT"}, {"code": "REL"}], "tags": ["a", "b"],
    "2nd": "x"})");
  BOOST_REQUIRE(tree.isOk());
  BOOST_CHECK_EQUAL(evalJson(*tree, "personId"), R"(["LAS-1"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "age"), R"(["52"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "active"), R"(["true"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "none.exists()"), "[false]");
  BOOST_CHECK_EQUAL(evalJson(*tree, "address.post_code"), R"(["LS1 1AA"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "needs.code"), R"(["NUT","REL"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "tags"), R"(["a","b"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "_2nd"), R"(["x"])");
}

BOOST_AUTO_TEST_CASE(bad_json_is_refused_with_its_position) {
  auto bad = formats::readGenericJson("{\n  \"a\": [1, 2,\n}");
  BOOST_REQUIRE(!bad.isOk());
  BOOST_CHECK(bad.status().message().find("line 3") != std::string::npos);
  std::string deep(300, '[');
  deep += std::string(300, ']');
  auto too_deep = formats::readGenericJson("{\"a\": " + deep + "}");
  BOOST_REQUIRE(!too_deep.isOk());
  BOOST_CHECK(too_deep.status().message().find("nested deeper") != std::string::npos);
  BOOST_CHECK(!formats::readGenericJson("{\"a\": \"\xff\"}").isOk());  // invalid UTF-8
}

BOOST_AUTO_TEST_CASE(a_tree_is_written_as_json_with_the_layout_the_map_asks_for) {
  auto tree = formats::readGenericJson(R"({"id": "0123", "needs": [{"code": "NUT", "eligible": true}],
    "tags": ["a", "b"], "quote": "say \"hi\"", "address": {"town": "Leeds"}})");
  BOOST_REQUIRE(tree.isOk());
  // Without a layout: one need is a single object, every value a string.
  BOOST_CHECK_EQUAL(formats::writeGenericJson(*tree),
                    "{\n  \"id\": \"0123\",\n  \"needs\": {\n    \"code\": \"NUT\",\n    \"eligible\": \"true\"\n  },\n"
                    "  \"tags\": [\n    \"a\",\n    \"b\"\n  ],\n  \"quote\": \"say \\\"hi\\\"\",\n"
                    "  \"address\": {\n    \"town\": \"Leeds\"\n  }\n}\n");
  // With one: needs is an array and eligible a boolean; id stays a string.
  formats::JsonLayout layout{{"needs"}, {"needs.eligible", "id"}};
  std::string out = formats::writeGenericJson(*tree, layout);
  BOOST_CHECK(out.find("\"needs\": [\n    {") != std::string::npos);
  BOOST_CHECK(out.find("\"eligible\": true") != std::string::npos);
  BOOST_CHECK(out.find("\"id\": 123") == std::string::npos);  // 0123 is not a JSON number
  // What is written reads back as the same tree.
  auto again = formats::readGenericJson(out);
  BOOST_REQUIRE(again.isOk());
  BOOST_CHECK_EQUAL(evalJson(*again, "descendants()"), evalJson(*tree, "descendants()"));
}

BOOST_AUTO_TEST_SUITE_END()
