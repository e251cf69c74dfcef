// fml::Map to an R4 StructureMap resource (JSON).
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "fml/parser.h"

namespace onedoor::fml {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* key, const std::string& value) {
  if (value.empty()) return;
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void parameter(Writer& w, const Parameter& p) {
  w.StartObject();
  switch (p.kind) {
    case Parameter::Kind::kId: str(w, "valueId", p.value); break;
    case Parameter::Kind::kString: str(w, "valueString", p.value); break;
    case Parameter::Kind::kBoolean:
      w.Key("valueBoolean");
      w.Bool(p.value == "true");
      break;
    case Parameter::Kind::kInteger:
      w.Key("valueInteger");
      w.Int(std::stoi(p.value));
      break;
    case Parameter::Kind::kDecimal:
      w.Key("valueDecimal");
      w.RawValue(p.value.c_str(), p.value.size(), rapidjson::kNumberType);
      break;
  }
  w.EndObject();
}

void rule(Writer& w, const Rule& r) {
  w.StartObject();
  str(w, "name", r.name);
  w.Key("source");
  w.StartArray();
  for (const auto& s : r.sources) {
    w.StartObject();
    str(w, "context", s.context);
    if (s.min >= 0) {
      w.Key("min");
      w.Int(s.min);
    }
    str(w, "max", s.max);
    str(w, "type", s.type);
    if (!s.default_value.empty()) str(w, "defaultValueString", s.default_value);
    str(w, "element", s.element);
    str(w, "listMode", s.list_mode);
    str(w, "variable", s.variable);
    str(w, "condition", s.condition);
    str(w, "check", s.check);
    str(w, "logMessage", s.log);
    w.EndObject();
  }
  w.EndArray();
  if (!r.targets.empty()) {
    w.Key("target");
    w.StartArray();
    for (const auto& t : r.targets) {
      w.StartObject();
      str(w, "context", t.context);
      if (!t.context.empty()) str(w, "contextType", std::string("variable"));
      str(w, "element", t.element);
      str(w, "variable", t.variable);
      if (!t.list_modes.empty()) {
        w.Key("listMode");
        w.StartArray();
        for (const auto& m : t.list_modes) w.String(m.c_str());
        w.EndArray();
      }
      str(w, "listRuleId", t.list_rule_id);
      str(w, "transform", t.transform);
      if (!t.parameters.empty()) {
        w.Key("parameter");
        w.StartArray();
        for (const auto& p : t.parameters) parameter(w, p);
        w.EndArray();
      }
      w.EndObject();
    }
    w.EndArray();
  }
  if (!r.rules.empty()) {
    w.Key("rule");
    w.StartArray();
    for (const auto& child : r.rules) rule(w, child);
    w.EndArray();
  }
  if (!r.dependents.empty()) {
    w.Key("dependent");
    w.StartArray();
    for (const auto& d : r.dependents) {
      w.StartObject();
      str(w, "name", d.name);
      w.Key("variable");
      w.StartArray();
      for (const auto& v : d.variables) w.String(v.c_str());
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  }
  str(w, "documentation", r.documentation);
  w.EndObject();
}

}  // namespace

std::string toStructureMapJson(const Map& m) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  str(w, "resourceType", std::string("StructureMap"));
  auto meta = [&](const char* key) {
    auto it = m.metadata.find(key);
    return it == m.metadata.end() ? std::string() : it->second;
  };
  std::string id = m.name;
  for (char& c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') c = '-';
  }
  str(w, "id", id.substr(0, 64));
  str(w, "url", m.url);
  str(w, "name", m.name);
  str(w, "title", meta("title"));
  str(w, "status", meta("status").empty() ? std::string("draft") : meta("status"));
  str(w, "description", meta("description"));
  if (!m.structures.empty()) {
    w.Key("structure");
    w.StartArray();
    for (const auto& s : m.structures) {
      w.StartObject();
      str(w, "url", s.url);
      str(w, "mode", s.mode);
      str(w, "alias", s.alias);
      str(w, "documentation", s.documentation);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!m.imports.empty()) {
    w.Key("import");
    w.StartArray();
    for (const auto& i : m.imports) w.String(i.c_str());
    w.EndArray();
  }
  if (!m.concept_maps.empty()) {
    // Embedded ConceptMaps become contained resources, as the reference implementation has them.
    w.Key("contained");
    w.StartArray();
    for (const auto& cm : m.concept_maps) {
      w.StartObject();
      str(w, "resourceType", std::string("ConceptMap"));
      str(w, "id", cm.id.rfind('#', 0) == 0 ? cm.id.substr(1) : cm.id);
      str(w, "status", std::string("draft"));
      w.Key("group");
      w.StartArray();
      // One group per (source system, target system) pair, in order of appearance.
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const auto& mp : cm.mappings) {
        std::pair<std::string, std::string> key{mp.source_system, mp.target_system};
        if (std::find(pairs.begin(), pairs.end(), key) == pairs.end()) pairs.push_back(key);
      }
      for (const auto& [src, tgt] : pairs) {
        w.StartObject();
        str(w, "source", src);
        str(w, "target", tgt);
        w.Key("element");
        w.StartArray();
        for (const auto& mp : cm.mappings) {
          if (mp.source_system != src || mp.target_system != tgt) continue;
          w.StartObject();
          str(w, "code", mp.source_code);
          w.Key("target");
          w.StartArray();
          w.StartObject();
          str(w, "code", mp.target_code);
          str(w, "equivalence", mp.equivalence);
          w.EndObject();
          w.EndArray();
          w.EndObject();
        }
        w.EndArray();
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("group");
  w.StartArray();
  for (const auto& g : m.groups) {
    w.StartObject();
    str(w, "name", g.name);
    str(w, "extends", g.extends);
    str(w, "typeMode", g.type_mode);
    str(w, "documentation", g.documentation);
    w.Key("input");
    w.StartArray();
    for (const auto& in : g.inputs) {
      w.StartObject();
      str(w, "name", in.name);
      str(w, "type", in.type);
      str(w, "mode", in.mode);
      w.EndObject();
    }
    w.EndArray();
    w.Key("rule");
    w.StartArray();
    for (const auto& r : g.rules) rule(w, r);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return sb.GetString();
}

namespace {

std::string get(const rapidjson::Value& o, const char* key) {
  if (!o.IsObject() || !o.HasMember(key)) return {};
  const auto& v = o[key];
  if (v.IsString()) return v.GetString();
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  return {};
}

template <typename F>
void each(const rapidjson::Value& o, const char* key, F&& f) {
  if (!o.IsObject() || !o.HasMember(key) || !o[key].IsArray()) return;
  for (const auto& item : o[key].GetArray()) f(item);
}

Rule readRule(const rapidjson::Value& r) {
  Rule rule;
  rule.name = get(r, "name");
  rule.documentation = get(r, "documentation");
  each(r, "source", [&](const rapidjson::Value& x) {
    Source s;
    s.context = get(x, "context");
    s.element = get(x, "element");
    s.variable = get(x, "variable");
    s.type = get(x, "type");
    if (x.HasMember("min") && x["min"].IsInt()) s.min = x["min"].GetInt();
    s.max = get(x, "max");
    s.default_value = get(x, "defaultValueString");
    s.list_mode = get(x, "listMode");
    s.condition = get(x, "condition");
    s.check = get(x, "check");
    s.log = get(x, "logMessage");
    rule.sources.push_back(std::move(s));
  });
  each(r, "target", [&](const rapidjson::Value& x) {
    Target t;
    t.context = get(x, "context");
    t.element = get(x, "element");
    t.variable = get(x, "variable");
    t.transform = get(x, "transform");
    t.list_rule_id = get(x, "listRuleId");
    each(x, "listMode", [&](const rapidjson::Value& m) {
      if (m.IsString()) t.list_modes.push_back(m.GetString());
    });
    each(x, "parameter", [&](const rapidjson::Value& p) {
      if (p.HasMember("valueId")) t.parameters.push_back({Parameter::Kind::kId, get(p, "valueId")});
      else if (p.HasMember("valueString")) t.parameters.push_back({Parameter::Kind::kString, get(p, "valueString")});
      else if (p.HasMember("valueBoolean")) t.parameters.push_back({Parameter::Kind::kBoolean, get(p, "valueBoolean")});
      else if (p.HasMember("valueInteger")) t.parameters.push_back({Parameter::Kind::kInteger, get(p, "valueInteger")});
      else if (p.HasMember("valueDecimal") && p["valueDecimal"].IsNumber()) {
        t.parameters.push_back({Parameter::Kind::kDecimal, std::to_string(p["valueDecimal"].GetDouble())});
      }
    });
    rule.targets.push_back(std::move(t));
  });
  each(r, "rule", [&](const rapidjson::Value& x) { rule.rules.push_back(readRule(x)); });
  each(r, "dependent", [&](const rapidjson::Value& x) {
    Dependent d;
    d.name = get(x, "name");
    each(x, "variable", [&](const rapidjson::Value& v) {
      if (v.IsString()) d.variables.push_back(v.GetString());
    });
    rule.dependents.push_back(std::move(d));
  });
  return rule;
}

}  // namespace

core::Result<Map> fromStructureMapJson(const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.c_str());
  if (d.HasParseError() || !d.IsObject() || get(d, "resourceType") != "StructureMap") {
    return core::invalid("not a StructureMap resource");
  }
  Map m;
  m.url = get(d, "url");
  m.name = get(d, "name");
  for (const char* k : {"title", "status", "description"}) {
    if (!get(d, k).empty()) m.metadata[k] = get(d, k);
  }
  each(d, "structure", [&](const rapidjson::Value& x) {
    m.structures.push_back({get(x, "url"), get(x, "mode"), get(x, "alias"), get(x, "documentation"), {}});
  });
  each(d, "import", [&](const rapidjson::Value& x) {
    if (x.IsString()) m.imports.push_back(x.GetString());
  });
  // Contained ConceptMaps are the map's own (translate(v, '#id', ...)).
  each(d, "contained", [&](const rapidjson::Value& cm) {
    if (get(cm, "resourceType") != "ConceptMap") return;
    EmbeddedConceptMap e;
    e.id = get(cm, "id");
    each(cm, "group", [&](const rapidjson::Value& g) {
      each(g, "element", [&](const rapidjson::Value& el) {
        each(el, "target", [&](const rapidjson::Value& t) {
          e.mappings.push_back({get(g, "source"), get(el, "code"), get(g, "target"), get(t, "code"), get(t, "equivalence")});
        });
      });
    });
    m.concept_maps.push_back(std::move(e));
  });
  each(d, "group", [&](const rapidjson::Value& g) {
    Group group;
    group.name = get(g, "name");
    group.extends = get(g, "extends");
    group.type_mode = get(g, "typeMode").empty() ? "none" : get(g, "typeMode");
    group.documentation = get(g, "documentation");
    each(g, "input", [&](const rapidjson::Value& in) {
      group.inputs.push_back({get(in, "name"), get(in, "type"), get(in, "mode"), {}});
    });
    each(g, "rule", [&](const rapidjson::Value& r) { group.rules.push_back(readRule(r)); });
    m.groups.push_back(std::move(group));
  });
  if (m.groups.empty()) return core::invalid("the StructureMap has no group");
  return m;
}

std::string targetFormat(const Map& map) {
  if (map.groups.empty()) return "";
  for (const auto& in : map.groups.front().inputs) {
    if (in.mode != "target") continue;
    for (const auto& st : map.structures) {
      if (st.alias != in.type && st.url != in.type) continue;
      for (const char* f : {"csv", "json", "xml", "hl7v2"}) {
        if (st.url.find("/" + std::string(f) + "/") != std::string::npos) return f;
      }
      return "";
    }
  }
  return "";
}

}  // namespace onedoor::fml
