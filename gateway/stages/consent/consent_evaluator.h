#pragma once
// ConsentEvaluator: the pure decision of what one partner may see of one resource, from the ICS
// policy and the patient's active Consent resources (FHIR R4, scope patient-privacy). Knows
// nothing of HTTP or the store; every input is passed in. Thread-safe (immutable).
//
// Order of the decision:
//   1. the policy rule for the partner's sector and purpose (none: deny);
//   2. secondary use under a rule subject to the national data opt-out: deny if the patient
//      opted out (never for direct care purposes, whose rules do not name the opt-out);
//   3. the patient's Consents: each provision applies when its actor, action, purpose, class,
//      code, security label, data period and period match; the deepest applying provision of a
//      Consent decides it; any deny wins, else any permit; a rule requiring explicit consent
//      needs a permit;
//   4. sensitive labels (PSY, ETH, SDV ...) only to the policy's sensitive sectors, to a permit
//      naming the label, or under break-glass; otherwise the resource is withheld;
//   5. a minimal-dataset rule keeps only its types, with only the listed elements.
// For a type alone (no resource in hand), the Consents are judged as for an unlabelled resource
// of that type; provisions that need the resource's code or date do not apply.
// Break-glass (an emergency purpose, granted for the patient) sets aside Consent denials and
// sensitivity, and is recorded.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fhir/node.h"
#include "stages/consent/policy.h"

namespace onedoor::stages::consent {

struct Requester {
  std::string partner;
  std::string sector;
  std::string ods;
  std::string purpose;
  bool break_glass = false;
};

struct Decision {
  enum class Effect { kPermit, kMask, kDeny };
  Effect effect = Effect::kDeny;
  std::string rule;     // the policy rule, or the reason's id (no-rule, consent-deny, ...)
  std::string consent;  // Consent/<id> that decided, if one did
  std::string provision;  // the provision path that matched (provision.provision[0])
  std::string reason;   // for people (explain, $consent-check); never patient data
  std::string outcome() const { return effect == Effect::kPermit ? "permit" : effect == Effect::kMask ? "redact" : "deny"; }
};

// Resolves an Organization reference to its ODS code (Consent actors may name organisations).
using OdsLookup = std::function<std::optional<std::string>(const std::string& reference)>;

class ConsentEvaluator {
 public:
  explicit ConsentEvaluator(PolicyPtr policy) : policy_(std::move(policy)) {}

  // `action`: access (reads, searches) or correct (writes). `consents`: the patient's Consents.
  Decision decide(const Requester& who, const fhir::Node& resource, const std::vector<const fhir::Node*>& consents,
                  const std::string& action, const std::string& now, const OdsLookup& ods = {}) const;
  // The decision for data of a type about a patient, before any resource is in hand
  // ($consent-check with patient and type): steps 1 to 3.
  Decision decideForType(const Requester& who, const std::string& type, const std::vector<const fhir::Node*>& consents,
                         const std::string& action, const std::string& now, const OdsLookup& ods = {}) const;

  // Security labels of a resource (meta.security) as system|code.
  static std::vector<std::string> labels(const fhir::Node& resource);
  // Keeps only the minimal dataset's elements of `resource` (and marks it REDACTED).
  void mask(fhir::Node& resource) const;
  // Whether `consent` is a national data opt-out under this policy.
  bool isOptOut(const fhir::Node& consent) const;

  const Policy& policy() const { return *policy_; }

 private:
  Decision consentsSay(const Requester& who, const fhir::Node* resource, const std::string& type,
                       const std::vector<const fhir::Node*>& consents, const std::string& action, const std::string& now,
                       const OdsLookup& ods, bool& any_permit_label, const std::vector<std::string>& labels) const;

  Decision decideWith(const Requester& who, const std::string& type, const fhir::Node* resource,
                      const std::vector<const fhir::Node*>& consents, const std::string& action, const std::string& now,
                      const OdsLookup& ods) const;

  PolicyPtr policy_;
};

}  // namespace onedoor::stages::consent
