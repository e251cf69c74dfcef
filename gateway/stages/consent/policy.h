#pragma once
// Policy: the ICS's sharing policy, written by the integrator as JSON (see docs/consent.md) and
// checked at load with file:line:col diagnostics. It says, by partner sector and purpose of use,
// what a partner may see on the ICS's default legal basis (implied consent for direct care, or
// only with the patient's explicit consent, or secondary use subject to the national data
// opt-out); which security labels are sensitive and who may see them; labels added by rule at
// write time; the VCFSE minimal dataset; and who may break glass. Versioned: every decision
// names the version. Immutable after load.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "fhirpath/expression.h"

namespace onedoor::stages::consent {

struct PolicyRule {
  std::string id;
  std::set<std::string> sectors;
  std::set<std::string> purposes;
  std::set<std::string> partners;   // only these partner ids (empty: any partner of the sectors)
  std::string access = "full";      // full | minimal | none
  // implied | explicit (a permitting Consent is required) | not-required (a legal basis other
  // than consent, such as a safeguarding enquiry: the patient's Consents are not consulted)
  std::string consent = "implied";
  std::set<std::string> sees_labels;     // sensitive labels (system|code) this rule may see
  std::set<std::string> withhold_types;  // types never disclosed under this rule (third parties)
  bool requires_authoriser = false;      // each request names who authorised it and why
  bool national_opt_out = false;    // the national data opt-out applies (secondary use)
  bool exact_totals = false;        // searches report Bundle.total (only for fully trusted rules)
  bool reverse_chaining = false;    // _has and chained parameters allowed (they can reveal hidden data)
  bool reveal_missing = false;      // reads of missing resources answer 404/410 (else the denial's 403)
};

struct LabelRule {
  std::string id;
  std::set<std::string> written_by_sectors;
  std::set<std::string> types;  // empty: every type
  std::string label;            // system|code
  // Only resources for which this FHIRPath expression is true (an Encounter carrying a Mental
  // Health Act legal status, say); null: every resource of `types`.
  std::shared_ptr<const fhirpath::Expression> when;
};

struct Policy {
  std::string version;
  std::string source;                     // the file
  std::vector<PolicyRule> rules;          // first match wins
  // Sensitive labels (system|code) and the sectors that may see data so labelled without a
  // Consent naming the label.
  std::map<std::string, std::set<std::string>> sensitive;
  std::vector<LabelRule> labelling;
  std::set<std::string> minimal_types;
  std::map<std::string, std::set<std::string>> minimal_elements;  // type -> elements kept
  std::string opt_out_policy;             // Consent.policyRule system|code meaning "national data opt-out"
  std::set<std::string> break_glass_partners;
  std::set<std::string> break_glass_purposes;
  std::uint32_t break_glass_minutes = 240;

  // The rule for a partner (its id and sector) and purpose, or null (deny).
  const PolicyRule* rule(const std::string& sector, const std::string& purpose, const std::string& partner) const;
};

using PolicyPtr = std::shared_ptr<const Policy>;

// Loads and checks a policy file; null with every problem in `diags` when it is unusable.
PolicyPtr loadPolicy(const std::string& path, config::Diagnostics& diags);
PolicyPtr parsePolicy(const std::string& name, const std::string& text, config::Diagnostics& diags);
// The policy used when none is configured: nothing is shared.
PolicyPtr denyAllPolicy();

}  // namespace onedoor::stages::consent
