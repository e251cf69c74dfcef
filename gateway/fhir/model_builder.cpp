#include "fhir/model_builder.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace onedoor::fhir {
namespace {

using rapidjson::Value;

constexpr std::string_view kSystemPrefix = "http://hl7.org/fhirpath/System.";
constexpr std::string_view kFhirTypeExt =
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";

std::string_view str(const Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

core::Result<std::string> readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return core::Status(core::Code::kNotFound, "cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string_view lastSegment(std::string_view s, char sep) {
  auto pos = s.rfind(sep);
  return pos == std::string_view::npos ? s : s.substr(pos + 1);
}

JsonKind jsonKindOf(std::string_view system_type) {
  if (system_type == "Boolean") return JsonKind::kBoolean;
  if (system_type == "Integer" || system_type == "Decimal") return JsonKind::kNumber;
  return JsonKind::kString;
}

// The FHIR type name of one ElementDefinition.type entry.
std::string typeName(const Value& type, std::string_view base_path) {
  std::string_view code = str(type, "code");
  if (code.substr(0, kSystemPrefix.size()) != kSystemPrefix) return std::string(code);
  if (base_path == "Resource.id") return "id";  // R4 types Resource.id as System.String
  auto ext = type.FindMember("extension");
  if (ext != type.MemberEnd() && ext->value.IsArray()) {
    for (const auto& e : ext->value.GetArray()) {
      if (str(e, "url") == kFhirTypeExt) {
        std::string_view v = str(e, "valueUrl");
        if (v.empty()) v = str(e, "valueUri");
        if (!v.empty()) return std::string(v);
      }
    }
  }
  return "string";
}

bool hasRepresentation(const Value& element, std::string_view rep) {
  auto it = element.FindMember("representation");
  if (it == element.MemberEnd() || !it->value.IsArray()) return false;
  for (const auto& r : it->value.GetArray()) {
    if (r.IsString() && rep == r.GetString()) return true;
  }
  return false;
}

struct Pending {
  ElementDef* element;
  std::string target;  // backbone path named by contentReference
};

core::Status addElements(Model& model, const Value& sd, TypeInfo& root) {
  const Value& snapshot = sd["snapshot"]["element"];
  std::vector<std::pair<std::string, std::string>> refs;  // (owner path + name, target)
  for (rapidjson::SizeType i = 1; i < snapshot.Size(); ++i) {
    const Value& e = snapshot[i];
    std::string_view path = str(e, "path");
    auto dot = path.rfind('.');
    if (dot == std::string_view::npos) continue;
    std::string_view owner_path = path.substr(0, dot);
    std::string name(path.substr(dot + 1));
    TypeInfo* owner = owner_path == root.name ? &root : model.mutableType(owner_path);
    if (owner == nullptr) {
      return core::internal("definition " + root.name + ": element " + std::string(path) +
                            " has no parent type");
    }
    std::string_view base_path;
    if (auto b = e.FindMember("base"); b != e.MemberEnd()) base_path = str(b->value, "path");

    if (root.kind == TypeKind::kPrimitive && owner == &root && name == "value") {
      const Value& types = e["type"];
      if (types.IsArray() && !types.Empty()) {
        root.system_type = std::string(lastSegment(str(types[0], "code"), '.'));
      } else {
        root.system_type = "String";
      }
      // R4 declares positiveInt.value and unsignedInt.value as System.String, yet both are
      // integers in JSON and in FHIRPath.
      if (root.name == "positiveInt" || root.name == "unsignedInt") root.system_type = "Integer";
      root.json_kind = jsonKindOf(root.system_type);
      continue;
    }

    ElementDef def;
    def.choice = name.size() > 3 && name.compare(name.size() - 3, 3, "[x]") == 0;
    def.name = def.choice ? name.substr(0, name.size() - 3) : name;
    def.min = e.HasMember("min") && e["min"].IsUint() ? e["min"].GetUint() : 0;
    std::string_view max = str(e, "max");
    def.max = max == "*" ? kUnbounded : static_cast<std::uint32_t>(std::atoi(std::string(max).c_str()));
    def.xml_attr = hasRepresentation(e, "xmlAttr");
    def.summary = e.HasMember("isSummary") && e["isSummary"].IsBool() && e["isSummary"].GetBool();
    def.modifier =
        e.HasMember("isModifier") && e["isModifier"].IsBool() && e["isModifier"].GetBool();
    def.order = static_cast<std::uint16_t>(owner->elements.size());

    std::string_view content_ref = str(e, "contentReference");
    if (!content_ref.empty()) {
      refs.emplace_back(std::string(path), std::string(content_ref.substr(1)));
    } else if (auto t = e.FindMember("type"); t != e.MemberEnd() && t->value.IsArray()) {
      for (const auto& type : t->value.GetArray()) {
        std::string tn = typeName(type, base_path);
        if (tn == "BackboneElement" || tn == "Element") {
          TypeInfo& bb = model.add(std::string(path));
          bb.kind = TypeKind::kBackbone;
          bb.base = model.type(tn);
          def.types.push_back(&bb);
          continue;
        }
        const TypeInfo* ti = model.type(tn);
        if (ti == nullptr) {
          return core::internal("definition " + root.name + ": element " + std::string(path) +
                                " has unknown type " + tn);
        }
        def.types.push_back(ti);
      }
    }
    owner->elements.push_back(std::move(def));
  }
  for (const auto& [path, target] : refs) {
    auto dot = path.rfind('.');
    TypeInfo* owner = path.substr(0, dot) == root.name ? &root : model.mutableType(path.substr(0, dot));
    const TypeInfo* t = model.type(target);
    ElementDef* def = owner == nullptr ? nullptr : const_cast<ElementDef*>(owner->element(path.substr(dot + 1)));
    if (t == nullptr || def == nullptr) {
      return core::internal("definition " + root.name + ": bad contentReference to " + target);
    }
    def->types.push_back(t);
  }
  return core::Status::ok();
}

}  // namespace

core::Result<std::unique_ptr<Model>> buildModel(const std::filesystem::path& package_dir) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(package_dir, ec)) {
    std::string fn = entry.path().filename().string();
    if (fn.rfind("StructureDefinition-", 0) == 0 && fn.size() > 5 &&
        fn.compare(fn.size() - 5, 5, ".json") == 0) {
      files.push_back(entry.path());
    }
  }
  if (ec) return core::Status(core::Code::kNotFound, "cannot list " + package_dir.string());
  std::sort(files.begin(), files.end());

  std::vector<rapidjson::Document> docs;
  auto model = std::make_unique<Model>();
  for (const auto& f : files) {
    GW_ASSIGN_OR_RETURN(std::string text, readFile(f));
    rapidjson::Document doc;
    doc.Parse(text.c_str(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) {
      return core::internal("cannot parse definition " + f.string());
    }
    std::string_view kind = str(doc, "kind");
    std::string_view derivation = str(doc, "derivation");
    if (kind == "logical" || derivation == "constraint") continue;
    if (kind != "primitive-type" && kind != "complex-type" && kind != "resource") continue;
    TypeInfo& t = model->add(std::string(str(doc, "type")));
    t.kind = kind == "primitive-type" ? TypeKind::kPrimitive
             : kind == "resource"     ? TypeKind::kResource
                                      : TypeKind::kComplex;
    t.abstract = doc.HasMember("abstract") && doc["abstract"].IsBool() && doc["abstract"].GetBool();
    t.url = std::string(str(doc, "url"));
    docs.push_back(std::move(doc));
  }
  for (auto& doc : docs) {
    TypeInfo* t = model->mutableType(str(doc, "type"));
    std::string_view base_url = str(doc, "baseDefinition");
    if (!base_url.empty()) t->base = model->type(lastSegment(base_url, '/'));
    if (!doc.HasMember("snapshot")) {
      return core::internal("definition " + t->name + " has no snapshot");
    }
    GW_RETURN_IF_ERROR(addElements(*model, doc, *t));
  }
  if (model->type("Resource") == nullptr || model->type("Patient") == nullptr) {
    return core::Status(core::Code::kNotFound,
                        "no core resource definitions in " + package_dir.string());
  }
  return model;
}

}  // namespace onedoor::fhir
