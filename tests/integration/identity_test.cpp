// Patient identity end to end: one Patient per person across the acute ADT feed (HL7 v2 over
// MLLP), the GP (conditional update), social care (a transaction) and a charity's CSV (no NHS
// number); race-safe upserts; $match through consent; possible duplicates for review; merges by
// an operator and by ADT A40, with unmerge; JSON Patch and FHIRPath Patch.
#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <atomic>
#include <set>
#include <thread>

#include "hl7v2/message.h"
#include "support/test_support.h"

using namespace onedoor;
using testing::created;
using testing::HttpClient;
using testing::HttpResponse;
using testing::json;
using testing::TestPartner;

namespace {

constexpr const char* kNhs = "https://fhir.nhs.uk/Id/nhs-number";
constexpr const char* kMrn = "https://onedoor.dev/Id/acute-general/mrn";
constexpr const char* kGpId = "https://riverside.example/Id/patient";
constexpr const char* kCouncilId = "https://onedoor.dev/Id/council-adults/person";
constexpr const char* kCharityId = "https://onedoor.dev/Id/vcfse-befriending/member";

struct Identity {
  std::unique_ptr<testing::TestGateway> gw;
  Identity() {
    std::vector<TestPartner> partners = {
        {"acute-pas", "acute", {"TREAT"}, {"system/*.cruds"}, "RX1", "", ""},
        {"gp-riverside", "gp", {"TREAT"}, {"system/*.cruds"}, "Y12345", "", ""},
        {"council-adults", "social-care", {"TREAT"}, {"system/*.cruds"}, "LA01", "", ""},
        {"vcfse-befriending", "vcfse", {"TREAT"}, {"system/Patient.crus", "system/ServiceRequest.crus"}, "VCF01", "", ""},
        {"ops-team", "operator", {"TREAT"}, {"system/*.rs"}, "", "", ""},
        {"ics-auditor", "auditor", {"HOPERAT"}, {"system/AuditEvent.rs"}, "ICS01", "", ""},
    };
    std::string extra = R"json("routes": [{"name": "adt-to-gp", "event": "http://terminology.hl7.org/CodeSystem/v2-0003|A01",
        "to_ods": "entry.resource.ofType(Patient).generalPractitioner.identifier.value"}],
      "mllp": [{"port": 0, "partner": "acute-pas", "map": ")json" ONEDOOR_SOURCE_DIR R"json(/mappings/acute/adt-to-message.map"}],
      "inbound": [{"partner": "vcfse-befriending", "content_type": "text/csv", "format": "csv",
                   "map": ")json" ONEDOOR_SOURCE_DIR R"json(/mappings/vcfse/referrals-csv.map"}])json";
    gw = std::make_unique<testing::TestGateway>("", extra, partners, nullptr,
                                                testing::readFile(ONEDOOR_SOURCE_DIR "/config/policy.sample.json"));
  }
  HttpClient as(const std::string& partner) { return gw->client(gw->token(partner)); }
  std::string adt(const std::string& control, const std::string& event, const std::string& pid, const std::string& more = "") {
    return "MSH|^~\\&|PAS|RX1|ONEDOOR|ICS|20261207090000||ADT^" + event + "^ADT_A01|" + control + "|P|2.4\rEVN|" + event +
           "|20261207090000\r" + pid + "\r" + more;
  }
  std::string send(const std::string& message) {
    auto ack = hl7v2::parse(testing::mllpExchange(gw->gateway().mllpPort(0), message));
    BOOST_REQUIRE(ack.isOk());
    return ack->value("MSA-1");
  }
};

Identity& identity() {
  static Identity instance;
  return instance;
}

// The one Patient an identifier finds (searching as `c`), and its identifiers as system|value.
std::pair<std::string, std::set<std::string>> patientBy(HttpClient& c, const std::string& system, const std::string& value) {
  auto r = c.get("/fhir/Patient?identifier=" + system + "|" + value);
  auto doc = json(r);
  BOOST_REQUIRE_MESSAGE(doc.IsObject() && doc.HasMember("entry") && doc["entry"].Size() == 1, r.body);
  const auto& p = doc["entry"][0]["resource"];
  std::set<std::string> ids;
  for (const auto& i : p["identifier"].GetArray()) ids.insert(std::string(i["system"].GetString()) + "|" + i["value"].GetString());
  return {p["id"].GetString(), ids};
}

// An active privacy Consent of `patient` with one provision of `type` (permit|deny) for the
// organisation with ODS code `ods`.
std::string consentFor(const std::string& patient, const std::string& type, const std::string& ods) {
  return R"({"resourceType": "Consent", "status": "active",
    "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
    "patient": {"reference": "Patient/)" + patient + R"("}, "dateTime": "2026-11-01",
    "provision": {"type": ")" + type + R"(", "actor": [{"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
      "code": "IRCP"}]}, "reference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ")" + ods + R"("}}}]}})";
}

// Entries of a searchset (the sample policy gives partners no totals).
std::size_t entries(const rapidjson::Document& d) { return d.HasMember("entry") ? d["entry"].Size() : 0; }

std::string parameters(const std::string& patient, const std::string& more = "") {
  return R"({"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": )" + patient + "}" + more + "]}";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(PatientIdentity)

// The same person arrives from the acute ADT feed, the GP, social care and the befriending
// charity (whose CSV has no NHS number): one Patient, with every partner's identifier.
BOOST_AUTO_TEST_CASE(four_sources_one_patient_with_their_identifiers) {
  Identity& x = identity();
  BOOST_CHECK_EQUAL(x.send(x.adt("ID0001", "A01",
                                 "PID|1||RX1-100200^^^RX1^MR~9434765919^^^NHS^NH||Sheikh^Amira^^^Ms||19900402|F|||1 Park Row^^Leeds^^LS1 4AP",
                                 "PV1|1|I|WARD1\r")),
                    "AA");
  auto gp = x.as("gp-riverside");
  auto [acute_id, acute_ids] = patientBy(gp, kMrn, "RX1-100200");
  BOOST_CHECK(acute_ids.count(std::string(kNhs) + "|9434765919"));

  // The GP's upsert by its own identifier: the NHS number finds the person.
  auto put = gp.request("PUT", std::string("/fhir/Patient?identifier=") + kGpId + "|GP-5521",
                        R"({"resourceType": "Patient", "identifier": [{"system": ")" + std::string(kGpId) +
                            R"(", "value": "GP-5521"}, {"system": ")" + kNhs + R"(", "value": "9434765919"}],
                            "name": [{"family": "Sheikh", "given": ["Amira"]}], "gender": "female", "birthDate": "1990-04-02",
                            "telecom": [{"system": "phone", "value": "07700 900123"}]})",
                        {{"Content-Type", "application/fhir+json"}});
  BOOST_REQUIRE_MESSAGE(put.status == 200, put.body);
  BOOST_CHECK(put.header("x-onedoor-identity").find("grade=certain") != std::string::npos);
  BOOST_CHECK(put.header("location").find("/Patient/" + acute_id + "/") != std::string::npos);

  // Social care posts a transaction with a conditional update by its person id; the NHS number is
  // written with spaces.
  auto council = x.as("council-adults");
  auto tx = council.send("POST", "/fhir", R"({"resourceType": "Bundle", "type": "transaction", "entry": [{
      "fullUrl": "urn:uuid:c0a1", "resource": {"resourceType": "Patient", "identifier": [
        {"system": ")" + std::string(kCouncilId) + R"(", "value": "P-778"}, {"system": ")" + kNhs + R"(", "value": "943 476 5919"}],
        "name": [{"family": "Sheikh", "given": ["Amira"]}], "birthDate": "1990-04-02"},
      "request": {"method": "PUT", "url": "Patient?identifier=)" + kCouncilId + R"(|P-778"}}]})");
  BOOST_REQUIRE_MESSAGE(tx.status == 200, tx.body);

  // The person agrees to the befriending service sharing with the ICS (the sample policy gives the
  // charity nothing without explicit consent).
  created(gp.send("POST", "/fhir/Consent", consentFor(acute_id, "permit", "VCF01")));
  // The charity's CSV: no NHS number; name, birth date and postcode find the person.
  auto charity = x.as("vcfse-befriending");
  auto csv = charity.request("POST", "/fhir",
                             "referral_id,member_id,given_name,family_name,birth_date,postcode,date\n"
                             "CL-2001,M-0042,Amira,Sheikh,1990-04-02,ls1 4ap,2026-12-07\n",
                             {{"Content-Type", "text/csv"}});
  BOOST_REQUIRE_MESSAGE(csv.status == 200, csv.body);

  auto [id, ids] = patientBy(gp, kCharityId, "M-0042");
  BOOST_CHECK_EQUAL(id, acute_id);
  for (const std::string& want : {std::string(kMrn) + "|RX1-100200", std::string(kGpId) + "|GP-5521",
                                 std::string(kCouncilId) + "|P-778", std::string(kCharityId) + "|M-0042",
                                 std::string(kNhs) + "|9434765919"}) {
    BOOST_CHECK_MESSAGE(ids.count(want) == 1, "missing " << want);
  }
  auto all = json(gp.get("/fhir/Patient?family=Sheikh&birthdate=1990-04-02"));
  BOOST_CHECK_EQUAL(entries(all), 1u);
  // The referral the CSV carried points at the one Patient.
  auto sr = json(gp.get("/fhir/ServiceRequest?identifier=https://onedoor.dev/Id/vcfse-befriending/referral|CL-2001"));
  BOOST_REQUIRE_EQUAL(entries(sr), 1u);
  BOOST_CHECK_EQUAL(std::string(sr["entry"][0]["resource"]["subject"]["reference"].GetString()), "Patient/" + acute_id);
}

// A feed re-sends a patient's demographics with every event: the same Patient is not written
// again (its version says when it last changed); a changed address is a new version.
BOOST_AUTO_TEST_CASE(an_unchanged_patient_resent_by_the_feed_keeps_its_version) {
  Identity& x = identity();
  const std::string pid = "PID|1||RX1-300400^^^RX1^MR||Quinn^Rory^^^Mr||19770615|M|||4 Mill Lane^^Leeds^^LS2 7AB";
  BOOST_REQUIRE_EQUAL(x.send(x.adt("NC0001", "A01", pid, "PV1|1|I|WARD1\r")), "AA");
  auto gp = x.as("gp-riverside");
  auto [id, ids] = patientBy(gp, kMrn, "RX1-300400");
  auto version = [&] {
    auto doc = json(gp.get("/fhir/Patient/" + id));
    return std::string(doc["meta"]["versionId"].GetString());
  };
  BOOST_CHECK_EQUAL(version(), "1");
  BOOST_REQUIRE_EQUAL(x.send(x.adt("NC0002", "A08", pid, "PV1|1|I|WARD2\r")), "AA");
  BOOST_CHECK_EQUAL(version(), "1");
  const std::string moved = "PID|1||RX1-300400^^^RX1^MR||Quinn^Rory^^^Mr||19770615|M|||9 Kirkgate^^Leeds^^LS2 7DJ";
  BOOST_REQUIRE_EQUAL(x.send(x.adt("NC0003", "A08", moved, "PV1|1|I|WARD2\r")), "AA");
  BOOST_CHECK_EQUAL(version(), "2");
  auto history = json(gp.get("/fhir/Patient/" + id + "/_history"));
  BOOST_CHECK_EQUAL(entries(history), 2u);
}

// Parallel upserts of one identifier create one Patient.
BOOST_AUTO_TEST_CASE(concurrent_upserts_of_one_identifier_create_one_patient) {
  Identity& x = identity();
  std::atomic<int> created_count{0}, updated{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&, i] {
      auto c = x.as("gp-riverside");
      auto r = c.request("PUT", std::string("/fhir/Patient?identifier=") + kGpId + "|GP-RACE-1",
                         R"({"resourceType": "Patient", "identifier": [{"system": ")" + std::string(kGpId) +
                             R"(", "value": "GP-RACE-1"}], "name": [{"family": "Racer", "given": ["Run)" + std::to_string(i) +
                             R"("]}], "birthDate": "1977-07-07"})",
                         {{"Content-Type", "application/fhir+json"}});
      if (r.status == 201) {
        ++created_count;
      } else if (r.status == 200) {
        ++updated;
      } else {
        ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_CHECK_EQUAL(failed.load(), 0);
  BOOST_CHECK_EQUAL(created_count.load(), 1);
  BOOST_CHECK_EQUAL(updated.load(), 11);
  auto gp = x.as("gp-riverside");
  auto found = json(gp.get(std::string("/fhir/Patient?identifier=") + kGpId + "|GP-RACE-1"));
  BOOST_CHECK_EQUAL(entries(found), 1u);
}

// $match: scored and graded candidates for a partner about to send; never a patient the partner
// may not see.
BOOST_AUTO_TEST_CASE(match_scores_and_grades_and_respects_consent) {
  Identity& x = identity();
  auto gp = x.as("gp-riverside");
  std::string amira = R"({"resourceType": "Patient", "identifier": [{"system": ")" + std::string(kNhs) +
                      R"(", "value": "9434765919"}], "name": [{"family": "Sheikh", "given": ["Amira"]}], "birthDate": "1990-04-02"})";
  // Make sure the person exists whatever ran before.
  (void)gp.request("PUT", std::string("/fhir/Patient?identifier=") + kNhs + "|9434765919", amira,
                   {{"Content-Type", "application/fhir+json"}});
  auto r = gp.send("POST", "/fhir/Patient/$match", parameters(amira, R"(, {"name": "count", "valueInteger": 5})"));
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto doc = json(r);
  BOOST_CHECK_EQUAL(std::string(doc["type"].GetString()), "searchset");
  BOOST_REQUIRE(doc.HasMember("entry"));
  const auto& search = doc["entry"][0]["search"];
  BOOST_CHECK_EQUAL(std::string(search["mode"].GetString()), "match");
  BOOST_CHECK_CLOSE(search["score"].GetDouble(), 1.0, 1e-9);
  BOOST_CHECK_EQUAL(std::string(search["extension"][0]["url"].GetString()), "http://hl7.org/fhir/StructureDefinition/match-grade");
  BOOST_CHECK_EQUAL(std::string(search["extension"][0]["valueCode"].GetString()), "certain");
  // A near miss (no NHS number, a typo, no postcode): possible or probable, not certain.
  std::string near = R"({"resourceType": "Patient", "name": [{"family": "Shiekh", "given": ["Amira"]}], "gender": "female", "birthDate": "1990-04-02"})";
  auto maybe = json(gp.send("POST", "/fhir/Patient/$match", parameters(near)));
  BOOST_REQUIRE(maybe.HasMember("entry"));
  std::string grade = maybe["entry"][0]["search"]["extension"][0]["valueCode"].GetString();
  BOOST_CHECK(grade == "probable" || grade == "possible");
  BOOST_CHECK_LT(maybe["entry"][0]["search"]["score"].GetDouble(), 1.0);
  auto certain_only = json(gp.send("POST", "/fhir/Patient/$match",
                                   parameters(near, R"(, {"name": "onlyCertainMatches", "valueBoolean": true})")));
  BOOST_CHECK(!certain_only.HasMember("entry"));
  // The charity has no explicit consent for this person: nothing comes back, though the GP's
  // $match finds them.
  std::string okafor = R"({"resourceType": "Patient", "identifier": [{"system": ")" + std::string(kNhs) +
                       R"(", "value": "9000001188"}], "name": [{"family": "Okafor", "given": ["Ngozi"]}], "birthDate": "1971-02-03"})";
  created(gp.send("POST", "/fhir/Patient", okafor));
  BOOST_CHECK(json(gp.send("POST", "/fhir/Patient/$match", parameters(okafor))).HasMember("entry"));
  auto charity = json(x.as("vcfse-befriending").send("POST", "/fhir/Patient/$match", parameters(okafor)));
  BOOST_CHECK(!charity.HasMember("entry"));
  // Bad input names the problem.
  auto bad = gp.send("POST", "/fhir/Patient/$match", R"({"resourceType": "Parameters", "parameter": [{"name": "count", "valueInteger": 5}]})");
  BOOST_CHECK_EQUAL(bad.status, 400);
  BOOST_CHECK(bad.body.find("resource") != std::string::npos);
}

// Below the auto-link threshold two records stay apart and are listed for a person to review.
BOOST_AUTO_TEST_CASE(possible_duplicates_are_listed_for_review_not_merged) {
  Identity& x = identity();
  auto gp = x.as("gp-riverside");
  std::string a = created(gp.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "name": [{"family": "Taylor", "given": ["Grace"]}], "gender": "female", "birthDate": "1985-06-01",
      "address": [{"postalCode": "LS6 2AB"}]})"));
  auto second = gp.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "name": [{"family": "Tailor", "given": ["Grace"]}], "gender": "female", "birthDate": "1985-06-01",
      "address": [{"postalCode": "LS6 9ZZ"}]})");
  std::string b = created(second);
  BOOST_CHECK_EQUAL(second.status, 201);
  BOOST_CHECK_NE(a, b);
  auto review = testing::runOnedoor({"identity", "review", "--config", (x.gw->dir() / "onedoor.json").string()});
  BOOST_REQUIRE_MESSAGE(review.code == 0, review.err);
  BOOST_TEST_MESSAGE(review.out);
  BOOST_CHECK(review.out.find("Patient/" + b) != std::string::npos);
  BOOST_CHECK(review.out.find("Patient/" + a) != std::string::npos);
  BOOST_CHECK(review.out.find("possible") != std::string::npos);
  auto as_json = testing::runOnedoor({"identity", "review", "--config", (x.gw->dir() / "onedoor.json").string(), "--json"});
  BOOST_REQUIRE_EQUAL(as_json.code, 0);
  rapidjson::Document d;
  d.Parse(as_json.out.c_str());
  BOOST_REQUIRE(d.IsArray());
  BOOST_CHECK_GE(d.Size(), 1u);
}

// An operator merges two records of one person: the replaced one says where it went, the other
// records' references follow, an upsert by the old identifier finds the survivor, and the
// auditor sees who did it. An unmerge puts it all back.
BOOST_AUTO_TEST_CASE(operator_merge_and_unmerge) {
  Identity& x = identity();
  auto gp = x.as("gp-riverside");
  std::string keep = created(gp.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "identifier": [{"system": ")" + std::string(kGpId) + R"(", "value": "GP-M1"}],
      "name": [{"family": "Brown", "given": ["Peter"]}], "gender": "male", "birthDate": "1950-01-01"})"));
  std::string dup = created(gp.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "identifier": [{"system": ")" + std::string(kGpId) + R"(", "value": "GP-M2"}],
      "name": [{"family": "Broun", "given": ["Pete"]}], "gender": "male", "birthDate": "1950-10-01"})"));
  BOOST_REQUIRE_NE(keep, dup);
  std::string enc = created(gp.send("POST", "/fhir/Encounter", R"({"resourceType": "Encounter", "status": "finished",
      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
      "subject": {"reference": "Patient/)" + dup + R"("}})"));
  std::string merge = R"({"resourceType": "Parameters", "parameter": [
      {"name": "source-patient", "valueReference": {"reference": "Patient/)" + dup + R"("}},
      {"name": "target-patient", "valueReference": {"reference": "Patient/)" + keep + R"("}}]})";
  BOOST_CHECK_EQUAL(gp.send("POST", "/fhir/Patient/$merge", merge).status, 403);  // operators only
  auto ops = x.as("ops-team");
  auto merged = ops.send("POST", "/fhir/Patient/$merge", merge);
  BOOST_REQUIRE_MESSAGE(merged.status == 200, merged.body);
  BOOST_CHECK(merged.body.find("1 resources now point") != std::string::npos);
  auto replaced = gp.get("/fhir/Patient/" + dup);
  BOOST_CHECK(replaced.header("link").find("/Patient/" + keep + ">; rel=\"replaced-by\"") != std::string::npos);
  auto rdoc = json(replaced);
  BOOST_CHECK_EQUAL(std::string(rdoc["link"][0]["type"].GetString()), "replaced-by");
  BOOST_CHECK_EQUAL(rdoc["active"].GetBool(), false);
  BOOST_CHECK_EQUAL(std::string(json(gp.get("/fhir/Encounter/" + enc))["subject"]["reference"].GetString()), "Patient/" + keep);
  // An upsert by the replaced record's identifier lands on the survivor.
  auto upsert = gp.request("PUT", std::string("/fhir/Patient?identifier=") + kGpId + "|GP-M2",
                           R"({"resourceType": "Patient", "identifier": [{"system": ")" + std::string(kGpId) +
                               R"(", "value": "GP-M2"}], "name": [{"family": "Brown", "given": ["Peter"]}], "gender": "male",
                               "birthDate": "1950-01-01", "telecom": [{"system": "phone", "value": "0113 496 0000"}]})",
                           {{"Content-Type", "application/fhir+json"}});
  BOOST_REQUIRE_MESSAGE(upsert.status == 200, upsert.body);
  BOOST_CHECK(upsert.header("location").find("/Patient/" + keep + "/") != std::string::npos);
  // A second merge of the same record is refused with the reason.
  auto again = ops.send("POST", "/fhir/Patient/$merge", merge);
  BOOST_CHECK_EQUAL(again.status, 409);
  // The auditor sees the merge.
  auto audit = json(x.as("ics-auditor").get("/fhir/AuditEvent?patient=Patient/" + dup + "&agent=ops-team"));
  BOOST_CHECK_GE(entries(audit), 1u);
  // Unmerge: references, links and the record come back.
  std::string unmerge = R"({"resourceType": "Parameters", "parameter": [
      {"name": "source-patient", "valueReference": {"reference": "Patient/)" + dup + R"("}}]})";
  auto undone = ops.send("POST", "/fhir/Patient/$unmerge", unmerge);
  BOOST_REQUIRE_MESSAGE(undone.status == 200, undone.body);
  BOOST_CHECK_EQUAL(std::string(json(gp.get("/fhir/Encounter/" + enc))["subject"]["reference"].GetString()), "Patient/" + dup);
  auto back = json(gp.get("/fhir/Patient/" + dup));
  BOOST_CHECK(!back.HasMember("link"));
  BOOST_CHECK_EQUAL(back["active"].GetBool(), true);
  auto survivor = json(gp.get("/fhir/Patient/" + keep));
  BOOST_CHECK(!survivor.HasMember("link"));
  BOOST_CHECK_EQUAL(ops.send("POST", "/fhir/Patient/$unmerge", unmerge).status, 404);  // nothing left to undo
}

// ADT A40 from the acute PAS: the survivor (PID) replaces the prior record (MRG).
BOOST_AUTO_TEST_CASE(adt_a40_merges_through_the_acute_mapping) {
  Identity& x = identity();
  BOOST_REQUIRE_EQUAL(x.send(x.adt("ID4001", "A01", "PID|1||RX1-765499^^^RX1^MR||Murphy^Siobhan||19881201|F", "PV1|1|I|WARD2\r")),
                      "AA");
  BOOST_REQUIRE_EQUAL(x.send(x.adt("ID4002", "A01", "PID|1||RX1-765432^^^RX1^MR~9000001196^^^NHS^NH||Byrne^Siobhan||19881201|F",
                                   "PV1|1|I|WARD2\r")),
                      "AA");
  auto gp = x.as("gp-riverside");
  auto [prior, prior_ids] = patientBy(gp, kMrn, "RX1-765499");
  auto [survivor, survivor_ids] = patientBy(gp, kMrn, "RX1-765432");
  BOOST_REQUIRE_NE(prior, survivor);
  std::string a40 = testing::readFile(ONEDOOR_SOURCE_DIR "/mappings/acute/tests/adt-to-message/a40-merge.hl7");
  BOOST_REQUIRE_EQUAL(x.send(a40), "AA");
  auto replaced = json(gp.get("/fhir/Patient/" + prior));
  BOOST_REQUIRE(replaced.HasMember("link"));
  BOOST_CHECK_EQUAL(std::string(replaced["link"][0]["other"]["reference"].GetString()), "Patient/" + survivor);
  auto kept = json(gp.get("/fhir/Patient/" + survivor));
  bool has_prior_mrn = false;
  for (const auto& i : kept["identifier"].GetArray()) has_prior_mrn |= std::string(i["value"].GetString()) == "RX1-765499";
  BOOST_CHECK(has_prior_mrn);
}

// The acute feed's messages go through the pipeline as the feed partner's writes: a person who
// has refused the acute trust any access (a Consent denying its ODS code) is not written to, and
// the PAS hears AR with the reason.
BOOST_AUTO_TEST_CASE(an_mllp_message_is_decided_as_the_feeds_write) {
  Identity& x = identity();
  auto gp = x.as("gp-riverside");
  std::string id = created(gp.send("POST", "/fhir/Patient", R"({"resourceType": "Patient", "identifier": [{"system": ")" +
                                                                 std::string(kNhs) + R"(", "value": "9000001110"}],
      "name": [{"family": "Refuser", "given": ["Rita"]}], "gender": "female", "birthDate": "1959-09-09"})"));
  created(gp.send("POST", "/fhir/Consent", consentFor(id, "deny", "RX1")));
  std::string text = testing::mllpExchange(
      x.gw->gateway().mllpPort(0),
      x.adt("ID5001", "A01", "PID|1||RX1-555000^^^RX1^MR~9000001110^^^NHS^NH||Refuser^Rita||19590909|F", "PV1|1|I|WARD3\r"));
  auto ack = hl7v2::parse(text);
  BOOST_REQUIRE(ack.isOk());
  BOOST_CHECK_EQUAL(ack->value("MSA-1"), "AR");
  BOOST_CHECK_MESSAGE(ack->value("MSA-3").find("denied") != std::string::npos, text);
  // Nothing of it was written: the MRN is not on the person's record.
  auto kept = json(gp.get("/fhir/Patient/" + id));
  BOOST_CHECK(testing::jsonText(kept["identifier"]).find("RX1-555000") == std::string::npos);
}

// PATCH: JSON Patch and FHIRPath Patch, by id and conditionally, with errors that say where.
BOOST_AUTO_TEST_CASE(json_patch_and_fhirpath_patch) {
  Identity& x = identity();
  auto gp = x.as("gp-riverside");
  std::string id = created(gp.send("POST", "/fhir/Patient", R"({"resourceType": "Patient",
      "identifier": [{"system": ")" + std::string(kGpId) + R"(", "value": "GP-P1"}],
      "name": [{"family": "Patchett", "given": ["Paula"]}], "gender": "female", "birthDate": "1960-03-03"})"));
  auto json_patch = [&](const std::string& path, const std::string& body, const std::string& if_match = "") {
    std::vector<std::pair<std::string, std::string>> h = {{"Content-Type", "application/json-patch+json"}};
    if (!if_match.empty()) h.emplace_back("If-Match", if_match);
    return gp.request("PATCH", path, body, h);
  };
  auto r = json_patch("/fhir/Patient/" + id, R"([{"op": "test", "path": "/birthDate", "value": "1960-03-03"},
      {"op": "replace", "path": "/birthDate", "value": "1960-03-04"},
      {"op": "add", "path": "/telecom", "value": [{"system": "phone", "value": "0113 000 0000"}]},
      {"op": "add", "path": "/name/0/given/-", "value": "Jane"}])",
                      "W/\"1\"");
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  auto p = json(gp.get("/fhir/Patient/" + id));
  BOOST_CHECK_EQUAL(std::string(p["birthDate"].GetString()), "1960-03-04");
  BOOST_CHECK_EQUAL(std::string(p["name"][0]["given"][1].GetString()), "Jane");
  BOOST_CHECK_EQUAL(std::string(p["meta"]["versionId"].GetString()), "2");
  // A failing test operation changes nothing (412); a stale If-Match too.
  BOOST_CHECK_EQUAL(json_patch("/fhir/Patient/" + id, R"([{"op": "test", "path": "/gender", "value": "male"},
      {"op": "remove", "path": "/telecom"}])").status, 412);
  BOOST_CHECK_EQUAL(json_patch("/fhir/Patient/" + id, R"([{"op": "remove", "path": "/telecom"}])", "W/\"1\"").status, 412);
  // A patch that makes bad FHIR is refused with the place.
  auto bad = json_patch("/fhir/Patient/" + id, R"([{"op": "replace", "path": "/gender", "value": 7}])");
  BOOST_CHECK_EQUAL(bad.status, 422);
  BOOST_CHECK(bad.body.find("gender") != std::string::npos);
  auto id_change = json_patch("/fhir/Patient/" + id, R"([{"op": "replace", "path": "/id", "value": "other"}])");
  BOOST_CHECK_EQUAL(id_change.status, 422);
  auto nowhere = json_patch("/fhir/Patient/" + id, R"([{"op": "remove", "path": "/address/3"}])");
  BOOST_CHECK_EQUAL(nowhere.status, 422);
  BOOST_CHECK(nowhere.body.find("/0") != std::string::npos);  // the operation's index
  BOOST_CHECK_EQUAL(gp.request("PATCH", "/fhir/Patient/" + id, "x", {{"Content-Type", "text/plain"}}).status, 415);

  // FHIRPath Patch, conditionally by the GP's identifier.
  std::string fp = R"({"resourceType": "Parameters", "parameter": [
    {"name": "operation", "part": [{"name": "type", "valueCode": "replace"}, {"name": "path", "valueString": "Patient.birthDate"},
                                   {"name": "value", "valueDate": "1960-03-05"}]},
    {"name": "operation", "part": [{"name": "type", "valueCode": "add"}, {"name": "path", "valueString": "Patient"},
                                   {"name": "name", "valueString": "deceased"}, {"name": "value", "valueBoolean": false}]},
    {"name": "operation", "part": [{"name": "type", "valueCode": "insert"}, {"name": "path", "valueString": "Patient.name[0].given"},
                                   {"name": "index", "valueInteger": 0}, {"name": "value", "valueString": "Ann"}]},
    {"name": "operation", "part": [{"name": "type", "valueCode": "delete"}, {"name": "path", "valueString": "Patient.telecom"}]}]})";
  auto f = gp.request("PATCH", std::string("/fhir/Patient?identifier=") + kGpId + "|GP-P1", fp,
                      {{"Content-Type", "application/fhir+json"}});
  BOOST_REQUIRE_MESSAGE(f.status == 200, f.body);
  p = json(gp.get("/fhir/Patient/" + id));
  BOOST_CHECK_EQUAL(std::string(p["birthDate"].GetString()), "1960-03-05");
  BOOST_CHECK_EQUAL(p["deceasedBoolean"].GetBool(), false);
  BOOST_CHECK_EQUAL(std::string(p["name"][0]["given"][0].GetString()), "Ann");
  BOOST_CHECK(!p.HasMember("telecom"));
  auto history = json(gp.get("/fhir/Patient/" + id + "/_history"));
  BOOST_CHECK_EQUAL(std::string(history["entry"][0]["request"]["method"].GetString()), "PATCH");
  // A path that finds two elements for a replace is refused with the operation's place.
  std::string two = R"({"resourceType": "Parameters", "parameter": [
    {"name": "operation", "part": [{"name": "type", "valueCode": "replace"}, {"name": "path", "valueString": "Patient.name.given"},
                                   {"name": "value", "valueString": "X"}]}]})";
  auto ambiguous = gp.request("PATCH", "/fhir/Patient/" + id, two, {{"Content-Type", "application/fhir+json"}});
  BOOST_CHECK_EQUAL(ambiguous.status, 422);
  BOOST_CHECK(ambiguous.body.find("Parameters.parameter[0]") != std::string::npos);
  // A conditional patch that finds nothing: 404.
  BOOST_CHECK_EQUAL(gp.request("PATCH", std::string("/fhir/Patient?identifier=") + kGpId + "|NOPE", fp,
                               {{"Content-Type", "application/fhir+json"}}).status,
                    404);
}

BOOST_AUTO_TEST_SUITE_END()
