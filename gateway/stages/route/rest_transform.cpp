// POST [base]/StructureMap/{id}/$transform (R4): runs a stored StructureMap on the resource in the
// body (or in a Parameters' `content`) and answers the result.
#include "fhir/codec.h"
#include "fml/engine.h"
#include "fml/parser.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {

void RestEngine::transformOperation(core::Exchange& ex) const {
  const core::FhirRequest& fr = ex.fhir;
  if (fr.type != "StructureMap" || fr.id.empty() || ex.request.method != "POST") {
    ex.fail(core::invalid("$transform is POST StructureMap/{id}/$transform with the source resource in the body"));
    return;
  }
  if (!fr.resource) {
    ex.fail(core::invalid("$transform needs the resource to transform in the body"));
    return;
  }
  const fhir::Node* content = &*fr.resource;
  if (content->type != nullptr && content->type->name == "Parameters") {
    content = nullptr;
    for (const fhir::Node* p : fr.resource->childrenNamed("parameter")) {
      if (p->childValue("name") == "content" && p->child("resource") != nullptr) content = p->child("resource");
    }
    if (content == nullptr) {
      ex.fail(core::invalid("the Parameters need a 'content' resource to transform"));
      return;
    }
  }
  auto rec = store_->read("StructureMap", fr.id);
  if (!rec.isOk()) {
    ex.fail(rec.status());
    return;
  }
  if (!*rec || (*rec)->deleted) {
    ex.fail(core::Status(core::Code::kNotFound, "no StructureMap/" + fr.id));
    return;
  }
  auto map = fml::fromStructureMapJson((*rec)->json);
  auto compiled = map.isOk() ? fml::CompiledMap::compile(std::move(map).value(), model_, {}, true)
                             : core::Result<fml::CompiledMapPtr>(map.status());
  if (!compiled.isOk()) {
    ex.fail(core::invalid("StructureMap/" + fr.id + " cannot run: " + compiled.status().message()));
    return;
  }
  // A content node inside Parameters is re-read as a resource of its own.
  fhir::Node source = *content;
  if (content != &*fr.resource) {
    auto reread = fhir::readJson(*model_, fhir::writeJson(*content));
    if (!reread.ok()) {
      ex.fail(core::invalid("the content resource does not read: " + reread.issues.front().message));
      return;
    }
    source = std::move(reread.resource);
  }
  auto result = (*compiled)->transform(source);
  if (!result.isOk()) {
    ex.fail(core::Status(core::Code::kInvalid, result.status().message()));
    return;
  }
  if (result->type == nullptr) {
    ex.fail(core::invalid("StructureMap/" + fr.id + " makes no FHIR resource; run it with onedoor map"));
    return;
  }
  ex.response.status = 200;
  ex.response.resource = std::move(result).value();
}

}  // namespace onedoor::stages::route
