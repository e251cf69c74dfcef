#pragma once
// The FHIR Mapping Language reader: FML text to the StructureMap abstract syntax (fml::Map), and
// that to a StructureMap resource (JSON). Errors say file:line:col and what was expected; the
// FHIRPath inside a map (where, check, log, default, evaluate, let) is compiled to catch its
// mistakes at load, located in the map file.
//
// Accepted: `/// key = value` metadata, `map "url" = name`, `uses "url" [alias X] as
// source|target|queried|produced`, `imports "url"`, `conceptmap "id" { prefix ... s:c == t:c }`,
// `let x = FHIRPath;`, `group name(source a : T, target b : U) [extends g] [<<types>>|<<type+>>]`,
// rules with sources (context.element : type min..max default(...) list-mode as v where ...
// check ... log ...), targets (context.element = transform(...) as v list-modes, or a bare
// transform), `then { rules }` / `then group(args)`, rule names, and `//` and `/* */` comments.

#include <string>
#include <string_view>

#include "core/status.h"
#include "fml/ast.h"

namespace onedoor::fml {

core::Result<Map> parseMap(std::string_view text, const std::string& file);

// The map as an R4 StructureMap resource in JSON (rules without a name are named after their
// first source, as the reference implementation does).
std::string toStructureMapJson(const Map& map);
// A StructureMap resource (JSON) back to the abstract syntax the engine runs; its contained
// ConceptMaps become the map's own.
core::Result<Map> fromStructureMapJson(const std::string& json);
// The map as FHIR Mapping Language text (parsing it again gives the same StructureMap).
std::string toFml(const Map& map);
// The format a map whose target is not FHIR writes by default: the one its target structure's
// URL names by a path segment (.../csv/X, .../json/X, .../xml/X, .../hl7v2/X), else "".
std::string targetFormat(const Map& map);

}  // namespace onedoor::fml
