#include "config/json_reader.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace onedoor::config {

using Kind = fhir::JsonTree::Kind;

namespace {

const char* kindName(Kind k) {
  switch (k) {
    case Kind::kNull: return "null";
    case Kind::kFalse:
    case Kind::kTrue: return "a boolean";
    case Kind::kNumber: return "a number";
    case Kind::kString: return "a string";
    case Kind::kObject: return "an object";
    case Kind::kArray: return "an array";
  }
  return "a value";
}

}  // namespace

JsonConfigFile JsonConfigFile::load(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    JsonConfigFile f;
    f.name_ = path;
    diags.error(path, 1, 1, "cannot open file");
    return f;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return fromText(path, ss.str(), diags);
}

JsonConfigFile JsonConfigFile::fromText(std::string name, std::string_view text,
                                        Diagnostics& diags) {
  JsonConfigFile f;
  f.name_ = std::move(name);
  auto tree = fhir::JsonTree::parse(text);
  if (!tree.isOk()) {
    const std::string& where = tree.status().expression();
    auto colon = where.find(':');
    std::uint32_t line = static_cast<std::uint32_t>(std::atoi(where.c_str()));
    std::uint32_t col = colon == std::string::npos
                            ? 0
                            : static_cast<std::uint32_t>(std::atoi(where.c_str() + colon + 1));
    diags.error(f.name_, line, col, tree.status().message());
    return f;
  }
  f.tree_ = std::make_shared<fhir::JsonTree>(std::move(tree).value());
  return f;
}

ObjectReader JsonConfigFile::root(Diagnostics& diags) const {
  const fhir::JsonTree::Item* r = tree_ ? &tree_->root() : nullptr;
  if (r != nullptr && r->kind != Kind::kObject) {
    std::uint32_t line = 0, col = 0;
    position(*r, line, col);
    diags.error(name_, line, col, std::string("expected a JSON object (got ") + kindName(r->kind) + ")");
    r = nullptr;
  }
  return ObjectReader(*this, r, diags);
}

void JsonConfigFile::position(const fhir::JsonTree::Item& item, std::uint32_t& line,
                              std::uint32_t& col) const {
  tree_->position(item.offset, line, col);
  // Strings and numbers are reported at their first character; containers and literals just
  // after their first token, so step back onto it.
  if (item.kind != Kind::kString && item.kind != Kind::kNumber && col > 1) {
    col -= item.kind == Kind::kObject || item.kind == Kind::kArray ? 1 : 0;
  }
}

ObjectReader::ObjectReader(const JsonConfigFile& file, const Item* object, Diagnostics& diags)
    : file_(file), object_(object), diags_(diags) {}

const ObjectReader::Item* ObjectReader::find(std::string_view key) {
  if (object_ == nullptr) return nullptr;
  const Item* v = file_.tree().member(*object_, key);
  if (v != nullptr) used_.push_back(key);
  return v;
}

bool ObjectReader::has(std::string_view key) const {
  return object_ != nullptr && file_.tree().member(*object_, key) != nullptr;
}

void ObjectReader::error(std::string_view key, const std::string& message) {
  const Item* v = object_ ? file_.tree().member(*object_, key) : nullptr;
  std::uint32_t line = 0, col = 0;
  if (v != nullptr) {
    file_.position(*v, line, col);
  } else if (object_ != nullptr) {
    file_.position(*object_, line, col);
  }
  diags_.error(file_.name(), line, col, "'" + std::string(key) + "': " + message);
}

std::string ObjectReader::locationOf(std::uint32_t& line, std::uint32_t& col) const {
  line = col = 0;
  if (object_ != nullptr) file_.position(*object_, line, col);
  return std::to_string(line) + ":" + std::to_string(col);
}

void ObjectReader::errorHere(const std::string& message) {
  std::uint32_t line = 0, col = 0;
  if (object_ != nullptr) file_.position(*object_, line, col);
  diags_.error(file_.name(), line, col, message);
}

void ObjectReader::wrongType(std::string_view key, const Item& v, const char* want) {
  std::string got = kindName(v.kind);
  if (v.kind == Kind::kString || v.kind == Kind::kNumber) got += " " + std::string(v.text);
  error(key, std::string("expected ") + want + " (got " + got + ")");
}

bool ObjectReader::string(std::string_view key, std::string& out, bool required) {
  const Item* v = find(key);
  if (v == nullptr) {
    if (required && object_ != nullptr) errorHere("missing required key '" + std::string(key) + "'");
    return !required;
  }
  if (v->kind != Kind::kString) {
    wrongType(key, *v, "a string");
    return false;
  }
  out.assign(v->text);
  return true;
}

bool ObjectReader::boolean(std::string_view key, bool& out, bool required) {
  const Item* v = find(key);
  if (v == nullptr) {
    if (required && object_ != nullptr) errorHere("missing required key '" + std::string(key) + "'");
    return !required;
  }
  if (v->kind != Kind::kTrue && v->kind != Kind::kFalse) {
    wrongType(key, *v, "true or false");
    return false;
  }
  out = v->kind == Kind::kTrue;
  return true;
}

bool ObjectReader::u64(std::string_view key, std::uint64_t& out, bool required) {
  const Item* v = find(key);
  if (v == nullptr) {
    if (required && object_ != nullptr) errorHere("missing required key '" + std::string(key) + "'");
    return !required;
  }
  bool digits = v->kind == Kind::kNumber && !v->text.empty() && v->text.size() < 20 &&
                std::all_of(v->text.begin(), v->text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) {
    wrongType(key, *v, "a non-negative integer");
    return false;
  }
  out = std::stoull(std::string(v->text));
  return true;
}

bool ObjectReader::number(std::string_view key, double& out, bool required, double min, double max) {
  const Item* v = find(key);
  if (v == nullptr) {
    if (required && object_ != nullptr) errorHere("missing required key '" + std::string(key) + "'");
    return !required;
  }
  if (v->kind != Kind::kNumber) {
    wrongType(key, *v, "a number");
    return false;
  }
  double d = std::strtod(std::string(v->text).c_str(), nullptr);
  if (!(d >= min && d <= max)) {
    std::ostringstream range;
    range << "must be between " << min << " and " << max << " (got " << v->text << ")";
    error(key, range.str());
    return false;
  }
  out = d;
  return true;
}

bool ObjectReader::u32(std::string_view key, std::uint32_t& out, bool required, std::uint32_t min,
                       std::uint32_t max) {
  std::uint64_t v = out;
  if (!u64(key, v, required)) return false;
  if (!has(key)) return true;
  if (v < min || v > max) {
    error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                   " (got " + std::to_string(v) + ")");
    return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool ObjectReader::stringList(std::string_view key, std::vector<std::string>& out, bool required) {
  const Item* v = find(key);
  if (v == nullptr) {
    if (required && object_ != nullptr) errorHere("missing required key '" + std::string(key) + "'");
    return !required;
  }
  if (v->kind != Kind::kArray) {
    wrongType(key, *v, "an array of strings");
    return false;
  }
  out.clear();
  bool ok = true;
  for (const Item* e : file_.tree().children(*v)) {
    if (e->kind != Kind::kString) {
      std::uint32_t line = 0, col = 0;
      file_.position(*e, line, col);
      diags_.error(file_.name(), line, col,
                   "'" + std::string(key) + "': expected strings (got " + kindName(e->kind) + ")");
      ok = false;
      continue;
    }
    out.emplace_back(e->text);
  }
  return ok;
}

bool ObjectReader::oneOf(std::string_view key, std::string& out,
                         const std::vector<std::string>& allowed, bool required) {
  std::string value = out;
  if (!string(key, value, required)) return false;
  if (!has(key)) return true;
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    error(key, "must be one of " + list + " (got " + value + ")");
    return false;
  }
  out = value;
  return true;
}

ObjectReader ObjectReader::object(std::string_view key, bool required) {
  const Item* v = find(key);
  if (v == nullptr) {
    if (required && object_ != nullptr) errorHere("missing required key '" + std::string(key) + "'");
    return ObjectReader(file_, nullptr, diags_);
  }
  if (v->kind != Kind::kObject) {
    wrongType(key, *v, "an object");
    return ObjectReader(file_, nullptr, diags_);
  }
  return ObjectReader(file_, v, diags_);
}

void ObjectReader::objects(std::string_view key, const std::function<void(ObjectReader&)>& each,
                           bool required) {
  const Item* v = find(key);
  if (v == nullptr) {
    if (required && object_ != nullptr) errorHere("missing required key '" + std::string(key) + "'");
    return;
  }
  if (v->kind != Kind::kArray) {
    wrongType(key, *v, "an array of objects");
    return;
  }
  for (const Item* e : file_.tree().children(*v)) {
    if (e->kind != Kind::kObject) {
      std::uint32_t line = 0, col = 0;
      file_.position(*e, line, col);
      diags_.error(file_.name(), line, col,
                   "'" + std::string(key) + "': expected objects (got " + kindName(e->kind) + ")");
      continue;
    }
    ObjectReader r(file_, e, diags_);
    each(r);
  }
}

const ObjectReader::Item* ObjectReader::raw(std::string_view key) { return find(key); }

void ObjectReader::done() {
  if (object_ == nullptr) return;
  std::vector<std::string_view> seen;
  for (const Item* m : file_.tree().children(*object_)) {
    if (std::find(seen.begin(), seen.end(), m->key) != seen.end()) {
      std::uint32_t line = 0, col = 0;
      file_.tree().position(m->key_offset, line, col);
      diags_.error(file_.name(), line, col, "duplicate key '" + std::string(m->key) + "'");
      continue;
    }
    seen.push_back(m->key);
    if (std::find(used_.begin(), used_.end(), m->key) != used_.end()) continue;
    std::uint32_t line = 0, col = 0;
    file_.tree().position(m->key_offset, line, col);
    diags_.error(file_.name(), line, col, "unknown key '" + std::string(m->key) + "'");
  }
}

}  // namespace onedoor::config
