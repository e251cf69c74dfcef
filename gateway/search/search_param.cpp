#include "search/search_param.h"

#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace onedoor::search {
namespace {

std::string_view str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string_view(it->value.GetString(), it->value.GetStringLength())
             : std::string_view{};
}

std::vector<std::string> strings(const rapidjson::Value& o, const char* k) {
  std::vector<std::string> out;
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::optional<ParamType> parseType(std::string_view t) {
  if (t == "number") return ParamType::kNumber;
  if (t == "date") return ParamType::kDate;
  if (t == "string") return ParamType::kString;
  if (t == "token") return ParamType::kToken;
  if (t == "reference") return ParamType::kReference;
  if (t == "composite") return ParamType::kComposite;
  if (t == "quantity") return ParamType::kQuantity;
  if (t == "uri") return ParamType::kUri;
  if (t == "special") return ParamType::kSpecial;
  return std::nullopt;
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string_view paramTypeName(ParamType t) {
  switch (t) {
    case ParamType::kNumber: return "number";
    case ParamType::kDate: return "date";
    case ParamType::kString: return "string";
    case ParamType::kToken: return "token";
    case ParamType::kReference: return "reference";
    case ParamType::kComposite: return "composite";
    case ParamType::kQuantity: return "quantity";
    case ParamType::kUri: return "uri";
    case ParamType::kSpecial: return "special";
  }
  return "special";
}

bool SearchParam::appliesTo(const fhir::TypeInfo& type) const {
  for (const auto& b : base) {
    if (type.isa(b)) return true;
  }
  return false;
}

core::Result<std::shared_ptr<const SearchParamRegistry>> SearchParamRegistry::load(
    const fhir::Model& model, const std::vector<std::filesystem::path>& dirs) {
  auto reg = std::make_shared<SearchParamRegistry>();
  std::map<std::string, SearchParam*> by_url;
  std::vector<std::pair<SearchParam*, std::vector<std::pair<std::string, std::string>>>> pending;
  EVP_MD_CTX* digest = EVP_MD_CTX_new();
  EVP_DigestInit_ex(digest, EVP_sha256(), nullptr);
  for (const auto& dir : dirs) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      std::string fn = e.path().filename().string();
      if ((fn.rfind("SearchParameter-", 0) == 0 || fn.rfind("CompartmentDefinition-", 0) == 0) &&
          fn.size() > 5 && fn.compare(fn.size() - 5, 5, ".json") == 0) {
        files.push_back(e.path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string text = readFile(f);
      rapidjson::Document doc;
      doc.Parse(text.c_str(), text.size());
      if (doc.HasParseError() || !doc.IsObject()) return core::internal("cannot parse " + f.string());
      if (str(doc, "resourceType") == "CompartmentDefinition") {
        std::string code(str(doc, "code"));
        auto it = doc.FindMember("resource");
        if (it == doc.MemberEnd() || !it->value.IsArray()) continue;
        for (const auto& r : it->value.GetArray()) {
          auto params = strings(r, "param");
          if (!params.empty()) reg->compartments_[code][std::string(str(r, "code"))] = params;
        }
        continue;
      }
      auto type = parseType(str(doc, "type"));
      if (!type) continue;
      auto p = std::make_unique<SearchParam>();
      p->code = std::string(str(doc, "code"));
      p->url = std::string(str(doc, "url"));
      p->type = *type;
      p->base = strings(doc, "base");
      p->targets = strings(doc, "target");
      p->expression_text = std::string(str(doc, "expression"));
      EVP_DigestUpdate(digest, p->url.data(), p->url.size());
      EVP_DigestUpdate(digest, p->expression_text.data(), p->expression_text.size());
      EVP_DigestUpdate(digest, str(doc, "type").data(), str(doc, "type").size());
      if (!p->expression_text.empty()) {
        fhirpath::CompileOptions opts;
        opts.model = &model;
        auto e = fhirpath::Expression::compile(p->expression_text, opts);
        if (!e.isOk()) {
          return core::internal("SearchParameter " + p->url + ": " + e.status().message());
        }
        p->expression = std::make_shared<const fhirpath::Expression>(std::move(e).value());
      }
      std::vector<std::pair<std::string, std::string>> comps;
      if (auto it = doc.FindMember("component"); it != doc.MemberEnd() && it->value.IsArray()) {
        for (const auto& c : it->value.GetArray()) {
          comps.emplace_back(std::string(str(c, "definition")), std::string(str(c, "expression")));
        }
      }
      by_url[p->url] = p.get();
      if (!comps.empty()) pending.emplace_back(p.get(), std::move(comps));
      reg->params_.push_back(std::move(p));
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(digest, md, &len);
  EVP_MD_CTX_free(digest);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned i = 0; i < len; ++i) {
    reg->fingerprint_ += kHex[md[i] >> 4];
    reg->fingerprint_ += kHex[md[i] & 15];
  }
  for (auto& [param, comps] : pending) {
    for (const auto& [def, expr] : comps) {
      auto it = by_url.find(def);
      if (it == by_url.end()) return core::internal("SearchParameter " + param->url + ": unknown component " + def);
      auto e = fhirpath::Expression::compile(expr, {&model, "", false});
      if (!e.isOk()) return core::internal("SearchParameter " + param->url + " component: " + e.status().message());
      param->components.push_back({it->second, std::make_shared<const fhirpath::Expression>(std::move(e).value())});
    }
  }
  for (const fhir::TypeInfo* t : model.resourceTypes()) {
    auto& codes = reg->by_type_[t->name];
    auto& list = reg->for_type_[t->name];
    for (const auto& p : reg->params_) {
      if (!p->appliesTo(*t)) continue;
      // A type-specific definition wins over a Resource-level one with the same code.
      auto [it, inserted] = codes.emplace(p->code, p.get());
      if (!inserted && it->second->base.size() > 0 && (it->second->base.front() == "Resource" || it->second->base.front() == "DomainResource")) {
        it->second = p.get();
      }
    }
    for (const auto& [code, p] : codes) list.push_back(p);
  }
  return std::shared_ptr<const SearchParamRegistry>(std::move(reg));
}

const SearchParam* SearchParamRegistry::find(const std::string& type, const std::string& code) const {
  auto t = by_type_.find(type);
  if (t == by_type_.end()) return nullptr;
  auto c = t->second.find(code);
  return c == t->second.end() ? nullptr : c->second;
}

const std::vector<const SearchParam*>& SearchParamRegistry::forType(const std::string& type) const {
  static const std::vector<const SearchParam*> kNone;
  auto it = for_type_.find(type);
  return it == for_type_.end() ? kNone : it->second;
}

const std::vector<std::string>* SearchParamRegistry::compartmentParams(const std::string& compartment,
                                                                        const std::string& type) const {
  auto c = compartments_.find(compartment);
  if (c == compartments_.end()) return nullptr;
  auto t = c->second.find(type);
  return t == c->second.end() ? nullptr : &t->second;
}

}  // namespace onedoor::search
