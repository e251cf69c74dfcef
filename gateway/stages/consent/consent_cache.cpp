#include "stages/consent/consent_cache.h"

#include <mutex>

namespace onedoor::stages::consent {

ConsentCache::Consents ConsentCache::get(const std::string& patient, std::uint64_t generation) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(patient);
  if (it == entries_.end() || it->second.first != generation) return nullptr;
  return it->second.second;
}

void ConsentCache::put(const std::string& patient, std::uint64_t generation, Consents consents) {
  std::unique_lock lock(mu_);
  if (entries_.size() >= kMaxPatients) {
    // Entries of older generations are useless; if all are current, start again.
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.first != generation; });
    if (entries_.size() >= kMaxPatients) entries_.clear();
  }
  entries_[patient] = {generation, std::move(consents)};
}

}  // namespace onedoor::stages::consent
