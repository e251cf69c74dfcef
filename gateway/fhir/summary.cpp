#include "fhir/summary.h"

#include <algorithm>

namespace onedoor::fhir {
namespace {

bool isIdOrMeta(const Node& n) { return n.name == "id" || n.name == "meta"; }

// Keeps summary elements; descends into backbone elements, keeps datatypes whole.
void keepSummary(Node& n) {
  std::erase_if(n.children, [](const Node& c) {
    if (c.def == nullptr) return false;
    return !(c.def->summary || c.def->min > 0 || isIdOrMeta(c));
  });
  for (Node& c : n.children) {
    if (c.type != nullptr && c.type->kind == TypeKind::kBackbone) keepSummary(c);
  }
}

}  // namespace

void markSubsetted(Node& resource) {
  Node* meta = resource.child("meta");
  if (meta == nullptr) meta = resource.add("meta");
  for (const Node* t : meta->childrenNamed("tag")) {
    if (t->childValue("code") == "SUBSETTED") return;
  }
  Node* tag = meta->add("tag");
  tag->set("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue");
  tag->set("code", "SUBSETTED");
  tag->set("display", "Resource encoded in summary mode");
}

bool applySummary(Node& resource, std::string_view mode) {
  if (mode == "false" || mode.empty()) return true;
  if (mode == "true") {
    keepSummary(resource);
  } else if (mode == "text") {
    std::erase_if(resource.children, [](const Node& c) {
      return !(isIdOrMeta(c) || c.name == "text" || (c.def != nullptr && c.def->min > 0));
    });
  } else if (mode == "data") {
    resource.removeChildren("text");
  } else {
    return false;
  }
  markSubsetted(resource);
  return true;
}

void applyElements(Node& resource, const std::vector<std::string>& elements) {
  if (elements.empty()) return;
  std::erase_if(resource.children, [&](const Node& c) {
    if (isIdOrMeta(c) || (c.def != nullptr && c.def->min > 0)) return false;
    std::string json = c.jsonName();
    return std::find(elements.begin(), elements.end(), c.name) == elements.end() &&
           std::find(elements.begin(), elements.end(), json) == elements.end();
  });
  markSubsetted(resource);
}

}  // namespace onedoor::fhir
