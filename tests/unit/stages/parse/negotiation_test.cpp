#include <boost/test/unit_test.hpp>

#include "stages/parse/negotiation.h"

using namespace onedoor;
using stages::parse::requestFormat;
using stages::parse::responseFormat;

BOOST_AUTO_TEST_SUITE(Negotiation)

BOOST_AUTO_TEST_CASE(format_parameter_wins_over_accept) {
  auto f = responseFormat(std::string("xml"), std::string("application/fhir+json"));
  BOOST_REQUIRE(f.isOk());
  BOOST_CHECK(*f == fhir::Format::kXml);
}

BOOST_AUTO_TEST_CASE(accept_is_weighed_by_q) {
  auto f = responseFormat(std::nullopt, std::string("application/fhir+json;q=0.5, application/fhir+xml;q=0.9"));
  BOOST_CHECK(*f == fhir::Format::kXml);
  BOOST_CHECK(*responseFormat(std::nullopt, std::string("*/*")) == fhir::Format::kJson);
  BOOST_CHECK(*responseFormat(std::nullopt, std::nullopt) == fhir::Format::kJson);
}

BOOST_AUTO_TEST_CASE(unacceptable_types_and_versions_are_406) {
  BOOST_CHECK(responseFormat(std::nullopt, std::string("text/html")).status().code() == core::Code::kNotAcceptable);
  BOOST_CHECK(responseFormat(std::nullopt, std::string("application/fhir+json; fhirVersion=3.0")).status().code() ==
              core::Code::kNotAcceptable);
  BOOST_CHECK(responseFormat(std::string("html"), std::nullopt).status().code() == core::Code::kNotAcceptable);
}

BOOST_AUTO_TEST_CASE(request_bodies_need_a_fhir_content_type) {
  BOOST_CHECK(*requestFormat(std::string("application/fhir+json; charset=utf-8")) == fhir::Format::kJson);
  BOOST_CHECK(*requestFormat(std::string("application/fhir+xml; fhirVersion=4.0")) == fhir::Format::kXml);
  BOOST_CHECK(requestFormat(std::nullopt).status().code() == core::Code::kUnsupportedMedia);
  BOOST_CHECK(requestFormat(std::string("text/plain")).status().code() == core::Code::kUnsupportedMedia);
  BOOST_CHECK(requestFormat(std::string("application/fhir+json; charset=latin1")).status().code() ==
              core::Code::kUnsupportedMedia);
}

BOOST_AUTO_TEST_SUITE_END()
