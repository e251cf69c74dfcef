#include "search/indexer.h"

#include "fhirpath/value.h"
#include "search/normalize.h"

namespace onedoor::search {
namespace {

using fhirpath::Value;

bool isPrimitive(const fhir::Node& n) { return n.type != nullptr && n.type->isPrimitive(); }
bool typeIs(const fhir::Node& n, std::string_view t) { return n.type != nullptr && n.type->isa(t); }

void add(std::vector<IndexRow>& out, IndexRow r) { out.push_back(std::move(r)); }

std::optional<std::string> opt(std::string_view s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(std::string(s));
}

void stringRows(const std::string& param, const fhir::Node& n, std::vector<IndexRow>& out) {
  auto one = [&](std::string_view v) {
    if (v.empty()) return;
    IndexRow r;
    r.param = param;
    r.s1 = normalizeString(v);
    r.s2 = std::string(v);
    add(out, std::move(r));
  };
  if (isPrimitive(n)) {
    if (n.has_value) one(n.value);
    return;
  }
  static constexpr std::string_view kNameParts[] = {"family", "given", "prefix", "suffix", "text"};
  static constexpr std::string_view kAddressParts[] = {"line", "city", "district", "state", "postalCode", "country", "text"};
  auto parts = [&](const auto& names) {
    for (const auto& c : n.children) {
      for (auto p : names) {
        if (c.name == p && c.has_value) one(c.value);
      }
    }
  };
  if (typeIs(n, "HumanName")) parts(kNameParts);
  if (typeIs(n, "Address")) parts(kAddressParts);
}

void codingRow(const std::string& param, const fhir::Node& coding, std::string_view text, std::vector<IndexRow>& out) {
  IndexRow r;
  r.param = param;
  r.s1 = opt(coding.childValue("system"));
  r.s2 = opt(coding.childValue("code"));
  std::string_view shown = !text.empty() ? text : coding.childValue("display");
  if (!shown.empty()) r.s3 = normalizeString(shown);
  if (r.s2 || r.s3) add(out, std::move(r));
}

void tokenRows(const std::string& param, const fhir::Node& n, std::vector<IndexRow>& out) {
  if (isPrimitive(n)) {
    if (!n.has_value) return;
    IndexRow r;
    r.param = param;
    r.s2 = n.value;
    add(out, std::move(r));
    return;
  }
  if (typeIs(n, "Coding")) return codingRow(param, n, "", out);
  if (typeIs(n, "CodeableConcept")) {
    std::string_view text = n.childValue("text");
    bool any = false;
    for (const auto* c : n.childrenNamed("coding")) {
      codingRow(param, *c, text, out);
      any = true;
    }
    if (!any && !text.empty()) {
      IndexRow r;
      r.param = param;
      r.s3 = normalizeString(text);
      add(out, std::move(r));
    }
    return;
  }
  if (typeIs(n, "Identifier")) {
    IndexRow r;
    r.param = param;
    r.s1 = opt(n.childValue("system"));
    r.s2 = opt(n.childValue("value"));
    if (const fhir::Node* t = n.child("type")) {
      if (!t->childValue("text").empty()) r.s3 = normalizeString(t->childValue("text"));
      if (const fhir::Node* c = t->child("coding")) {
        r.s4 = opt(c->childValue("system"));
        r.s5 = opt(c->childValue("code"));
      }
    }
    if (r.s2) add(out, std::move(r));
    return;
  }
  if (typeIs(n, "ContactPoint")) {
    IndexRow r;
    r.param = param;
    r.s1 = opt(n.childValue("system"));
    r.s2 = opt(n.childValue("value"));
    if (r.s2) add(out, std::move(r));
  }
}

std::optional<std::pair<std::int64_t, std::int64_t>> range(const fhir::Node& n) {
  if (!isPrimitive(n) || !n.has_value) return std::nullopt;
  auto t = fhirpath::Temporal::parseFhir(n.type->name, n.value);
  if (!t) return std::nullopt;
  return dateRange(*t);
}

void dateRows(const std::string& param, const fhir::Node& n, std::vector<IndexRow>& out) {
  std::optional<std::pair<std::int64_t, std::int64_t>> r;
  if (isPrimitive(n)) {
    r = range(n);
  } else if (typeIs(n, "Period")) {
    auto s = n.child("start") ? range(*n.child("start")) : std::nullopt;
    auto e = n.child("end") ? range(*n.child("end")) : std::nullopt;
    if (s || e) r = std::make_pair(s ? s->first : kMinDate, e ? e->second : kMaxDate);
  } else if (typeIs(n, "Timing")) {
    for (const auto* ev : n.childrenNamed("event")) {
      auto x = range(*ev);
      if (!x) continue;
      r = r ? std::make_pair(std::min(r->first, x->first), std::max(r->second, x->second)) : *x;
    }
  }
  if (!r) return;
  IndexRow row;
  row.param = param;
  row.i1 = r->first;
  row.i2 = r->second;
  add(out, std::move(row));
}

std::optional<double> number(std::string_view v) {
  auto d = fhirpath::Decimal::parse(v);
  if (!d) return std::nullopt;
  return d->toDouble();
}

void quantityFields(const fhir::Node& n, IndexRow& r) {
  Value v(&n);
  auto sys = v.system();
  if (sys && sys->kind() == Value::Kind::kQuantity) {
    const auto& q = sys->asQuantity();
    r.n1 = q.value.toDouble();
    if (auto base = fhirpath::toBase(q, false)) {
      r.n2 = base->first.toDouble();
      std::string dims;
      for (int d : base->second.dims) dims += std::to_string(d) + ",";
      r.s4 = dims + base->second.arbitrary;
    }
  } else if (auto val = n.child("value"); val != nullptr && val->has_value) {
    r.n1 = number(val->value);
  }
  r.s1 = opt(n.childValue("system"));
  r.s2 = opt(n.childValue("code"));
  if (!r.s2 && typeIs(n, "Money")) r.s2 = opt(n.childValue("currency"));
  r.s3 = opt(n.childValue("unit"));
}

void quantityRows(const std::string& param, const fhir::Node& n, std::vector<IndexRow>& out) {
  if (typeIs(n, "Quantity") || typeIs(n, "Money")) {
    IndexRow r;
    r.param = param;
    quantityFields(n, r);
    if (r.n1) add(out, std::move(r));
  } else if (typeIs(n, "Range")) {
    for (const char* end : {"low", "high"}) {
      if (const fhir::Node* q = n.child(end)) quantityRows(param, *q, out);
    }
  }
}

void numberRows(const std::string& param, const fhir::Node& n, std::vector<IndexRow>& out) {
  if (!isPrimitive(n) || !n.has_value) return;
  auto v = number(n.value);
  if (!v) return;
  IndexRow r;
  r.param = param;
  r.n1 = r.n2 = *v;
  add(out, std::move(r));
}

void referenceRows(const std::string& param, const fhir::Node& n, const fhir::Model& model,
                   std::vector<IndexRow>& out) {
  IndexRow r;
  r.param = param;
  std::string_view ref;
  if (typeIs(n, "Reference")) {
    ref = n.childValue("reference");
    if (const fhir::Node* id = n.child("identifier")) {
      r.s4 = opt(id->childValue("system"));
      r.s5 = opt(id->childValue("value"));
    }
  } else if (isPrimitive(n) && n.has_value) {
    ref = n.value;  // canonical / uri references
  }
  if (!ref.empty() && ref[0] == '#') ref = {};  // contained: not searchable by reference
  if (!ref.empty()) {
    r.s3 = std::string(ref);
    std::string type, id;
    if (parseReference(ref, type, id, model)) {
      r.s1 = type;
      r.s2 = id;
    }
  }
  if (r.s3 || r.s5) add(out, std::move(r));
}

void uriRows(const std::string& param, const fhir::Node& n, std::vector<IndexRow>& out) {
  if (!isPrimitive(n) || !n.has_value) return;
  IndexRow r;
  r.param = param;
  r.s1 = n.value;
  add(out, std::move(r));
}

void rowsFor(const SearchParam& p, const fhir::Node& n, const fhir::Model& model, std::vector<IndexRow>& out) {
  switch (p.type) {
    case ParamType::kString: return stringRows(p.code, n, out);
    case ParamType::kToken: return tokenRows(p.code, n, out);
    case ParamType::kDate: return dateRows(p.code, n, out);
    case ParamType::kNumber: return numberRows(p.code, n, out);
    case ParamType::kQuantity: return quantityRows(p.code, n, out);
    case ParamType::kReference: return referenceRows(p.code, n, model, out);
    case ParamType::kUri: return uriRows(p.code, n, out);
    default: return;
  }
}

}  // namespace

bool parseReference(std::string_view ref, std::string& type, std::string& id, const fhir::Model& model) {
  if (auto h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  auto slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  auto prev = ref.rfind('/', slash - 1);
  std::string_view t = ref.substr(prev == std::string_view::npos ? 0 : prev + 1, slash - (prev == std::string_view::npos ? 0 : prev + 1));
  std::string_view i = ref.substr(slash + 1);
  if (i.empty() || model.resourceType(t) == nullptr) return false;
  type = std::string(t);
  id = std::string(i);
  return true;
}

std::vector<IndexRow> Indexer::rows(const fhir::Node& resource, const SearchParam& p) const {
  std::vector<IndexRow> out;
  if (!p.expression || p.type == ParamType::kSpecial) return out;
  fhirpath::Environment env;
  env.model = model_.get();
  env.resource = &resource;
  // resolve() in search expressions (subject.where(resolve() is Patient)) only needs the type.
  const fhir::Model& model = *model_;
  env.resolver = [&model](std::string_view ref) -> std::optional<fhir::Node> {
    std::string type, id;
    if (!parseReference(ref, type, id, model)) return std::nullopt;
    fhir::Node stub = fhir::makeResource(*model.resourceType(type));
    stub.set("id", id);
    return stub;
  };
  auto r = p.expression->evaluate(resource, env);
  if (!r.isOk()) return out;  // an expression that cannot apply to this resource indexes nothing
  for (const auto& v : *r) {
    if (!v.isNode()) continue;
    const fhir::Node& n = *v.node();
    if (p.type != ParamType::kComposite) {
      rowsFor(p, n, model, out);
      continue;
    }
    if (p.components.size() < 2) continue;
    std::vector<IndexRow> first, second;
    for (int k = 0; k < 2; ++k) {
      const auto& comp = p.components[static_cast<std::size_t>(k)];
      fhirpath::Environment cenv;
      cenv.model = model_.get();
      cenv.resource = &resource;
      auto cr = comp.expression->evaluate(n, cenv);
      if (!cr.isOk()) continue;
      for (const auto& cv : *cr) {
        if (cv.isNode()) rowsFor(*comp.definition, *cv.node(), model, k == 0 ? first : second);
      }
    }
    for (const auto& a : first) {
      for (const auto& b : second) {
        IndexRow c;
        c.param = p.code;
        c.s1 = a.s1;
        c.s2 = a.s2;
        bool quantity = p.components[1].definition->type == ParamType::kQuantity;
        c.s3 = quantity ? b.s1 : b.s1;  // token system, string norm or quantity system
        c.s4 = b.s2;                    // token code, string exact or quantity code
        c.s5 = quantity ? b.s4 : b.s3;  // quantity dims, or token text
        c.n1 = b.n1;
        c.n2 = b.n2;
        c.i1 = b.i1;
        c.i2 = b.i2;
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

std::vector<IndexRow> Indexer::rows(const fhir::Node& resource) const {
  std::vector<IndexRow> out;
  for (const SearchParam* p : registry_->forType(resource.type->name)) {
    if (p->code == "_id" || p->code == "_lastUpdated") continue;  // columns of resource_current
    auto r = rows(resource, *p);
    out.insert(out.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
  }
  return out;
}

}  // namespace onedoor::search
