#pragma once
// FHIRPath equality (=), equivalence (~), ordering (< > <= >=) and arithmetic on single items.
// nullopt means "empty" (not comparable at these precisions / units); an error Status means the
// operands cannot meet (a String compared with a Decimal).

#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "fhirpath/value.h"

namespace onedoor::fhirpath {

std::optional<bool> itemsEqual(const Value& a, const Value& b);
bool itemsEquivalent(const Value& a, const Value& b);
// Collection-level = and ~ (order-dependent equality, order-independent equivalence).
std::optional<bool> collectionsEqual(const Collection& a, const Collection& b);
bool collectionsEquivalent(const Collection& a, const Collection& b);
// -1/0/1, nullopt when incomparable, error when the types cannot be ordered.
core::Result<std::optional<int>> compareItems(const Value& a, const Value& b);

enum class ArithOp { kAdd, kSub, kMul, kDiv, kIntDiv, kMod };
// The result of `a op b`, nullopt for an empty result (division by zero, overflow), an error
// for operand types the operator does not take.
core::Result<std::optional<Value>> arithmetic(ArithOp op, const Value& a, const Value& b);

// Whether `value` is in `collection` by equality (used by in/contains).
bool containsEqual(const Collection& collection, const Value& value);

// Appends the items of `from` that are not already equal to an item of `into` (or of `from`
// before them): the core of distinct(), union() and |. Strings, numbers and Booleans are
// compared through a hash set; other items pairwise.
class DistinctAppender {
 public:
  explicit DistinctAppender(Collection& into);
  void add(const Value& v);

 private:
  Collection& into_;
  std::unordered_set<std::string> keys_;  // keys of the hashable items already in `into`
  std::vector<std::size_t> others_;  // positions of items compared pairwise
};

}  // namespace onedoor::fhirpath
