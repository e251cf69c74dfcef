#pragma once
// JsonTree: a strict, position-keeping JSON parse used by every JSON reader of untrusted bytes
// (FHIR resources, config files, generic JSON for mappings). Numbers keep their lexical form;
// strings are decoded and validated as UTF-8; nesting is limited before it can exhaust anything.
// The tree is flat (indices, not pointers) and owns its text. Not thread-safe for mutation.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace onedoor::fhir {

struct JsonLimits {
  std::uint32_t max_depth = 100;
};

class JsonTree {
 public:
  enum class Kind : std::uint8_t { kNull, kFalse, kTrue, kNumber, kString, kObject, kArray };
  struct Item {
    Kind kind = Kind::kNull;
    std::string_view text;  // string value, or number's lexical form
    std::string_view key;   // member name when the parent is an object
    std::uint32_t first = 0;  // index + 1 of the first child; 0 = none
    std::uint32_t next = 0;   // index + 1 of the next sibling; 0 = none
    std::uint32_t count = 0;  // number of children
    // Byte offset in the source: the first character of a string or number, just after '{' or
    // '[' for containers, just after a literal (RapidJSON reports scalars before it advances).
    std::uint32_t offset = 0;
    std::uint32_t key_offset = 0;  // the opening quote of the member name
  };

  // Parses `text`. On failure the Status message names the problem and its line:column.
  static core::Result<JsonTree> parse(std::string_view text, const JsonLimits& limits = {});

  const Item& root() const { return items_.front(); }
  const Item& at(std::uint32_t index_plus_one) const { return items_[index_plus_one - 1]; }
  // Children of an object or array in document order.
  std::vector<const Item*> children(const Item& item) const;
  const Item* member(const Item& object, std::string_view key) const;
  // 1-based line and column (in bytes) of a byte offset in the source text; O(log lines)
  // after a first call that indexes the line starts.
  void position(std::uint32_t offset, std::uint32_t& line, std::uint32_t& column) const;

  JsonTree(JsonTree&&) noexcept = default;
  JsonTree& operator=(JsonTree&&) noexcept = default;

 private:
  JsonTree() = default;
  friend class JsonTreeBuilder;
  // In-situ parsed copy of the source; strings point into it. A heap array, so that moving the
  // tree never moves the characters (a short std::string would).
  std::unique_ptr<char[]> buffer_;
  std::string source_;  // original text, kept for positions
  std::vector<Item> items_;
  mutable std::vector<std::uint32_t> line_starts_;  // built on the first position() call
  mutable std::size_t last_line_ = 0;
};

}  // namespace onedoor::fhir
