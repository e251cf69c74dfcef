#include <algorithm>
#include <charconv>

#include "fhirpath/decimal.h"
#include "fhirpath/quantity.h"
#include "fhirpath/temporal.h"
#include "search/indexer.h"
#include "search/normalize.h"
#include "search/query.h"

namespace onedoor::search {
namespace {

core::Status bad(const std::string& param, const std::string& why) {
  return core::invalid("search parameter '" + param + "': " + why, param);
}

// Splits on unescaped `sep` and removes the escapes (\, \$ \| \\).
std::vector<std::string> splitEscaped(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == ',' || s[i + 1] == '$' || s[i + 1] == '|' || s[i + 1] == '\\')) {
      if (sep != s[i + 1] && s[i + 1] != '\\') out.back() += '\\';
      out.back() += s[++i];
      continue;
    }
    if (c == sep) {
      out.emplace_back();
      continue;
    }
    out.back() += c;
  }
  return out;
}

std::optional<std::size_t> findUnescaped(const std::string& s, char c) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == c) return i;
  }
  return std::nullopt;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

Prefix takePrefix(std::string& v) {
  static const std::pair<const char*, Prefix> kPrefixes[] = {
      {"eq", Prefix::kEq}, {"ne", Prefix::kNe}, {"gt", Prefix::kGt}, {"lt", Prefix::kLt}, {"ge", Prefix::kGe},
      {"le", Prefix::kLe}, {"sa", Prefix::kSa}, {"eb", Prefix::kEb}, {"ap", Prefix::kAp}};
  if (v.size() > 2) {
    for (const auto& [p, e] : kPrefixes) {
      if (v.compare(0, 2, p) == 0 && (std::isdigit(static_cast<unsigned char>(v[2])) || v[2] == '-')) {
        v = v.substr(2);
        return e;
      }
    }
  }
  return Prefix::kEq;
}

core::Status parseDate(QueryValue& q, std::string v) {
  std::replace(v.begin(), v.end(), ' ', '+');  // a '+' that arrived unencoded in a URL
  q.prefix = takePrefix(v);
  auto t = v.find('T') == std::string::npos ? fhirpath::Temporal::parseDate(v) : fhirpath::Temporal::parseDateTime(v);
  if (!t) return core::invalid("the value is not a date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][zone])");
  auto r = dateRange(*t);
  q.lo = r.first;
  q.hi = r.second;
  return core::Status::ok();
}

core::Status parseNumber(QueryValue& q, std::string v) {
  q.prefix = takePrefix(v);
  auto d = fhirpath::Decimal::parse(v);
  if (!d) return core::invalid("the value is not a number");
  q.value = d->toDouble();
  // The precision of the value written is the range it stands for: 100 means [99.5, 100.5).
  double half = 0.5;
  for (int i = 0; i < d->scale(); ++i) half /= 10;
  q.vlo = q.value - half;
  q.vhi = q.value + half;
  return core::Status::ok();
}

}  // namespace

core::Result<QueryValue> parseValue(ParamType type, const std::string& modifier, const std::string& raw,
                                    const fhir::Model& model) {
  QueryValue q;
  q.raw = raw;
  if (modifier == "missing") {
    if (raw != "true" && raw != "false") return core::invalid(":missing takes true or false");
    q.missing = raw == "true";
    return q;
  }
  switch (type) {
    case ParamType::kString:
      q.text = modifier == "exact" ? unescape(raw) : normalizeString(unescape(raw));
      if (q.text.empty()) return core::invalid("empty string value");
      return q;
    case ParamType::kUri:
      q.text = unescape(raw);
      return q;
    case ParamType::kNumber:
      GW_RETURN_IF_ERROR(parseNumber(q, raw));
      return q;
    case ParamType::kDate:
      GW_RETURN_IF_ERROR(parseDate(q, raw));
      return q;
    case ParamType::kToken: {
      if (modifier == "text") {
        q.text = normalizeString(unescape(raw));
        return q;
      }
      if (modifier == "of-type") {
        auto parts = splitEscaped(raw, '|');
        if (parts.size() != 3) return core::invalid(":of-type takes system|code|value");
        q.type_system = parts[0];
        q.type = parts[1];
        q.text = parts[2];
        return q;
      }
      if (auto bar = findUnescaped(raw, '|')) {
        q.system = unescape(raw.substr(0, *bar));
        q.text = unescape(raw.substr(*bar + 1));
        if (q.system->empty() && q.text.empty()) return core::invalid("'|' alone is not a token");
      } else {
        q.text = unescape(raw);
        if (q.text.empty()) return core::invalid("empty token");
      }
      return q;
    }
    case ParamType::kReference: {
      std::string v = unescape(raw);
      if (modifier == "identifier") {
        auto bar = v.find('|');
        if (bar != std::string::npos) {
          q.system = v.substr(0, bar);
          q.text = v.substr(bar + 1);
        } else {
          q.text = v;
        }
        return q;
      }
      if (v.empty()) return core::invalid("empty reference");
      std::string t, id;
      if (v.find("://") != std::string::npos || v.rfind("urn:", 0) == 0) {
        q.url = v;
        if (parseReference(v, t, id, model)) {
          q.type = t;
          q.text = id;
        }
      } else if (parseReference(v, t, id, model)) {
        q.type = t;
        q.text = id;
      } else if (v.find('/') == std::string::npos) {
        q.text = v;
      } else {
        return core::invalid("the value is not a reference (Type/id, id, or a URL)");
      }
      return q;
    }
    case ParamType::kQuantity: {
      auto parts = splitEscaped(raw, '|');
      if (parts.size() != 1 && parts.size() != 3) return core::invalid("a quantity is number or number|system|code");
      GW_RETURN_IF_ERROR(parseNumber(q, parts[0]));
      if (parts.size() == 3) {
        if (!parts[1].empty()) q.unit_system = parts[1];
        if (!parts[2].empty()) q.unit_code = parts[2];
        bool ucum = !q.unit_system || *q.unit_system == "http://unitsofmeasure.org";
        std::string number = parts[0];
        takePrefix(number);
        auto dec = fhirpath::Decimal::parse(number);
        if (ucum && q.unit_code && dec) {
          fhirpath::Quantity fq;
          fq.value = *dec;
          fq.unit = *q.unit_code;
          if (auto base = fhirpath::toBase(fq, false)) {
            q.base_value = base->first.toDouble();
            for (int d : base->second.dims) q.base_dims += std::to_string(d) + ",";
            q.base_dims += base->second.arbitrary;
          }
        }
      }
      return q;
    }
    default:
      return core::invalid("this parameter type cannot be searched");
  }
}

namespace {

constexpr const char* kControl[] = {"_count", "_sort", "_include", "_revinclude", "_summary", "_elements",
                                    "_total", "_format", "_pretty", "_cursor", "_type"};

bool isControl(const std::string& name) {
  std::string base = name.substr(0, name.find(':'));
  return std::find(std::begin(kControl), std::end(kControl), base) != std::end(kControl);
}

const SearchParam* lookup(const SearchParamRegistry& reg, const std::vector<std::string>& types, const std::string& code) {
  const SearchParam* found = nullptr;
  for (const auto& t : types) {
    const SearchParam* p = reg.find(t, code);
    if (p == nullptr) return nullptr;
    if (found != nullptr && found->type != p->type) return nullptr;
    if (found == nullptr) found = p;
  }
  return found;
}

core::Status parseCriterion(const SearchParamRegistry& reg, const fhir::Model& model,
                            const std::vector<std::string>& types, const std::string& name,
                            const std::string& value, Criterion& c, int depth) {
  if (depth > 4) return bad(name, "chains are limited to 4 links");
  // _has:Type:param:rest
  if (name.rfind("_has:", 0) == 0) {
    auto parts = splitEscaped(name.substr(5), ':');
    if (parts.size() < 3) return bad(name, "_has is written _has:Type:reference-param:search-param");
    std::string type = parts[0], param = parts[1];
    std::string rest = name.substr(5 + type.size() + 1 + param.size() + 1);
    if (model.resourceType(type) == nullptr) return bad(name, "unknown resource type " + type);
    const SearchParam* ref = reg.find(type, param);
    if (ref == nullptr || ref->type != ParamType::kReference) return bad(name, param + " is not a reference parameter of " + type);
    c.code = name;
    c.has_type = type;
    c.has_param = param;
    c.chained = std::make_shared<Criterion>();
    return parseCriterion(reg, model, {type}, rest, value, *c.chained, depth + 1);
  }
  std::string head = name, tail;
  if (auto dot = name.find('.'); dot != std::string::npos) {
    head = name.substr(0, dot);
    tail = name.substr(dot + 1);
  }
  std::string code = head, modifier;
  if (auto colon = head.find(':'); colon != std::string::npos) {
    code = head.substr(0, colon);
    modifier = head.substr(colon + 1);
  }
  c.code = code;
  c.modifier = modifier;
  if (code == "_id") {
    c.type = ParamType::kToken;
  } else if (code == "_lastUpdated") {
    c.type = ParamType::kDate;
  } else {
    c.param = lookup(reg, types, code);
    if (c.param == nullptr) return bad(code, "unknown for " + (types.empty() ? std::string("this search") : types.front()));
    c.type = c.param->type;
  }
  if (c.type == ParamType::kSpecial) return bad(code, "special parameters are not supported");
  if (!tail.empty()) {
    if (c.type != ParamType::kReference) return bad(name, "only reference parameters can be chained");
    std::vector<std::string> targets;
    if (!modifier.empty()) {
      if (model.resourceType(modifier) == nullptr) return bad(name, "unknown resource type " + modifier);
      targets = {modifier};
      c.modifier.clear();
    } else {
      targets = c.param->targets;
      std::string chain_code = tail.substr(0, tail.find_first_of(":."));
      std::vector<std::string> usable;
      for (const auto& t : targets) {
        if (reg.find(t, chain_code) != nullptr || chain_code == "_id") usable.push_back(t);
      }
      if (usable.size() != 1) {
        return bad(name, usable.empty() ? "no target type has '" + chain_code + "'"
                                        : "ambiguous chain: name the target type (" + code + ":Type." + tail + ")");
      }
      targets = usable;
    }
    c.chain_type = targets.front();
    c.chained = std::make_shared<Criterion>();
    return parseCriterion(reg, model, {c.chain_type}, tail, value, *c.chained, depth + 1);
  }
  static const std::vector<std::string> kStringMods = {"", "exact", "contains", "missing"};
  static const std::vector<std::string> kTokenMods = {"", "text", "not", "missing", "of-type"};
  static const std::vector<std::string> kUriMods = {"", "below", "above", "missing"};
  static const std::vector<std::string> kPlainMods = {"", "missing"};
  const std::vector<std::string>* allowed = &kPlainMods;
  if (c.type == ParamType::kString) allowed = &kStringMods;
  if (c.type == ParamType::kToken) allowed = &kTokenMods;
  if (c.type == ParamType::kUri) allowed = &kUriMods;
  if (c.type == ParamType::kReference) {
    if (!modifier.empty() && modifier != "missing" && modifier != "identifier") {
      if (model.resourceType(modifier) == nullptr) return bad(name, "unknown modifier :" + modifier);
      c.chain_type = modifier;  // subject:Patient=123 restricts the target type
      c.modifier.clear();
    }
  } else if (std::find(allowed->begin(), allowed->end(), modifier) == allowed->end()) {
    return bad(name, "modifier :" + modifier + " is not supported for " + std::string(paramTypeName(c.type)) + " parameters");
  }
  if (c.code == "_id" && !c.modifier.empty() && c.modifier != "missing") return bad(name, "_id takes no modifier");
  for (const auto& raw : splitEscaped(value, ',')) {
    // Keep escapes for the value parser; splitEscaped removed the comma escapes only.
    if (c.type == ParamType::kComposite) {
      QueryValue q;
      q.raw = raw;
      auto parts = splitEscaped(raw, '$');
      if (parts.size() != c.param->components.size()) {
        return bad(name, "composite values have " + std::to_string(c.param->components.size()) + " parts joined by $");
      }
      for (std::size_t i = 0; i < parts.size(); ++i) {
        auto part = parseValue(c.param->components[i].definition->type, "", parts[i], model);
        if (!part.isOk()) return bad(name, part.status().message());
        q.parts.push_back(*part);
      }
      c.values.push_back(std::move(q));
      continue;
    }
    auto q = parseValue(c.type, c.modifier, raw, model);
    if (!q.isOk()) return bad(name, q.status().message());
    if (c.type == ParamType::kReference && !c.chain_type.empty() && q->type.empty()) q->type = c.chain_type;
    c.values.push_back(std::move(q).value());
  }
  if (c.values.empty()) return bad(name, "no value");
  return core::Status::ok();
}

}  // namespace

core::Result<SearchQuery> parseQuery(const SearchParamRegistry& reg, const fhir::Model& model,
                                     std::vector<std::string> types,
                                     const std::vector<std::pair<std::string, std::string>>& params,
                                     bool lenient, const QueryLimits& limits) {
  SearchQuery q;
  q.count = limits.default_count;
  if (auto t = std::find_if(params.begin(), params.end(), [](const auto& p) { return p.first == "_type"; });
      t != params.end()) {
    if (!types.empty()) return bad("_type", "only a system search takes _type");
    for (const auto& name : splitEscaped(t->second, ',')) {
      if (model.resourceType(name) == nullptr) return bad("_type", "unknown resource type " + name);
      types.push_back(name);
    }
  }
  q.types = types;
  std::vector<std::string> scope = types;
  if (scope.empty()) {
    for (const auto* t : model.resourceTypes()) scope.push_back(t->name);
  }
  for (const auto& [name, value] : params) {
    if (name == "_count") {
      std::uint32_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size()) return bad("_count", "must be a non-negative integer");
      q.count = std::min(n, limits.max_count);
    } else if (name == "_sort") {
      for (auto key : splitEscaped(value, ',')) {
        SortKey k;
        if (!key.empty() && key[0] == '-') {
          k.descending = true;
          key = key.substr(1);
        }
        k.code = key;
        if (key != "_id" && key != "_lastUpdated") {
          k.param = lookup(reg, scope, key);
          if (k.param == nullptr) return bad("_sort", "unknown parameter " + key);
          if (k.param->type == ParamType::kComposite || k.param->type == ParamType::kSpecial) {
            return bad("_sort", "cannot sort by " + key);
          }
        }
        q.sort.push_back(k);
      }
    } else if (name == "_include" || name == "_revinclude" || name == "_include:iterate" || name == "_revinclude:iterate") {
      Include inc;
      inc.reverse = name.rfind("_revinclude", 0) == 0;
      inc.iterate = name.find(":iterate") != std::string::npos;
      auto parts = splitEscaped(value, ':');
      if (parts.size() < 2 || parts.size() > 3) return bad(name, "written Type:param[:TargetType]");
      inc.source_type = parts[0];
      inc.param = parts[1];
      if (parts.size() == 3) inc.target_type = parts[2];
      if (model.resourceType(inc.source_type) == nullptr) return bad(name, "unknown resource type " + inc.source_type);
      const SearchParam* p = reg.find(inc.source_type, inc.param);
      if (p == nullptr || p->type != ParamType::kReference) {
        return bad(name, inc.param + " is not a reference parameter of " + inc.source_type);
      }
      if (!inc.target_type.empty() && model.resourceType(inc.target_type) == nullptr) {
        return bad(name, "unknown resource type " + inc.target_type);
      }
      q.includes.push_back(inc);
    } else if (name == "_total") {
      if (value != "none" && value != "estimate" && value != "accurate") return bad("_total", "none, estimate or accurate");
      q.total = value;
    } else if (name == "_summary") {
      q.summary = value;
    } else if (name == "_elements") {
      for (const auto& e : splitEscaped(value, ',')) q.elements.push_back(e);
    } else if (name == "_cursor") {
      q.cursor = value;
    } else if (isControl(name)) {
      // _format, _pretty, _type: handled elsewhere
    } else {
      Criterion c;
      core::Status st = parseCriterion(reg, model, scope, name, value, c, 0);
      if (!st.isOk()) {
        bool unknown = st.message().find(": unknown for ") != std::string::npos;
        if (lenient && unknown) {
          q.ignored.push_back(name);
          continue;
        }
        return st;
      }
      q.criteria.push_back(std::move(c));
    }
    if (name != "_cursor" && name != "_format" && name != "_pretty") q.canonical_params.emplace_back(name, value);
  }
  return q;
}

}  // namespace onedoor::search
