// The JSON <-> XML round trip over the official R4 example pairs (../shared/conformance/examples):
// X.json and X.xml must parse to the same resource; JSON -> XML -> JSON and XML -> JSON must give
// it back, compared canonically.
#include <boost/test/unit_test.hpp>
#include <fstream>

#include "conformance/harness.h"
#include "fhir/codec.h"
#include "fhir/compare.h"
#include "support/test_support.h"

using namespace onedoor;

BOOST_AUTO_TEST_CASE(json_xml_round_trip_of_the_r4_examples) {
  auto dir = testing::sharedDir("examples/r4-spec");
  if (!dir) {
    BOOST_TEST_MESSAGE("skipped: ../shared/conformance/examples/r4-spec is absent");
    return;
  }
  testing::Harness harness("examples");
  std::ifstream index(*dir / "index.tsv");
  std::string line;
  std::getline(index, line);  // header
  while (std::getline(index, line)) {
    std::string stem = line.substr(0, line.find('\t'));
    auto json = fhir::readJson(testing::model(), testing::readFile(*dir / (stem + ".json")));
    auto xml = fhir::readXml(testing::model(), testing::readFile(*dir / (stem + ".xml")));
    std::string why;
    if (!json.ok()) {
      harness.record(stem, false, "JSON does not parse: " + json.issues.front().message);
      continue;
    }
    if (!xml.ok()) {
      harness.record(stem, false, "XML does not parse: " + xml.issues.front().message);
      continue;
    }
    if (!fhir::canonicalEqual(json.resource, xml.resource, &why)) {
      harness.record(stem, false, "XML and JSON differ at " + why);
      continue;
    }
    auto via_xml = fhir::readXml(testing::model(), fhir::writeXml(json.resource));
    auto back = via_xml.ok() ? fhir::readJson(testing::model(), fhir::writeJson(via_xml.resource))
                             : fhir::ReadResult{};
    if (!via_xml.ok() || !back.ok() || !fhir::canonicalEqual(json.resource, back.resource, &why)) {
      harness.record(stem, false, "JSON -> XML -> JSON changed it: " + why);
      continue;
    }
    auto from_xml = fhir::readJson(testing::model(), fhir::writeJson(xml.resource));
    if (!from_xml.ok() || !fhir::canonicalEqual(json.resource, from_xml.resource, &why)) {
      harness.record(stem, false, "XML -> JSON differs from the paired JSON: " + why);
      continue;
    }
    harness.record(stem, true);
  }
  BOOST_CHECK_EQUAL(harness.total(), 349u);
  BOOST_CHECK(harness.report());
}
