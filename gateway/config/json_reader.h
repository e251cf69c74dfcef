#pragma once
// Typed reading of JSON configuration with positions: each accessor checks the JSON type, records
// which keys were used, and `done()` reports every key nobody asked for (typos are errors).
// Used for the gateway config and every other integrator-written JSON file.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "fhir/json_tree.h"

namespace onedoor::config {

class JsonConfigFile;

class ObjectReader {
 public:
  using Item = fhir::JsonTree::Item;
  ObjectReader(const JsonConfigFile& file, const Item* object, Diagnostics& diags);

  bool valid() const { return object_ != nullptr; }
  bool has(std::string_view key) const;
  // Each returns false (and reports) when the key is present with the wrong type, or when it is
  // required and absent; `out` keeps its default otherwise.
  bool string(std::string_view key, std::string& out, bool required = false);
  bool boolean(std::string_view key, bool& out, bool required = false);
  bool u32(std::string_view key, std::uint32_t& out, bool required = false, std::uint32_t min = 0,
           std::uint32_t max = 0xFFFFFFFFu);
  bool u64(std::string_view key, std::uint64_t& out, bool required = false);
  // A decimal number between `min` and `max` (weights, thresholds).
  bool number(std::string_view key, double& out, bool required = false, double min = 0, double max = 1);
  bool stringList(std::string_view key, std::vector<std::string>& out, bool required = false);
  // One of `allowed`; reports the allowed values otherwise.
  bool oneOf(std::string_view key, std::string& out, const std::vector<std::string>& allowed,
             bool required = false);
  ObjectReader object(std::string_view key, bool required = false);
  // Calls `each` with a reader per element of an array of objects.
  void objects(std::string_view key, const std::function<void(ObjectReader&)>& each,
               bool required = false);
  const Item* raw(std::string_view key);
  void error(std::string_view key, const std::string& message);  // at the key's value
  void errorHere(const std::string& message);                     // at the object
  // "line:col" of the object (for messages made later, at run time).
  std::string locationOf(std::uint32_t& line, std::uint32_t& col) const;
  // Reports unknown keys. Call once, after reading every known key.
  void done();

  const JsonConfigFile& file() const { return file_; }

 private:
  const Item* find(std::string_view key);
  void wrongType(std::string_view key, const Item& v, const char* want);

  const JsonConfigFile& file_;
  const Item* object_;
  Diagnostics& diags_;
  std::vector<std::string_view> used_;
};

// A parsed JSON file with its name, for diagnostics.
class JsonConfigFile {
 public:
  // Reads and parses `path`; syntax errors go to `diags` and the result is !ok().
  static JsonConfigFile load(const std::string& path, Diagnostics& diags);
  static JsonConfigFile fromText(std::string name, std::string_view text, Diagnostics& diags);

  bool ok() const { return tree_ != nullptr; }
  const std::string& name() const { return name_; }
  const fhir::JsonTree& tree() const { return *tree_; }
  ObjectReader root(Diagnostics& diags) const;
  void position(const fhir::JsonTree::Item& item, std::uint32_t& line, std::uint32_t& col) const;

 private:
  std::string name_;
  std::shared_ptr<fhir::JsonTree> tree_;
};

}  // namespace onedoor::config
