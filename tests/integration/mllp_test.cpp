// Partners' own formats at the door. HL7 v2 over MLLP, over a real socket to a running gateway:
// each message is kept, mapped with the partner's map, audited, and only then acknowledged (AA,
// AE with the map's reason, AR for what cannot be read); re-sent messages are not kept twice;
// noise between frames is skipped. And a partner's CSV posted to the FHIR API: mapped to a
// transaction that is stored, searchable and audited like any FHIR request.
#include <Poco/Net/StreamSocket.h>
#include <rapidjson/document.h>
#include <boost/test/unit_test.hpp>

#include "fml/parser.h"
#include "hl7v2/message.h"
#include "mllp/mllp_server.h"
#include "support/test_support.h"

using namespace onedoor;

namespace {

struct Feed {
  testing::TestGateway gw{"", R"("mllp": [{"port": 0, "partner": "test-client",
      "map": ")" ONEDOOR_SOURCE_DIR R"(/mappings/acute/adt-to-message.map"}])"};
  Poco::Net::StreamSocket socket{Poco::Net::SocketAddress("127.0.0.1", gw.gateway().mllpPort(0))};

  Feed() { socket.setReceiveTimeout(Poco::Timespan(20, 0)); }

  void send(const std::string& bytes) { socket.sendBytes(bytes.data(), static_cast<int>(bytes.size())); }

  // The next framed answer, read as an HL7 v2 message.
  hl7v2::Message ack() {
    std::string got;
    char c = 0;
    while (socket.receiveBytes(&c, 1) == 1) {
      if (c == mllp::kStartBlock) {
        got.clear();
        continue;
      }
      if (c == mllp::kEndBlock) break;
      got += c;
    }
    auto m = hl7v2::parse(got);
    BOOST_REQUIRE_MESSAGE(m.isOk(), "not an ACK: " + got);
    return std::move(m).value();
  }
};

std::string adt(const std::string& control, const std::string& patient_class) {
  return "MSH|^~\\&|PAS|RX1|ONEDOOR|ICS|20261123101500||ADT^A01^ADT_A01|" + control + "|P|2.4\r"
         "PID|1||9434765919^^^NHS^NH||Chalmers^Peter||19740620|M\r"
         "PV1|1|" + patient_class + "|WARD1\r";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Mllp)

BOOST_AUTO_TEST_CASE(messages_are_kept_mapped_audited_then_acknowledged) {
  Feed f;
  f.send(mllp::frame(adt("MSG1", "I")));
  hl7v2::Message a = f.ack();
  BOOST_CHECK_EQUAL(a.type(), "ACK");
  BOOST_CHECK_EQUAL(a.value("MSA-1"), "AA");
  BOOST_CHECK_EQUAL(a.value("MSA-2"), "MSG1");
  BOOST_CHECK_EQUAL(a.value("MSH-5"), "PAS");  // sender and receiver swapped
  // Sent again: acknowledged, not kept twice.
  f.send(mllp::frame(adt("MSG1", "I")));
  hl7v2::Message again = f.ack();
  BOOST_CHECK_EQUAL(again.value("MSA-1"), "AA");
  BOOST_CHECK(again.value("MSA-3").find("duplicate") != std::string::npos);
  auto receipt = f.gw.gateway().store().recordInbound("test-client", "MSG1", "hl7v2", "x", "received", "", 0);
  BOOST_REQUIRE(receipt.isOk());
  BOOST_CHECK(receipt->duplicate);
  // The map cannot place patient class P: kept, but AE with the reason.
  f.send(mllp::frame(adt("MSG2", "P")));
  hl7v2::Message ae = f.ack();
  BOOST_CHECK_EQUAL(ae.value("MSA-1"), "AE");
  BOOST_CHECK(ae.value("MSA-3").find("translate") != std::string::npos);
  // Each exchange is in the audit log, naming the partner and the message as received. A routed
  // message is kept as received in the transaction that keeps its FHIR message: one record names
  // both (and the re-send one more); a message the map refused has a record of its own.
  storage::AuditQuery q;
  q.agent = "test-client";
  q.entity = "urn:onedoor:inbound:1";
  auto routed = f.gw.gateway().auditStore().search(q);
  BOOST_REQUIRE(routed.isOk());
  BOOST_REQUIRE_EQUAL(routed->size(), 2u);
  BOOST_CHECK(routed->front().json.find("process-message") != std::string::npos);
  BOOST_CHECK(routed->front().json.find("\"reference\":\"Bundle/") != std::string::npos);
  q.entity = "urn:onedoor:inbound:2";
  auto refused = f.gw.gateway().auditStore().search(q);
  BOOST_REQUIRE(refused.isOk());
  BOOST_REQUIRE_EQUAL(refused->size(), 1u);
  BOOST_CHECK(refused->front().json.find("no mapping for P") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_messages_are_rejected_and_noise_is_skipped) {
  Feed f;
  f.send(mllp::frame("this is not HL7"));
  hl7v2::Message ar = f.ack();
  BOOST_CHECK_EQUAL(ar.value("MSA-1"), "AR");
  BOOST_CHECK(ar.value("MSA-3").find("MSH") != std::string::npos);
  // A bad segment: AR naming the line, the control id echoed.
  f.send(mllp::frame("MSH|^~\\&|PAS|RX1|ONEDOOR|ICS|1||ADT^A01|MSG9|P|2.4\rpid|1\r"));
  hl7v2::Message bad = f.ack();
  BOOST_CHECK_EQUAL(bad.value("MSA-1"), "AR");
  BOOST_CHECK_EQUAL(bad.value("MSA-2"), "MSG9");
  BOOST_CHECK(bad.value("MSA-3").find("line 2") != std::string::npos);
  // Two frames in one write, with noise before and between them: two answers, in order.
  f.send("noise" + mllp::frame(adt("MSG3", "I")) + "\r\n" + mllp::frame(adt("MSG4", "E")));
  BOOST_CHECK_EQUAL(f.ack().value("MSA-2"), "MSG3");
  BOOST_CHECK_EQUAL(f.ack().value("MSA-2"), "MSG4");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(InboundHttp)

BOOST_AUTO_TEST_CASE(a_partners_csv_posted_to_the_api_is_mapped_and_stored) {
  testing::TestGateway gw{"", R"("inbound": [{"partner": "test-client", "content_type": "text/csv", "format": "csv",
      "map": ")" ONEDOOR_SOURCE_DIR R"(/mappings/vcfse/referrals-csv.map"}])"};
  auto c = gw.client(gw.token());
  std::string csv = testing::readFile(ONEDOOR_SOURCE_DIR "/mappings/vcfse/tests/referrals-csv/two-referrals.csv");
  auto r = c.request("POST", "/fhir", csv, {{"Content-Type", "text/csv; charset=utf-8"}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  BOOST_CHECK(r.body.find("transaction-response") != std::string::npos);
  auto found = c.get("/fhir/ServiceRequest?identifier=https://onedoor.dev/Id/vcfse-befriending/referral|CL-1002");
  BOOST_CHECK(found.body.find("\"total\":1") != std::string::npos);
  BOOST_CHECK(found.body.find("Lone-working precautions advised") != std::string::npos);
  // The patient the transaction created is the subject (urn:uuid references resolved).
  auto patients = c.get("/fhir/Patient?family=Price");
  BOOST_CHECK(patients.body.find("\"total\":1") != std::string::npos);
  // Broken CSV: 400 naming the line; nothing stored.
  auto bad = c.request("POST", "/fhir", "referral_id,family_name\nCL-9,\"unclosed\n", {{"Content-Type", "text/csv"}});
  BOOST_CHECK_EQUAL(bad.status, 400);
  BOOST_CHECK(bad.body.find("line 2") != std::string::npos);
  BOOST_CHECK(c.get("/fhir/ServiceRequest?identifier=https://onedoor.dev/Id/vcfse-befriending/referral|CL-9").body.find(
                  "\"total\":0") != std::string::npos);
  // Another partner's CSV is not mapped: CSV is not FHIR.
  auto other = c.request("POST", "/fhir/Patient", csv, {{"Content-Type", "text/csv"}});
  BOOST_CHECK_EQUAL(other.status, 415);
}

BOOST_AUTO_TEST_CASE(a_stored_structure_map_transforms_with_the_transform_operation) {
  testing::TestGateway gw;
  auto c = gw.client(gw.token());
  auto map = fml::parseMap(testing::readFile(ONEDOOR_SOURCE_DIR "/mappings/gp/ukcore-patient-to-ics.map"), "gp.map");
  BOOST_REQUIRE(map.isOk());
  rapidjson::Document sm;
  sm.Parse(fml::toStructureMapJson(*map).c_str());
  sm["id"].SetString("gp-to-ics");
  auto stored = c.send("PUT", "/fhir/StructureMap/gp-to-ics", testing::jsonText(sm));
  BOOST_REQUIRE_MESSAGE(stored.status == 201, stored.body);
  std::string patient = testing::readFile(ONEDOOR_SOURCE_DIR "/mappings/gp/tests/ukcore-patient-to-ics/spaced-nhs-number.json");
  auto out = c.send("POST", "/fhir/StructureMap/gp-to-ics/$transform", patient);
  BOOST_REQUIRE_MESSAGE(out.status == 200, out.body);
  BOOST_CHECK(out.body.find("\"value\":\"9434765919\"") != std::string::npos);
  BOOST_CHECK(out.body.find("ICS-Patient") != std::string::npos);
  // The same with the R4 Parameters form.
  auto params = c.send("POST", "/fhir/StructureMap/gp-to-ics/$transform",
                       R"({"resourceType": "Parameters", "parameter": [{"name": "content", "resource": )" + patient + "}]}");
  BOOST_CHECK_EQUAL(params.status, 200);
  BOOST_CHECK(params.body.find("9434765919") != std::string::npos);
  BOOST_CHECK_EQUAL(c.send("POST", "/fhir/StructureMap/nope/$transform", patient).status, 404);
}

BOOST_AUTO_TEST_SUITE_END()
