#include "fhirpath/type_check.h"

#include <cctype>

#include "fhirpath/nodes.h"

namespace onedoor::fhirpath {
namespace {

// The static type of a collection: the FHIR types its items may have; `known` is false when
// the checker cannot tell (System values, functions it does not model, abstract types).
struct StaticType {
  bool known = false;
  std::vector<const fhir::TypeInfo*> types;
};

StaticType unknown() { return {}; }

class Checker {
 public:
  Checker(const CompileOptions& o, StaticType input) : opts_(o), this_(std::move(input)) {}

  core::Result<StaticType> check(const Expr& e, const StaticType& focus) {
    if (const auto* m = dynamic_cast<const MemberExpr*>(&e)) return member(*m, focus);
    if (const auto* c = dynamic_cast<const CallExpr*>(&e)) return call(*c, focus);
    if (const auto* b = dynamic_cast<const BinaryExpr*>(&e)) {
      GW_ASSIGN_OR_RETURN(StaticType l, check(b->left(), focus));
      GW_ASSIGN_OR_RETURN(StaticType r, check(b->right(), focus));
      if (b->op() == BinaryOp::kUnion && l.known && r.known) {
        l.types.insert(l.types.end(), r.types.begin(), r.types.end());
        return l;
      }
      return unknown();
    }
    if (const auto* t = dynamic_cast<const TypeExpr*>(&e)) {
      GW_ASSIGN_OR_RETURN(StaticType in, check(t->operand(), focus));
      if (t->isTest()) return unknown();
      return asType(t->type(), in, e);
    }
    if (const auto* u = dynamic_cast<const UnaryExpr*>(&e)) {
      GW_RETURN_IF_ERROR(check(u->operand(), focus).status());
      return unknown();
    }
    return unknown();
  }

 private:
  core::Status error(const Expr& at, const std::string& message) {
    return core::invalid(at.where() + ": " + message, at.where());
  }

  bool concrete(const StaticType& t) {
    if (!t.known || t.types.empty()) return false;
    for (const auto* ti : t.types) {
      if (ti == nullptr || ti->abstract || ti->name == "Resource" || ti->name == "DomainResource") return false;
    }
    return true;
  }

  core::Result<StaticType> asType(const std::string& type, const StaticType& in, const Expr& at) {
    std::string name = type.substr(type.find('.') == std::string::npos ? 0 : type.find('.') + 1);
    if (type.rfind("System.", 0) == 0) return unknown();
    const fhir::TypeInfo* t = opts_.model->type(name);
    if (t == nullptr) return unknown();
    if (opts_.strict && concrete(in)) {
      bool possible = false;
      for (const auto* ti : in.types) possible = possible || ti->isa(name) || t->isa(ti->name);
      if (!possible) return error(at, "a " + in.types.front()->name + " is never a " + name);
    }
    return StaticType{true, {t}};
  }

  core::Result<StaticType> member(const MemberExpr& m, const StaticType& focus) {
    StaticType in = focus;
    if (m.target() != nullptr) {
      GW_ASSIGN_OR_RETURN(in, check(*m.target(), focus));
    }
    if (!concrete(in)) return unknown();
    const std::string& name = m.name();
    if (!name.empty() && std::isupper(static_cast<unsigned char>(name[0])) && opts_.model->type(name) != nullptr) {
      for (const auto* t : in.types) {
        if (t->isa(name)) return StaticType{true, {t}};
      }
      if (opts_.strict) return error(m, "the input is a " + in.types.front()->name + ", never a " + name);
      return unknown();
    }
    StaticType out{true, {}};
    bool found = false;
    for (const auto* t : in.types) {
      const fhir::TypeInfo* concrete_type = nullptr;
      const fhir::ElementDef* def = t->element(name);
      if (def == nullptr) {
        def = t->resolve(name, &concrete_type);
        if (def != nullptr && opts_.strict) {
          return error(m, "'" + name + "' names a choice by type; use '" + def->name + "' with ofType() (strict mode)");
        }
        if (def != nullptr) {
          found = true;
          out.types.push_back(concrete_type);
          continue;
        }
      }
      if (def == nullptr) continue;
      found = true;
      for (const auto* et : def->types) out.types.push_back(et);
    }
    if (!found) {
      return error(m, "'" + name + "' is not an element of " + in.types.front()->name);
    }
    for (const auto* t : out.types) {
      if (t == nullptr || t->name == "Resource") return unknown();  // resolved only at run time
    }
    return out;
  }

  core::Result<StaticType> call(const CallExpr& c, const StaticType& focus) {
    StaticType in = focus;
    if (c.target() != nullptr) {
      GW_ASSIGN_OR_RETURN(in, check(*c.target(), focus));
    }
    const std::string& n = c.name();
    // Arguments start from $this: an item of the input for the iterating functions (and for
    // iif with an input), otherwise the $this of the enclosing expression.
    static const char* kIterating[] = {"where", "select", "all", "exists", "repeat", "aggregate", "sort", "trace"};
    bool iterating = false;
    for (const char* k : kIterating) iterating = iterating || n == k;
    if (n == "iif" && c.target() != nullptr) iterating = true;
    StaticType saved = this_;
    if (iterating) this_ = in;
    for (std::size_t i = 0; i < c.argCount(); ++i) {
      auto r = check(c.arg(i), this_);
      if (!r.isOk()) {
        this_ = saved;
        return r.status();
      }
    }
    this_ = saved;
    if (n == "where" || n == "first" || n == "last" || n == "single" || n == "tail" || n == "skip" ||
        n == "take" || n == "distinct" || n == "trace" || n == "sort") {
      return in;
    }
    if (n == "select" && c.argCount() == 1) {
      StaticType outer = this_;
      this_ = in;
      auto r = check(c.arg(0), in);
      this_ = outer;
      return r;
    }
    if (n == "ofType" || n == "as") return asType(c.typeArg(), in, c);
    return unknown();
  }

  const CompileOptions& opts_;
  StaticType this_;  // the type of $this, where function arguments start
};

}  // namespace

core::Status checkTypes(const Expr& root, const CompileOptions& options) {
  const fhir::TypeInfo* t = options.model->type(options.input_type);
  if (t == nullptr) return core::invalid("unknown input type " + options.input_type);
  Checker checker(options, StaticType{true, {t}});
  return checker.check(root, StaticType{true, {t}}).status();
}

}  // namespace onedoor::fhirpath
