// WHERE clauses for search criteria (https://hl7.org/fhir/R4/search.html#ptypes).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>

#include "storage/sql_search.h"

namespace onedoor::storage {
namespace {

using search::Criterion;
using search::ParamType;
using search::Prefix;
using search::QueryValue;

const std::string kMaxChar = "\xF4\x8F\xBF\xBF";  // U+10FFFF: upper bound for prefix ranges

std::string likeEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void typesCond(const std::vector<std::string>& types, const std::string& col, SqlFragment& f) {
  if (types.empty()) {
    f.sql += "1 = 1";
    return;
  }
  if (types.size() == 1) {
    f.sql += col + " = ?";
    f.params.emplace_back(types.front());
    return;
  }
  f.sql += col + " IN (";
  for (std::size_t i = 0; i < types.size(); ++i) {
    f.sql += i ? ", ?" : "?";
    f.params.emplace_back(types[i]);
  }
  f.sql += ")";
}

// A stored range [lo, hi] against a query range [qlo, qhi] (dates; numbers use lo = hi).
void rangeCond(Prefix p, const std::string& lo, const std::string& hi, SqlParams& params, std::string& sql,
               const SqlValue& qlo, const SqlValue& qhi) {
  auto add = [&](const std::string& s, std::initializer_list<SqlValue> vals) {
    sql += s;
    for (const auto& v : vals) params.push_back(v);
  };
  // Contained: lo >= qlo and hi <= qhi. `lo <= qhi` follows (lo <= hi) but bounds the index range
  // scan on lo, which would otherwise read every row from qlo to the end of time.
  std::string contained = "(" + lo + " >= ? AND " + lo + " <= ? AND " + hi + " <= ?)";
  switch (p) {
    case Prefix::kEq: add(contained, {qlo, qhi, qhi}); break;
    case Prefix::kNe: add("NOT " + contained, {qlo, qhi, qhi}); break;
    case Prefix::kGt: add(hi + " > ?", {qhi}); break;
    case Prefix::kLt: add(lo + " < ?", {qlo}); break;
    case Prefix::kGe: add("(" + hi + " > ? OR " + contained + ")", {qhi, qlo, qhi, qhi}); break;
    case Prefix::kLe: add("(" + lo + " < ? OR " + contained + ")", {qlo, qlo, qhi, qhi}); break;
    case Prefix::kSa: add(lo + " > ?", {qhi}); break;
    case Prefix::kEb: add(hi + " < ?", {qlo}); break;
    case Prefix::kAp: add("(" + hi + " >= ? AND " + lo + " <= ?)", {qlo, qhi}); break;
  }
}

void dateCond(const QueryValue& v, const std::string& lo, const std::string& hi, SqlParams& params, std::string& sql) {
  std::int64_t qlo = v.lo, qhi = v.hi;
  if (v.prefix == Prefix::kAp) {
    // Approximately: within 10% of the distance from now, at least a day.
    std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
    std::int64_t gap = std::max<std::int64_t>(86400000, std::llabs(now - qlo) / 10);
    qlo -= gap;
    qhi += gap;
  }
  rangeCond(v.prefix, lo, hi, params, sql, qlo, qhi);
}

void numberCond(const QueryValue& v, const std::string& col, double scale, SqlParams& params, std::string& sql) {
  double value = v.value * scale, vlo = v.vlo * scale, vhi = v.vhi * scale;
  if (vlo > vhi) std::swap(vlo, vhi);
  auto add = [&](const std::string& s, std::initializer_list<double> vals) {
    sql += s;
    for (double d : vals) params.emplace_back(d);
  };
  switch (v.prefix) {
    case Prefix::kEq: add("(" + col + " >= ? AND " + col + " < ?)", {vlo, vhi}); break;
    case Prefix::kNe: add("NOT (" + col + " >= ? AND " + col + " < ?)", {vlo, vhi}); break;
    case Prefix::kGt:
    case Prefix::kSa: add(col + " > ?", {value}); break;
    case Prefix::kLt:
    case Prefix::kEb: add(col + " < ?", {value}); break;
    case Prefix::kGe: add(col + " >= ?", {value}); break;
    case Prefix::kLe: add(col + " <= ?", {value}); break;
    case Prefix::kAp: {
      double d = std::abs(value) * 0.1;
      add("(" + col + " >= ? AND " + col + " <= ?)", {value - d, value + d});
      break;
    }
  }
}

void quantityCond(const QueryValue& v, const std::string& sys, const std::string& code, const std::string& val,
                  const std::string& base_dims, const std::string& base_val, SqlParams& params, std::string& sql) {
  if (v.base_value && v.value != 0) {
    sql += "(" + base_dims + " = ? AND ";
    params.emplace_back(v.base_dims);
    numberCond(v, base_val, *v.base_value / v.value, params, sql);
    sql += ")";
    return;
  }
  sql += "(";
  if (v.unit_code) {
    sql += code + " = ? AND ";
    params.emplace_back(*v.unit_code);
  }
  if (v.unit_system) {
    sql += sys + " = ? AND ";
    params.emplace_back(*v.unit_system);
  }
  numberCond(v, val, 1.0, params, sql);
  sql += ")";
}

void tokenCond(const QueryValue& v, const std::string& modifier, const std::string& sys, const std::string& code,
               const std::string& text, SqlParams& params, std::string& sql) {
  if (modifier == "text") {
    sql += text + " LIKE ? ESCAPE '\\'";
    params.emplace_back("%" + likeEscape(v.text) + "%");
    return;
  }
  if (!v.system) {
    sql += code + " = ?";
    params.emplace_back(v.text);
  } else if (v.system->empty()) {
    sql += "(" + sys + " IS NULL AND " + code + " = ?)";
    params.emplace_back(v.text);
  } else if (v.text.empty()) {
    sql += sys + " = ?";
    params.emplace_back(*v.system);
  } else {
    sql += "(" + sys + " = ? AND " + code + " = ?)";
    params.emplace_back(*v.system);
    params.emplace_back(v.text);
  }
}

void valueCond(ParamType type, const std::string& modifier, const QueryValue& v, const search::SearchParam* param,
               SqlFragment& f) {
  std::string& sql = f.sql;
  SqlParams& params = f.params;
  switch (type) {
    case ParamType::kString:
      if (modifier == "exact") {
        sql += "i.s2 = ?";
        params.emplace_back(v.text);
      } else if (modifier == "contains") {
        sql += "i.s1 LIKE ? ESCAPE '\\'";
        params.emplace_back("%" + likeEscape(v.text) + "%");
      } else {
        sql += "(i.s1 >= ? AND i.s1 < ?)";
        params.emplace_back(v.text);
        params.emplace_back(v.text + kMaxChar);
      }
      return;
    case ParamType::kToken:
      if (modifier == "of-type") {
        sql += "(i.s4 = ? AND i.s5 = ? AND i.s2 = ?)";
        params.emplace_back(v.type_system);
        params.emplace_back(v.type);
        params.emplace_back(v.text);
        return;
      }
      tokenCond(v, modifier, "i.s1", "i.s2", "i.s3", params, sql);
      return;
    case ParamType::kUri:
      if (modifier == "below") {
        sql += "i.s1 LIKE ? ESCAPE '\\'";
        params.emplace_back(likeEscape(v.text) + "%");
      } else if (modifier == "above") {
        sql += "(length(i.s1) <= length(?) AND substr(?, 1, length(i.s1)) = i.s1)";
        params.emplace_back(v.text);
        params.emplace_back(v.text);
      } else {
        sql += "i.s1 = ?";
        params.emplace_back(v.text);
      }
      return;
    case ParamType::kReference:
      if (modifier == "identifier") {
        if (v.system) {
          sql += "(i.s4 = ? AND i.s5 = ?)";
          params.emplace_back(*v.system);
        } else {
          sql += "i.s5 = ?";
        }
        params.emplace_back(v.text);
        return;
      }
      if (!v.url.empty() && v.type.empty()) {
        sql += "i.s3 = ?";
        params.emplace_back(v.url);
      } else if (!v.type.empty()) {
        sql += "(i.s1 = ? AND i.s2 = ?)";
        params.emplace_back(v.type);
        params.emplace_back(v.text);
      } else {
        sql += "i.s2 = ?";
        params.emplace_back(v.text);
      }
      return;
    case ParamType::kDate: dateCond(v, "i.i1", "i.i2", params, sql); return;
    case ParamType::kNumber: numberCond(v, "i.n1", 1.0, params, sql); return;
    case ParamType::kQuantity: quantityCond(v, "i.s1", "i.s2", "i.n1", "i.s4", "i.n2", params, sql); return;
    case ParamType::kComposite: {
      if (param == nullptr || v.parts.size() < 2) {
        sql += "0 = 1";
        return;
      }
      sql += "(";
      tokenCond(v.parts[0], "", "i.s1", "i.s2", "i.s5", params, sql);
      sql += " AND ";
      const QueryValue& b = v.parts[1];
      switch (param->components[1].definition->type) {
        case ParamType::kToken: tokenCond(b, "", "i.s3", "i.s4", "i.s5", params, sql); break;
        case ParamType::kString:
          sql += "(i.s3 >= ? AND i.s3 < ?)";
          params.emplace_back(b.text);
          params.emplace_back(b.text + kMaxChar);
          break;
        case ParamType::kQuantity: quantityCond(b, "i.s3", "i.s4", "i.n1", "i.s5", "i.n2", params, sql); break;
        case ParamType::kDate: dateCond(b, "i.i1", "i.i2", params, sql); break;
        case ParamType::kNumber: numberCond(b, "i.n1", 1.0, params, sql); break;
        default: sql += "1 = 1";
      }
      sql += ")";
      return;
    }
    default: sql += "0 = 1"; return;
  }
}

core::Status criterionSql(const Criterion& c, const std::vector<std::string>& types, const std::string& a,
                          bool drive, SqlFragment& f);

// How likely a criterion is to select few resources, lowest first: the first criterion of a
// search drives it (its matches are looked up by key); the others are probed per candidate.
int rank(const Criterion& c) {
  if (c.modifier == "missing" || c.modifier == "not") return 9;
  if (c.code == "_id") return 0;
  if (!c.has_type.empty()) return 6;
  if (c.chained) return 5;
  switch (c.type) {
    case ParamType::kToken:
      if (c.modifier == "text") return 7;
      return c.code.find("identifier") != std::string::npos ? 1 : 4;
    case ParamType::kReference: return 2;
    case ParamType::kString: return c.modifier == "contains" ? 7 : 3;
    case ParamType::kDate: {
      // A date equal to a day (a birth date) picks out few resources: it drives the search.
      bool days = !c.values.empty() && std::all_of(c.values.begin(), c.values.end(), [](const QueryValue& v) {
        return v.prefix == Prefix::kEq && v.hi - v.lo <= 86400000;
      });
      return days ? 2 : 8;
    }
    case ParamType::kUri: return 3;
    default: return 8;  // dates, numbers, quantities, composites: ranges
  }
}

// Whether the criterion's matches can be looked up in search_index by (rtype, param, value).
bool canDrive(const Criterion& c) {
  return c.has_type.empty() && c.modifier != "missing" && c.modifier != "not" && c.code != "_id" &&
         c.code != "_lastUpdated";
}

}  // namespace

core::Status criteriaSql(const std::vector<Criterion>& criteria, const std::vector<std::string>& types,
                         const std::string& alias, SqlFragment& out) {
  std::vector<const Criterion*> ordered;
  for (const auto& c : criteria) ordered.push_back(&c);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Criterion* x, const Criterion* y) { return rank(*x) < rank(*y); });
  bool driven = false;
  for (const Criterion* c : ordered) {
    out.sql += " AND ";
    bool drive = !driven && canDrive(*c);
    driven = driven || drive;
    GW_RETURN_IF_ERROR(criterionSql(*c, types, alias, drive, out));
  }
  return core::Status::ok();
}

bool drivesByKey(const std::vector<Criterion>& criteria) {
  return std::any_of(criteria.begin(), criteria.end(), canDrive);
}

namespace {

// One criterion on the resource_current alias `a`: as `a.res IN (...)` when it drives the
// search, otherwise as a correlated EXISTS probe through the (res, param) index.
core::Status criterionSql(const Criterion& c, const std::vector<std::string>& types, const std::string& a,
                          bool drive, SqlFragment& f) {
  static std::atomic<int> alias_counter{0};
  if (!c.has_type.empty()) {
    // Uncorrelated, driven from the resources the inner criterion selects: the referenced type
    // is bound, so the subquery runs once, not per row.
    std::string b = "h" + std::to_string(alias_counter++ % 1000);
    f.sql += a + ".rid IN (SELECT i.s2 FROM search_index i WHERE i.rtype = ? AND i.param = ? AND ";
    f.params.emplace_back(c.has_type);
    f.params.emplace_back(c.has_param);
    typesCond(types, "i.s1", f);
    f.sql += " AND i.res IN (SELECT " + b + ".res FROM resource_current " + b + " WHERE " + b +
             ".deleted = 0 AND " + b + ".rtype = ?";
    f.params.emplace_back(c.has_type);
    GW_RETURN_IF_ERROR(criteriaSql({*c.chained}, {c.has_type}, b, f));
    f.sql += "))";
    return core::Status::ok();
  }
  auto open = [&](bool negate) {
    if (drive && !negate) {
      f.sql += a + ".res IN (SELECT i.res FROM search_index i WHERE ";
      typesCond(types, "i.rtype", f);
      f.sql += " AND ";
    } else {
      f.sql += std::string(negate ? "NOT " : "") + "EXISTS (SELECT 1 FROM search_index i WHERE i.res = " + a + ".res AND ";
    }
  };
  if (!c.compartment_params.empty()) {
    open(false);
    f.sql += "i.param IN (";
    for (std::size_t k = 0; k < c.compartment_params.size(); ++k) {
      f.sql += k ? ", ?" : "?";
      f.params.emplace_back(c.compartment_params[k]);
    }
    f.sql += ") AND i.s1 = ? AND i.s2 = ?)";
    f.params.emplace_back(c.values.front().type);
    f.params.emplace_back(c.values.front().text);
    return core::Status::ok();
  }
  if (c.chained) {
    std::string b = "k" + std::to_string(alias_counter++ % 1000);
    open(false);
    f.sql += "i.param = ? AND i.s1 = ? AND i.s2 IN (SELECT " + b + ".rid FROM resource_current " + b +
             " WHERE " + b + ".rtype = ? AND " + b + ".deleted = 0";
    f.params.emplace_back(c.code);
    f.params.emplace_back(c.chain_type);
    f.params.emplace_back(c.chain_type);
    GW_RETURN_IF_ERROR(criteriaSql({*c.chained}, {c.chain_type}, b, f));
    f.sql += "))";
    return core::Status::ok();
  }
  if (c.modifier == "missing") {
    if (c.code == "_id" || c.code == "_lastUpdated") {
      f.sql += c.values.front().missing ? "0 = 1" : "1 = 1";
      return core::Status::ok();
    }
    f.sql += std::string(c.values.front().missing ? "NOT " : "") +
             "EXISTS (SELECT 1 FROM search_index i WHERE i.res = " + a + ".res AND i.param = ?)";
    f.params.emplace_back(c.code);
    return core::Status::ok();
  }
  if (c.code == "_id") {
    f.sql += a + ".rid IN (";
    for (std::size_t k = 0; k < c.values.size(); ++k) {
      f.sql += k ? ", ?" : "?";
      f.params.emplace_back(c.values[k].text);
    }
    f.sql += ")";
    return core::Status::ok();
  }
  if (c.code == "_lastUpdated") {
    f.sql += "(";
    for (std::size_t k = 0; k < c.values.size(); ++k) {
      if (k) f.sql += " OR ";
      dateCond(c.values[k], a + ".last_updated_ms", a + ".last_updated_ms", f.params, f.sql);
    }
    f.sql += ")";
    return core::Status::ok();
  }
  bool negate = c.modifier == "not";
  open(negate);
  f.sql += "i.param = ? AND (";
  f.params.emplace_back(c.code);
  for (std::size_t k = 0; k < c.values.size(); ++k) {
    if (k) f.sql += " OR ";
    if (c.type == ParamType::kReference && !c.chain_type.empty() && c.values[k].type.empty()) {
      f.sql += "(i.s1 = ? AND ";
      f.params.emplace_back(c.chain_type);
      valueCond(c.type, negate ? "" : c.modifier, c.values[k], c.param, f);
      f.sql += ")";
    } else {
      valueCond(c.type, negate ? "" : c.modifier, c.values[k], c.param, f);
    }
  }
  f.sql += "))";
  return core::Status::ok();
}

}  // namespace

}  // namespace onedoor::storage
