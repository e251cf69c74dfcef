#pragma once
// FHIRPath values. An item is either a FHIR element (a Node of a resource being evaluated) or a
// System value (Boolean, Integer, Decimal, String, Date, DateTime, Time, Quantity) produced by
// literals, operators and functions. A FHIR primitive element converts to its System value on
// demand. Items that point at Nodes are valid while those Nodes live.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fhir/node.h"
#include "fhirpath/decimal.h"
#include "fhirpath/quantity.h"
#include "fhirpath/temporal.h"

namespace onedoor::fhirpath {

// The result of type(): a namespace and a name (System.Integer, FHIR.Patient).
struct TypeName {
  std::string ns;
  std::string name;
  bool operator==(const TypeName&) const = default;
};

class Value {
 public:
  enum class Kind : std::uint8_t {
    kNode, kBoolean, kInteger, kDecimal, kString, kDate, kDateTime, kTime, kQuantity, kTypeName
  };

  Value(const fhir::Node* n) : v_(n) {}  // NOLINT
  static Value boolean(bool b) { return Value(Payload(b)); }
  static Value integer(std::int64_t i) { return Value(Payload(i)); }
  static Value decimal(Decimal d) { return Value(Payload(d)); }
  static Value string(std::string s) { return Value(Payload(std::move(s))); }
  static Value temporal(Temporal t) { return Value(Payload(t)); }
  static Value quantity(Quantity q) { return Value(Payload(std::move(q))); }
  static Value typeName(TypeName t) { return Value(Payload(std::move(t))); }

  Kind kind() const;
  bool isNode() const { return std::holds_alternative<const fhir::Node*>(v_); }
  const fhir::Node* node() const { return std::get<const fhir::Node*>(v_); }
  bool asBoolean() const { return std::get<bool>(v_); }
  std::int64_t asInteger() const { return std::get<std::int64_t>(v_); }
  const Decimal& asDecimal() const { return std::get<Decimal>(v_); }
  const std::string& asString() const { return std::get<std::string>(v_); }
  const Temporal& asTemporal() const { return std::get<Temporal>(v_); }
  const Quantity& asQuantity() const { return std::get<Quantity>(v_); }
  const TypeName& asTypeName() const { return std::get<TypeName>(v_); }

  // The System value of this item: itself for System values; for a FHIR primitive node its
  // value converted per its type (string, code, uri ... -> String; date -> Date ...); for a
  // FHIR Quantity node a System Quantity. nullopt for other nodes or unparseable values.
  std::optional<Value> system() const;
  // The type of this item (FHIR.<type> for nodes, System.<kind> otherwise).
  TypeName type() const;
  // The FHIRPath string form (as toString() gives it); nullopt for complex nodes.
  std::optional<std::string> toDisplayString() const;

 private:
  using Payload = std::variant<const fhir::Node*, bool, std::int64_t, Decimal, std::string,
                               Temporal, Quantity, TypeName>;
  explicit Value(Payload p) : v_(std::move(p)) {}
  Payload v_;
};

using Collection = std::vector<Value>;

}  // namespace onedoor::fhirpath
