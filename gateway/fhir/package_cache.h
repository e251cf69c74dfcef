#pragma once
// Locates FHIR packages in the standard FHIR package cache (~/.fhir/packages/<name>#<version>/
// package/), the layout every FHIR tool shares. Read-only; thread-safe.

#include <filesystem>
#include <string>

#include "core/status.h"

namespace onedoor::fhir {

struct PackageRef {
  std::string name;
  std::string version;
  std::string id() const { return name + "#" + version; }
};

inline const PackageRef kR4Core{"hl7.fhir.r4.core", "4.0.1"};

class PackageCache {
 public:
  // An empty root means the default: $FHIR_PACKAGE_CACHE, else $HOME/.fhir/packages.
  explicit PackageCache(std::filesystem::path root = {});

  const std::filesystem::path& root() const { return root_; }
  // The package's `package/` folder, or kNotFound naming the package and where it was looked for.
  core::Result<std::filesystem::path> locate(const PackageRef& ref) const;

 private:
  std::filesystem::path root_;
};

// Where pre-parsed caches go: $ONEDOOR_CACHE_DIR, else $XDG_CACHE_HOME/onedoor, else
// $HOME/.cache/onedoor.
std::filesystem::path defaultCacheDir();

}  // namespace onedoor::fhir
