// The consent decision on its own, with the sample ICS policy (config/policy.sample.json) and
// R4 Consent resources shaped as in ../shared/DOMAIN.md scenarios S4 to S7 and S12.
#include <boost/test/unit_test.hpp>

#include "stages/consent/consent_evaluator.h"
#include "stages/consent/policy.h"
#include "support/test_support.h"

using namespace onedoor;
using stages::consent::ConsentEvaluator;
using stages::consent::Decision;
using stages::consent::Requester;
using Effect = Decision::Effect;

namespace {

constexpr const char* kNow = "2026-11-23T10:00:00Z";

const ConsentEvaluator& evaluator() {
  static const ConsentEvaluator e = [] {
    config::Diagnostics diags;
    auto p = stages::consent::loadPolicy(ONEDOOR_SOURCE_DIR "/config/policy.sample.json", diags);
    if (!p) BOOST_FAIL("sample policy: " + diags.toString());
    return ConsentEvaluator(p);
  }();
  return e;
}

const Requester kGp{"gp-riverside", "gp", "Y12345", "TREAT"};
const Requester kAcute{"acute-general", "acute", "RX1", "TREAT"};
const Requester kSocialCare{"council-adults", "social-care", "LA123", "TREAT"};
const Requester kVcfse{"vcfse-befriending", "vcfse", "VCF01", "TREAT"};
const Requester kCrisis{"crisis-team", "mental-health", "RX4", "ETREAT"};

std::string label(const std::string& code) {
  return R"({"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": ")" + code + "\"}";
}

std::string odsActor(const std::string& ods) {
  return R"({"role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
             "reference": {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ")" +
         ods + "\"}}}";
}

fhir::Node consent(const std::string& id, const std::string& provision, const std::string& status = "active",
                   const std::string& extra = "") {
  return testing::parse(R"({"resourceType": "Consent", "id": ")" + id + R"(", "status": ")" + status + R"(",
    "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
    "patient": {"reference": "Patient/p1"}, "dateTime": "2026-01-01")" + extra + R"(,
    "provision": )" + provision + "}");
}

fhir::Node patient() {
  return testing::parse(R"({"resourceType": "Patient", "id": "p1",
    "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}],
    "name": [{"family": "Sheikh", "given": ["Amira"]}], "telecom": [{"system": "phone", "value": "07700 900123"}],
    "gender": "female", "birthDate": "1990-04-02", "maritalStatus": {"text": "Married"},
    "generalPractitioner": [{"reference": "Organization/gp"}]})");
}

fhir::Node labelled(const std::string& type, const std::string& labels, const std::string& extra = "") {
  return testing::parse(R"({"resourceType": ")" + type + R"(", "id": "x1", "meta": {"security": [)" + labels + "]}" +
                        extra + "}");
}

Decision decide(const Requester& who, const fhir::Node& r, const std::vector<const fhir::Node*>& consents = {},
                const std::string& action = "access") {
  return evaluator().decide(who, r, consents, action, kNow);
}

// S4: explicit consent to share with the befriending charity (VCF01), with a nested deny of
// psychiatric, restricted and sexual/domestic-violence data.
fhir::Node vcfseConsent(const std::string& id = "vcfse-permit", const std::string& status = "active") {
  return consent(id, R"({"type": "permit", "actor": [)" + odsActor("VCF01") + R"(],
    "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}],
    "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}],
    "provision": [{"type": "deny", "actor": [)" + odsActor("VCF01") + R"(],
      "securityLabel": [)" + label("PSY") + ", " + label("SDV") +
      R"(, {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]}]})", status);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ConsentDecisions)

BOOST_AUTO_TEST_CASE(direct_care_on_implied_consent) {
  Decision d = decide(kGp, patient());
  BOOST_CHECK(d.effect == Effect::kPermit);
  BOOST_CHECK_EQUAL(d.rule, "direct-care");
  BOOST_CHECK(d.consent.empty());
}

BOOST_AUTO_TEST_CASE(no_rule_no_data) {
  Requester auditor{"ics-auditor", "auditor", "ICS01", "TREAT"};
  BOOST_CHECK(decide(auditor, patient()).effect == Effect::kDeny);
  BOOST_CHECK_EQUAL(decide(auditor, patient()).rule, "no-rule");
  Requester vcfse_research = kVcfse;
  vcfse_research.purpose = "HRESCH";
  BOOST_CHECK_EQUAL(decide(vcfse_research, patient()).rule, "no-rule");
}

// S5: social care sees psychiatric (PSY) activities of the shared care plan, not SDV data about a third party.
BOOST_AUTO_TEST_CASE(social_care_sees_psy_but_not_sdv) {
  BOOST_CHECK(decide(kSocialCare, labelled("CarePlan", label("PSY"))).effect == Effect::kPermit);
  Decision sdv = decide(kSocialCare, labelled("Condition", label("SDV")));
  BOOST_CHECK(sdv.effect == Effect::kDeny);
  BOOST_CHECK_EQUAL(sdv.rule, "sensitive");
  BOOST_CHECK(decide(kCrisis, labelled("Condition", label("SDV"))).effect == Effect::kPermit);
  // More than one sensitive label: every one must be cleared.
  BOOST_CHECK(decide(kSocialCare, labelled("Condition", label("PSY") + "," + label("SDV"))).effect == Effect::kDeny);
}

BOOST_AUTO_TEST_CASE(a_consent_naming_a_sensitive_label_clears_it) {
  fhir::Node c = consent("sdv-ok", R"({"type": "permit", "actor": [)" + odsActor("LA123") + R"(],
    "securityLabel": [)" + label("SDV") + "]}");
  BOOST_CHECK(decide(kSocialCare, labelled("Condition", label("SDV")), {&c}).effect == Effect::kPermit);
  // A permit labelled N alone does not clear SDV.
  fhir::Node n = consent("n-only", R"({"type": "permit", "actor": [)" + odsActor("LA123") + R"(],
    "securityLabel": [{"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"}]})");
  BOOST_CHECK(decide(kSocialCare, labelled("Condition", label("SDV")), {&n}).effect == Effect::kDeny);
}

// S4: VCFSE only with explicit consent, only the minimal dataset.
BOOST_AUTO_TEST_CASE(vcfse_needs_explicit_consent) {
  Decision d = decide(kVcfse, patient());
  BOOST_CHECK(d.effect == Effect::kDeny);
  BOOST_CHECK_EQUAL(d.rule, "explicit-consent-required");
}

BOOST_AUTO_TEST_CASE(vcfse_gets_the_minimal_dataset_with_consent) {
  fhir::Node c = vcfseConsent();
  Decision d = decide(kVcfse, patient(), {&c});
  BOOST_CHECK(d.effect == Effect::kMask);
  BOOST_CHECK_EQUAL(d.rule, "vcfse-minimal");
  BOOST_CHECK_EQUAL(d.consent, "Consent/vcfse-permit");
  fhir::Node p = patient();
  evaluator().mask(p);
  BOOST_CHECK(p.child("name") != nullptr);
  BOOST_CHECK(p.child("telecom") != nullptr);
  BOOST_CHECK(p.child("maritalStatus") == nullptr);
  BOOST_CHECK(p.child("generalPractitioner") == nullptr);
  BOOST_CHECK_EQUAL(p.child("meta")->child("security")->childValue("code"), "REDACTED");
  // Psychiatric data: the nested deny.
  Decision psy = decide(kVcfse, labelled("ServiceRequest", label("PSY")), {&c});
  BOOST_CHECK(psy.effect == Effect::kDeny);
  BOOST_CHECK_EQUAL(psy.rule, "consent-deny");
  BOOST_CHECK_EQUAL(psy.provision, "provision.provision[0]");
  // A type outside the minimal dataset.
  BOOST_CHECK(decide(kVcfse, testing::parse(R"({"resourceType": "Condition", "id": "c"})"), {&c}).effect ==
              Effect::kDeny);
  // The same consent does not let another VCFSE organisation in.
  Requester other{"vcfse-other", "vcfse", "VCF99", "TREAT"};
  BOOST_CHECK(decide(other, patient(), {&c}).effect == Effect::kDeny);
  // The dry run for a type alone agrees.
  BOOST_CHECK(evaluator().decideForType(kVcfse, "Patient", {&c}, "access", kNow).effect == Effect::kMask);
}

// S6: withdrawal makes the permit inactive and adds a deny; from then on nothing goes to the charity.
BOOST_AUTO_TEST_CASE(withdrawn_consent_blocks_vcfse) {
  fhir::Node old_permit = vcfseConsent("vcfse-permit", "inactive");
  fhir::Node deny = consent("vcfse-withdrawn", R"({"type": "deny", "actor": [)" + odsActor("VCF01") + "]}");
  Decision d = decide(kVcfse, patient(), {&old_permit, &deny});
  BOOST_CHECK(d.effect == Effect::kDeny);
  BOOST_CHECK_EQUAL(d.consent, "Consent/vcfse-withdrawn");
  // Implied-consent flows to the NHS care team carry on.
  BOOST_CHECK(decide(kGp, patient(), {&old_permit, &deny}).effect == Effect::kPermit);
  // A deny for the whole VCFSE sector.
  fhir::Node sector = consent("no-vcfse", R"({"type": "deny", "actor": [{"reference": {"identifier":
    {"system": "https://onedoor.dev/fhir/CodeSystem/ics-sector", "value": "vcfse"}}}]})");
  fhir::Node permit = vcfseConsent();
  BOOST_CHECK(decide(kVcfse, patient(), {&permit, &sector}).effect == Effect::kDeny);
}

BOOST_AUTO_TEST_CASE(any_deny_wins_and_the_deepest_provision_decides) {
  fhir::Node permit = consent("all-ok", R"({"type": "permit"})");
  fhir::Node gp_deny = consent("no-gp", R"({"type": "deny", "actor": [)" + odsActor("Y12345") + "]}");
  BOOST_CHECK(decide(kGp, patient(), {&permit, &gp_deny}).effect == Effect::kDeny);
  BOOST_CHECK(decide(kAcute, patient(), {&permit, &gp_deny}).effect == Effect::kPermit);
  // Deny everyone except the acute trust (a nested permit).
  fhir::Node nested = consent("only-acute", R"({"type": "deny", "provision": [
    {"type": "permit", "actor": [)" + odsActor("RX1") + "]}]}");
  Decision acute = decide(kAcute, patient(), {&nested});
  BOOST_CHECK(acute.effect == Effect::kPermit);
  BOOST_CHECK_EQUAL(acute.consent, "Consent/only-acute");
  BOOST_CHECK_EQUAL(acute.provision, "provision.provision[0]");
  Decision gp = decide(kGp, patient(), {&nested});
  BOOST_CHECK(gp.effect == Effect::kDeny);
  BOOST_CHECK_EQUAL(gp.provision, "provision");
}

BOOST_AUTO_TEST_CASE(class_action_periods_and_organisation_references) {
  fhir::Node no_careplans = consent("no-cp", R"({"type": "deny", "action": [{"coding": [
    {"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access"}]}],
    "class": [{"system": "http://hl7.org/fhir/resource-types", "code": "CarePlan"}]})");
  fhir::Node cp = testing::parse(R"({"resourceType": "CarePlan", "id": "cp", "status": "active", "intent": "plan",
    "subject": {"reference": "Patient/p1"}})");
  BOOST_CHECK(decide(kGp, cp, {&no_careplans}).effect == Effect::kDeny);
  BOOST_CHECK(decide(kGp, patient(), {&no_careplans}).effect == Effect::kPermit);
  BOOST_CHECK(decide(kGp, cp, {&no_careplans}, "correct").effect == Effect::kPermit);  // writes: another action
  // An expired provision period does not apply.
  fhir::Node expired = consent("old", R"({"type": "deny", "period": {"start": "2020-01-01", "end": "2021-01-01"}})");
  BOOST_CHECK(decide(kGp, patient(), {&expired}).effect == Effect::kPermit);
  // dataPeriod: data from before 2022 is withheld.
  fhir::Node old_data = consent("old-data", R"({"type": "deny", "dataPeriod": {"end": "2022-01-01"}})");
  fhir::Node obs2019 = testing::parse(R"({"resourceType": "Observation", "id": "o1", "status": "final",
    "code": {"text": "x"}, "effectiveDateTime": "2019-05-01"})");
  fhir::Node obs2024 = testing::parse(R"({"resourceType": "Observation", "id": "o2", "status": "final",
    "code": {"text": "x"}, "effectiveDateTime": "2024-05-01"})");
  BOOST_CHECK(decide(kGp, obs2019, {&old_data}).effect == Effect::kDeny);
  BOOST_CHECK(decide(kGp, obs2024, {&old_data}).effect == Effect::kPermit);
  // An actor named by Organization reference, resolved to its ODS code.
  fhir::Node by_ref = consent("by-ref", R"({"type": "deny", "actor": [{"reference": {"reference": "Organization/acute"}}]})");
  auto lookup = [](const std::string& ref) -> std::optional<std::string> {
    return ref == "Organization/acute" ? std::optional<std::string>("RX1") : std::nullopt;
  };
  BOOST_CHECK(evaluator().decide(kAcute, patient(), {&by_ref}, "access", kNow, lookup).effect == Effect::kDeny);
  BOOST_CHECK(evaluator().decide(kGp, patient(), {&by_ref}, "access", kNow, lookup).effect == Effect::kPermit);
  // Draft consents and consents of another scope are not privacy decisions.
  fhir::Node draft = consent("draft", R"({"type": "deny"})", "draft");
  BOOST_CHECK(decide(kGp, patient(), {&draft}).effect == Effect::kPermit);
}

// S12: secondary use honours the national data opt-out; direct care never does.
BOOST_AUTO_TEST_CASE(national_data_opt_out_applies_to_secondary_use_only) {
  fhir::Node opt_out = consent("ndoo", R"({"type": "deny"})", "active",
                               R"(, "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTOUT"}]})");
  Requester research = kAcute;
  research.purpose = "HRESCH";
  Decision d = decide(research, patient(), {&opt_out});
  BOOST_CHECK(d.effect == Effect::kDeny);
  BOOST_CHECK_EQUAL(d.rule, "national-data-opt-out");
  BOOST_CHECK_EQUAL(d.consent, "Consent/ndoo");
  BOOST_CHECK(decide(research, patient()).effect == Effect::kPermit);
  BOOST_CHECK(decide(kAcute, patient(), {&opt_out}).effect == Effect::kPermit);
}

// S7: break-glass sets aside consent denials and sensitivity, and says so.
BOOST_AUTO_TEST_CASE(break_glass_sets_aside_denials_and_is_named) {
  fhir::Node deny = consent("dissent", R"({"type": "deny"})");
  fhir::Node psy = labelled("CarePlan", label("PSYTHPN"));
  Requester crisis = kCrisis;
  BOOST_CHECK(decide(crisis, patient(), {&deny}).effect == Effect::kDeny);
  crisis.break_glass = true;
  Decision d = decide(crisis, patient(), {&deny});
  BOOST_CHECK(d.effect == Effect::kPermit);
  BOOST_CHECK_EQUAL(d.rule, "break-glass");
  BOOST_CHECK_EQUAL(d.consent, "Consent/dissent");
  Requester social = kSocialCare;
  BOOST_CHECK(decide(social, labelled("Condition", label("SDV"))).effect == Effect::kDeny);
  social.break_glass = true;
  social.purpose = "ETREAT";
  BOOST_CHECK_EQUAL(decide(social, labelled("Condition", label("SDV"))).rule, "break-glass");
  // Without anything to set aside, the ordinary rule decides.
  BOOST_CHECK_EQUAL(decide(crisis, patient()).rule, "direct-care");
}

BOOST_AUTO_TEST_SUITE_END()
