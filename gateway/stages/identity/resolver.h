#pragma once
// Finds the Patients that may be the person a Patient resource describes: candidates are blocked
// by search (the NHS number; the birth date, and with day and month swapped; the postcode with
// the family name — each at most max_candidates), compared by the Matcher and ranked. Used inside a write transaction (upserts)
// and outside one ($match); the search is passed in. Thread-safe.

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/exchange.h"
#include "core/status.h"
#include "fhir/model.h"
#include "fhir/node.h"
#include "search/search_param.h"
#include "stages/identity/matcher.h"
#include "storage/store.h"

namespace onedoor::stages::identity {

using SearchParams = std::vector<std::pair<std::string, std::string>>;
// Current Patients matching Patient search parameters, at most `limit`.
using PatientFinder =
    std::function<core::Result<std::vector<storage::ResourceRecord>>(const SearchParams& params, std::size_t limit)>;

struct Candidate {
  storage::ResourceRecord record;
  fhir::Node resource;
  Comparison comparison;
};

// The Patient `patient` replaced by, if it was merged into another (Patient.link replaced-by); "".
std::string replacedBy(const fhir::Node& patient);
// False when a stored Patient (its JSON) cannot have been merged into another: it has no
// replaced-by link, and need not be read to find out.
inline bool mayBeReplaced(const std::string& stored_json) {
  return stored_json.find("\"replaced-by\"") != std::string::npos;
}

// Reads the current Patient with an id (nullopt when there is none).
using PatientReader = std::function<core::Result<std::optional<storage::ResourceRecord>>(const std::string& id)>;
// The record a stored Patient stands for: itself, or, when it was merged into another, the
// replacement its replaced-by link names, followed for up to 8 links (stopping at one that is
// gone).
core::Result<storage::ResourceRecord> followReplacement(storage::ResourceRecord record, const fhir::Model& model,
                                                        const PatientReader& read);

// A finder searching `store` (committed data, outside any write), for $match and the consent
// stage's look ahead.
PatientFinder storeFinder(storage::Store& store, const search::SearchParamRegistry& registry, const fhir::Model& model);

// Whether the best two candidates both score as the same person without the NHS number to tell
// them apart: then a person decides which (if either) it is, and neither is linked automatically.
bool ambiguous(const std::vector<Candidate>& candidates);
// The candidate (best first) an incoming Patient is linked to without a person deciding: graded
// certain or probable, and not ambiguous; nullptr when none.
const Candidate* linkedCandidate(const std::vector<Candidate>& candidates);

class Resolver;
// The stored person a Patient resource coming in without a store id will be linked to by a write,
// looked ahead of it (committed data, as `find` searches); none, or the records tied for it.
// - kLinked (a create, a batch entry): the record the resolver links it to; none without a resolver.
// - kMessage (a message's Patient entry, kept by its identifiers): the Patient one of its
//   identifiers finds (a merged record stands for its replacement), else the linked record; none
//   when it has no identifier (a message's write keeps no Patient without one).
enum class PersonLookup { kLinked, kMessage };
core::Result<core::IncomingPerson> personOf(PersonLookup how, const Resolver* resolver, const fhir::Node& patient,
                                            const PatientFinder& find, const fhir::Model& model,
                                            const PatientReader& read);

class Resolver {
 public:
  Resolver(fhir::ModelPtr model, config::IdentityConfig config) : model_(std::move(model)), matcher_(std::move(config)) {}

  // Candidates graded certain, probable or possible, best first. Patients merged into another are
  // left out (their replacement is what a caller should use). `exclude` is left out too.
  core::Result<std::vector<Candidate>> candidates(const fhir::Node& patient, const PatientFinder& find,
                                                  const std::string& exclude = "") const;

  const Matcher& matcher() const { return matcher_; }
  const config::IdentityConfig& config() const { return matcher_.config(); }

 private:
  fhir::ModelPtr model_;
  Matcher matcher_;
};

}  // namespace onedoor::stages::identity
