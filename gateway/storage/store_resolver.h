#pragma once
// A FHIRPath resolve() that reaches the store: "Patient/123" (or an absolute URL ending in
// Type/id) is read from the current versions. Thread-safe as the store is.

#include <memory>

#include "fhir/model.h"
#include "fhirpath/environment.h"
#include "storage/store.h"

namespace onedoor::storage {

fhirpath::Resolver storeResolver(std::shared_ptr<Store> store, fhir::ModelPtr model);

}  // namespace onedoor::storage
