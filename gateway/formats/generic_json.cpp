#include "formats/generic_json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>

#include <cctype>

namespace onedoor::formats {

std::string fieldName(std::string_view raw) {
  std::size_t b = raw.find_first_not_of(" \t"), e = raw.find_last_not_of(" \t");
  std::string_view trimmed = b == std::string_view::npos ? std::string_view() : raw.substr(b, e - b + 1);
  std::string n;
  for (char c : trimmed) n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n.front()))) n = "_" + n;
  return n;
}

namespace {

core::Status add(fhir::Node& parent, const std::string& name, const rapidjson::Value& v, std::size_t depth,
                 std::size_t max_depth) {
  if (depth > max_depth) return core::invalid("JSON: nested deeper than " + std::to_string(max_depth) + " levels");
  if (v.IsNull()) return core::Status::ok();
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) GW_RETURN_IF_ERROR(add(parent, name, item, depth + 1, max_depth));
    return core::Status::ok();
  }
  fhir::Node& n = parent.addUntyped(name);
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      GW_RETURN_IF_ERROR(add(n, fieldName(std::string_view(m.name.GetString(), m.name.GetStringLength())), m.value,
                             depth + 1, max_depth));
    }
    return core::Status::ok();
  }
  n.has_value = true;
  if (v.IsString()) {
    n.value.assign(v.GetString(), v.GetStringLength());
  } else if (v.IsBool()) {
    n.value = v.GetBool() ? "true" : "false";
  } else if (v.IsInt64()) {
    n.value = std::to_string(v.GetInt64());
  } else if (v.IsUint64()) {
    n.value = std::to_string(v.GetUint64());
  } else {
    n.value = std::to_string(v.GetDouble());
  }
  return core::Status::ok();
}

std::string position(std::string_view text, std::size_t offset) {
  std::size_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

}  // namespace

core::Result<fhir::Node> readGenericJson(std::string_view text, std::size_t max_depth) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (d.HasParseError()) {
    return core::invalid(std::string("JSON: ") + rapidjson::GetParseError_En(d.GetParseError()) + " at " +
                         position(text, d.GetErrorOffset()));
  }
  fhir::Node root("JSON", nullptr, nullptr);
  if (d.IsObject()) {
    for (const auto& m : d.GetObject()) {
      GW_RETURN_IF_ERROR(add(root, fieldName(std::string_view(m.name.GetString(), m.name.GetStringLength())), m.value,
                             1, max_depth));
    }
  } else {
    GW_RETURN_IF_ERROR(add(root, "item", d, 1, max_depth));
  }
  return root;
}

}  // namespace onedoor::formats

namespace onedoor::formats {

namespace {

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

// A number or a boolean as JSON writes it.
bool jsonLiteral(const std::string& v) {
  if (v == "true" || v == "false") return true;
  rapidjson::Document d;
  d.Parse(v.c_str(), v.size());
  return !d.HasParseError() && d.IsNumber();
}

void writeNode(JsonWriter& w, const fhir::Node& n, const std::string& path, const JsonLayout& layout);

// An element's children as members: one occurring once is a single value, one repeated (or
// named in layout.arrays) an array, in order of first appearance.
void writeMembers(JsonWriter& w, const fhir::Node& n, const std::string& path, const JsonLayout& layout) {
  w.StartObject();
  std::vector<std::string_view> done;
  for (const auto& c : n.children) {
    if (std::find(done.begin(), done.end(), c.name) != done.end()) continue;
    done.push_back(c.name);
    std::string at = path.empty() ? c.name : path + "." + c.name;
    w.Key(c.name.c_str(), static_cast<rapidjson::SizeType>(c.name.size()));
    auto same = n.childrenNamed(c.name);
    if (same.size() == 1 && !layout.arrays.count(at)) {
      writeNode(w, c, at, layout);
      continue;
    }
    w.StartArray();
    for (const fhir::Node* s : same) writeNode(w, *s, at, layout);
    w.EndArray();
  }
  w.EndObject();
}

void writeNode(JsonWriter& w, const fhir::Node& n, const std::string& path, const JsonLayout& layout) {
  if (!n.children.empty()) return writeMembers(w, n, path, layout);
  if (layout.literals.count(path) && jsonLiteral(n.value)) {
    w.RawValue(n.value.c_str(), n.value.size(), n.value.front() == 't' || n.value.front() == 'f' ? rapidjson::kTrueType
                                                                                                 : rapidjson::kNumberType);
    return;
  }
  w.String(n.value.c_str(), static_cast<rapidjson::SizeType>(n.value.size()));
}

}  // namespace

std::string writeGenericJson(const fhir::Node& tree, const JsonLayout& layout) {
  rapidjson::StringBuffer out;
  JsonWriter w(out);
  w.SetIndent(' ', 2);
  writeMembers(w, tree, "", layout);
  return std::string(out.GetString(), out.GetSize()) + "\n";
}

}  // namespace onedoor::formats
