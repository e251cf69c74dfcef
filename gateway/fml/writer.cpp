// fml::Map back to FHIR Mapping Language text: the form an integrator reads and edits, for maps
// that arrive as StructureMap resources.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fml/parser.h"

namespace onedoor::fml {

namespace {

std::string quoted(const std::string& s, char q = '\'') {
  std::string out(1, q);
  for (char c : s) {
    if (c == q || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + q;
}

std::string parameter(const Parameter& p) {
  switch (p.kind) {
    case Parameter::Kind::kId:
    case Parameter::Kind::kInteger:
    case Parameter::Kind::kDecimal:
    case Parameter::Kind::kBoolean: return p.value;
    case Parameter::Kind::kString: return quoted(p.value);
  }
  return p.value;
}

std::string source(const Source& s) {
  std::string out = s.context;
  if (!s.element.empty()) out += "." + s.element;
  if (!s.type.empty()) out += " : " + s.type;
  if (s.min >= 0) out += " " + std::to_string(s.min) + ".." + (s.max.empty() ? "*" : s.max);
  if (!s.default_value.empty()) out += " default (" + s.default_value + ")";
  if (!s.list_mode.empty()) out += " " + s.list_mode;
  if (!s.variable.empty()) out += " as " + s.variable;
  if (!s.condition.empty()) out += " where (" + s.condition + ")";
  if (!s.check.empty()) out += " check (" + s.check + ")";
  if (!s.log.empty()) out += " log (" + s.log + ")";
  return out;
}

std::string target(const Target& t) {
  std::string out;
  std::string call;
  if (!t.transform.empty()) {
    if (t.transform == "evaluate" && t.parameters.size() == 1) {
      call = "(" + t.parameters[0].value + ")";
    } else if (t.transform == "copy" && t.parameters.size() == 1) {
      call = parameter(t.parameters[0]);
    } else {
      call = t.transform + "(";
      for (std::size_t i = 0; i < t.parameters.size(); ++i) {
        // evaluate(v, path): the path is FHIRPath, written as such.
        bool expr = t.transform == "evaluate" && i == 1;
        call += (i ? ", " : "") + (expr ? t.parameters[i].value : parameter(t.parameters[i]));
      }
      call += ")";
    }
  }
  if (t.context.empty()) {
    out = call;
  } else {
    out = t.context;
    if (!t.element.empty()) out += "." + t.element;
    if (!call.empty()) out += " = " + call;
  }
  if (!t.variable.empty()) out += " as " + t.variable;
  for (const auto& m : t.list_modes) {
    out += " " + m;
    if (m == "share" && !t.list_rule_id.empty()) out += " " + t.list_rule_id;
  }
  return out;
}

void rule(std::ostringstream& out, const Rule& r, const std::string& indent) {
  out << indent;
  for (std::size_t i = 0; i < r.sources.size(); ++i) out << (i ? ", " : "") << source(r.sources[i]);
  if (!r.targets.empty()) {
    out << " -> ";
    for (std::size_t i = 0; i < r.targets.size(); ++i) out << (i ? ", " : "") << target(r.targets[i]);
  }
  if (!r.rules.empty()) {
    out << " then {\n";
    for (const auto& child : r.rules) rule(out, child, indent + "  ");
    out << indent << "}";
  } else if (!r.dependents.empty()) {
    out << " then ";
    for (std::size_t i = 0; i < r.dependents.size(); ++i) {
      out << (i ? ", " : "") << r.dependents[i].name << "(";
      for (std::size_t v = 0; v < r.dependents[i].variables.size(); ++v) {
        out << (v ? ", " : "") << r.dependents[i].variables[v];
      }
      out << ")";
    }
  }
  out << " " << quoted(r.name, '"') << ";";
  if (!r.documentation.empty()) out << "  // " << r.documentation;
  out << "\n";
}

}  // namespace

std::string toFml(const Map& m) {
  std::ostringstream out;
  for (const auto& [k, v] : m.metadata) out << "/// " << k << " = " << quoted(v) << "\n";
  if (!m.metadata.empty()) out << "\n";
  out << "map " << quoted(m.url, '"') << " = " << quoted(m.name, '"') << "\n\n";
  for (const auto& s : m.structures) {
    out << "uses " << quoted(s.url, '"');
    if (!s.alias.empty()) out << " alias " << s.alias;
    out << " as " << s.mode;
    if (!s.documentation.empty()) out << "  // " << s.documentation;
    out << "\n";
  }
  for (const auto& i : m.imports) out << "imports " << quoted(i, '"') << "\n";
  for (const auto& cm : m.concept_maps) {
    out << "\nconceptmap " << quoted(cm.id, '"') << " {\n";
    std::vector<std::string> systems;
    auto prefix = [&](const std::string& system) {
      for (std::size_t i = 0; i < systems.size(); ++i) {
        if (systems[i] == system) return "p" + std::to_string(i + 1);
      }
      systems.push_back(system);
      out << "  prefix p" << systems.size() << " = " << quoted(system, '"') << "\n";
      return "p" + std::to_string(systems.size());
    };
    static const std::map<std::string, std::string> kOps = {
        {"equal", "=="}, {"equivalent", "="}, {"disjoint", "!="}, {"wider", ">="}, {"subsumes", ">-"},
        {"narrower", "<="}, {"specializes", "<-"}, {"inexact", "~"}, {"unmatched", "-"}};
    for (const auto& mp : cm.mappings) {
      std::string sp = prefix(mp.source_system);
      std::string tp = mp.equivalence == "unmatched" ? "" : prefix(mp.target_system);
      auto op = kOps.count(mp.equivalence) ? kOps.at(mp.equivalence) : "==";
      out << "  " << sp << ":" << quoted(mp.source_code, '"') << " " << op;
      if (!tp.empty()) out << " " << tp << ":" << quoted(mp.target_code, '"');
      out << "\n";
    }
    out << "}\n";
  }
  for (const auto& [name, expr] : m.constants) out << "\nlet " << name << " = " << expr << ";\n";
  for (const auto& g : m.groups) {
    out << "\ngroup " << g.name << "(";
    for (std::size_t i = 0; i < g.inputs.size(); ++i) {
      out << (i ? ", " : "") << g.inputs[i].mode << " " << g.inputs[i].name;
      if (!g.inputs[i].type.empty()) out << " : " << g.inputs[i].type;
    }
    out << ")";
    if (!g.extends.empty()) out << " extends " << g.extends;
    if (g.type_mode == "types") out << " <<types>>";
    if (g.type_mode == "type-and-types") out << " <<type+>>";
    if (!g.documentation.empty()) out << "  // " << g.documentation << "\n";
    out << " {\n";
    for (const auto& r : g.rules) rule(out, r, "  ");
    out << "}\n";
  }
  return out.str();
}

}  // namespace onedoor::fml
