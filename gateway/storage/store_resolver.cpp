#include "storage/store_resolver.h"

#include "fhir/codec.h"
#include "search/indexer.h"

namespace onedoor::storage {

fhirpath::Resolver storeResolver(std::shared_ptr<Store> store, fhir::ModelPtr model) {
  return [store, model](std::string_view ref) -> std::optional<fhir::Node> {
    std::string type, id;
    if (!search::parseReference(ref, type, id, *model)) return std::nullopt;
    auto rec = store->read(type, id);
    if (!rec.isOk() || !*rec || (*rec)->deleted) return std::nullopt;
    fhir::ReadResult r = fhir::readJson(*model, (*rec)->json);
    if (!r.ok()) return std::nullopt;
    return std::move(r.resource);
  };
}

}  // namespace onedoor::storage
