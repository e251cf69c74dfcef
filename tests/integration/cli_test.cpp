#include <boost/test/unit_test.hpp>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace {

using Run = onedoor::testing::CliRun;
Run run(const std::vector<std::string>& args, const std::string& input = "") {
  return onedoor::testing::runOnedoor(args, input);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Cli)

BOOST_AUTO_TEST_CASE(convert_turns_json_into_xml_and_back) {
  onedoor::testing::TempDir dir;
  auto json = R"({"resourceType":"Patient","id":"x","birthDate":"1970-01-01"})";
  Run x = run({"convert", "--to", "xml", "-"}, json);
  BOOST_CHECK_EQUAL(x.code, 0);
  BOOST_CHECK(x.out.find("<birthDate value=\"1970-01-01\"/>") != std::string::npos);
  std::ofstream(dir.path() / "p.xml") << x.out;
  Run j = run({"convert", "--to", "json", (dir.path() / "p.xml").string()});
  BOOST_CHECK_EQUAL(j.code, 0);
  BOOST_CHECK_EQUAL(j.out, std::string(json) + "\n");
}

BOOST_AUTO_TEST_CASE(convert_reports_problems_as_an_operation_outcome_on_stderr) {
  Run r = run({"convert", "--to", "xml", "-"}, R"({"resourceType":"Patient","activ":true})");
  BOOST_CHECK_EQUAL(r.code, 1);
  BOOST_CHECK(r.out.empty());
  BOOST_CHECK(r.err.find("\"resourceType\": \"OperationOutcome\"") != std::string::npos);
  BOOST_CHECK(r.err.find("unknown element 'activ'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(convert_of_a_60kb_bundle_is_fast) {
  auto dir = onedoor::testing::sharedDir("examples/r4-spec");
  if (!dir) {
    BOOST_TEST_MESSAGE("skipped: ../shared/conformance/examples is absent");
    return;
  }
  run({"convert", "--to", "json", (*dir / "patient-example.xml").string()});  // warm the cache
  auto start = std::chrono::steady_clock::now();
  Run r = run({"convert", "--to", "json", (*dir / "bundle-transaction.xml").string()});
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  BOOST_CHECK_EQUAL(r.code, 0);
  BOOST_TEST_MESSAGE("one-shot convert took " << ms << " ms");
  BOOST_CHECK_LT(ms, 1000);  // a loose bound; the benchmark measures the real figure
}

BOOST_AUTO_TEST_CASE(check_prints_file_line_col_diagnostics) {
  onedoor::testing::TempDir dir;
  std::ofstream(dir.path() / "bad.json") << "{\n  \"server\": {\"prot\": 1}\n}\n";
  Run r = run({"check", "--config", (dir.path() / "bad.json").string()});
  BOOST_CHECK_EQUAL(r.code, 1);
  BOOST_CHECK(r.err.find("bad.json:2:14: error: unknown key 'prot'") != std::string::npos);
  Run ok = run({"check", "--config", std::string(ONEDOOR_SOURCE_DIR) + "/config/onedoor.sample.json"});
  BOOST_CHECK_EQUAL(ok.code, 0);
}

BOOST_AUTO_TEST_CASE(fhirpath_prints_results_as_a_json_array) {
  const char* patient = R"({"resourceType":"Patient","name":[{"given":["Ann","Bo"]}],"birthDate":"1980-01-02",
    "multipleBirthInteger":2,"active":true})";
  Run r = run({"fhirpath", "--input", "-", "name.given | birthDate | multipleBirth | active | name.first()"}, patient);
  BOOST_CHECK_EQUAL(r.code, 0);
  BOOST_CHECK_EQUAL(r.out, "[\"Ann\",\"Bo\",\"1980-01-02\",2,true,{\"given\":[\"Ann\",\"Bo\"]}]\n");
  Run q = run({"fhirpath", "4.5 'mg' + 500 'ug'"});
  BOOST_CHECK_EQUAL(q.out, "[\"5.0 'mg'\"]\n");
  Run v = run({"fhirpath", "--var", "n=3", "%n * 2"});
  BOOST_CHECK_EQUAL(v.out, "[6]\n");
}

BOOST_AUTO_TEST_CASE(fhirpath_syntax_errors_exit_2_with_the_column) {
  Run r = run({"fhirpath", "name.where(use = )"});
  BOOST_CHECK_EQUAL(r.code, 2);
  BOOST_CHECK(r.err.find("1:18: unexpected ')'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(fhirpath_evaluates_a_file_of_expressions_one_line_each) {
  onedoor::testing::TempDir dir;
  std::ofstream(dir.path() / "e.txt") << "name.given\nname.(\n(1|2).single()\n";
  Run r = run({"fhirpath", "--input", "-", "--expressions", (dir.path() / "e.txt").string()},
              R"({"resourceType":"Patient","name":[{"given":["Ann"]}]})");
  BOOST_CHECK_EQUAL(r.code, 1);
  std::istringstream lines(r.out);
  std::string l1, l2, l3;
  std::getline(lines, l1);
  std::getline(lines, l2);
  std::getline(lines, l3);
  BOOST_CHECK_EQUAL(l1, "[\"Ann\"]");
  BOOST_CHECK(l2.rfind("{\"error\":\"1:6:", 0) == 0);
  BOOST_CHECK(l3.find("single() found 2 items") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_command_has_help_and_bad_usage_exits_2) {
  for (const char* c : {"serve", "check", "convert", "fhirpath", "validate"}) {
    Run r = run({c, "--help"});
    BOOST_CHECK_EQUAL(r.code, 0);
    BOOST_CHECK(r.out.find("usage") != std::string::npos || r.out.find("onedoor") != std::string::npos);
  }
  BOOST_CHECK_EQUAL(run({"convert", "--to", "yaml", "-"}).code, 2);
  BOOST_CHECK_EQUAL(run({"frobnicate"}).code, 2);
  BOOST_CHECK_EQUAL(run({"--help"}).code, 0);
}

BOOST_AUTO_TEST_CASE(validate_exits_1_on_errors_and_0_on_warnings_only) {
  std::string profiles = ONEDOOR_SOURCE_DIR "/fhir-profiles";
  Run bad = run({"validate", "--load", profiles, profiles + "/counter-examples/Patient-bad-check-digit.json"});
  BOOST_CHECK_EQUAL(bad.code, 1);
  BOOST_CHECK(bad.out.find("ics-nhs-2") != std::string::npos);
  Run good = run({"validate", "--load", profiles, profiles + "/examples/Patient-ics-patient-example.json",
                  profiles + "/examples/CarePlan-ics-care-plan.json"});
  BOOST_CHECK_EQUAL(good.code, 0);
  BOOST_CHECK(good.out.find("\"error\"") == std::string::npos);
  Run missing = run({"validate", "/nonexistent.json"});
  BOOST_CHECK_EQUAL(missing.code, 1);
  BOOST_CHECK(missing.out.find("cannot read the file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(check_reports_a_broken_profile_with_its_line) {
  onedoor::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "profiles");
  std::ofstream(dir.path() / "profiles" / "StructureDefinition-broken.json")
      << "{\"resourceType\":\"StructureDefinition\",\"url\":\"https://example.org/sd/broken\",\"name\":\"Broken\",\n"
         "\"status\":\"draft\",\"kind\":\"resource\",\"abstract\":false,\"type\":\"Patient\",\"derivation\":\"constraint\",\n"
         "\"baseDefinition\":\"http://hl7.org/fhir/StructureDefinition/Patient\",\"differential\":{\"element\":[\n"
         "{\"id\":\"Patient.name\",\"path\":\"Patient.name\",\"constraint\":[{\"key\":\"x-1\",\"severity\":\"error\",\"human\":\"h\",\"expression\":\"given.where(\"}]},\n"
         "{\"id\":\"Patient.nosuch\",\"path\":\"Patient.nosuch\",\"min\":1}]}}";
  std::ofstream(dir.path() / "c.json") << R"({"validation": {"profiles": ["profiles"]}})";
  Run r = run({"check", "--config", (dir.path() / "c.json").string()});
  BOOST_CHECK_EQUAL(r.code, 1);
  BOOST_CHECK_MESSAGE(r.err.find("StructureDefinition-broken.json:4:1: error: Patient.name: invariant x-1 does not compile") != std::string::npos, r.err);
  BOOST_CHECK_MESSAGE(r.err.find("StructureDefinition-broken.json:5:1: error: differential element Patient.nosuch") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(CliDefinitions)

BOOST_AUTO_TEST_CASE(a_missing_fhir_package_is_named_at_start) {
  onedoor::testing::TempDir dir;
  std::ofstream(dir.path() / "c.json") << R"({"definitions":{"package_cache":"empty-cache"}})";
  Run r = run({"check", "--config", (dir.path() / "c.json").string()});
  BOOST_CHECK_EQUAL(r.code, 1);
  BOOST_CHECK(r.err.find("hl7.fhir.r4.core#4.0.1 is not installed") != std::string::npos);
  Run s = run({"serve", "--config", (dir.path() / "c.json").string()});
  BOOST_CHECK_EQUAL(s.code, 1);
  BOOST_CHECK(s.err.find("hl7.fhir.r4.core#4.0.1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(map_runs_fml_on_hl7v2_and_reports_mistakes_with_their_place) {
  onedoor::testing::TempDir dir;
  // The golden cases of every sample mapping (mappings/<sector>/tests/<map>/).
  Run golden = run({"map", "test", ONEDOOR_SOURCE_DIR "/mappings"});
  BOOST_CHECK_MESSAGE(golden.code == 0, golden.out + golden.err);
  BOOST_CHECK(golden.out.find(" 0 failed") != std::string::npos);
  // Every expected FHIR output is valid under the ICS profiles (fhir-profiles/); the others are a
  // system's own JSON (maps from FHIR to a partner's format).
  std::vector<std::string> validate = {"validate", "--config", ONEDOOR_SOURCE_DIR "/config/onedoor.sample.json"};
  for (const auto& e : std::filesystem::recursive_directory_iterator(ONEDOOR_SOURCE_DIR "/mappings")) {
    if (e.path().string().find(".expected.json") == std::string::npos) continue;
    if (onedoor::testing::readFile(e.path()).find("\"resourceType\"") != std::string::npos) validate.push_back(e.path().string());
  }
  BOOST_CHECK_GE(validate.size(), 18u);
  Run valid = run(validate);
  BOOST_CHECK_MESSAGE(valid.code == 0, valid.out.substr(0, 3000));
  // One message by hand: the output is a message Bundle with the patient's NHS number.
  Run one = run({"map", "--map", ONEDOOR_SOURCE_DIR "/mappings/acute/adt-to-message.map", "--input", "-"},
                "MSH|^~\\&|PAS|RX1|ONEDOOR|ICS|20261123||ADT^A01|M1|P|2.4\rPID|1||9434765919^^^NHS^NH||Smith^Ann||19800203|F\r");
  BOOST_CHECK_EQUAL(one.code, 0);
  BOOST_CHECK(one.out.find("\"type\":\"message\"") != std::string::npos);
  BOOST_CHECK(one.out.find("9434765919") != std::string::npos);
  BOOST_CHECK(one.out.find("\"birthDate\":\"1980-02-03\"") != std::string::npos);
  // The map as FML text, from FML or from a StructureMap resource, parses back the same.
  Run fml = run({"map", "--map", ONEDOOR_SOURCE_DIR "/mappings/acute/adt-to-message.map", "--to", "fml"});
  BOOST_CHECK_EQUAL(fml.code, 0);
  BOOST_CHECK(fml.out.find("map \"https://onedoor.dev/fhir/StructureMap/acute-adt-to-message\"") != std::string::npos);
  BOOST_CHECK(fml.out.find("conceptmap \"#sex\"") != std::string::npos);
  // A broken map: file:line:col.
  std::ofstream(dir.path() / "broken.map") << "map \"u\" = x\ngroup g(source s, target t) {\n  s.a -> t.b = frob(a);\n}\n";
  Run broken = run({"map", "--map", (dir.path() / "broken.map").string(), "--input", "-"}, "{}");
  BOOST_CHECK_EQUAL(broken.code, 1);
  BOOST_CHECK_MESSAGE(broken.err.find("broken.map:3:16: unknown transform 'frob'") != std::string::npos, broken.err);
  // A broken message: line and segment.
  Run bad = run({"map", "--map", ONEDOOR_SOURCE_DIR "/mappings/acute/adt-to-message.map", "--input", "-"},
                "MSH|^~\\&|PAS|RX1|ONEDOOR|ICS|1||ADT^A01|M1|P|2.4\rpid|1\r");
  BOOST_CHECK_EQUAL(bad.code, 1);
  BOOST_CHECK_MESSAGE(bad.err.find("line 2: 'pid' is not a segment name") != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_SUITE_END()
