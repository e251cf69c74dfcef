#pragma once
// FHIR JSON and XML codecs over the Node tree. Readers take untrusted bytes and report every
// problem they find as an Issue with its element path and line:column; they never throw and never
// return a partly read resource as valid. Writers take a typed Node and cannot fail on one that a
// reader produced. All functions are thread-safe (the Model is immutable).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/issue.h"
#include "fhir/model.h"
#include "fhir/node.h"

namespace onedoor::fhir {

enum class Format : std::uint8_t { kJson, kXml };

struct ReadOptions {
  std::uint32_t max_depth = 100;  // JSON/XML nesting limit
  // When false (the default) an element the definitions do not know is an error.
  bool allow_unknown_elements = false;
};

struct ReadResult {
  Node resource;        // the resource root (valid only when ok())
  core::Issues issues;  // all problems found, errors first-found first
  bool ok() const { return !core::hasErrors(issues); }
};

ReadResult readJson(const Model& model, std::string_view text, const ReadOptions& opts = {});
ReadResult readXml(const Model& model, std::string_view text, const ReadOptions& opts = {});
ReadResult read(const Model& model, Format format, std::string_view text,
                const ReadOptions& opts = {});

struct WriteOptions {
  bool pretty = false;
};

std::string writeJson(const Node& resource, const WriteOptions& opts = {});
std::string writeXml(const Node& resource, const WriteOptions& opts = {});
std::string write(const Node& resource, Format format, const WriteOptions& opts = {});
// A datatype or backbone element as a JSON object (no resourceType); resources as writeJson.
std::string writeJsonElement(const Node& element);

// Guesses the format of a payload from its first non-blank byte ('<' is XML, '{' JSON).
Format sniffFormat(std::string_view text);

// True if `value` is a lexically valid boolean/integer/decimal for a primitive whose JSON form
// is a boolean or a number (other primitives: always true). XML carries these as text, so the
// XML reader must check them for JSON to stay possible.
bool validNumericOrBoolean(const TypeInfo& type, std::string_view value);

// True if `s` is valid UTF-8 without C0 control characters other than tab, CR and LF (FHIR's
// rule for string content).
bool isValidFhirString(std::string_view s);

}  // namespace onedoor::fhir
