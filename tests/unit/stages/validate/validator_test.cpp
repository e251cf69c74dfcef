// The validator on small resources (each check on its own, with its message and location), the
// snapshot generator, the write policy, and the ICS profiles in fhir-profiles/ with their
// examples (no errors) and counter-examples (the error expected.tsv names).
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "app/gateway.h"
#include "fhir/codec.h"
#include "stages/validate/primitive_formats.h"
#include "stages/validate/snapshot.h"
#include "stages/validate/validate_stage.h"
#include "stages/validate/validator.h"
#include "support/test_support.h"

using namespace onedoor;
using stages::validate::ValidationOptions;
using stages::validate::Validator;

namespace {

constexpr const char* kIcs = "https://onedoor.dev/fhir/StructureDefinition/";

// The core definitions with fhir-profiles/ loaded, built once.
const Validator& validator() {
  static const Validator v = [] {
    config::GatewayConfig cfg;
    config::Diagnostics diags;
    auto profiles = app::loadProfiles(cfg, testing::modelPtr(), {ONEDOOR_SOURCE_DIR "/fhir-profiles"}, diags);
    if (!profiles.isOk() || diags.hasErrors()) {
      BOOST_FAIL("fhir-profiles do not load: " + diags.toString());
    }
    return Validator(*profiles);
  }();
  return v;
}

core::Issues validate(const std::string& text, const std::vector<std::string>& profiles = {}) {
  auto r = fhir::read(testing::model(), fhir::sniffFormat(text), text);
  if (!r.ok()) return r.issues;
  ValidationOptions o;
  o.profiles = profiles;
  return validator().validate(r.resource, o);
}

const core::Issue* findIssue(const core::Issues& issues, const std::string& text, core::Severity severity) {
  for (const auto& i : issues) {
    if (i.severity == severity && i.message.find(text) != std::string::npos) return &i;
  }
  return nullptr;
}

std::string all(const core::Issues& issues) {
  std::string s;
  for (const auto& i : issues) s += std::string(core::severityName(i.severity)) + ": " + i.message + " @ " + i.expression + "\n";
  return s;
}

int errors(const core::Issues& issues) {
  int n = 0;
  for (const auto& i : issues) n += i.severity == core::Severity::kError || i.severity == core::Severity::kFatal;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ValidatorChecks)

BOOST_AUTO_TEST_CASE(a_valid_resource_has_no_errors) {
  auto issues = validate(R"({"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ann</div>"},"name":[{"family":"Smith"}],"gender":"female","birthDate":"1970-01-01"})");
  BOOST_TEST(errors(issues) == 0, all(issues));
}

BOOST_AUTO_TEST_CASE(cardinality_is_checked_with_the_element_path) {
  // Observation.status and .code are 1..1 in the base definition.
  auto issues = validate(R"({"resourceType":"Observation","valueString":"x"})");
  const core::Issue* i = findIssue(issues, "Observation.status: minimum required = 1", core::Severity::kError);
  BOOST_REQUIRE_MESSAGE(i != nullptr, all(issues));
  BOOST_TEST(i->expression == "Observation.status");
  BOOST_TEST(findIssue(issues, "Observation.code: minimum required = 1", core::Severity::kError) != nullptr);
}

BOOST_AUTO_TEST_CASE(a_bad_primitive_format_is_an_error_without_its_value) {
  // Readers accept any string for a date; the definition's regex does not.
  auto issues = validate(R"({"resourceType":"Patient","birthDate":"1970-13-45"})");
  const core::Issue* i = findIssue(issues, "not a valid date", core::Severity::kError);
  BOOST_REQUIRE_MESSAGE(i != nullptr, all(issues));
  BOOST_TEST(i->expression == "Patient.birthDate");
  BOOST_TEST(i->message.find("1970-13-45") == std::string::npos);  // no patient values in messages
  BOOST_TEST(i->line == 1u);
}

BOOST_AUTO_TEST_CASE(required_binding_is_an_error_and_extensible_a_warning) {
  auto issues = validate(R"({"resourceType":"Patient","gender":"unknownish"})");
  BOOST_TEST(findIssue(issues, "value set http://hl7.org/fhir/ValueSet/administrative-gender", core::Severity::kError) != nullptr, all(issues));
  issues = validate(R"({"resourceType":"Patient","maritalStatus":{"coding":[{"system":"http://example.org/ms","code":"x"}]}})");
  BOOST_TEST(findIssue(issues, "extensible binding", core::Severity::kWarning) != nullptr, all(issues));
}

BOOST_AUTO_TEST_CASE(invariants_run_with_their_severity) {
  // per-1: a Period's start is not after its end (error); dom-6: narrative (warning).
  auto issues = validate(R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":"2026-02-01","end":"2026-01-01"}})");
  const core::Issue* per = findIssue(issues, "per-1", core::Severity::kError);
  BOOST_REQUIRE_MESSAGE(per != nullptr, all(issues));
  BOOST_TEST(per->expression == "Encounter.period");
  BOOST_TEST(findIssue(issues, "dom-6", core::Severity::kWarning) != nullptr);
}

BOOST_AUTO_TEST_CASE(xml_issues_carry_line_and_column) {
  auto issues = validate("<Patient xmlns=\"http://hl7.org/fhir\">\n  <gender value=\"x\"/>\n  <birthDate value=\"1970-02-30x\"/>\n</Patient>");
  const core::Issue* i = findIssue(issues, "not a valid date", core::Severity::kError);
  BOOST_REQUIRE_MESSAGE(i != nullptr, all(issues));
  BOOST_TEST(i->line == 3u);
}

BOOST_AUTO_TEST_CASE(reference_targets_are_checked_against_the_allowed_types) {
  auto issues = validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Medication/1"}})");
  BOOST_TEST(findIssue(issues, "the reference is to a Medication, which is not allowed here", core::Severity::kError) != nullptr, all(issues));
}

BOOST_AUTO_TEST_CASE(unknown_extensions_warn_and_modifier_extensions_fail) {
  auto issues = validate(R"({"resourceType":"Patient","extension":[{"url":"https://example.org/x","valueString":"a"}],"modifierExtension":[{"url":"https://example.org/y","valueString":"b"}]})");
  BOOST_TEST(findIssue(issues, "extension https://example.org/x is not known", core::Severity::kWarning) != nullptr, all(issues));
  BOOST_TEST(findIssue(issues, "modifier extension https://example.org/y", core::Severity::kError) != nullptr, all(issues));
}

BOOST_AUTO_TEST_CASE(an_extension_in_the_wrong_context_is_an_error) {
  // patient-birthPlace may only sit on Patient.
  auto issues = validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueAddress":{"city":"Leeds"}}]})");
  BOOST_TEST(findIssue(issues, "is not allowed on Observation", core::Severity::kError) != nullptr, all(issues));
}

BOOST_AUTO_TEST_CASE(every_bundle_entry_is_validated) {
  auto issues = validate(R"({"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:6c4b8b1a-1a51-4ad0-a1c3-5d1c1a1b2c3d","resource":{"resourceType":"Observation","valueString":"x"}}]})");
  const core::Issue* i = findIssue(issues, "Observation.status: minimum required", core::Severity::kError);
  BOOST_REQUIRE_MESSAGE(i != nullptr, all(issues));
  BOOST_TEST(i->expression == "Bundle.entry[0].resource.status");
}

BOOST_AUTO_TEST_CASE(unknown_profiles_are_reported_not_ignored) {
  auto issues = validate(R"({"resourceType":"Patient","meta":{"profile":["https://example.org/StructureDefinition/none"]}})");
  BOOST_TEST(findIssue(issues, "profile https://example.org/StructureDefinition/none is not known", core::Severity::kWarning) != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(SnapshotGenerator)

BOOST_AUTO_TEST_CASE(a_differential_gets_slices_expanded_types_and_choice_renames) {
  std::string sd = R"({"resourceType":"StructureDefinition","url":"https://example.org/sd/p","name":"P","status":"draft",
    "kind":"resource","abstract":false,"type":"Observation","derivation":"constraint",
    "baseDefinition":"http://hl7.org/fhir/StructureDefinition/Observation","differential":{"element":[
      {"id":"Observation.identifier","path":"Observation.identifier","slicing":{"discriminator":[{"type":"value","path":"system"}],"rules":"closed"}},
      {"id":"Observation.identifier:mrn","path":"Observation.identifier","sliceName":"mrn","min":1},
      {"id":"Observation.identifier:mrn.system","path":"Observation.identifier.system","fixedUri":"https://example.org/mrn"},
      {"id":"Observation.valueQuantity","path":"Observation.valueQuantity","min":1},
      {"id":"Observation.valueQuantity.unit","path":"Observation.valueQuantity.unit","min":1}]}})";
  auto r = fhir::readJson(testing::model(), sd);
  BOOST_REQUIRE(r.ok());
  const auto& ps = validator().profiles();
  auto base = ps.structure("Observation");
  BOOST_REQUIRE(base.isOk());
  std::vector<stages::validate::Problem> problems;
  auto diff = stages::validate::readElements(r.resource, true, problems);
  stages::validate::StructureSource source = [&](std::string_view t) { return ps.structure(t); };
  auto s = stages::validate::generateSnapshot(**base, diff, source, problems);
  BOOST_TEST(problems.empty());
  int slice = s.find("Observation.identifier:mrn");
  BOOST_REQUIRE(slice >= 0);
  BOOST_TEST(s.elements[static_cast<std::size_t>(slice)].min == 1u);
  BOOST_TEST(s.elements[static_cast<std::size_t>(slice)].slice_of == s.find("Observation.identifier"));
  int system = s.find("Observation.identifier:mrn.system");
  BOOST_REQUIRE(system >= 0);  // Identifier expanded under the slice
  BOOST_TEST(s.elements[static_cast<std::size_t>(system)].fixed->value == "https://example.org/mrn");
  int value = s.find("Observation.value[x]");
  BOOST_REQUIRE(value >= 0);
  BOOST_TEST(s.elements[static_cast<std::size_t>(value)].types.size() == 1u);  // restricted to Quantity
  BOOST_TEST(s.elements[static_cast<std::size_t>(value)].types.front().code == "Quantity");
  BOOST_TEST(s.find("Observation.value[x].unit") >= 0);
}

BOOST_AUTO_TEST_CASE(an_unknown_differential_path_is_a_problem_with_its_position) {
  std::string sd = "{\"resourceType\":\"StructureDefinition\",\"url\":\"https://example.org/sd/q\",\"name\":\"Q\",\"status\":\"draft\",\n"
                   "\"kind\":\"resource\",\"abstract\":false,\"type\":\"Patient\",\"derivation\":\"constraint\",\n"
                   "\"baseDefinition\":\"http://hl7.org/fhir/StructureDefinition/Patient\",\"differential\":{\"element\":[\n"
                   "  {\"id\":\"Patient.nosuch\",\"path\":\"Patient.nosuch\",\"min\":1}]}}";
  auto r = fhir::readJson(testing::model(), sd);
  BOOST_REQUIRE(r.ok());
  const auto& ps = validator().profiles();
  std::vector<stages::validate::Problem> problems;
  auto diff = stages::validate::readElements(r.resource, true, problems);
  stages::validate::StructureSource source = [&](std::string_view t) { return ps.structure(t); };
  stages::validate::generateSnapshot(**ps.structure("Patient"), diff, source, problems);
  BOOST_REQUIRE_EQUAL(problems.size(), 1u);
  BOOST_TEST(problems.front().message.find("Patient.nosuch") != std::string::npos);
  BOOST_TEST(problems.front().line == 4u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(WritePolicy)

BOOST_AUTO_TEST_CASE(the_most_specific_rule_wins) {
  config::ValidationConfig c;
  c.on_write = "off";
  c.rules.push_back({"Patient", "", "warn", {}});
  c.rules.push_back({"", "gp-1", "enforce", {}});
  c.rules.push_back({"Patient", "gp-1", "off", {"https://x/p"}});
  using stages::validate::Mode;
  BOOST_TEST((stages::validate::writePolicy(c, "Observation", "") .mode == Mode::kOff));
  BOOST_TEST((stages::validate::writePolicy(c, "Patient", "") .mode == Mode::kWarn));
  BOOST_TEST((stages::validate::writePolicy(c, "Observation", "gp-1") .mode == Mode::kEnforce));
  auto p = stages::validate::writePolicy(c, "Patient", "gp-1");
  BOOST_TEST((p.mode == Mode::kOff));
  BOOST_TEST(p.profiles.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(IcsProfiles)

BOOST_AUTO_TEST_CASE(every_example_validates_against_its_profile) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(ONEDOOR_SOURCE_DIR "/fhir-profiles/examples")) {
    auto issues = validate(testing::readFile(e.path()));
    BOOST_TEST(errors(issues) == 0, e.path().filename().string() + ":\n" + all(issues));
    ++n;
  }
  BOOST_TEST(n >= 10);
}

BOOST_AUTO_TEST_CASE(every_counter_example_fails_with_the_expected_error) {
  std::ifstream in(ONEDOOR_SOURCE_DIR "/fhir-profiles/counter-examples/expected.tsv");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    std::string file = line.substr(0, tab), expected = line.substr(tab + 1);
    auto issues = validate(testing::readFile(std::string(ONEDOOR_SOURCE_DIR "/fhir-profiles/counter-examples/") + file));
    BOOST_TEST(findIssue(issues, expected, core::Severity::kError) != nullptr, file + ": expected '" + expected + "', got:\n" + all(issues));
    ++n;
  }
  BOOST_TEST(n >= 15);
}

BOOST_AUTO_TEST_CASE(nhs_number_check_digit_follows_modulus_11) {
  // DOMAIN.md §1.2's sample numbers: valid ones pass, the others fail ics-nhs-2.
  std::string tmpl = R"({"resourceType":"Patient","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"NUM"}],"name":[{"family":"X"}],"birthDate":"2000-01-01"})";
  auto with = [&](const std::string& n) {
    std::string t = tmpl;
    t.replace(t.find("NUM"), 3, n);
    return validate(t, {std::string(kIcs) + "ICS-Patient"});
  };
  for (const char* ok : {"9434765919", "9000000009", "4857773457", "9990000018", "9990000085"}) {
    BOOST_TEST(findIssue(with(ok), "ics-nhs", core::Severity::kError) == nullptr, ok);
  }
  for (const char* bad : {"4857773456", "3478526985"}) {
    BOOST_TEST(findIssue(with(bad), "ics-nhs-2", core::Severity::kError) != nullptr, bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(PrimitiveFormats)

// The built-in checks must accept exactly what the definitions' regexes accept.
BOOST_AUTO_TEST_CASE(built_in_formats_agree_with_the_definitions_regexes) {
  const std::vector<std::string> corpus = {
      "", "a", " a", "a ", "a  b", "a b", "a\tb", "a\vb", "a\fb", "x\ny", "0", "00", "01", "1", "-1", "-0", "+1",
      "1.", "1.0", ".5", "1e5", "1E-5", "1e", "-12.50", "2147483648", "true", "false", "True", "1970", "0000",
      "0001", "1970-01", "1970-13", "1970-00", "1970-01-01", "1970-01-32", "1970-02-30", "1970-1-1",
      "1970-01-01T10:00:00Z", "1970-01-01T10:00:00", "1970-01-01T24:00:00Z", "1970-01-01T10:00:60Z",
      "1970-01-01T10:00:00.123+01:00", "1970-01-01T10:00:00+14:00", "1970-01-01T10:00:00+14:30",
      "1970-01-01T10:00:00-13:59", "1970-01-01T10:00Z", "1970-01-01T10:00:00.Z", "10:00:00", "10:00",
      "23:59:60.5", "24:00:00", "urn:oid:1.2.3", "urn:oid:3.1", "urn:oid:1", "urn:oid:1.02", "urn:oid:2.0.10",
      "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", "urn:uuid:C757873D-EC9A-4326-A141-556F43239520",
      "urn:uuid:c757873d-ec9a-4326-a141-556f4323952", "http://example.org/a b", "http://example.org/ab",
      "abc-DEF.12", std::string(64, 'a'), std::string(65, 'a'), "a_b", "QUJD", "QUJ", "QUJD RA==", "QU JD",
      " QUJD ", "QUJD\n", "QUJ=", "====", "é", "naïve code"};
  const auto& ps = validator().profiles();
  for (const char* type : {"string", "markdown", "code", "id", "uri", "url", "canonical", "date", "dateTime", "instant",
                           "time", "decimal", "integer", "unsignedInt", "positiveInt", "boolean", "base64Binary", "oid",
                           "uuid"}) {
    const std::regex* re = ps.primitiveRegex(type);
    BOOST_REQUIRE_MESSAGE(re != nullptr, type);
    for (const auto& v : corpus) {
      auto built_in = stages::validate::primitiveFormatOk(type, v);
      BOOST_REQUIRE(built_in.has_value());
      BOOST_TEST(*built_in == std::regex_match(v, *re), type << " '" << v << "'");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
