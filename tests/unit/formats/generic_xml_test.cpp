// Generic (non-FHIR) XML read into the element tree: elements and attributes by local name, text
// leaves, text beside attributes as `text`, and the same hardening as FHIR XML.
#include <boost/test/unit_test.hpp>

#include "support/test_support.h"
#include "formats/generic_xml.h"

using namespace onedoor;

using testing::evalJson;

BOOST_AUTO_TEST_SUITE(GenericXml)

BOOST_AUTO_TEST_CASE(elements_attributes_and_text_become_the_tree) {
  auto tree = formats::readGenericXml(R"(<Referral id="R1" xmlns="urn:rio">
      <Client nhsNumber="9434765919"><Surname> Chalmers </Surname></Client>
      <Reason code="LOWMOOD">Low mood</Reason>
      <Intervention>CBT</Intervention><Intervention>Review</Intervention>
      <Empty/>
    </Referral>)");
  BOOST_REQUIRE_MESSAGE(tree.isOk(), (tree.isOk() ? std::string() : tree.status().message()));
  BOOST_CHECK_EQUAL(tree->name, "Referral");
  BOOST_CHECK_EQUAL(evalJson(*tree, "id"), R"(["R1"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "Client.nhsNumber"), R"(["9434765919"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "Client.Surname"), R"(["Chalmers"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "Reason.code"), R"(["LOWMOOD"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "Reason.text"), R"(["Low mood"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "Intervention"), R"(["CBT","Review"])");
  BOOST_CHECK_EQUAL(evalJson(*tree, "Empty.hasValue()"), "[false]");
}

BOOST_AUTO_TEST_CASE(unsafe_or_malformed_xml_is_refused) {
  auto dtd = formats::readGenericXml(R"(<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>)");
  BOOST_REQUIRE(!dtd.isOk());
  BOOST_CHECK(dtd.status().message().find("DTD") != std::string::npos);
  auto broken = formats::readGenericXml("<a>\n<b></a>");
  BOOST_REQUIRE(!broken.isOk());
  BOOST_CHECK(broken.status().message().find("2") != std::string::npos);  // names the line
  std::string deep;
  for (int i = 0; i < 150; ++i) deep += "<a>";
  for (int i = 0; i < 150; ++i) deep += "</a>";
  BOOST_CHECK(!formats::readGenericXml(deep).isOk());
}

BOOST_AUTO_TEST_CASE(a_tree_is_written_as_xml_elements_with_escaped_text) {
  auto tree = formats::readGenericXml("<Update><Id>R-1</Id><Reason><Text>Seen in A&amp;E &lt;today&gt;</Text></Reason>"
                                      "<Goal>one</Goal><Goal>two</Goal></Update>");
  BOOST_REQUIRE(tree.isOk());
  std::string out = formats::writeGenericXml(*tree);
  BOOST_CHECK_EQUAL(out,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Update>\n  <Id>R-1</Id>\n  <Reason>\n"
                    "    <Text>Seen in A&amp;E &lt;today&gt;</Text>\n  </Reason>\n  <Goal>one</Goal>\n  <Goal>two</Goal>\n</Update>\n");
  auto again = formats::readGenericXml(out);
  BOOST_REQUIRE(again.isOk());
  BOOST_CHECK_EQUAL(testing::evalJson(*again, "descendants()"), testing::evalJson(*tree, "descendants()"));
}

BOOST_AUTO_TEST_SUITE_END()
