// The ICS policy file: the sample loads, mistakes are reported with file:line:col, and rules
// are matched by sector and purpose.
#include <boost/test/unit_test.hpp>

#include "stages/consent/policy.h"
#include "support/test_support.h"

using namespace onedoor;
using stages::consent::loadPolicy;
using stages::consent::parsePolicy;

BOOST_AUTO_TEST_SUITE(PolicyFile)

BOOST_AUTO_TEST_CASE(the_sample_policy_loads) {
  config::Diagnostics diags;
  auto p = loadPolicy(ONEDOOR_SOURCE_DIR "/config/policy.sample.json", diags);
  BOOST_REQUIRE_MESSAGE(p != nullptr, diags.toString());
  BOOST_CHECK_EQUAL(p->version, "2026.11-sample");
  BOOST_CHECK_EQUAL(p->rule("gp", "TREAT", "x")->id, "direct-care");
  BOOST_CHECK_EQUAL(p->rule("vcfse", "TREAT", "x")->id, "vcfse-minimal");
  BOOST_CHECK_EQUAL(p->rule("acute", "HRESCH", "x")->id, "secondary-use");
  BOOST_CHECK(p->rule("vcfse", "HRESCH", "x") == nullptr);
  BOOST_CHECK(p->rule("auditor", "TREAT", "x") == nullptr);
  BOOST_CHECK(p->sensitive.count("http://terminology.hl7.org/CodeSystem/v3-ActCode|PSY"));
  BOOST_CHECK(p->sensitive.at("http://terminology.hl7.org/CodeSystem/v3-ActCode|SDV").count("mental-health"));
  BOOST_CHECK(!p->sensitive.at("http://terminology.hl7.org/CodeSystem/v3-ActCode|SDV").count("social-care"));
  BOOST_CHECK(p->minimal_types.count("Patient"));
  BOOST_CHECK(p->break_glass_partners.count("crisis-team"));
}

BOOST_AUTO_TEST_CASE(mistakes_are_reported_with_line_and_column) {
  config::Diagnostics diags;
  auto p = parsePolicy("ics.json", R"({
  "version": "1",
  "rules": [
    {"id": "a", "sectors": ["gp", "pharmacy"], "purposes": ["TREAT"], "access": "everything"},
    {"id": "a", "sectors": ["gp"], "purposes": ["TREAT"], "consnet": "implied"}
  ]
})", diags);
  BOOST_CHECK(p == nullptr);
  std::string text = diags.toString();
  BOOST_TEST_MESSAGE(text);
  BOOST_CHECK(text.find("ics.json:4:") != std::string::npos);
  BOOST_CHECK(text.find("unknown sector 'pharmacy'") != std::string::npos);
  BOOST_CHECK(text.find("everything") != std::string::npos);
  BOOST_CHECK(text.find("used twice") != std::string::npos);
  BOOST_CHECK(text.find("consnet") != std::string::npos);
  BOOST_CHECK(text.find("ics.json:5:") != std::string::npos);
}

// A labelling rule's condition is FHIRPath, checked at load: a mistake is reported at the
// condition's line and column, with the position inside the expression.
BOOST_AUTO_TEST_CASE(a_labelling_condition_is_checked_at_load) {
  config::Diagnostics diags;
  auto p = parsePolicy("ics.json", R"({
  "version": "1", "rules": [{"id": "a", "sectors": ["gp"], "purposes": ["TREAT"]}],
  "labelling": [
    {"id": "mha", "written_by_sectors": ["acute"], "label": "PSY", "when": "extension.where(url = 'x'"}
  ]
})", diags);
  BOOST_CHECK(p == nullptr);
  std::string text = diags.toString();
  BOOST_TEST_MESSAGE(text);
  BOOST_CHECK(text.find("ics.json:4:") != std::string::npos);
  BOOST_CHECK(text.find("'when': FHIRPath") != std::string::npos);
  config::Diagnostics fine;
  auto ok = parsePolicy("ics.json", R"J({"version": "1", "rules": [{"id": "a", "sectors": ["gp"], "purposes": ["TREAT"]}],
    "labelling": [{"id": "mha", "written_by_sectors": ["acute"], "label": "PSY", "when": "extension.exists()"}]})J", fine);
  BOOST_REQUIRE(ok != nullptr);
  BOOST_CHECK(ok->labelling.front().when != nullptr);
}

// A rule whose legal basis is not consent (safeguarding) applies to the partners it names only,
// and must name them.
BOOST_AUTO_TEST_CASE(a_rule_that_sets_consent_aside_is_for_named_partners) {
  config::Diagnostics diags;
  auto sample = loadPolicy(ONEDOOR_SOURCE_DIR "/config/policy.sample.json", diags);
  BOOST_REQUIRE_MESSAGE(sample != nullptr, diags.toString());
  const auto* rule = sample->rule("mental-health", "safeguarding", "mh-spa");
  BOOST_REQUIRE(rule != nullptr);
  BOOST_CHECK_EQUAL(rule->consent, "not-required");
  BOOST_CHECK(rule->requires_authoriser);
  BOOST_CHECK(rule->withhold_types.count("RelatedPerson"));
  BOOST_CHECK(rule->sees_labels.count("http://terminology.hl7.org/CodeSystem/v3-ActCode|SDV"));
  BOOST_CHECK(sample->rule("mental-health", "safeguarding", "crisis-team") == nullptr);
  config::Diagnostics unnamed;
  auto p = parsePolicy("ics.json", R"({"version": "1", "rules": [
    {"id": "s", "sectors": ["gp"], "purposes": ["safeguarding"], "consent": "not-required"}]})", unnamed);
  BOOST_CHECK(p == nullptr);
  BOOST_CHECK(unnamed.toString().find("ics.json:2:") != std::string::npos);
  BOOST_CHECK(unnamed.toString().find("'partners'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_policy_needs_a_version_and_rules) {
  config::Diagnostics diags;
  BOOST_CHECK(parsePolicy("p.json", R"({"rules": []})", diags) == nullptr);
  BOOST_CHECK(diags.toString().find("version") != std::string::npos);
  config::Diagnostics broken;
  BOOST_CHECK(parsePolicy("p.json", R"({"version": "1", "rules": [)", broken) == nullptr);
  BOOST_CHECK(broken.toString().find("p.json:1:") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(without_a_policy_nothing_is_shared) {
  auto p = stages::consent::denyAllPolicy();
  BOOST_CHECK(p->rule("gp", "TREAT", "x") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
