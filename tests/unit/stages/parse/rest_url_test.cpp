#include <boost/test/unit_test.hpp>

#include "stages/parse/rest_url.h"
#include "support/test_support.h"

using namespace onedoor;
using core::Interaction;
using stages::parse::interpret;

namespace {

core::FhirRequest ok(const std::string& method, const std::string& path, bool query = false) {
  core::FhirRequest r;
  auto st = interpret(testing::model(), method, path, query, r);
  BOOST_REQUIRE_MESSAGE(st.isOk(), method + " " + path + ": " + st.toString());
  return r;
}

core::Code fails(const std::string& method, const std::string& path) {
  core::FhirRequest r;
  auto st = interpret(testing::model(), method, path, false, r);
  BOOST_CHECK_MESSAGE(!st.isOk(), method + " " + path + " should fail");
  return st.code();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(RestUrl)

BOOST_AUTO_TEST_CASE(maps_every_interaction) {
  BOOST_CHECK(ok("GET", "/metadata").interaction == Interaction::kCapabilities);
  BOOST_CHECK(ok("GET", "/Patient/1").interaction == Interaction::kRead);
  auto v = ok("GET", "/Patient/1/_history/2");
  BOOST_CHECK(v.interaction == Interaction::kVread);
  BOOST_CHECK_EQUAL(v.vid, "2");
  BOOST_CHECK(ok("PUT", "/Patient/1").interaction == Interaction::kUpdate);
  BOOST_CHECK(ok("DELETE", "/Patient/1").interaction == Interaction::kDelete);
  BOOST_CHECK(ok("POST", "/Patient").interaction == Interaction::kCreate);
  BOOST_CHECK(ok("GET", "/Patient").interaction == Interaction::kSearchType);
  BOOST_CHECK(ok("POST", "/Patient/_search").interaction == Interaction::kSearchType);
  BOOST_CHECK(ok("GET", "/Patient/_history").interaction == Interaction::kHistoryType);
  BOOST_CHECK(ok("GET", "/Patient/1/_history").interaction == Interaction::kHistoryInstance);
  BOOST_CHECK(ok("GET", "/_history").interaction == Interaction::kHistorySystem);
  BOOST_CHECK(ok("POST", "").interaction == Interaction::kBatch);
  BOOST_CHECK(ok("POST", "/").interaction == Interaction::kBatch);
  auto c = ok("GET", "/Patient/1/Observation");
  BOOST_CHECK(c.interaction == Interaction::kSearchCompartment);
  BOOST_CHECK_EQUAL(c.compartment_type, "Observation");
  auto op = ok("POST", "/Patient/1/$validate");
  BOOST_CHECK(op.interaction == Interaction::kOperation);
  BOOST_CHECK_EQUAL(op.operation, "validate");
  BOOST_CHECK(ok("PUT", "/Patient", true).conditional);
}

BOOST_AUTO_TEST_CASE(rejects_bad_ids_and_traversal) {
  BOOST_CHECK(fails("GET", "/Patient/..") == core::Code::kInvalid);
  BOOST_CHECK(fails("GET", "/Patient/../x") == core::Code::kInvalid);
  BOOST_CHECK(fails("GET", "/Patient/" + std::string(65, 'a')) == core::Code::kInvalid);
  BOOST_CHECK(fails("GET", "/Patient/a%27%20OR%201=1") == core::Code::kInvalid);
  BOOST_CHECK(fails("GET", "/Patient/a%00b") == core::Code::kInvalid);
  BOOST_CHECK(fails("GET", "/Patient/a%zz") == core::Code::kInvalid);
  BOOST_CHECK(fails("GET", "/Patient//1") == core::Code::kInvalid);
}

BOOST_AUTO_TEST_CASE(unknown_types_are_404_and_wrong_methods_405) {
  BOOST_CHECK(fails("GET", "/Patientt/1") == core::Code::kNotFound);
  BOOST_CHECK(fails("POST", "/Patient/1") == core::Code::kNotAllowed);
  BOOST_CHECK(fails("DELETE", "/metadata") == core::Code::kNotAllowed);
  BOOST_CHECK(fails("PUT", "/Patient") == core::Code::kInvalid);
}

BOOST_AUTO_TEST_SUITE_END()
