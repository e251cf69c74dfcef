#include <boost/test/unit_test.hpp>
#include <chrono>

#include "fhir/codec.h"
#include "support/test_support.h"

using onedoor::fhir::readXml;
using onedoor::testing::model;

BOOST_AUTO_TEST_SUITE(XmlReader)

BOOST_AUTO_TEST_CASE(reads_value_attributes_ids_and_extensions) {
  auto r = readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir">
    <id value="p1"/>
    <birthDate id="bd" value="1970-01-01"><extension url="http://x"><valueCode value="c"/></extension></birthDate>
  </Patient>)");
  BOOST_REQUIRE(r.ok());
  const auto* bd = r.resource.child("birthDate");
  BOOST_CHECK_EQUAL(bd->value, "1970-01-01");
  BOOST_CHECK_EQUAL(bd->child("id")->value, "bd");
  BOOST_CHECK_EQUAL(bd->child("extension")->child("url")->value, "http://x");
  BOOST_CHECK_EQUAL(bd->child("extension")->child("value")->type->name, "code");
}

BOOST_AUTO_TEST_CASE(rejects_external_entities_without_reading_them) {
  auto r = readXml(model(), R"(<?xml version="1.0"?>
<!DOCTYPE Patient [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Patient xmlns="http://hl7.org/fhir"><id value="&xxe;"/></Patient>)");
  BOOST_CHECK(!r.ok());
  BOOST_CHECK(r.issues.front().message.find("DTD") != std::string::npos);
  for (const auto& i : r.issues) BOOST_CHECK(i.message.find("root:") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_billion_laughs_at_once) {
  std::string doc = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  for (int i = 1; i < 10; ++i) {
    doc += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) doc += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    doc += "\">";
  }
  doc += "]><Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&lol9;\"/></Patient>";
  auto start = std::chrono::steady_clock::now();
  auto r = readXml(model(), doc);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_LT(ms.count(), 1000);
}

BOOST_AUTO_TEST_CASE(rejects_elements_outside_the_fhir_namespace) {
  auto r = readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir"><x:active xmlns:x="urn:x" value="true"/></Patient>)");
  BOOST_CHECK(!r.ok());
  auto root = readXml(model(), R"(<Patient><active value="true"/></Patient>)");
  BOOST_CHECK(!root.ok());
  BOOST_CHECK(root.issues.front().message.find("FHIR namespace") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reports_unknown_elements_with_their_line) {
  auto r = readXml(model(), "<Patient xmlns=\"http://hl7.org/fhir\">\n<active value=\"true\"/>\n<nickname value=\"x\"/>\n</Patient>");
  BOOST_CHECK(!r.ok());
  BOOST_CHECK_EQUAL(r.issues.front().line, 3u);
  BOOST_CHECK(r.issues.front().message.find("unknown element 'nickname'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_text_content_and_repeated_single_elements) {
  BOOST_CHECK(!readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir">hello</Patient>)").ok());
  auto r = readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir"><gender value="male"/><gender value="female"/></Patient>)");
  BOOST_CHECK(!r.ok());
  BOOST_CHECK(r.issues.front().message.find("does not repeat") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(keeps_the_narrative_div_intact) {
  auto r = readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/><div xmlns="http://www.w3.org/1999/xhtml"><p>a <b>b</b> &amp; c</p></div></text></Patient>)");
  BOOST_REQUIRE(r.ok());
  BOOST_CHECK_EQUAL(r.resource.child("text")->child("div")->value,
                    R"(<div xmlns="http://www.w3.org/1999/xhtml"><p>a <b>b</b> &amp; c</p></div>)");
}

BOOST_AUTO_TEST_CASE(reports_malformed_xml_with_line_and_column) {
  auto r = readXml(model(), "<Patient xmlns=\"http://hl7.org/fhir\">\n<active value=\"true\">\n</Patient>");
  BOOST_CHECK(!r.ok());
  BOOST_CHECK(r.issues.front().message.find("malformed XML") != std::string::npos);
  BOOST_CHECK_EQUAL(r.issues.front().line, 3u);
}

BOOST_AUTO_TEST_CASE(rejects_numbers_and_booleans_json_could_not_carry) {
  // Found by fuzz_xml_reader: "5re0" read from XML became a JSON string the JSON reader refused.
  auto d = readXml(model(), R"(<Observation xmlns="http://hl7.org/fhir"><status value="final"/><code><text value="x"/></code><valueQuantity><value value="5re0"/></valueQuantity></Observation>)");
  BOOST_CHECK(!d.ok());
  BOOST_CHECK_EQUAL(d.issues.front().expression, "Observation.valueQuantity.value");
  BOOST_CHECK(!readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir"><active value="yes"/></Patient>)").ok());
  BOOST_CHECK(!readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir"><multipleBirthInteger value="1.5"/></Patient>)").ok());
  BOOST_CHECK(!readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir"><multipleBirthInteger value="007"/></Patient>)").ok());
  BOOST_CHECK(readXml(model(), R"(<Patient xmlns="http://hl7.org/fhir"><multipleBirthInteger value="-3"/></Patient>)").ok());
}

BOOST_AUTO_TEST_CASE(rejects_invalid_utf8) {
  auto r = readXml(model(), "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"a\xC3\x28\"/></Patient>");
  BOOST_CHECK(!r.ok());
}

BOOST_AUTO_TEST_SUITE_END()
