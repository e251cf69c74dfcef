// Node → FHIR JSON. Decimals and integers are written from their lexical form.
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "fhir/codec.h"

namespace onedoor::fhir {
namespace {

// True if `s` is a JSON number literal; anything else is written as a string so that the output
// stays well-formed whatever a mapping put into a node.
bool isJsonNumber(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  return i == s.size();
}

template <typename Writer>
class JsonWriter {
 public:
  explicit JsonWriter(Writer& w) : w_(w) {}

  void resource(const Node& r) {
    w_.StartObject();
    w_.Key("resourceType");
    w_.String(r.type->name.data(), static_cast<rapidjson::SizeType>(r.type->name.size()));
    members(r);
    w_.EndObject();
  }

  void members(const Node& n) {
    const auto& ch = n.children;
    std::size_t i = 0;
    while (i < ch.size()) {
      std::size_t j = i + 1;
      while (j < ch.size() && sameGroup(ch[i], ch[j])) ++j;
      group(ch, i, j);
      i = j;
    }
  }

 private:
  static bool sameGroup(const Node& a, const Node& b) {
    if (a.def != nullptr || b.def != nullptr) return a.def == b.def;
    return a.name == b.name;
  }

  void key(const std::string& k) { w_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }

  void primitiveValue(const Node& n) {
    if (!n.has_value) {
      w_.Null();
      return;
    }
    JsonKind kind = n.type != nullptr ? n.type->json_kind : JsonKind::kString;
    if (kind == JsonKind::kBoolean && (n.value == "true" || n.value == "false")) {
      w_.Bool(n.value == "true");
    } else if (kind == JsonKind::kNumber && isJsonNumber(n.value)) {
      w_.RawValue(n.value.data(), n.value.size(), rapidjson::kNumberType);
    } else {
      w_.String(n.value.data(), static_cast<rapidjson::SizeType>(n.value.size()));
    }
  }

  void primitiveExtras(const Node& n) {
    if (n.children.empty()) {
      w_.Null();
      return;
    }
    w_.StartObject();
    members(n);
    w_.EndObject();
  }

  void complexValue(const Node& n) {
    if (n.isResource()) {
      resource(n);
      return;
    }
    if (n.type == nullptr && n.children.empty()) {  // untyped leaf
      primitiveValue(n);
      return;
    }
    w_.StartObject();
    members(n);
    w_.EndObject();
  }

  void group(const std::vector<Node>& ch, std::size_t from, std::size_t to) {
    const Node& first = ch[from];
    std::string name = first.jsonName();
    bool repeating = first.def != nullptr ? first.def->repeating() : (to - from > 1);
    bool primitive = first.isPrimitive() || (first.def != nullptr && first.def->xml_attr);
    if (!primitive) {
      key(name);
      if (repeating) w_.StartArray();
      for (std::size_t i = from; i < to; ++i) complexValue(ch[i]);
      if (repeating) w_.EndArray();
      return;
    }
    bool any_value = false;
    bool any_extra = false;
    for (std::size_t i = from; i < to; ++i) {
      any_value = any_value || ch[i].has_value;
      any_extra = any_extra || !ch[i].children.empty();
    }
    if (any_value) {
      key(name);
      if (repeating) w_.StartArray();
      for (std::size_t i = from; i < to; ++i) primitiveValue(ch[i]);
      if (repeating) w_.EndArray();
    }
    if (any_extra) {
      key("_" + name);
      if (repeating) w_.StartArray();
      for (std::size_t i = from; i < to; ++i) primitiveExtras(ch[i]);
      if (repeating) w_.EndArray();
    }
  }

  Writer& w_;
};

}  // namespace

std::string writeJsonElement(const Node& element) {
  if (element.isResource()) return writeJson(element);
  rapidjson::StringBuffer buf(nullptr, 2048);
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  JsonWriter<decltype(w)>(w).members(element);
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

std::string writeJson(const Node& resource, const WriteOptions& opts) {
  rapidjson::StringBuffer buf(nullptr, 2048);
  if (opts.pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    JsonWriter<decltype(w)>(w).resource(resource);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    JsonWriter<decltype(w)>(w).resource(resource);
  }
  return {buf.GetString(), buf.GetSize()};
}

}  // namespace onedoor::fhir
