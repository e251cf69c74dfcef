#include "fhir/package_cache.h"

#include <cstdlib>

namespace onedoor::fhir {
namespace {

std::filesystem::path home() {
  const char* h = std::getenv("HOME");
  return h != nullptr && *h != '\0' ? std::filesystem::path(h) : std::filesystem::path("/root");
}

}  // namespace

PackageCache::PackageCache(std::filesystem::path root) : root_(std::move(root)) {
  if (root_.empty()) {
    const char* env = std::getenv("FHIR_PACKAGE_CACHE");
    root_ = env != nullptr && *env != '\0' ? std::filesystem::path(env)
                                           : home() / ".fhir" / "packages";
  }
}

core::Result<std::filesystem::path> PackageCache::locate(const PackageRef& ref) const {
  std::filesystem::path dir = root_ / ref.id() / "package";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "package.json", ec)) {
    return core::Status(core::Code::kNotFound,
                        "FHIR package " + ref.id() + " is not installed in the package cache " +
                            root_.string() + " (expected " + (dir / "package.json").string() +
                            "; run scripts/install-fhir-packages.sh)");
  }
  return dir;
}

std::filesystem::path defaultCacheDir() {
  if (const char* env = std::getenv("ONEDOOR_CACHE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::filesystem::path(xdg) / "onedoor";
  }
  return home() / ".cache" / "onedoor";
}

}  // namespace onedoor::fhir
