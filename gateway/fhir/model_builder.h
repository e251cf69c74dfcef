#pragma once
// Builds the type Model from the StructureDefinition snapshots of a FHIR core package, and loads
// it through a pre-parsed cache so that start-up does not re-read 20 MB of definitions.

#include <filesystem>
#include <memory>

#include "core/status.h"
#include "fhir/model.h"
#include "fhir/package_cache.h"

namespace onedoor::fhir {

// Reads every StructureDefinition-*.json in `package_dir` (slow: ~0.5 s for R4 core).
core::Result<std::unique_ptr<Model>> buildModel(const std::filesystem::path& package_dir);

// The text form of a model cache file, and its parser. `key` identifies the package build the
// model came from; readModelCache fails (kNotFound) when the file's key differs.
std::string writeModelCache(const Model& model, const std::string& key);
core::Result<std::unique_ptr<Model>> readModelCache(std::string_view text, const std::string& key);

// The model of `ref`: from the cache in `cache_dir` when it is current, otherwise built from the
// package and written to the cache (best effort: an unwritable cache only costs start-up time).
core::Result<ModelPtr> loadModel(const PackageCache& packages, const PackageRef& ref,
                                 const std::filesystem::path& cache_dir);

}  // namespace onedoor::fhir
