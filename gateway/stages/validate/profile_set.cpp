#include "stages/validate/profile_set.h"

#include "stages/validate/snapshot.h"

namespace onedoor::stages::validate {
namespace {

constexpr std::string_view kCoreBase = "http://hl7.org/fhir/StructureDefinition/";
constexpr std::string_view kRegexExtension = "http://hl7.org/fhir/StructureDefinition/regex";
constexpr int kMaxBaseDepth = 16;

// The FHIR type an invariant on this element is evaluated on, when the model has it.
std::string inputType(const Structure& s, const ElementSpec& e, const fhir::Model& model) {
  if (&e == &s.elements.front()) return model.type(s.type) != nullptr ? s.type : "";
  if (e.types.size() != 1) return "";
  const std::string& code = e.types.front().code;
  if (code == "BackboneElement" || code == "Element") return model.type(e.path) != nullptr ? e.path : "";
  return model.type(code) != nullptr ? code : "";
}

}  // namespace

std::string coreUrl(std::string_view type) { return std::string(kCoreBase) + std::string(type); }

ProfileSet::ProfileSet(fhir::DefinitionIndexPtr definitions, std::shared_ptr<const fhir::Terminology> terminology)
    : definitions_(std::move(definitions)), terminology_(std::move(terminology)) {}

core::Result<StructurePtr> ProfileSet::structure(std::string_view type_or_url) const {
  std::string url = type_or_url.find(':') == std::string_view::npos ? coreUrl(type_or_url) : std::string(type_or_url);
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(url); it != cache_.end()) return it->second;
  }
  return compile(url, 0);
}

core::Result<StructurePtr> ProfileSet::compile(const std::string& url, int depth) const {
  // One compilation at a time: profiles build on each other, and this runs at start-up.
  std::lock_guard lock(mu_);
  if (auto it = cache_.find(url); it != cache_.end()) return it->second;
  if (depth > kMaxBaseDepth) return core::invalid("profile " + url + ": its base definitions form a cycle or are too deep");
  const fhir::DefinitionIndex::Entry* entry = definitions_->find(url);
  GW_ASSIGN_OR_RETURN(auto sd, definitions_->resource(url));
  if (sd->type == nullptr || sd->type->name != "StructureDefinition") {
    return core::Status(core::Code::kNotFound, url + " is not a StructureDefinition");
  }
  auto s = std::make_shared<Structure>();
  readHeader(*sd, *s);
  s->source = entry != nullptr ? entry->file.string() : url;
  std::vector<Problem> problems;
  if (sd->child("snapshot") != nullptr) {
    s->elements = readElements(*sd, false, problems);
  } else {
    if (s->base_definition.empty()) return core::invalid("profile " + url + " has neither a snapshot nor a baseDefinition");
    auto base = compile(s->base_definition, depth + 1);
    if (!base.isOk()) {
      return core::invalid("profile " + url + ": its base " + s->base_definition + " cannot be used: " +
                           base.status().message());
    }
    StructureSource source = [&](std::string_view t) -> core::Result<StructurePtr> {
      std::string u = t.find(':') == std::string_view::npos ? coreUrl(t) : std::string(t);
      return compile(u, depth + 1);
    };
    auto diff = readElements(*sd, true, problems);
    s->elements = generateSnapshot(**base, diff, source, problems).elements;
  }
  if (s->elements.empty()) return core::invalid("profile " + url + " has no elements");
  s->link();
  compileInvariants(*s, problems);
  StructurePtr done = s;
  cache_.emplace(url, done);
  problems_[url] = std::move(problems);
  return done;
}

void ProfileSet::compileInvariants(Structure& s, std::vector<Problem>& problems) const {
  for (auto& e : s.elements) {
    std::string type = inputType(s, e, model());
    for (auto& c : e.constraints) {
      if (c.expression.empty()) continue;
      c.compiled = expression(c.expression, type, c.compile_error);
      if (c.compiled == nullptr) {
        problems.push_back({e.id + ": invariant " + c.key + " does not compile: " + c.compile_error, e.line, e.column});
      }
    }
  }
}

std::shared_ptr<const fhirpath::Expression> ProfileSet::expression(const std::string& text, const std::string& type,
                                                                   std::string& error) const {
  std::lock_guard lock(mu_);
  std::string key = type + '\n' + text;
  if (auto it = expressions_.find(key); it != expressions_.end()) return it->second;
  fhirpath::CompileOptions opts;
  opts.model = &model();
  opts.input_type = type;
  auto compiled = fhirpath::Expression::compile(text, opts);
  if (!compiled.isOk() && !type.empty()) {
    // The type checker can be stricter than an invariant's author expected; the expression
    // still means something untyped.
    opts.input_type.clear();
    compiled = fhirpath::Expression::compile(text, opts);
  }
  std::shared_ptr<const fhirpath::Expression> out;
  if (compiled.isOk()) {
    out = std::make_shared<const fhirpath::Expression>(std::move(compiled).value());
  } else {
    error = compiled.status().message();
  }
  expressions_.emplace(std::move(key), out);
  return out;
}

std::vector<std::string> ProfileSet::compileAll(std::string_view prefix) const {
  std::vector<std::string> out;
  for (const auto* e : definitions_->ofType("StructureDefinition")) {
    if (e->url.compare(0, prefix.size(), prefix) != 0) continue;
    auto s = structure(e->url);
    if (!s.isOk()) {
      out.push_back(e->file.string() + ": " + s.status().message());
      continue;
    }
    for (const auto& p : problems(e->url)) {
      out.push_back(e->file.string() + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + p.message);
    }
  }
  return out;
}

std::vector<Problem> ProfileSet::problems(std::string_view url) const {
  std::lock_guard lock(mu_);
  auto it = problems_.find(url);
  return it == problems_.end() ? std::vector<Problem>{} : it->second;
}

std::vector<std::string> ProfileSet::requiredProfiles(const fhir::Node& resource) const {
  if (resource.type == nullptr || resource.type->name != "Observation") return {};
  std::call_once(vital_once_, [this] {
    const std::string base = coreUrl("vitalsigns");
    for (const auto* e : definitions_->ofType("StructureDefinition")) {
      if (e->base != base) continue;
      auto s = structure(e->url);
      if (!s.isOk()) continue;
      // The slice of Observation.code.coding the profile fixes: its system and code.
      for (const auto& el : (*s)->elements) {
        if (el.path != "Observation.code.coding.code" || el.id.find(':') == std::string::npos || !el.fixed) continue;
        int slice = el.parent;
        std::string system;
        for (const auto& sib : (*s)->elements) {
          if (sib.parent == slice && sib.name == "system" && sib.fixed) system = sib.fixed->value;
        }
        vital_signs_[{system, el.fixed->value}] = e->url;
      }
    }
  });
  std::vector<std::string> out;
  if (const fhir::Node* code = resource.child("code")) {
    for (const fhir::Node* c : code->childrenNamed("coding")) {
      auto it = vital_signs_.find({std::string(c->childValue("system")), std::string(c->childValue("code"))});
      if (it != vital_signs_.end()) out.push_back(it->second);
    }
  }
  return out;
}

const std::regex* ProfileSet::primitiveRegex(std::string_view type) const {
  std::lock_guard lock(mu_);
  if (auto it = regexes_.find(type); it != regexes_.end()) return it->second.get();
  std::unique_ptr<std::regex> re;
  auto sd = definitions_->resource(coreUrl(type));
  const fhir::Node* snapshot = sd.isOk() ? (*sd)->child("snapshot") : nullptr;
  std::string value_path = std::string(type) + ".value";
  for (const fhir::Node* el : snapshot != nullptr ? snapshot->childrenNamed("element") : std::vector<const fhir::Node*>{}) {
    if (el->childValue("path") != value_path) continue;
    for (const fhir::Node* t : el->childrenNamed("type")) {
      for (const fhir::Node* x : t->childrenNamed("extension")) {
        if (x->childValue("url") != kRegexExtension) continue;
        const fhir::Node* v = x->child("value");
        if (v == nullptr) continue;
        try {
          re = std::make_unique<std::regex>(v->value, std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error&) {
          re.reset();  // a pattern this engine cannot read: the codecs' own lexical checks remain
        }
      }
    }
  }
  const std::regex* out = re.get();
  regexes_.emplace(std::string(type), std::move(re));
  return out;
}

}  // namespace onedoor::stages::validate
