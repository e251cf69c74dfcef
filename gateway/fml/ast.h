#pragma once
// The parsed form of a FHIR Mapping Language (FML) map: the abstract syntax of the R4
// StructureMap resource, with the position of everything in the source file so that later
// checks (unknown group, unknown element, type mismatch) can say file:line:col.

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace onedoor::fml {

struct Location {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string toString() const { return file + ":" + std::to_string(line) + ":" + std::to_string(column); }
};

// A transform parameter: a variable name (valueId) or a literal.
struct Parameter {
  enum class Kind { kId, kString, kInteger, kDecimal, kBoolean };
  Kind kind = Kind::kId;
  std::string value;
};

struct Source {
  std::string context;
  std::string element;
  std::string variable;
  std::string type;
  int min = -1;           // -1: not given
  std::string max;        // "" not given, "*" or a number
  std::string default_value;  // FHIRPath
  std::string list_mode;  // first | not_first | last | not_last | only_one
  std::string condition;  // where: FHIRPath
  std::string check;      // check: FHIRPath
  std::string log;        // log: FHIRPath
  Location at;
};

struct Target {
  std::string context;
  std::string element;
  std::string variable;
  std::string transform;  // create, copy, truncate, escape, cast, append, translate, reference, dateOp,
                          // uuid, pointer, evaluate, cc, c, qty, id, cp ("" when none)
  std::vector<Parameter> parameters;
  std::vector<std::string> list_modes;  // first | share | last | collate
  std::string list_rule_id;             // share's rule id
  Location at;
};

struct Dependent {
  std::string name;                    // a group
  std::vector<std::string> variables;  // its arguments
  Location at;
};

struct Rule {
  std::string name;
  std::vector<Source> sources;
  std::vector<Target> targets;
  std::vector<Rule> rules;  // then { ... }
  std::vector<Dependent> dependents;  // then group(...)
  std::string documentation;
  Location at;
};

struct Input {
  std::string name;
  std::string type;
  std::string mode;  // source | target
  Location at;
};

struct Group {
  std::string name;
  std::string extends;
  std::string type_mode = "none";  // none | types | type-and-types
  std::vector<Input> inputs;
  std::vector<Rule> rules;
  std::string documentation;
  Location at;
};

struct Structure {
  std::string url;
  std::string mode;  // source | queried | target | produced
  std::string alias;
  std::string documentation;
  Location at;
};

// A ConceptMap written inside the map (`conceptmap "id" { prefix s = "..." ... s:a == t:b }`).
struct EmbeddedConceptMap {
  struct Mapping {
    std::string source_system;
    std::string source_code;
    std::string target_system;
    std::string target_code;
    std::string equivalence;  // R4 ConceptMapEquivalence code
  };
  std::string id;
  std::vector<Mapping> mappings;
  Location at;
};

struct Map {
  std::string url;
  std::string name;
  std::map<std::string, std::string> metadata;  // /// key = value lines (title, status, ...)
  std::vector<Structure> structures;
  std::vector<std::string> imports;
  std::vector<EmbeddedConceptMap> concept_maps;
  std::vector<std::pair<std::string, std::string>> constants;  // let name = FHIRPath;
  std::vector<Group> groups;
  Location at;
};

}  // namespace onedoor::fml
