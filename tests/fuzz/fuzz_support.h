#pragma once
// The R4 model for fuzz targets, loaded once from the package cache.

#include <cstdio>
#include <cstdlib>

#include "fhir/model_builder.h"

namespace onedoor::fuzz {

inline const fhir::Model& model() {
  static fhir::ModelPtr m = [] {
    fhir::PackageCache packages;
    auto r = fhir::loadModel(packages, fhir::kR4Core, fhir::defaultCacheDir());
    if (!r.isOk()) {
      std::fprintf(stderr, "%s\n", r.status().message().c_str());
      std::abort();
    }
    return *r;
  }();
  return *m;
}

}  // namespace onedoor::fuzz
