// FHIR-specific functions (https://hl7.org/fhir/R4/fhirpath.html#functions): extension(),
// hasValue(), getValue(), resolve(), memberOf(), conformsTo(), htmlChecks().
#include <libxml/tree.h>

#include <algorithm>
#include <cctype>

#include "fhir/xml_parser.h"
#include "fhirpath/function_support.h"

namespace onedoor::fhirpath {
namespace {

core::Result<Collection> fnExtension(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto url, stringArg(ctx, call, 0, in));
  if (!url) return Collection{};
  Collection out;
  for (const auto& v : in) {
    if (!v.isNode()) continue;
    for (const auto& c : v.node()->children) {
      if (c.name == "extension" && c.childValue("url") == *url) out.emplace_back(&c);
    }
  }
  return out;
}

// hasExtension(url): used by some published SearchParameters; extension(url).exists().
core::Result<Collection> fnHasExtension(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(Collection found, fnExtension(ctx, in, call));
  return boolean(!found.empty());
}

bool hasPrimitiveValue(const Value& v) {
  return v.isNode() && v.node()->isPrimitive() && v.node()->has_value;
}

core::Result<Collection> fnHasValue(Context&, const Collection& in, const CallExpr&) {
  return boolean(in.size() == 1 && hasPrimitiveValue(in.front()));
}

core::Result<Collection> fnGetValue(Context&, const Collection& in, const CallExpr&) {
  if (in.size() != 1 || !hasPrimitiveValue(in.front())) return Collection{};
  auto s = in.front().system();
  return s ? one(*s) : Collection{};
}

const fhir::Node* findContained(const fhir::Node* resource, std::string_view id) {
  if (resource == nullptr) return nullptr;
  for (const auto& c : resource->children) {
    if (c.name == "contained" && c.childValue("id") == id) return &c;
  }
  return nullptr;
}

// Resolves `ref` within a Bundle: an entry whose fullUrl is the reference or ends with it.
const fhir::Node* findInBundle(const fhir::Node* bundle, std::string_view ref) {
  if (bundle == nullptr || bundle->type == nullptr || bundle->type->name != "Bundle") return nullptr;
  for (const auto& e : bundle->children) {
    if (e.name != "entry") continue;
    std::string_view full = e.childValue("fullUrl");
    const fhir::Node* r = e.child("resource");
    if (r == nullptr) continue;
    if (full == ref) return r;
    if (!full.empty() && full.size() > ref.size() && full.substr(full.size() - ref.size()) == ref &&
        full[full.size() - ref.size() - 1] == '/') {
      return r;
    }
    if (full.empty() && r->type != nullptr && ref == r->type->name + "/" + std::string(r->childValue("id"))) {
      return r;
    }
  }
  return nullptr;
}

core::Result<Collection> fnResolve(Context& ctx, const Collection& in, const CallExpr&) {
  Collection out;
  Environment& env = ctx.env;
  for (const auto& v : in) {
    std::string ref;
    if (v.isNode() && v.node()->type != nullptr && v.node()->type->name == "Reference") {
      ref = std::string(v.node()->childValue("reference"));
    } else if (auto s = v.system(); s && s->kind() == Value::Kind::kString) {
      ref = s->asString();
    }
    if (ref.empty()) continue;
    const fhir::Node* hit = nullptr;
    if (ref[0] == '#') {
      hit = findContained(env.resource, std::string_view(ref).substr(1));
    } else {
      hit = findInBundle(env.root_resource, ref);
      if (hit == nullptr) hit = findInBundle(env.resource, ref);
      if (hit == nullptr && env.resolver) {
        auto fetched = env.resolver(ref);
        if (fetched) {
          env.arena.push_back(std::move(*fetched));
          hit = &env.arena.back();
        }
      }
    }
    if (hit != nullptr) out.emplace_back(hit);
  }
  return out;
}

core::Result<Collection> fnMemberOf(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto vs, stringArg(ctx, call, 0, in));
  if (!vs || in.empty()) return Collection{};
  if (in.size() > 1) return evalError(call, "memberOf() needs a single input item");
  if (!ctx.env.member_of) return Collection{};
  auto r = ctx.env.member_of(in.front(), *vs);
  return r ? boolean(*r) : Collection{};
}

core::Result<Collection> fnConformsTo(Context& ctx, const Collection& in, const CallExpr& call) {
  GW_ASSIGN_OR_RETURN(auto url, stringArg(ctx, call, 0, in));
  if (!url || in.empty()) return Collection{};
  if (in.size() > 1) return evalError(call, "conformsTo() needs a single input item");
  if (!in.front().isNode()) return boolean(false);
  const fhir::Node& node = *in.front().node();
  if (ctx.env.conforms_to) {
    std::string error;
    auto r = ctx.env.conforms_to(node, *url, error);
    if (!r) return evalError(call, error.empty() ? "unknown profile " + *url : error);
    return boolean(*r);
  }
  // Without a validator, base resource definitions can still be checked by type.
  constexpr std::string_view kBase = "http://hl7.org/fhir/StructureDefinition/";
  if (url->rfind(kBase, 0) == 0 && ctx.env.model != nullptr) {
    std::string type = url->substr(kBase.size());
    if (ctx.env.model->type(type) != nullptr) return boolean(node.type != nullptr && node.type->isa(type));
  }
  return evalError(call, "unknown profile " + *url);
}

// Narrative rules (FHIR XHTML): no active content, only safe elements and attributes.
bool safeXhtml(const xmlNode* n) {
  static constexpr std::string_view kBanned[] = {"script", "object", "applet", "iframe", "embed", "form",
                                                 "input", "button", "frame", "frameset", "base", "link", "meta", "style"};
  for (; n != nullptr; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    std::string_view name = reinterpret_cast<const char*>(n->name);
    if (std::find(std::begin(kBanned), std::end(kBanned), name) != std::end(kBanned)) return false;
    for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
      std::string attr = reinterpret_cast<const char*>(a->name);
      std::transform(attr.begin(), attr.end(), attr.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (attr.rfind("on", 0) == 0) return false;
      if (attr == "href" || attr == "src") {
        xmlChar* v = xmlNodeGetContent(reinterpret_cast<const xmlNode*>(a));
        std::string value = v != nullptr ? reinterpret_cast<const char*>(v) : "";
        xmlFree(v);
        std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (value.find("javascript:") != std::string::npos) return false;
      }
    }
    if (!safeXhtml(n->children)) return false;
  }
  return true;
}

core::Result<Collection> fnHtmlChecks(Context&, const Collection& in, const CallExpr&) {
  if (in.empty()) return Collection{};
  for (const auto& v : in) {
    if (!v.isNode() || !v.node()->has_value) return boolean(false);
    auto doc = fhir::parseXmlDocument(v.node()->value);
    if (!doc.isOk()) return boolean(false);
    const xmlNode* root = xmlDocGetRootElement(doc->get());
    if (root == nullptr || std::string_view(reinterpret_cast<const char*>(root->name)) != "div") return boolean(false);
    if (!safeXhtml(root)) return boolean(false);
  }
  return boolean(true);
}

}  // namespace

std::vector<FunctionDef> fhirFunctions() {
  return {
      {"extension", 1, 1, fnExtension}, {"hasExtension", 1, 1, fnHasExtension},
      {"hasValue", 0, 0, fnHasValue},
      {"getValue", 0, 0, fnGetValue},   {"resolve", 0, 0, fnResolve},
      {"memberOf", 1, 1, fnMemberOf},   {"conformsTo", 1, 1, fnConformsTo},
      {"htmlChecks", 0, 0, fnHtmlChecks}, {"htmlchecks", 0, 0, fnHtmlChecks},
  };
}

}  // namespace onedoor::fhirpath
