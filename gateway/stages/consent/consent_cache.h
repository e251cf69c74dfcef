#pragma once
// ConsentCache: the parsed Consent resources of recently seen patients, shared by the exchanges
// of one gateway process. An entry is used only while the store's write generation for Consent
// is the one it was read at, and only where the store vouches for that generation (one process
// per SQLite file; never with a PostgreSQL database shared by several gateways). So a withdrawn
// consent applies from the next request on, as without the cache. Bounded; thread-safe.

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fhir/node.h"

namespace onedoor::stages::consent {

class ConsentCache {
 public:
  using Consents = std::shared_ptr<const std::vector<fhir::Node>>;

  // The patient's Consents read at `generation`, or null.
  Consents get(const std::string& patient, std::uint64_t generation) const;
  void put(const std::string& patient, std::uint64_t generation, Consents consents);

 private:
  static constexpr std::size_t kMaxPatients = 50000;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::pair<std::uint64_t, Consents>> entries_;
};

}  // namespace onedoor::stages::consent
